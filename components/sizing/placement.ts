/**
 * Placement search: the cheapest way, in one region, to serve a model so that every replica holds
 * `concurrency` sequences of `maxModelLen` tokens at once — plus every alternative it rejected and why.
 *
 * A replica owns whole nodes (one vLLM pod per node, or one LeaderWorkerSet group across nodes): that is
 * what Karpenter and managed node groups can schedule predictably, and what the cost figure then means.
 * Per layout, the kit passes vLLM's own `--max-num-seqs` default, lowered only as far as the placement
 * needs (the sampler's profiling memory grows with it), never below the configured concurrency.
 */
import { INSTANCES, findInstance, offeredIn, priceIn, usableGpuMemoryGiB, type Availability, type InstanceSpec } from "../catalog/instances";
import { weightsFor, type ModelSpec } from "../catalog/models";
import { PRECISION_TRAITS, type Precision } from "../catalog/precision";
import { estimateMemory, gpusOf, kvHeadroom, vllmBatchDefaults, type BatchSettings, type KvCacheDtype, type MemoryBreakdown, type ParallelLayout } from "./memory";
import { kernelProblem } from "./kernels";
import { explainNoFit } from "./no-fit";
import { candidateLayouts, layoutProblem, layoutReason, prefersDataParallelAttention } from "./parallel";
import { round } from "../round";

/** @default 4 — beyond four nodes per replica, inter-node pipeline bubbles dominate (estimate). */
export const DEFAULT_MAX_NODES = 4;

/** `--max-num-seqs` values tried below vLLM's default when memory is tight. */
const MAX_NUM_SEQS_LADDER = [512, 384, 256, 192, 128, 96, 64, 32, 16, 8];
/** The smallest `--max-num-batched-tokens` tried: vLLM's own default on GPUs under 70 GiB (arg_utils.py). */
const MIN_BATCHED_TOKENS = 2048;

/**
 * Batch limits to try, most generous first: vLLM's defaults, then fewer sequences (the sampler's profiling
 * memory scales with them), then a smaller prefill chunk (the forward pass's), never below `concurrency`
 * sequences. Lower limits cost throughput, not correctness: chunked prefill splits long prompts.
 */
export function batchLadder(defaults: BatchSettings, concurrency: number): BatchSettings[] {
  const top = Math.max(defaults.maxNumSeqs, concurrency);
  const seqs = [top, ...MAX_NUM_SEQS_LADDER.filter((s) => s < top && s >= concurrency)];
  const tokens: number[] = [];
  for (let t = defaults.maxNumBatchedTokens; t >= MIN_BATCHED_TOKENS; t /= 2) tokens.push(t);
  return tokens.flatMap((maxNumBatchedTokens) => seqs.filter((s) => s <= maxNumBatchedTokens).map((maxNumSeqs) => ({ maxNumSeqs, maxNumBatchedTokens })));
}
/**
 * KV headroom the kit aims for when it lowers --max-num-seqs: the prod policy pack's `kv-cache-headroom`
 * default (20 %), so a small vLLM or driver change does not stop the server starting.
 */
export const KV_HEADROOM_TARGET = 0.2;
/**
 * Share of the state blocks a linear-attention model may use for --max-num-seqs: vLLM refuses to start above
 * 100 % (KvCacheSpec.stateBlocks), and the kit's memory estimate may be a few per cent optimistic.
 */
export const STATE_BLOCK_SHARE = 0.8;

/** Whether vLLM will start with these batch limits: every decoding sequence needs a state block. */
export function withinStateBlocks(m: Pick<MemoryBreakdown, "stateBlocks" | "batch">): boolean {
  return m.stateBlocks === null || m.batch.maxNumSeqs <= Math.floor(m.stateBlocks * STATE_BLOCK_SHARE);
}

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
}

export interface Placement extends Candidate {
  readonly fits: true;
  readonly memory: MemoryBreakdown;
  readonly hourlyUsd: number;
  readonly gpu: { readonly model: string; readonly memoryGiB: number; readonly computeCapability: number };
}

/** A rejected or losing option as outputs show it (`omk size --json`, `plan.json`). */
export interface AlternativeSummary {
  readonly instanceType: string;
  readonly nodes: number;
  readonly tensorParallelSize: number;
  readonly pipelineParallelSize: number;
  readonly dataParallelSize: number;
  readonly expertParallel: boolean;
  readonly hourlyUsd: number | null;
  readonly priceEstimate: boolean;
  readonly fits: boolean;
  readonly reason: string;
}

export function summarizeAlternative(c: Candidate): AlternativeSummary {
  return {
    instanceType: c.instanceType, nodes: c.nodes, tensorParallelSize: c.tensorParallelSize, pipelineParallelSize: c.pipelineParallelSize,
    dataParallelSize: c.dataParallelSize, expertParallel: c.expertParallel, hourlyUsd: c.hourlyUsd, priceEstimate: c.priceEstimate, fits: c.fits, reason: c.reason,
  };
}

export type SizingResult =
  | { readonly ok: true; readonly placement: Placement; readonly alternatives: readonly Candidate[] }
  | { readonly ok: false; readonly error: string; readonly alternatives: readonly Candidate[] };

const fmt = (n: number, d = 1) => n.toFixed(d);
export const int = (n: number) => Math.round(n).toLocaleString("en-US");

function rejected(inst: InstanceSpec, req: SizingRequest, reason: string, nodes = 1): Candidate {
  const price = priceIn(inst, req.region);
  return {
    instanceType: inst.type, nodes, gpusPerNode: inst.gpu.count, tensorParallelSize: 0, pipelineParallelSize: 0, dataParallelSize: 1, expertParallel: false,
    hourlyUsd: price ? price.usdPerHour * nodes : null, priceEstimate: price?.estimate ?? false, priceBasis: price?.basis ?? "no on-demand price",
    availability: offeredIn(inst, req.region), fits: false, reason, layoutReason: "", memory: null, maxConcurrency: 0,
  };
}

/** Layouts to try for `nodes` nodes of this type (or the pinned one). */
function layoutsFor(inst: InstanceSpec, req: SizingRequest, nodes: number): ParallelLayout[] {
  const pinned = req.tensorParallel !== undefined || req.pipelineParallel !== undefined || req.dataParallel !== undefined;
  if (pinned) {
    const layout = { tensorParallel: req.tensorParallel ?? 1, pipelineParallel: req.pipelineParallel ?? 1, dataParallel: req.dataParallel ?? 1, expertParallel: req.expertParallel ?? (req.dataParallel ?? 1) > 1, nodes };
    const gpus = gpusOf(layout);
    const needed = gpus <= inst.gpu.count ? 1 : gpus % inst.gpu.count === 0 ? gpus / inst.gpu.count : 0;
    return needed === nodes ? [layout] : [];
  }
  const layouts = candidateLayouts(req.model, inst.gpu.count, nodes, inst.gpu.computeCapability);
  return req.expertParallel === undefined ? layouts : layouts.filter((l) => Boolean(l.expertParallel) === req.expertParallel);
}

function evaluate(inst: InstanceSpec, req: SizingRequest, layout: ParallelLayout): Candidate {
  const price = priceIn(inst, req.region);
  const variant = weightsFor(req.model, req.precision);
  const base = {
    instanceType: inst.type, nodes: layout.nodes, gpusPerNode: Math.min(inst.gpu.count, gpusOf(layout)),
    tensorParallelSize: layout.tensorParallel, pipelineParallelSize: layout.pipelineParallel, dataParallelSize: layout.dataParallel ?? 1, expertParallel: Boolean(layout.expertParallel),
    hourlyUsd: price ? round(price.usdPerHour * layout.nodes) : null, priceEstimate: price?.estimate ?? false,
    priceBasis: price?.basis ?? inst.priceNote ?? "no on-demand price", availability: offeredIn(inst, req.region), layoutReason: layoutReason(req.model, layout),
  };
  const problem = variant ? layoutProblem(req.model, variant, layout) : null;
  if (problem) return { ...base, fits: false, reason: problem, memory: null, maxConcurrency: 0 };
  const gpuMemoryGiB = usableGpuMemoryGiB(inst);
  const defaults = vllmBatchDefaults(inst.gpu.model, gpuMemoryGiB);
  const at = (batch: BatchSettings) => estimateMemory({
    model: req.model, precision: req.precision, variant, layout, gpuMemoryGiB, gpuMemoryUtilization: req.gpuMemoryUtilization,
    kvCacheDtype: req.kvCacheDtype, batch, maxModelLen: req.maxModelLen,
  });
  const perRank = (m: MemoryBreakdown) => m.maxConcurrency / (layout.dataParallel ?? 1);
  // vLLM's defaults where they fit with the headroom target, else the largest batch limits that do: walk the
  // ladder from the top and stop at the first setting with the headroom (usually the first).
  const ladder = batchLadder(defaults, req.concurrency);
  let first: MemoryBreakdown | undefined;
  let firstFit: MemoryBreakdown | undefined;
  let chosen: MemoryBreakdown | undefined;
  for (const batch of ladder) {
    const m = at(batch);
    first ??= m;
    if (!(m.maxConcurrency >= req.concurrency && perRank(m) >= 1 && withinStateBlocks(m))) continue;
    firstFit ??= m;
    if (kvHeadroom(m, req.concurrency, layout.dataParallel) >= KV_HEADROOM_TARGET) {
      chosen = m;
      break;
    }
  }
  const memory = chosen ?? firstFit ?? first!;
  const fits = memory.maxConcurrency >= req.concurrency && perRank(memory) >= 1 && withinStateBlocks(memory);
  const overhead = memory.activationGiB + memory.nonTorchGiB + memory.cudaGraphGiB;
  const reason = memory.kvCacheGiBPerGpu <= 0
    ? `weights ${fmt(memory.weightsGiBPerGpu)} GiB/GPU + overheads ${fmt(overhead)} GiB exceed the ${fmt(memory.budgetGiB)} GiB budget per GPU`
    : !withinStateBlocks(memory) && memory.maxConcurrency >= req.concurrency
      ? `${int(memory.stateBlocks ?? 0)} state blocks per GPU leave no --max-num-seqs ≥ ${Math.ceil(req.concurrency / (layout.dataParallel ?? 1))} within ${STATE_BLOCK_SHARE * 100} % of them (vLLM needs one per running sequence)`
      : fits
      ? `holds ${memory.maxConcurrency} × ${int(req.maxModelLen)} tokens (${int(memory.kvCacheTokens)} KV tokens), --max-num-seqs ${memory.batch.maxNumSeqs}${memory.batch.maxNumBatchedTokens !== defaults.maxNumBatchedTokens ? `, --max-num-batched-tokens ${memory.batch.maxNumBatchedTokens}` : ""}`
      : `holds ${memory.maxConcurrency} × ${int(req.maxModelLen)} tokens${(layout.dataParallel ?? 1) > 1 ? ` (${fmt(perRank(memory), 0)} per DP rank)` : ""}; needs ${req.concurrency}`;
  return {
    ...base, fits: fits && price !== null, reason: price ? reason : `${reason}; but no on-demand price (${inst.priceNote ?? "unknown"})`,
    memory, maxConcurrency: memory.maxConcurrency,
  };
}

/** Fitting layouts first; DP attention for MLA MoE models (recipes), then larger TP (latency), then KV capacity. */
function better(model: ModelSpec): (a: Candidate, b: Candidate) => Candidate {
  const dpFirst = prefersDataParallelAttention(model);
  return (a, b) => {
    if (a.fits !== b.fits) return a.fits ? a : b;
    if (a.fits && dpFirst && (a.dataParallelSize > 1) !== (b.dataParallelSize > 1)) return a.dataParallelSize > 1 ? a : b;
    if (a.fits && a.tensorParallelSize !== b.tensorParallelSize) return a.tensorParallelSize > b.tensorParallelSize ? a : b;
    if (a.fits && a.expertParallel !== b.expertParallel) return a.expertParallel ? b : a;
    return (a.memory?.maxConcurrency ?? -1) >= (b.memory?.maxConcurrency ?? -1) ? a : b;
  };
}

/** Every option for one instance type, stopping at the first node count that fits. */
export function candidatesFor(inst: InstanceSpec, req: SizingRequest): Candidate[] {
  const availability = offeredIn(inst, req.region);
  if (availability === "not-offered") return [rejected(inst, req, `not offered in ${req.region}${inst.regionsSeen ? ` (seen in ${inst.regionsSeen.length} other regions)` : ""}`)];
  const traits = PRECISION_TRAITS[req.precision];
  if (inst.gpu.computeCapability < traits.minComputeCapability) {
    return [rejected(inst, req, `${traits.requirement}; ${inst.gpu.model} is ${inst.gpu.architecture} (${inst.gpu.computeCapability.toFixed(1)})`)];
  }
  const kernels = kernelProblem(req.model, inst);
  if (kernels) return [rejected(inst, req, kernels)];
  const out: Candidate[] = [];
  const maxNodes = req.maxNodes ?? DEFAULT_MAX_NODES;
  for (let nodes = 1; nodes <= maxNodes; nodes++) {
    if (nodes > 1 && !inst.efa.supported) {
      out.push(rejected(inst, req, "a replica across nodes needs EFA; this type has none", nodes));
      break;
    }
    const layouts = layoutsFor(inst, req, nodes);
    if (layouts.length === 0) continue;
    const best = layouts.map((l) => evaluate(inst, req, l)).reduce(better(req.model));
    out.push(best);
    if (best.fits || best.hourlyUsd === null) break;
  }
  if (out.length === 0) {
    out.push(rejected(inst, req, `no valid tensor/pipeline layout on ${inst.gpu.count} GPU(s) (valid TP sizes: ${req.model.validTensorParallel.join(", ")})`));
  }
  return out;
}

function byCost(a: Candidate, b: Candidate, preferSingleNode: boolean): number {
  if (a.fits !== b.fits) return a.fits ? -1 : 1;
  if (preferSingleNode && a.fits && (a.nodes > 1) !== (b.nodes > 1)) return a.nodes > 1 ? 1 : -1;
  const pa = a.hourlyUsd ?? Number.POSITIVE_INFINITY;
  const pb = b.hourlyUsd ?? Number.POSITIVE_INFINITY;
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
  const all = pool.flatMap((inst) => candidatesFor(inst, req)).sort((a, b) => byCost(a, b, preferSingle));
  const [first, ...rest] = all;
  if (first?.fits && first.memory && first.hourlyUsd !== null) {
    const inst = findInstance(first.instanceType)!;
    const placement: Placement = {
      ...first, fits: true, memory: first.memory, hourlyUsd: first.hourlyUsd,
      gpu: { model: inst.gpu.model, memoryGiB: first.memory.gpuMemoryGiB, computeCapability: inst.gpu.computeCapability },
    };
    // Say why a cheaper multi-node option lost to a single node.
    const alternatives = rest.map((c) => (c.fits && c.nodes > 1 && first.nodes === 1 && (c.hourlyUsd ?? Infinity) < first.hourlyUsd!
      ? { ...c, reason: `${c.reason}; cheaper, but spans ${c.nodes} nodes (multiNode: allow lets price decide)` } : c));
    return { ok: true, placement, alternatives };
  }
  const error = options.explain === false ? "does not fit" : explainNoFit(req, all, sizeModel);
  return { ok: false, error, alternatives: all };
}
