/**
 * Sizing for a load (pure): for a placement that fits in memory, the most concurrent requests one replica can
 * run while meeting the latency targets, the replicas the load then needs, their cost, and the cost per million
 * tokens at that load. The placement search uses it to pick the cheapest option per hour *for the load*, which
 * is often not the cheapest per hour alone (a faster GPU serves more per dollar). ESTIMATES, like the model.
 */
import { findInstance } from "../../catalog/instances";
import { gpuPerf } from "../../catalog/gpus";
import type { ModelSpec, WeightVariant } from "../../catalog/models";
import type { Precision } from "../../catalog/precision";
import type { KvCacheDtype } from "../kv-cache";
import type { MemoryBreakdown } from "../memory";
import type { Efficiency } from "./calibration";
import { predictServing, type ServingPrediction } from "./serving";

export interface LoadTarget {
  readonly requestsPerSecond: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Time-to-first-token target (ms); none means no limit. */
  readonly ttftMs?: number;
  /** Time-per-output-token target (ms); none means no limit. */
  readonly tpotMs?: number;
  /**
   * Share of each replica's capacity (within the targets) kept free: replicas carry at most (1 − headroom) of it,
   * and autoscaling adds one at that point, minutes of cold start before the targets are breached. @default LOAD_HEADROOM
   */
  readonly headroom?: number;
}

/**
 * Default headroom: the estimates' held-out error (README, "How performance is estimated") and arrivals that are
 * not evenly spaced both eat into a replica run at its limit.
 */
export const LOAD_HEADROOM = 0.25;

export interface LoadPlan {
  readonly replicas: number;
  /** The most requests one replica runs at once within the latency targets (its capacity; ESTIMATE). */
  readonly concurrencyPerReplica: number;
  /** Requests in flight per replica at which autoscaling adds one: the capacity less the headroom. */
  readonly scaleAtInFlight: number;
  readonly headroom: number;
  readonly perReplica: ServingPrediction;
  /** $/hour of all replicas. */
  readonly hourlyUsd: number;
  /** At the stated load. */
  readonly usdPerMillionOutputTokens: number;
  readonly usdPerMillionTotalTokens: number;
}

export interface LoadOption {
  readonly instanceType: string;
  readonly layout: { readonly tensorParallel: number; readonly pipelineParallel: number; readonly dataParallel: number; readonly expertParallel: boolean; readonly nodes: number };
  readonly memory: MemoryBreakdown;
  readonly replicaHourlyUsd: number;
}

export interface LoadContext {
  readonly model: ModelSpec;
  readonly precision: Precision;
  readonly variant?: Pick<WeightVariant, "expertsOnly">;
  readonly kvCacheDtype: KvCacheDtype;
  readonly maxModelLen: number;
  /** @default the calibrated EFFICIENCY (the calibration passes others) */
  readonly efficiency?: Efficiency;
}

const meets = (p: ServingPrediction, load: LoadTarget) => (load.ttftMs === undefined || p.ttftMs <= load.ttftMs) && (load.tpotMs === undefined || p.tpotMs <= load.tpotMs);

/** One replica at `concurrency` clients, or null when the GPU's specs are unknown. */
export function predictFor(option: LoadOption, ctx: LoadContext, load: Pick<LoadTarget, "inputTokens" | "outputTokens">, concurrency: number): ServingPrediction | null {
  const inst = findInstance(option.instanceType);
  const gpu = inst ? gpuPerf(inst) : undefined;
  if (!gpu) return null;
  return predictServing({
    model: ctx.model, precision: ctx.precision, variant: ctx.variant, layout: option.layout, gpu, kvCacheDtype: ctx.kvCacheDtype,
    kvCacheGiBPerGpu: option.memory.kvCacheGiBPerGpu, batch: option.memory.batch, stateBlocks: option.memory.stateBlocks,
    maxModelLen: ctx.maxModelLen, inputTokens: load.inputTokens, outputTokens: load.outputTokens, concurrency, efficiency: ctx.efficiency,
  });
}

/**
 * The replicas and operating point for a load, or why the option cannot meet it. Throughput grows with
 * concurrency until the server saturates while latency grows too: the highest concurrency that still meets
 * the targets (binary search up to saturation) serves the most per replica.
 */
export function planForLoad(option: LoadOption, ctx: LoadContext, load: LoadTarget): { ok: true; plan: LoadPlan } | { ok: false; reason: string; best?: ServingPrediction } {
  const at = (c: number) => predictFor(option, ctx, load, c);
  const one = at(1);
  if (!one) return { ok: false, reason: "no performance data for this GPU" };
  if (!meets(one, load)) {
    return { ok: false, best: one, reason: `misses the latency target even with one request (TTFT ${Math.round(one.ttftMs)} ms, TPOT ${one.tpotMs.toFixed(1)} ms, ESTIMATED)` };
  }
  // Saturation: beyond this the server queues instead of running more.
  const saturated = at(1_000_000)!;
  let lo = 1;
  let hi = Math.max(1, saturated.runningSequences);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (meets(at(mid)!, load)) lo = mid;
    else hi = mid - 1;
  }
  const perReplica = at(lo)!;
  const headroom = load.headroom ?? LOAD_HEADROOM;
  const replicas = Math.max(1, Math.ceil(load.requestsPerSecond / (perReplica.requestsPerSecond * (1 - headroom))));
  const hourlyUsd = replicas * option.replicaHourlyUsd;
  const outputPerHour = load.requestsPerSecond * load.outputTokens * 3600;
  const totalPerHour = load.requestsPerSecond * (load.inputTokens + load.outputTokens) * 3600;
  return {
    ok: true,
    plan: {
      replicas, concurrencyPerReplica: lo, scaleAtInFlight: Math.max(1, Math.floor(lo * (1 - headroom))), headroom, perReplica, hourlyUsd: Math.round(hourlyUsd * 100) / 100,
      usdPerMillionOutputTokens: (hourlyUsd / outputPerHour) * 1e6, usdPerMillionTotalTokens: (hourlyUsd / totalPerHour) * 1e6,
    },
  };
}
