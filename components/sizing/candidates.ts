/**
 * Every option for one instance type (pure): the layouts vLLM accepts, each evaluated with the memory model at
 * the batch limits the kit will pass, rejected with the reason when it does not fit.
 */
import { offeredIn, priceIn, usableGpuMemoryGiB, type InstanceSpec } from "../catalog/instances";
import { weightsFor, type ModelSpec } from "../catalog/models";
import { PRECISION_TRAITS } from "../catalog/precision";
import { estimateMemory, gpusOf, kvHeadroom, vllmBatchDefaults, type BatchSettings, type MemoryBreakdown, type ParallelLayout } from "./memory";
import { kernelProblem } from "./kernels";
import { candidateLayouts, layoutProblem, layoutReason, prefersDataParallelAttention } from "./parallel";
import type { Candidate, SizingRequest } from "./sizing-request";
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
  // "EP support for Fused MoE LoRA is not implemented yet" (vllm/lora/layers/fused_moe.py): vLLM refuses to start.
  const problem = req.lora && layout.expertParallel ? "expert parallelism: vLLM's fused-MoE LoRA layers do not support it (adapters are set)"
    : variant ? layoutProblem(req.model, variant, layout) : null;
  if (problem) return { ...base, fits: false, reason: problem, memory: null, maxConcurrency: 0 };
  const gpuMemoryGiB = usableGpuMemoryGiB(inst);
  const defaults = vllmBatchDefaults(inst.gpu.model, gpuMemoryGiB);
  const at = (batch: BatchSettings) => estimateMemory({
    model: req.model, precision: req.precision, variant, layout, gpuMemoryGiB, gpuMemoryUtilization: req.gpuMemoryUtilization,
    kvCacheDtype: req.kvCacheDtype, batch, maxModelLen: req.maxModelLen, lora: req.lora,
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
  const lora = memory.loraGiBPerGpu && req.lora ? ` + LoRA adapters ${fmt(memory.loraGiBPerGpu)} GiB (${req.lora.maxLoras} slot(s) × rank ${req.lora.maxRank})` : "";
  const reason = memory.kvCacheGiBPerGpu <= 0
    ? `weights ${fmt(memory.weightsGiBPerGpu)} GiB/GPU${lora} + overheads ${fmt(overhead)} GiB exceed the ${fmt(memory.budgetGiB)} GiB budget per GPU`
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
