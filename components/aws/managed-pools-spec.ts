/**
 * Managed node group settings for a GPU pool (pure): launch template data and node group scaling.
 * IMDSv2 is required with hop limit 1 (pods use Pod Identity, never the node's role); EFA pools get one
 * EFA interface per network card and a cluster placement group.
 */
import type { CapacitySettings } from "../config/infra-schema";
import { GPU_TAINT, type GpuPool } from "./gpu-pools";

export interface LaunchTemplateSpec {
  readonly blockDeviceMappings: { deviceName: string; ebs: { volumeSize: number; volumeType: string; iops: number; throughput: number; encrypted: string; deleteOnTermination: string } }[];
  readonly metadataOptions: { httpEndpoint: string; httpTokens: string; httpPutResponseHopLimit: number };
  /** EFA interfaces (multi-node pools); their security group is filled in by the component. */
  readonly efaInterfaces: { deviceIndex: number; networkCardIndex: number; interfaceType: string; deleteOnTermination: string }[];
  readonly capacityReservationId: string | null;
  /** Capacity Blocks launch through the capacity-block market, not on-demand. */
  readonly capacityBlock: boolean;
}

export function buildLaunchTemplate(pool: GpuPool, capacity: CapacitySettings): LaunchTemplateSpec {
  const efaCount = pool.multiNode ? Math.max(1, pool.instance.efa.interfaces) : 0;
  return {
    // Bottlerocket keeps images and data on its second volume; AL2023 on the root volume.
    blockDeviceMappings: [{ deviceName: capacity.nodeImage === "bottlerocket" ? "/dev/xvdb" : "/dev/xvda", ebs: { volumeSize: pool.diskGiB, volumeType: "gp3", iops: 6000, throughput: 500, encrypted: "true", deleteOnTermination: "true" } }],
    metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
    efaInterfaces: Array.from({ length: efaCount }, (_, card) => ({ deviceIndex: card === 0 ? 0 : 1, networkCardIndex: card, interfaceType: "efa", deleteOnTermination: "true" })),
    // A launch template targets one reservation; further ids apply to Karpenter pools only.
    capacityReservationId: capacity.reservations[0]?.id ?? null,
    capacityBlock: capacity.reservations[0]?.type === "capacity-block",
  };
}

export interface NodeGroupSpec {
  readonly amiType: string;
  readonly capacityType: "ON_DEMAND" | "SPOT" | "CAPACITY_BLOCK";
  readonly scalingConfig: { minSize: number; desiredSize: number; maxSize: number };
  readonly taints: { key: string; value: string; effect: string }[];
  readonly labels: Record<string, string>;
}

export function buildNodeGroup(pool: GpuPool, capacity: CapacitySettings): NodeGroupSpec {
  return {
    // NVIDIA variants ship drivers and the container toolkit; the NVIDIA device plugin chart runs on them.
    amiType: capacity.nodeImage === "bottlerocket" ? "BOTTLEROCKET_x86_64_NVIDIA" : "AL2023_x86_64_NVIDIA",
    capacityType: capacity.reservations[0]?.type === "capacity-block" ? "CAPACITY_BLOCK" : capacity.capacityType === "spot" ? "SPOT" : "ON_DEMAND",
    scalingConfig: { minSize: pool.minNodes, desiredSize: pool.minNodes, maxSize: Math.max(1, pool.maxNodes) },
    taints: [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: "NO_SCHEDULE" }],
    labels: { ...pool.labels, "nvidia.com/gpu.present": "true", ...(pool.multiNode ? { "omk.dev/efa": "true" } : {}) },
  };
}
