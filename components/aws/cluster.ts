/**
 * A new EKS cluster in EKS Auto Mode: secrets encrypted with a KMS key, control-plane logs, API-mode
 * access entries for admins, and a Kubernetes provider for everything that runs inside it.
 *
 * Why Auto Mode even for managed GPU node groups: it brings the load balancer controller, the EBS CSI
 * driver, Pod Identity and a system node pool managed by AWS, and EKS requires its compute, storage and
 * load-balancing capabilities to be enabled together.
 */
import * as pulumi from "@pulumi/pulumi";
import { LogGroup } from "@pulumi/aws/cloudwatch/logGroup";
import { AccessEntry } from "@pulumi/aws/eks/accessEntry";
import { AccessPolicyAssociation } from "@pulumi/aws/eks/accessPolicyAssociation";
import { Cluster } from "@pulumi/aws/eks/cluster";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { RolePolicyAttachment } from "@pulumi/aws/iam/rolePolicyAttachment";
import { Key } from "@pulumi/aws/kms/key";
import { Provider } from "@pulumi/kubernetes/provider";
import type { CreateClusterSettings } from "../config/infra-schema";
import { autoModeCustomTagsPolicy } from "./auto-mode-tags";
import { PROVIDER_APPLY, awsIdentityOf, kubeconfigFor } from "./kubeconfig";
import { CLUSTER_ADMIN_POLICY, adminEntryName } from "./cluster-access";

export interface EksClusterArgs {
  /** EKS cluster name (also used in subnet discovery tags, so known up front). */
  readonly clusterName: string;
  readonly region: string;
  readonly settings: CreateClusterSettings;
  readonly privateSubnetIds: pulumi.Input<string>[];
  readonly tags: Readonly<Record<string, string>>;
}

const managedPolicy = (name: string) => `arn:aws:iam::aws:policy/${name}`;
/** Managed policies the Auto Mode cluster role needs (EKS user guide, "Create an Auto Mode cluster with the CLI"). */
export const AUTO_MODE_CLUSTER_POLICIES = ["AmazonEKSClusterPolicy", "AmazonEKSComputePolicy", "AmazonEKSBlockStoragePolicy", "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy"];
/** Managed policies Auto Mode nodes need. */
export const AUTO_MODE_NODE_POLICIES = ["AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly"];

export function trustPolicy(service: string, actions: string[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: actions }] });
}

export class EksCluster extends pulumi.ComponentResource {
  public readonly name: pulumi.Output<string>;
  public readonly provider: Provider;
  /** Role Auto Mode nodes (and the kit's GPU NodeClasses) run as. */
  public readonly nodeRoleName: pulumi.Output<string>;
  public readonly nodeRoleArn: pulumi.Output<string>;
  public readonly clusterSecurityGroupId: pulumi.Output<string>;

  constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:aws:Cluster", name, {}, opts);
    const parent = { parent: this };
    // Stateful resources are protected by default: deleting them loses every secret and workload.
    const guarded = { parent: this, protect: args.settings.protect };
    const s = args.settings;

    const key = new Key(`${name}-secrets`, {
      description: `Envelope encryption of Kubernetes secrets in ${args.clusterName}`,
      enableKeyRotation: true, deletionWindowInDays: 30, tags: args.tags,
    }, guarded);

    const clusterRole = new Role(`${name}-cluster`, { assumeRolePolicy: trustPolicy("eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]), tags: args.tags }, parent);
    const clusterPolicies: pulumi.Resource[] = AUTO_MODE_CLUSTER_POLICIES.map((p) => new RolePolicyAttachment(`${name}-cluster-${p}`, { role: clusterRole.name, policyArn: managedPolicy(p) }, parent));
    // The GPU NodeClasses tag their nodes; the managed policies refuse user-defined tags (auto-mode-tags.ts), so
    // without this Auto Mode never launches a GPU node. The cluster waits for it, and NodeClasses wait for the cluster.
    clusterPolicies.push(new RolePolicy(`${name}-cluster-custom-tags`, { role: clusterRole.name, policy: JSON.stringify(autoModeCustomTagsPolicy()) }, parent));
    const nodeRole = new Role(`${name}-node`, { assumeRolePolicy: trustPolicy("ec2.amazonaws.com", ["sts:AssumeRole"]), tags: args.tags }, parent);
    const nodePolicies = AUTO_MODE_NODE_POLICIES.map((p) => new RolePolicyAttachment(`${name}-node-${p}`, { role: nodeRole.name, policyArn: managedPolicy(p) }, parent));

    // EKS would create this log group with no retention; owning it bounds the CloudWatch bill.
    const logs = new LogGroup(`${name}-logs`, { name: `/aws/eks/${args.clusterName}/cluster`, retentionInDays: 90, tags: args.tags }, parent);

    const cluster = new Cluster(`${name}-eks`, {
      name: args.clusterName,
      version: s.kubernetesVersion,
      roleArn: clusterRole.arn,
      vpcConfig: { subnetIds: args.privateSubnetIds, endpointPublicAccess: s.endpoint.public, endpointPrivateAccess: s.endpoint.private, publicAccessCidrs: s.endpoint.public ? s.endpoint.publicAccessCidrs : undefined },
      // No creator bootstrap (cluster-access.ts); the preflight has checked that the caller is an admin.
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
      encryptionConfig: { provider: { keyArn: key.arn }, resources: ["secrets"] },
      enabledClusterLogTypes: s.logTypes,
      bootstrapSelfManagedAddons: false,
      computeConfig: { enabled: true, nodePools: ["system", "general-purpose"], nodeRoleArn: nodeRole.arn },
      kubernetesNetworkConfig: { elasticLoadBalancing: { enabled: true } },
      storageConfig: { blockStorage: { enabled: true } },
      deletionProtection: s.protect,
      tags: args.tags,
    }, {
      ...guarded, dependsOn: [...clusterPolicies, ...nodePolicies, logs],
      // Changing it replaces a cluster (it is set at creation only: hashicorp/terraform-provider-aws#35824); clusters
      // created with it keep the creator's entry until it is deleted by hand (README, "Security model").
      ignoreChanges: ["accessConfig.bootstrapClusterCreatorAdminPermissions"],
    });

    const access: pulumi.Resource[] = [];
    s.admins.forEach((principalArn, i) => {
      const entryName = adminEntryName(name, principalArn);
      // Named by principal; `aliases` adopt entries named by list position before this. deleteBeforeReplace: EKS
      // refuses a second entry for one principal (409), so a replacement must delete the old one first.
      const moved = { aliases: [{ name: `${name}-admin-${i}` }], deleteBeforeReplace: true };
      const entry = new AccessEntry(entryName, { clusterName: cluster.name, principalArn, type: "STANDARD", tags: args.tags }, { parent: this, ...moved });
      access.push(new AccessPolicyAssociation(entryName, {
        clusterName: cluster.name, principalArn, policyArn: CLUSTER_ADMIN_POLICY, accessScope: { type: "cluster" },
      }, { parent: this, dependsOn: [entry], ...moved }));
    });

    this.name = cluster.name;
    this.nodeRoleName = nodeRole.name;
    this.nodeRoleArn = nodeRole.arn;
    this.clusterSecurityGroupId = cluster.vpcConfig.apply((v) => v.clusterSecurityGroupId ?? "");
    const identity = awsIdentityOf(new pulumi.Config("aws"));
    this.provider = new Provider(`${name}-k8s`, {
      kubeconfig: pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority]).apply(([n, endpoint, ca]) => kubeconfigFor(n, endpoint, ca?.data ?? "", args.region, identity)),
      ...PROVIDER_APPLY,
      // Without creator permissions, whoever runs Pulumi reaches the cluster only through its access entry: every
      // Kubernetes resource waits for the admins' entries and policies, or the first `pulumi up` meets 401s.
    }, { parent: this, dependsOn: access });
    this.registerOutputs({ name: this.name, nodeRoleArn: this.nodeRoleArn });
  }
}
