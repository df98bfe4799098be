/**
 * When a change replaces a resource rather than updating it (pure): the providers' force-new fields, per type, and
 * the resources whose replacement is critical (stateful or holding the cluster together).
 */
/**
 * Input paths whose change makes the provider replace the resource (from the providers' schemas: these
 * fields are immutable in the AWS APIs / Kubernetes object identity).
 */
const REPLACE_ON: Readonly<Record<string, readonly string[]>> = {
  "aws:ec2/vpc:Vpc": ["cidrBlock"],
  "aws:ec2/subnet:Subnet": ["cidrBlock", "availabilityZone", "vpcId"],
  // Subnets update in place since EKS UpdateClusterConfig (terraform-provider-aws#34209, Nov 2023), within the
  // cluster's VPC only: a move to another VPC is refused (networkProblems in disruption.ts).
  "aws:eks/cluster:Cluster": ["name", "roleArn", "encryptionConfig"],
  "aws:eks/nodeGroup:NodeGroup": ["clusterName", "nodeRoleArn", "subnetIds", "instanceTypes", "amiType", "capacityType"],
  "aws:kms/key:Key": ["customerMasterKeySpec", "keyUsage"],
  "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix"],
  "aws:ec2/placementGroup:PlacementGroup": ["strategy"],
  // Every input of the random provider's resources forces a new value (its docs: "keepers … force a new value").
  "random:index/randomPassword:RandomPassword": ["keepers", "length", "special", "upper", "lower", "numeric", "minSpecial", "overrideSpecial"],
  // pulumi-kubernetes replaces these objects when the fields change (provider source, forceNew table: immutable in
  // the Kubernetes API, or replaced by design); metadata.name/namespace for every kind (replaceReason below). Secrets'
  // data is not listed: the kit's providers make Secrets mutable (components/aws/kubeconfig.ts PROVIDER_APPLY).
  "kubernetes:batch/v1:Job": ["spec.selector", "spec.template"],
  "kubernetes:apps/v1:Deployment": ["spec.selector"],
  "kubernetes:core/v1:ConfigMap": ["data", "binaryData"],
  "kubernetes:core/v1:Secret": ["type"],
  "kubernetes:core/v1:Service": ["spec.clusterIP"],
  "kubernetes:core/v1:PersistentVolumeClaim": ["spec.accessModes", "spec.selector", "spec.storageClassName", "spec.volumeName"],
  "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": ["roleRef"],
  "kubernetes:storage.k8s.io/v1:StorageClass": ["parameters", "provisioner"],
};
export const CRITICAL = /^(aws:ec2\/(vpc|subnet):|aws:eks\/(cluster|nodeGroup):|aws:kms\/key:|aws:s3\/bucket:|kubernetes:karpenter\.sh\/v1:NodePool|kubernetes:eks\.amazonaws\.com\/v1:NodeClass|kubernetes:karpenter\.k8s\.aws\/v1:EC2NodeClass)/;

/** Whether an input path is the field `field` or lies inside it (`field.x`, `field[0]`). */
export function within(path: string, field: string): boolean {
  return path === field || path.startsWith(`${field}.`) || path.startsWith(`${field}[`);
}

export function replaceReason(type: string, changes: readonly { readonly path: string }[], regionChanged: boolean): string | null {
  if (regionChanged && type.startsWith("aws:")) return "the AWS region changed";
  const keys = REPLACE_ON[type] ?? [];
  const hit = changes.find((c) => keys.some((k) => within(c.path, k)));
  if (hit) return `${hit.path} cannot change in place`;
  if (type.startsWith("kubernetes:") && changes.some((c) => c.path === "metadata.name" || c.path === "metadata.namespace")) return "its Kubernetes name changed";
  return null;
}

