/**
 * GPU pools, derived from the sizing of every model in the stack (pure; no Pulumi).
 *
 * Models placed on the same instance type share a pool; a model whose replica spans nodes gets a pool of
 * its own, pinned to one AZ (a cluster placement group and EFA traffic cannot cross AZs). A pool's GPU
 * limit is exactly what its models need at max replicas, so the bill is bounded by the stack config.
 */
import { findInstance, type InstanceSpec } from "../catalog/instances";
import type { ResolvedModel } from "../config/validate";
import { GiB, totalWeightBytes } from "../sizing/memory";
import { round } from "../round";

/** Taint every GPU node carries, so only pods that tolerate it (vLLM) land there. */
export const GPU_TAINT = { key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" } as const;
/** Node label vLLM pods select their pool by. */
export const POOL_LABEL = "omk.dev/pool";

/** vLLM's CUDA image is ~10 GiB compressed and ~25 GiB unpacked; layers and logs need headroom (estimate). */
const IMAGE_AND_SYSTEM_GIB = 60;

export interface GpuPool {
  /** Kubernetes-safe name, e.g. `gpu-g6e-xlarge` or `gpu-p5-48xlarge-efa`. */
  readonly name: string;
  readonly instanceType: string;
  readonly instance: InstanceSpec;
  /** Served model names that run here. */
  readonly models: readonly string[];
  /** True when a replica spans several nodes (EFA, placement group, one AZ). */
  readonly multiNode: boolean;
  readonly gpusPerNode: number;
  readonly minNodes: number;
  readonly maxNodes: number;
  /**
   * Nodes for one surge replica per model during a rolling update (Deployments roll surge-first, so a
   * single-replica model keeps serving while its successor starts). 0 where pools cannot grow (managed node groups).
   */
  readonly surgeNodes: number;
  /** `nvidia.com/gpu` limit: GPUs the pool may ever hold, surge replicas included. */
  readonly gpuLimit: number;
  /** Root/ephemeral disk per node (GiB): image + the largest model's weights when cached on the node. */
  readonly diskGiB: number;
  /** Hourly cost at min and max nodes, on-demand prices of the region. */
  readonly hourlyUsd: { readonly min: number; readonly max: number };
  readonly labels: Readonly<Record<string, string>>;
}

export function poolName(instanceType: string, multiNode: boolean): string {
  return `gpu-${instanceType.replace(/[^a-z0-9]+/g, "-")}${multiNode ? "-efa" : ""}`;
}

/**
 * Disk per node: at least `minimum`, else the image plus the weights of Hub-sourced models cached locally,
 * with 20 % slack. Weights streamed from S3 never touch the disk.
 */
export function nodeDiskGiB(models: readonly ResolvedModel[], minimum: number): number {
  const weights = Math.max(0, ...models.filter((m) => m.weightSource === "huggingface").map((m) => totalWeightBytes(m.spec, m.precision) / GiB));
  return Math.max(minimum, Math.ceil((weights * 1.2 + IMAGE_AND_SYSTEM_GIB) / 50) * 50);
}

export function planGpuPools(models: readonly ResolvedModel[], minDiskGiB: number, options: { surge?: boolean } = {}): GpuPool[] {
  const groups = new Map<string, ResolvedModel[]>();
  for (const m of models) {
    const key = poolName(m.placement.instanceType, m.placement.nodes > 1);
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  return [...groups].map(([name, members]) => {
    const first = members[0]!;
    const instance = findInstance(first.placement.instanceType)!;
    const minNodes = members.reduce((n, m) => n + m.replicas.min * m.placement.nodes, 0);
    const maxNodes = members.reduce((n, m) => n + m.replicas.max * m.placement.nodes, 0);
    const perNode = first.placement.hourlyUsd / first.placement.nodes;
    // Every model may roll at once (a kit upgrade touches them all): one surge replica each.
    const surgeNodes = options.surge === false ? 0 : members.reduce((n, m) => n + (m.replicas.max > 0 ? m.placement.nodes : 0), 0);
    return {
      name, instanceType: instance.type, instance, models: members.map((m) => m.name), multiNode: first.placement.nodes > 1,
      gpusPerNode: instance.gpu.count, minNodes, maxNodes, surgeNodes, gpuLimit: (maxNodes + surgeNodes) * instance.gpu.count,
      diskGiB: nodeDiskGiB(members, minDiskGiB),
      hourlyUsd: { min: round(minNodes * perNode), max: round(maxNodes * perNode) },
      labels: { [POOL_LABEL]: name, "omk.dev/gpu": instance.gpu.model.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-|-$/g, "") },
    };
  });
}
