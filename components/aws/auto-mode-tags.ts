/**
 * User-defined tags on what EKS Auto Mode launches (pure, no Pulumi).
 *
 * The EKS user guide, "Amazon EKS Auto Mode cluster IAM role" → "Custom AWS tags for EKS Auto resources"
 * (https://docs.aws.amazon.com/eks/latest/userguide/auto-cluster-iam-role.html#tag-prop): the managed
 * policies of the Auto Mode cluster role do not permit user-defined tags on the resources Auto Mode
 * provisions. AmazonEKSComputePolicy, for one, allows `ec2:RunInstances`/`CreateFleet`/`CreateLaunchTemplate`
 * only when every request tag key is one of `eks:eks-cluster-name`, `eks:kubernetes-node-class-name`,
 * `eks:kubernetes-node-pool-name`, `kubernetes.io/cluster/*` (`ForAllValues:StringLike` on `aws:TagKeys`,
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonEKSComputePolicy.html). A NodeClass
 * with `spec.tags` therefore never gets a node unless the cluster role holds the extra permissions below:
 * GPU pods stay Pending and `pulumi up` times out.
 *
 * So the kit either grants them (a cluster it creates: `autoModeCustomTagsPolicy` on its cluster role) or
 * leaves the NodeClass untagged (an existing Auto Mode cluster whose role it does not own, unless the stack
 * says that role already has them: `omk:cluster.customTagPermissions`).
 */

export const AUTO_MODE_TAGS_DOC = "https://docs.aws.amazon.com/eks/latest/userguide/auto-cluster-iam-role.html#tag-prop";

/** Tag keys Auto Mode itself puts on what it launches; the managed policies allow only these (and kubernetes.io/cluster/*). */
export const AUTO_MODE_OWN_TAG_KEYS = ["eks:eks-cluster-name", "eks:kubernetes-node-class-name", "eks:kubernetes-node-pool-name"] as const;

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

/** Auto Mode tags its own calls with the cluster name; the cluster role's session carries it as a principal tag. */
const SAME_CLUSTER = { "aws:RequestTag/eks:eks-cluster-name": "${aws:PrincipalTag/eks:eks-cluster-name}" } as const;
const SAME_CLUSTER_RESOURCE = { "aws:ResourceTag/eks:eks-cluster-name": "${aws:PrincipalTag/eks:eks-cluster-name}" } as const;

/**
 * The cluster-role permissions that let Auto Mode create nodes (instances, launch templates, fleets), their
 * volumes and network interfaces with user-defined tags, and change those tags later — scoped, as the user
 * guide's example is, to requests and resources carrying this cluster's own `eks:eks-cluster-name` tag.
 * The load-balancer statements of the guide's example are left out: the kit puts no tags on ALBs.
 */
export function autoModeCustomTagsPolicy(): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ComputeWithCustomTags", Effect: "Allow", Action: ["ec2:CreateFleet", "ec2:RunInstances", "ec2:CreateLaunchTemplate"], Resource: "*",
        Condition: { StringEquals: SAME_CLUSTER, StringLike: { "aws:RequestTag/eks:kubernetes-node-class-name": "*", "aws:RequestTag/eks:kubernetes-node-pool-name": "*" } },
      },
      {
        Sid: "StorageWithCustomTags", Effect: "Allow", Action: ["ec2:CreateVolume", "ec2:CreateSnapshot"], Resource: ["arn:aws:ec2:*:*:volume/*", "arn:aws:ec2:*:*:snapshot/*"],
        Condition: { StringEquals: SAME_CLUSTER },
      },
      {
        Sid: "NetworkingWithCustomTags", Effect: "Allow", Action: ["ec2:CreateNetworkInterface"], Resource: "*",
        Condition: { StringEquals: SAME_CLUSTER, StringLike: { "aws:RequestTag/eks:kubernetes-cni-node-name": "*" } },
      },
      {
        // "To change or remove user defined tags after a resource is created, the policy must also allow
        // modifying and deleting tags on existing resources" (same page): only this cluster's own resources.
        Sid: "RetagOwnResources", Effect: "Allow", Action: ["ec2:CreateTags", "ec2:DeleteTags"],
        Resource: ["arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:*:*:volume/*", "arn:aws:ec2:*:*:network-interface/*", "arn:aws:ec2:*:*:launch-template/*", "arn:aws:ec2:*:*:fleet/*"],
        Condition: { StringEquals: SAME_CLUSTER_RESOURCE },
      },
    ],
  };
}

/** Whether a tag key is one Auto Mode or Kubernetes reserves (a NodeClass must not set these). */
export function isReservedTagKey(key: string): boolean {
  return /^(kubernetes\.io\/cluster\/|karpenter\.sh\/(nodepool|nodeclaim)$|eks:|eks\.amazonaws\.com\/|aws:)/.test(key);
}

/**
 * `spec.tags` for an Auto Mode NodeClass: the stack's tags and the pool, when the cluster role may apply them;
 * none otherwise (an untagged node launches; a tagged one without permission never does).
 */
export function autoModeNodeClassTags(tags: Readonly<Record<string, string>>, poolName: string, rolePermitsCustomTags: boolean): Record<string, string> | undefined {
  if (!rolePermitsCustomTags) return undefined;
  const all = { ...tags, "omk.dev/pool": poolName };
  const reserved = Object.keys(all).filter(isReservedTagKey);
  if (reserved.length) throw new Error(`NodeClass tags ${reserved.join(", ")} use keys EKS Auto Mode reserves; rename them (see ${AUTO_MODE_TAGS_DOC})`);
  return all;
}
