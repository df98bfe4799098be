/**
 * Placement search: the cheapest way, in one region, to serve a model so that every replica holds
 * `concurrency` sequences of `maxModelLen` tokens at once — plus every alternative it rejected and why.
 *
 * A replica owns whole nodes (one vLLM pod per node, or one LeaderWorkerSet group across nodes): that is
 * what Karpenter and managed node groups can schedule predictably, and what the cost figure then means.
 * Per layout, the kit passes vLLM's own `--max-num-seqs` default, lowered only as far as the placement
 * needs (the sampler's profiling memory grows with it), never below the configured concurrency.
 */
import { INSTANCES, findInstance, type InstanceSpec } from "../catalog/instances";
import { weightsFor, type ModelSpec } from "../catalog/models";
import { candidatesFor } from "./candidates";
import { explainNoFit } from "./no-fit";
import { planForLoad, type LoadTarget } from "./perf/load";
import type { Candidate, Placement, SizingRequest, SizingResult } from "./sizing-request";

export * from "./sizing-request";
export { DEFAULT_MAX_NODES, KV_HEADROOM_TARGET, STATE_BLOCK_SHARE, batchLadder, candidatesFor, int, withinStateBlocks } from "./candidates";

/** Each fitting candidate planned for the load: its replicas and cost, or rejected when it cannot meet the targets. */
function withLoad(candidates: readonly Candidate[], req: SizingRequest, load: LoadTarget): Candidate[] {
  return candidates.map((c) => {
    if (!c.fits || !c.memory || c.hourlyUsd === null) return c;
    const planned = planForLoad(
      { instanceType: c.instanceType, layout: { tensorParallel: c.tensorParallelSize, pipelineParallel: c.pipelineParallelSize, dataParallel: c.dataParallelSize, expertParallel: c.expertParallel, nodes: c.nodes }, memory: c.memory, replicaHourlyUsd: c.hourlyUsd },
      { model: req.model, precision: req.precision, variant: weightsFor(req.model, req.precision), kvCacheDtype: req.kvCacheDtype, maxModelLen: req.maxModelLen },
      load,
    );
    if (!planned.ok) return { ...c, fits: false, reason: `fits in memory, but ${planned.reason}`, ...(planned.best ? { bestLatency: { ttftMs: planned.best.ttftMs, tpotMs: planned.best.tpotMs } } : {}) };
    const p = planned.plan;
    return { ...c, load: p, reason: `${c.reason}; for the load: ${p.replicas} replica(s) of up to ${p.concurrencyPerReplica} in flight, $${p.hourlyUsd}/h, $${p.usdPerMillionOutputTokens.toFixed(2)} per million output tokens, $${p.usdPerMillionTotalTokens.toFixed(3)} per million in and out (ESTIMATE)` };
  });
}

function byCost(a: Candidate, b: Candidate, preferSingleNode: boolean): number {
  if (a.fits !== b.fits) return a.fits ? -1 : 1;
  if (preferSingleNode && a.fits && (a.nodes > 1) !== (b.nodes > 1)) return a.nodes > 1 ? 1 : -1;
  // For a load, what all the replicas it needs cost; else one replica.
  const pa = a.load?.hourlyUsd ?? a.hourlyUsd ?? Number.POSITIVE_INFINITY;
  const pb = b.load?.hourlyUsd ?? b.hourlyUsd ?? Number.POSITIVE_INFINITY;
  if (pa !== pb) return pa - pb;
  return (b.memory?.maxConcurrency ?? 0) - (a.memory?.maxConcurrency ?? 0);
}

/**
 * Results without explanations, per model and request: explaining one region's no-fit sizes the model in every
 * other region, which a sweep over regions (omk size, bench) would otherwise repeat region × region times.
 * Only the verdict and placement are kept (what an explanation reads), not the alternatives.
 */
const quickResults = new WeakMap<ModelSpec, Map<string, SizingResult>>();

/** Searches the region (or evaluates the pinned instance type) and returns the cheapest fitting placement. */
export function sizeModel(req: SizingRequest, options: { explain?: boolean } = {}): SizingResult {
  if (options.explain !== false) return search(req, options);
  let byModel = quickResults.get(req.model);
  if (!byModel) quickResults.set(req.model, (byModel = new Map()));
  const { model: _model, ...rest } = req;
  const key = JSON.stringify(rest);
  const hit = byModel.get(key);
  if (hit) return hit;
  const result = search(req, options);
  const verdict: SizingResult = { ...result, alternatives: [] };
  byModel.set(key, verdict);
  return verdict;
}

function search(req: SizingRequest, options: { explain?: boolean }): SizingResult {
  if (req.model.cannotSize) return { ok: false, error: `${req.model.id} cannot be sized yet: ${req.model.cannotSize}.`, alternatives: [] };
  const pool = req.instanceType ? [findInstance(req.instanceType)].filter((i): i is InstanceSpec => i !== undefined) : INSTANCES;
  if (pool.length === 0) return { ok: false, error: `unknown instance type "${req.instanceType}"`, alternatives: [] };
  const preferSingle = (req.multiNode ?? "when-needed") === "when-needed";
  const fitted = pool.flatMap((inst) => candidatesFor(inst, req));
  const all = (req.load ? withLoad(fitted, req, req.load) : fitted).sort((a, b) => byCost(a, b, preferSingle));
  const [first, ...rest] = all;
  if (first?.fits && first.memory && first.hourlyUsd !== null) {
    const inst = findInstance(first.instanceType)!;
    const placement: Placement = {
      ...first, fits: true, memory: first.memory, hourlyUsd: first.hourlyUsd,
      gpu: { model: inst.gpu.model, memoryGiB: first.memory.gpuMemoryGiB, computeCapability: inst.gpu.computeCapability },
    };
    // Say why a cheaper multi-node option lost to a single node (for a load: cheaper for the whole load).
    const cost = (c: Candidate) => c.load?.hourlyUsd ?? c.hourlyUsd ?? Infinity;
    const alternatives = rest.map((c) => (c.fits && c.nodes > 1 && first.nodes === 1 && cost(c) < cost(first)
      ? { ...c, reason: `${c.reason}; cheaper, but spans ${c.nodes} nodes (multiNode: allow lets price decide)` } : c));
    return { ok: true, placement, alternatives };
  }
  // Options that fit in memory but not the load's latency targets: say that, not "does not fit".
  const tooSlow = req.load ? all.filter((c) => c.bestLatency) : [];
  if (tooSlow.length) {
    // The fastest first: what the targets would have to allow.
    const missBy = (c: Candidate) => Math.max(c.bestLatency!.tpotMs / (req.load!.tpotMs ?? Infinity), c.bestLatency!.ttftMs / (req.load!.ttftMs ?? Infinity));
    const best = [...tooSlow].sort((a, b) => missBy(a) - missBy(b)).slice(0, 3).map((c) => `${c.instanceType}${c.nodes > 1 ? ` ×${c.nodes}` : ""} (TP ${c.tensorParallelSize}): ${c.reason.replace(/^fits in memory, but /, "")}`);
    return { ok: false, error: `fits in memory on ${tooSlow.length} option(s), but none meets the load's latency targets${req.load?.ttftMs ? ` (TTFT ≤ ${req.load.ttftMs} ms)` : ""}${req.load?.tpotMs ? ` (TPOT ≤ ${req.load.tpotMs} ms)` : ""} (ESTIMATES): ${best.join("; ")}.`, alternatives: all };
  }
  const error = options.explain === false ? "does not fit" : explainNoFit(req, all, sizeModel);
  return { ok: false, error, alternatives: all };
}
