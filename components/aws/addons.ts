/** Cluster add-ons as Helm releases of the charts pinned in charts/, only those the stack needs. */
import * as pulumi from "@pulumi/pulumi";
import { PodIdentityAssociation } from "@pulumi/aws/eks/podIdentityAssociation";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicyAttachment } from "@pulumi/aws/iam/rolePolicyAttachment";
import { Release } from "@pulumi/kubernetes/helm/v3/release";
import type { Provider } from "@pulumi/kubernetes/provider";
import type { AddonDecision } from "./addon-plan";
import { loadChart, type AddonName } from "./charts";

export interface ClusterAddonsArgs {
  readonly decisions: readonly AddonDecision[];
  readonly provider: Provider;
  readonly clusterName: pulumi.Input<string>;
  readonly region: string;
  readonly vpcId?: pulumi.Input<string>;
  /** IAM policy for the AWS Load Balancer Controller (required when it is installed). */
  readonly loadBalancerControllerPolicyArn?: string;
  readonly tags: Readonly<Record<string, string>>;
}

export class ClusterAddons extends pulumi.ComponentResource {
  public readonly releases: Readonly<Partial<Record<AddonName, Release>>>;

  constructor(name: string, args: ClusterAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:aws:Addons", name, {}, opts);
    const releases: Partial<Record<AddonName, Release>> = {};
    const installed = args.decisions.filter((d) => d.install);
    for (const decision of installed) {
      const chart = loadChart(decision.name);
      const computed: Record<string, unknown> = decision.name === "aws-load-balancer-controller" ? { clusterName: args.clusterName, region: args.region, vpcId: args.vpcId } : {};
      const oci = chart.repository.startsWith("oci://");
      // Prometheus must exist before KEDA's triggers are created, and KEDA before the ScaledObjects.
      const after = decision.name === "keda" && releases["kube-prometheus-stack"] ? [releases["kube-prometheus-stack"]] : [];
      releases[decision.name] = new Release(`${name}-${decision.name}`, {
        name: decision.name,
        chart: oci ? `${chart.repository}/${chart.chart}` : chart.chart,
        repositoryOpts: oci ? undefined : { repo: chart.repository },
        version: chart.version,
        namespace: chart.namespace,
        createNamespace: true,
        values: { ...chart.values, ...computed },
        atomic: true,
        cleanupOnFail: true,
        timeout: 900,
        description: decision.reason,
      }, { parent: this, provider: args.provider, dependsOn: after });
    }
    if (releases["aws-load-balancer-controller"] && args.loadBalancerControllerPolicyArn) {
      const role = new Role(`${name}-lbc`, { assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }] }), tags: args.tags }, { parent: this });
      new RolePolicyAttachment(`${name}-lbc`, { role: role.name, policyArn: args.loadBalancerControllerPolicyArn }, { parent: this });
      new PodIdentityAssociation(`${name}-lbc`, { clusterName: args.clusterName, namespace: "kube-system", serviceAccount: "aws-load-balancer-controller", roleArn: role.arn, tags: args.tags }, { parent: this });
    }
    this.releases = releases;
    this.registerOutputs({});
  }
}
