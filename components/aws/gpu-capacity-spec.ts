/**
 * Karpenter objects for the GPU pools, as plain manifests (pure): a NodePool per pool, and the node class
 * it references — EKS Auto Mode's `NodeClass` or self-managed Karpenter's `EC2NodeClass`.
 * Tests validate them against the Karpenter CRD schemas; `omk plan --out` writes them as YAML.
 */
import type { CapacitySettings } from "../config/infra-schema";
import { autoModeNodeClassTags } from "./auto-mode-tags";
import { GPU_TAINT, type GpuPool } from "./gpu-pools";

export type KarpenterFlavor = "auto-mode" | "self-managed";

export interface NodeClassInput {
  readonly pool: GpuPool;
  readonly flavor: KarpenterFlavor;
  /** IAM role name the nodes run as. */
  readonly nodeRoleName: string;
  /** Value of the `karpenter.sh/discovery` tag on the node subnets (and security groups, self-managed). */
  readonly discoveryTag: string;
  /** Security group for Auto Mode nodes (the cluster security group). */
  readonly securityGroupId: string;
  readonly capacity: CapacitySettings;
  readonly tags: Readonly<Record<string, string>>;
  /**
   * Auto Mode only: whether the cluster IAM role may put user-defined tags on what Auto Mode launches (the
   * kit grants it on clusters it creates). Without it a tagged NodeClass never gets a node, so none are set.
   * @see ./auto-mode-tags.ts
   */
  readonly rolePermitsCustomTags: boolean;
}

/**
 * Disk throughput for weight loading from the node cache: gp3 above its 3000 IOPS / 125 MB/s baseline.
 * 6000 IOPS and 500 MB/s add roughly $25/month per node at us-east-1 gp3 prices (estimate).
 */
const DISK = { iops: 6000, throughput: 500 } as const;

export function nodeClassName(pool: GpuPool): string {
  return pool.name;
}

/** The node class API each flavor of Karpenter reads. */
export function nodeClassType(flavor: KarpenterFlavor): { apiVersion: string; kind: string } {
  return flavor === "auto-mode" ? { apiVersion: "eks.amazonaws.com/v1", kind: "NodeClass" } : { apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass" };
}

export function buildNodeClass(input: NodeClassInput): Record<string, unknown> {
  const { pool, capacity } = input;
  const metadata = { name: nodeClassName(pool), labels: { "app.kubernetes.io/managed-by": "open-model-kit" } };
  const reservations = capacity.reservations.length ? { capacityReservationSelectorTerms: capacity.reservations.map((r) => ({ id: r.id })) } : {};
  if (input.flavor === "auto-mode") {
    return {
      ...nodeClassType("auto-mode"),
      metadata,
      spec: {
        role: input.nodeRoleName,
        subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": input.discoveryTag } }],
        securityGroupSelectorTerms: [{ id: input.securityGroupId }],
        // Smaller than the instance's NVMe, Auto Mode puts ephemeral data (emptyDir caches included) on the NVMe as
        // RAID 0 and keeps a 20 GiB EBS volume (EKS user guide, "Learn about instances in EKS Auto Mode").
        ephemeralStorage: { size: `${pool.diskGiB}Gi`, iops: DISK.iops, throughput: DISK.throughput },
        ...withTags(autoModeNodeClassTags(input.tags, pool.name, input.rolePermitsCustomTags)),
        ...reservations,
      },
    };
  }
  return {
    ...nodeClassType("self-managed"),
    metadata,
    spec: {
      // AL2023 and Bottlerocket pick their NVIDIA variant for GPU types. `@latest` drifts nodes to new AMIs; the NodePool's
      // disruption budget limits that to one node at a time and never to a busy one.
      amiSelectorTerms: [{ alias: capacity.nodeImage === "bottlerocket" ? "bottlerocket@latest" : "al2023@latest" }],
      role: input.nodeRoleName,
      subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": input.discoveryTag } }],
      securityGroupSelectorTerms: [{ tags: { "karpenter.sh/discovery": input.discoveryTag } }],
      blockDeviceMappings: [{
        deviceName: capacity.nodeImage === "bottlerocket" ? "/dev/xvdb" : "/dev/xvda",
        ebs: { volumeSize: `${pool.diskGiB}Gi`, volumeType: "gp3", iops: DISK.iops, throughput: DISK.throughput, encrypted: true, deleteOnTermination: true },
      }],
      // IMDSv2 only, and not reachable from pods (hop limit 1): pods get AWS access through Pod Identity.
      metadataOptions: { httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" },
      // Local NVMe as one RAID 0 array for kubelet's ephemeral storage, where the weights download and compile
      // caches live (Karpenter docs, NodeClasses: "instanceStorePolicy"; otherwise instance store is ignored).
      ...(pool.instance.localNvmeGB > 0 ? { instanceStorePolicy: "RAID0" } : {}),
      tags: { ...input.tags, "omk.dev/pool": pool.name },
      ...reservations,
    },
  };
}

function withTags(tags: Record<string, string> | undefined): { tags?: Record<string, string> } {
  return tags ? { tags } : {};
}

export function capacityTypes(capacity: CapacitySettings): string[] {
  const base = capacity.capacityType === "spot-then-on-demand" ? ["spot", "on-demand"] : [capacity.capacityType];
  return capacity.reservations.length ? ["reserved", ...base] : base;
}

export interface NodePoolInput {
  readonly pool: GpuPool;
  readonly flavor: KarpenterFlavor;
  readonly zones: readonly string[];
  readonly capacity: CapacitySettings;
}

export function buildNodePool(input: NodePoolInput): Record<string, unknown> {
  const { pool, capacity } = input;
  const nodeClass = nodeClassType(input.flavor);
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodePool",
    metadata: { name: pool.name, labels: { "app.kubernetes.io/managed-by": "open-model-kit" } },
    spec: {
      template: {
        metadata: { labels: { ...pool.labels, "nvidia.com/gpu.present": "true", ...(pool.multiNode ? { "omk.dev/efa": "true" } : {}) } },
        spec: {
          nodeClassRef: { group: nodeClass.apiVersion.split("/")[0], kind: nodeClass.kind, name: nodeClassName(pool) },
          requirements: [
            { key: "node.kubernetes.io/instance-type", operator: "In", values: [pool.instanceType] },
            { key: "karpenter.sh/capacity-type", operator: "In", values: capacityTypes(capacity) },
            { key: "topology.kubernetes.io/zone", operator: "In", values: [...input.zones] },
          ],
          taints: [{ ...GPU_TAINT }],
          // Expiry replaces a node even under a busy pod. Self-managed: never. Auto Mode requires a lifetime of at
          // most 21 days (EKS user guide, "Create a Node Pool for EKS Auto Mode"; default 336 h): 20 days, so the
          // weekly surge-first refresh (refresh-spec.ts) gets two chances to move every server to a fresh node.
          expireAfter: input.flavor === "auto-mode" ? "480h" : "Never",
          // A node being removed waits this long for in-flight generations to finish.
          terminationGracePeriod: "2h",
        },
      },
      // WhenEmpty: Karpenter never consolidates a node that still runs an inference pod.
      disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: capacity.consolidateAfter, budgets: [{ nodes: "1" }] },
      // The bill is bounded by config: no more GPUs than the pool's models need at max replicas.
      limits: { "nvidia.com/gpu": String(pool.gpuLimit) },
    },
  };
}
