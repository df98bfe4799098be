/** What a placement search is asked, and what it answers with (types and the alternatives' summary). */
import type { Availability } from "../catalog/instances";
import type { ModelSpec } from "../catalog/models";
import type { Precision } from "../catalog/precision";
import type { KvCacheDtype, MemoryBreakdown } from "./memory";
import type { LoadPlan, LoadTarget } from "./perf/load";
import type { LoraSlots } from "./lora";

export interface SizingRequest {
  readonly model: ModelSpec;
  readonly region: string;
  readonly precision: Precision;
  readonly maxModelLen: number;
  /** Sequences of `maxModelLen` tokens each replica must hold at once. */
  readonly concurrency: number;
  readonly gpuMemoryUtilization: number;
  readonly kvCacheDtype: KvCacheDtype;
  /** Restrict the search to one instance type (the stack pinned it). */
  readonly instanceType?: string;
  /** With `instanceType`: a fixed tensor-parallel size. */
  readonly tensorParallel?: number;
  /** With `instanceType`: a fixed pipeline-parallel size. */
  readonly pipelineParallel?: number;
  /** With `instanceType`: a fixed data-parallel size (data-parallel attention). */
  readonly dataParallel?: number;
  /** With `instanceType`: force expert parallelism on (true) or off (false). */
  readonly expertParallel?: boolean;
  /** @default DEFAULT_MAX_NODES */
  readonly maxNodes?: number;
  /** LoRA slots the server reserves for adapters: they take KV memory, and rule out expert parallelism. */
  readonly lora?: LoraSlots | null;
  /** A load to serve: the search then minimizes the $/hour of all replicas the load needs, within the latency targets. */
  readonly load?: LoadTarget;
  /**
   * when-needed: a replica spans nodes only when no single node fits it (multi-node costs more than its
   * price: EFA, LeaderWorkerSet, slower cold start, the group fails as one). allow: price alone decides.
   * @default "when-needed"
   */
  readonly multiNode?: "when-needed" | "allow";
}

/** One evaluated option: the chosen placement or a rejected alternative. */
export interface Candidate {
  readonly instanceType: string;
  readonly nodes: number;
  readonly gpusPerNode: number;
  readonly tensorParallelSize: number;
  readonly pipelineParallelSize: number;
  readonly dataParallelSize: number;
  readonly expertParallel: boolean;
  /** Per replica; null when the type has no on-demand price. */
  readonly hourlyUsd: number | null;
  readonly priceEstimate: boolean;
  readonly priceBasis: string;
  readonly availability: Availability;
  readonly fits: boolean;
  /** Why it was rejected, or what it offers when it fits. */
  readonly reason: string;
  /** Why this layout (TP, DP + EP, …) was chosen on this hardware. */
  readonly layoutReason: string;
  readonly memory: MemoryBreakdown | null;
  readonly maxConcurrency: number;
  /** With a load: the replicas, operating point and cost per token for it (ESTIMATES). */
  readonly load?: LoadPlan;
  /** With a load it cannot meet: its latency with a single request (the best it can do; ESTIMATE). */
  readonly bestLatency?: { readonly ttftMs: number; readonly tpotMs: number };
}

export interface Placement extends Candidate {
  readonly fits: true;
  readonly memory: MemoryBreakdown;
  readonly hourlyUsd: number;
  readonly gpu: { readonly model: string; readonly memoryGiB: number; readonly computeCapability: number };
}

/** A rejected or losing option as outputs show it (`omk size --json`, `plan.json`), with its cost for the load if any. */
export type AlternativeSummary = Pick<Candidate, "instanceType" | "nodes" | "tensorParallelSize" | "pipelineParallelSize" | "dataParallelSize" | "expertParallel" | "hourlyUsd" | "priceEstimate" | "fits" | "reason"> & {
  readonly load: { readonly replicas: number; readonly hourlyUsd: number; readonly usdPerMillionOutputTokens: number; readonly usdPerMillionTotalTokens: number } | null;
};

export function summarizeAlternative(c: Candidate): AlternativeSummary {
  const l = c.load;
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    instanceType: c.instanceType, nodes: c.nodes, tensorParallelSize: c.tensorParallelSize, pipelineParallelSize: c.pipelineParallelSize,
    dataParallelSize: c.dataParallelSize, expertParallel: c.expertParallel, hourlyUsd: c.hourlyUsd, priceEstimate: c.priceEstimate, fits: c.fits, reason: c.reason,
    load: l ? { replicas: l.replicas, hourlyUsd: l.hourlyUsd, usdPerMillionOutputTokens: r3(l.usdPerMillionOutputTokens), usdPerMillionTotalTokens: r3(l.usdPerMillionTotalTokens) } : null,
  };
}

export type SizingResult =
  | { readonly ok: true; readonly placement: Placement; readonly alternatives: readonly Candidate[] }
  | { readonly ok: false; readonly error: string; readonly alternatives: readonly Candidate[] };
