/**
 * An existing cluster: the kit only connects to it (by EKS name or kubeconfig) and adds GPU capacity
 * and workloads. Nothing about the cluster itself is managed, so nothing of it can be replaced.
 */
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { getClusterOutput } from "@pulumi/aws/eks/getCluster";
import { getRoleOutput } from "@pulumi/aws/iam/getRole";
import { Provider } from "@pulumi/kubernetes/provider";
import type { ExistingClusterSettings } from "../config/infra-schema";
import { PROVIDER_APPLY, awsIdentityOf, kubeconfigFor } from "./kubeconfig";

export interface ExistingClusterArgs {
  readonly settings: ExistingClusterSettings;
  readonly region: string;
}

export class ExistingCluster extends pulumi.ComponentResource {
  public readonly name: pulumi.Output<string>;
  public readonly provider: Provider;
  public readonly clusterSecurityGroupId: pulumi.Output<string>;
  public readonly nodeRoleArn: pulumi.Output<string> | undefined;

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:aws:ExistingCluster", name, {}, opts);
    const s = args.settings;
    if (s.name) {
      const cluster = getClusterOutput({ name: s.name }, { parent: this });
      this.name = cluster.name;
      this.clusterSecurityGroupId = cluster.vpcConfig.apply((v) => v.clusterSecurityGroupId);
      const kubeconfig = s.kubeconfig ?? pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthorities]).apply(([n, endpoint, cas]) => kubeconfigFor(n, endpoint, cas[0]?.data ?? "", args.region, awsIdentityOf(new pulumi.Config("aws"))));
      this.provider = new Provider(`${name}-k8s`, { kubeconfig, context: s.context, ...PROVIDER_APPLY }, { parent: this });
    } else {
      this.name = pulumi.output(s.context ?? "kubeconfig");
      this.clusterSecurityGroupId = pulumi.output("");
      // A kubeconfig path: the provider reads it (e.g. a kind cluster for the `local` stack).
      const kubeconfig = s.kubeconfig?.startsWith("~/") ? path.join(os.homedir(), s.kubeconfig.slice(2)) : s.kubeconfig;
      this.provider = new Provider(`${name}-k8s`, { kubeconfig, context: s.context, ...PROVIDER_APPLY }, { parent: this });
    }
    this.nodeRoleArn = s.nodeRoleName ? getRoleOutput({ name: s.nodeRoleName }, { parent: this }).arn : undefined;
    this.registerOutputs({ name: this.name });
  }
}
