/** GPU capacity through EKS managed node groups: one launch template and node group per GPU pool. */
import { getAddonVersionOutput } from "@pulumi/aws/eks/getAddonVersion";
import type { EksNodeAddon } from "../config/infra-schema";
import * as pulumi from "@pulumi/pulumi";
import { LaunchTemplate } from "@pulumi/aws/ec2/launchTemplate";
import { PlacementGroup } from "@pulumi/aws/ec2/placementGroup";
import { Addon } from "@pulumi/aws/eks/addon";
import { NodeGroup } from "@pulumi/aws/eks/nodeGroup";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicyAttachment } from "@pulumi/aws/iam/rolePolicyAttachment";
import type { CapacitySettings } from "../config/infra-schema";
import { trustPolicy } from "./cluster";
import { podIdentityTrustPolicy } from "../pod-identity-trust";
import type { GpuPool } from "./gpu-pools";
import { buildLaunchTemplate, buildNodeGroup } from "./managed-pools-spec";

export interface ManagedPoolsArgs {
  readonly clusterName: pulumi.Input<string>;
  readonly pools: readonly { readonly pool: GpuPool; readonly subnetIds: pulumi.Input<string>[] }[];
  /** Existing node role ARN; when absent the component creates one with the standard node policies. */
  readonly nodeRoleArn?: pulumi.Input<string>;
  /** Security group for EFA interfaces (the cluster security group). */
  readonly securityGroupId: pulumi.Input<string>;
  /** Install vpc-cni, kube-proxy, CoreDNS and the Pod Identity agent (a new Auto Mode cluster has none for these nodes). */
  readonly installNodeAddons: boolean;
  /**
   * The cluster's Kubernetes version, when the kit creates the cluster: node groups and their add-ons follow it, so a
   * version bump upgrades them in place (EKS user guide, "Update existing cluster to new Kubernetes version": node
   * groups and add-ons are not upgraded with the control plane). @default their versions stay as created
   */
  readonly kubernetesVersion?: string;
  /** Pinned EKS add-on versions (omk:cluster.addonVersions). @default EKS's default version for kubernetesVersion */
  readonly addonVersions?: Readonly<Partial<Record<EksNodeAddon, string>>>;
  readonly capacity: CapacitySettings;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The node role: what the kubelet needs and nothing more (EKS user guide, "Amazon EKS node IAM role": the worker
 * node policy, and ECR pull-only). The VPC CNI's permissions go to its own role through Pod Identity instead ("We
 * recommend that you assign it to a separate role", "Configure Amazon VPC CNI plugin"), so no pod on a GPU node
 * inherits ENI permissions from the instance profile.
 */
const NODE_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"];

export class ManagedPools extends pulumi.ComponentResource {
  public readonly nodeGroups: readonly NodeGroup[];

  constructor(name: string, args: ManagedPoolsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:aws:ManagedPools", name, {}, opts);
    const parent = { parent: this };
    let nodeRoleArn = args.nodeRoleArn;
    const dependsOn: pulumi.Resource[] = [];
    if (!nodeRoleArn) {
      const role = new Role(`${name}-node`, { assumeRolePolicy: trustPolicy("ec2.amazonaws.com", ["sts:AssumeRole"]), tags: args.tags }, parent);
      dependsOn.push(...NODE_POLICIES.map((p) => new RolePolicyAttachment(`${name}-node-${p}`, { role: role.name, policyArn: `arn:aws:iam::aws:policy/${p}` }, parent)));
      nodeRoleArn = role.arn;
    }
    if (args.installNodeAddons) {
      // Auto Mode's own nodes need none of these; node groups beside it need all four (DNS included). The Pod Identity
      // agent comes first: the VPC CNI gets its credentials through it ("IAM roles for Amazon EKS add-ons").
      const agent = new Addon(`${name}-eks-pod-identity-agent`, { clusterName: args.clusterName, addonName: "eks-pod-identity-agent", addonVersion: args.addonVersions?.["eks-pod-identity-agent"], resolveConflictsOnCreate: "OVERWRITE", resolveConflictsOnUpdate: "PRESERVE", tags: args.tags }, parent);
      dependsOn.push(agent);
      const cniRole = new Role(`${name}-vpc-cni`, { assumeRolePolicy: pulumi.output(args.clusterName).apply((c) => podIdentityTrustPolicy(c, "kube-system", "aws-node")), tags: args.tags }, parent);
      const cniPolicy = new RolePolicyAttachment(`${name}-vpc-cni`, { role: cniRole.name, policyArn: "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy" }, parent);
      for (const addon of ["vpc-cni", "kube-proxy", "coredns"] as const) {
        // The VPC CNI's network-policy agent is off by default on node groups: NetworkPolicies would not be enforced there
        // (EKS user guide, "Restrict Pod network traffic with Kubernetes network policies": enableNetworkPolicy). The
        // add-on owns kube-system/amazon-vpc-cni and sets the same switch Auto Mode's nodes read in it.
        const configurationValues = addon === "vpc-cni" ? JSON.stringify({ enableNetworkPolicy: "true" }) : undefined;
        const cni = addon === "vpc-cni";
        // The pinned version, else the add-on's default for the cluster's Kubernetes version (DescribeAddonVersions):
        // bumping the version bumps it too, keeping settings changed on the cluster (PRESERVE).
        const addonVersion = args.addonVersions?.[addon]
          ?? (args.kubernetesVersion ? getAddonVersionOutput({ addonName: addon, kubernetesVersion: args.kubernetesVersion }, parent).version : undefined);
        dependsOn.push(new Addon(`${name}-${addon}`, {
          clusterName: args.clusterName, addonName: addon, addonVersion, resolveConflictsOnCreate: "OVERWRITE", resolveConflictsOnUpdate: "PRESERVE", configurationValues, tags: args.tags,
          ...(cni ? { podIdentityAssociations: [{ serviceAccount: "aws-node", roleArn: cniRole.arn }] } : {}),
        }, { ...parent, dependsOn: cni ? [agent, cniPolicy] : [] }));
      }
    }
    this.nodeGroups = args.pools.map(({ pool, subnetIds }) => {
      const lt = buildLaunchTemplate(pool, args.capacity);
      const group = pool.multiNode ? new PlacementGroup(`${name}-${pool.name}`, { strategy: "cluster", tags: args.tags }, parent) : undefined;
      const template = new LaunchTemplate(`${name}-${pool.name}`, {
        blockDeviceMappings: lt.blockDeviceMappings,
        metadataOptions: lt.metadataOptions,
        networkInterfaces: lt.efaInterfaces.length ? lt.efaInterfaces.map((n) => ({ ...n, securityGroups: [args.securityGroupId] })) : undefined,
        placement: group ? { groupName: group.name } : undefined,
        capacityReservationSpecification: lt.capacityReservationId ? { capacityReservationTarget: { capacityReservationId: lt.capacityReservationId } } : undefined,
        instanceMarketOptions: lt.capacityBlock ? { marketType: "capacity-block" } : undefined,
        tagSpecifications: [{ resourceType: "instance", tags: { ...args.tags, "omk.dev/pool": pool.name } }],
        tags: args.tags,
      }, parent);
      const ng = buildNodeGroup(pool, args.capacity);
      return new NodeGroup(`${name}-${pool.name}`, {
        clusterName: args.clusterName, nodeRoleArn: nodeRoleArn!, subnetIds,
        instanceTypes: [pool.instanceType], amiType: ng.amiType, capacityType: ng.capacityType, scalingConfig: ng.scalingConfig,
        taints: ng.taints, labels: ng.labels, launchTemplate: { id: template.id, version: template.latestVersion.apply(String) },
        updateConfig: { maxUnavailable: 1 }, nodeRepairConfig: { enabled: true }, tags: args.tags, ...(args.kubernetesVersion ? { version: args.kubernetesVersion } : {}),
      }, { parent: this, dependsOn, ignoreChanges: ["scalingConfig.desiredSize"] });
    });
    this.registerOutputs({});
  }
}
