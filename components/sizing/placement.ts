/**
 * Placement search: the cheapest way, in one region, to serve a model so that every replica's KV cache
 * holds `maxModelLen × concurrency` tokens — plus every alternative it rejected and why.
 *
 * A replica owns whole nodes (one vLLM pod per node, or one LeaderWorkerSet group across nodes): that is
 * what Karpenter and managed node groups can schedule predictably, and what the cost figure then means.
 */
import { INSTANCES, findInstance, offeredIn, priceIn, usableGpuMemoryGiB, type Availability, type InstanceSpec } from "../catalog/instances";
import { validTensorParallelSizes, weightsFor, type ModelSpec } from "../catalog/models";
import { PRECISION_TRAITS, type Precision } from "../catalog/precision";
import { KNOWN_REGIONS } from "../catalog/regions";
import { estimateMemory, type KvCacheDtype, type MemoryBreakdown, type ParallelLayout } from "./memory";
import { round } from "../round";

/** @default 4 — beyond four nodes per replica, inter-node pipeline bubbles dominate (estimate). */
export const DEFAULT_MAX_NODES = 4;

export interface SizingRequest {
  readonly model: ModelSpec;
  readonly region: string;
  readonly precision: Precision;
  readonly maxModelLen: number;
  /** Sequences of `maxModelLen` tokens each replica's KV cache must hold at once. */
  readonly concurrency: number;
  readonly gpuMemoryUtilization: number;
  readonly kvCacheDtype: KvCacheDtype;
  /** Restrict the search to one instance type (the stack pinned it). */
  readonly instanceType?: string;
  /** With `instanceType`: a fixed tensor-parallel size. */
  readonly tensorParallel?: number;
  /** With `instanceType`: a fixed pipeline-parallel size. */
  readonly pipelineParallel?: number;
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
  /** Per replica; null when the type has no on-demand price. */
  readonly hourlyUsd: number | null;
  readonly priceEstimate: boolean;
  readonly priceBasis: string;
  readonly availability: Availability;
  readonly fits: boolean;
  /** Why it was rejected, or what it offers when it fits. */
  readonly reason: string;
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
  readonly hourlyUsd: number | null;
  readonly priceEstimate: boolean;
  readonly fits: boolean;
  readonly reason: string;
}

export function summarizeAlternative(c: Candidate): AlternativeSummary {
  return {
    instanceType: c.instanceType, nodes: c.nodes, tensorParallelSize: c.tensorParallelSize, pipelineParallelSize: c.pipelineParallelSize,
    hourlyUsd: c.hourlyUsd, priceEstimate: c.priceEstimate, fits: c.fits, reason: c.reason,
  };
}

export type SizingResult =
  | { readonly ok: true; readonly placement: Placement; readonly alternatives: readonly Candidate[] }
  | { readonly ok: false; readonly error: string; readonly alternatives: readonly Candidate[] };

const fmt = (n: number, d = 1) => n.toFixed(d);
const int = (n: number) => Math.round(n).toLocaleString("en-US");

function rejected(inst: InstanceSpec, req: SizingRequest, reason: string, nodes = 1): Candidate {
  const price = priceIn(inst, req.region);
  return {
    instanceType: inst.type, nodes, gpusPerNode: inst.gpu.count, tensorParallelSize: 0, pipelineParallelSize: 0,
    hourlyUsd: price ? price.usdPerHour * nodes : null, priceEstimate: price?.estimate ?? false, priceBasis: price?.basis ?? "no on-demand price",
    availability: offeredIn(inst, req.region), fits: false, reason, memory: null, maxConcurrency: 0,
  };
}

/** Layouts to try for `nodes` nodes of this type: all GPUs used, TP inside a node, PP across nodes. */
function layoutsFor(inst: InstanceSpec, req: SizingRequest, nodes: number): ParallelLayout[] {
  const valid = validTensorParallelSizes(req.model, req.precision);
  if (req.tensorParallel !== undefined || req.pipelineParallel !== undefined) {
    const tp = req.tensorParallel ?? 1;
    const pp = req.pipelineParallel ?? 1;
    const gpus = tp * pp;
    const needed = gpus <= inst.gpu.count ? 1 : gpus % inst.gpu.count === 0 ? gpus / inst.gpu.count : 0;
    return needed === nodes ? [{ tensorParallel: tp, pipelineParallel: pp, nodes }] : [];
  }
  const tps = valid.filter((tp) => inst.gpu.count % tp === 0);
  const layouts = nodes === 1 ? tps : tps.slice(-1);
  return layouts
    .map((tp) => ({ tensorParallel: tp, pipelineParallel: (inst.gpu.count / tp) * nodes, nodes }))
    .filter((l) => l.pipelineParallel <= req.model.layers);
}

function evaluate(inst: InstanceSpec, req: SizingRequest, layout: ParallelLayout): Candidate {
  const price = priceIn(inst, req.region);
  const memory = estimateMemory({
    model: req.model, precision: req.precision, layout, gpuMemoryGiB: usableGpuMemoryGiB(inst), gpuModel: inst.gpu.model,
    gpuMemoryUtilization: req.gpuMemoryUtilization, kvCacheDtype: req.kvCacheDtype,
  });
  const needed = req.maxModelLen * req.concurrency;
  const fits = memory.kvCacheTokens >= needed;
  const maxConcurrency = Math.floor(memory.kvCacheTokens / req.maxModelLen);
  const overhead = memory.weightsGiBPerGpu + memory.activationGiB + memory.nonTorchGiB + memory.cudaGraphGiB;
  const reason = memory.kvCacheGiBPerGpu <= 0
    ? `weights ${fmt(memory.weightsGiBPerGpu)} GiB/GPU + overheads ${fmt(overhead - memory.weightsGiBPerGpu)} GiB exceed the ${fmt(memory.budgetGiB)} GiB budget per GPU`
    : fits
      ? `KV cache holds ${int(memory.kvCacheTokens)} tokens (${maxConcurrency} × ${int(req.maxModelLen)})`
      : `KV cache holds ${int(memory.kvCacheTokens)} tokens; needs ${int(needed)} (${int(req.maxModelLen)} × ${req.concurrency})`;
  return {
    instanceType: inst.type, nodes: layout.nodes, gpusPerNode: Math.min(inst.gpu.count, layout.tensorParallel * layout.pipelineParallel),
    tensorParallelSize: layout.tensorParallel, pipelineParallelSize: layout.pipelineParallel,
    hourlyUsd: price ? round(price.usdPerHour * layout.nodes) : null, priceEstimate: price?.estimate ?? false,
    priceBasis: price?.basis ?? inst.priceNote ?? "no on-demand price", availability: offeredIn(inst, req.region),
    fits: fits && price !== null, reason: price ? reason : `${reason}; but no on-demand price (${inst.priceNote ?? "unknown"})`,
    memory, maxConcurrency,
  };
}

/** Fitting layouts first (larger TP = lower latency), then the one with most KV capacity. */
function better(a: Candidate, b: Candidate): Candidate {
  if (a.fits !== b.fits) return a.fits ? a : b;
  if (a.fits && a.tensorParallelSize !== b.tensorParallelSize) return a.tensorParallelSize > b.tensorParallelSize ? a : b;
  return (a.memory?.kvCacheTokens ?? -1) >= (b.memory?.kvCacheTokens ?? -1) ? a : b;
}

/** Every option for one instance type, stopping at the first node count that fits. */
export function candidatesFor(inst: InstanceSpec, req: SizingRequest): Candidate[] {
  const availability = offeredIn(inst, req.region);
  if (availability === "not-offered") return [rejected(inst, req, `not offered in ${req.region}${inst.regionsSeen ? ` (seen in ${inst.regionsSeen.length} other regions)` : ""}`)];
  const traits = PRECISION_TRAITS[req.precision];
  if (inst.gpu.computeCapability < traits.minComputeCapability) {
    return [rejected(inst, req, `${traits.requirement}; ${inst.gpu.model} is ${inst.gpu.architecture} (${inst.gpu.computeCapability.toFixed(1)})`)];
  }
  const out: Candidate[] = [];
  const maxNodes = req.maxNodes ?? DEFAULT_MAX_NODES;
  for (let nodes = 1; nodes <= maxNodes; nodes++) {
    if (nodes > 1 && !inst.efa.supported) {
      out.push(rejected(inst, req, "a replica across nodes needs EFA; this type has none", nodes));
      break;
    }
    const layouts = layoutsFor(inst, req, nodes);
    if (layouts.length === 0) continue;
    const best = layouts.map((l) => evaluate(inst, req, l)).reduce(better);
    out.push(best);
    if (best.fits || best.hourlyUsd === null) break;
  }
  if (out.length === 0) {
    out.push(rejected(inst, req, `no valid tensor/pipeline layout on ${inst.gpu.count} GPU(s) (valid TP sizes: ${validTensorParallelSizes(req.model, req.precision).join(", ")})`));
  }
  return out;
}

function byCost(a: Candidate, b: Candidate, preferSingleNode: boolean): number {
  if (a.fits !== b.fits) return a.fits ? -1 : 1;
  if (preferSingleNode && a.fits && (a.nodes > 1) !== (b.nodes > 1)) return a.nodes > 1 ? 1 : -1;
  const pa = a.hourlyUsd ?? Number.POSITIVE_INFINITY;
  const pb = b.hourlyUsd ?? Number.POSITIVE_INFINITY;
  if (pa !== pb) return pa - pb;
  return (b.memory?.kvCacheTokens ?? 0) - (a.memory?.kvCacheTokens ?? 0);
}

/** Searches the region (or evaluates the pinned instance type) and returns the cheapest fitting placement. */
export function sizeModel(req: SizingRequest, options: { explain?: boolean } = {}): SizingResult {
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
  const error = options.explain === false ? "does not fit" : explainNoFit(req, all);
  return { ok: false, error, alternatives: all };
}

/** The largest option's capacity and concrete changes that would make the model fit. */
function explainNoFit(req: SizingRequest, all: readonly Candidate[]): string {
  const where = req.instanceType ? `${req.instanceType} in ${req.region}` : `any GPU instance in ${req.region}`;
  const head = `${req.model.id} (${req.precision}) at maxModelLen ${int(req.maxModelLen)} × concurrency ${req.concurrency} does not fit ${where}.`;
  const largest = all.filter((c) => c.memory).sort((a, b) => (b.memory!.kvCacheTokens - a.memory!.kvCacheTokens))[0];
  const parts = [head];
  if (largest?.memory && largest.memory.kvCacheTokens > 0) {
    parts.push(`The largest option, ${largest.instanceType} × ${largest.nodes} node(s) (TP ${largest.tensorParallelSize}, PP ${largest.pipelineParallelSize}), holds ${int(largest.memory.kvCacheTokens)} KV tokens: ${largest.maxConcurrency} sequence(s) at ${int(req.maxModelLen)}.`);
    const len = Math.floor(largest.memory.kvCacheTokens / req.concurrency / 1024) * 1024;
    if (len >= 1024) parts.push(`Lower maxModelLen to ≤ ${int(len)} or concurrency to ≤ ${Math.max(1, largest.maxConcurrency)}.`);
  } else if (largest) {
    parts.push(`Even the largest option is short: ${largest.instanceType} — ${largest.reason}.`);
  } else {
    const offered = all.filter((c) => c.availability !== "not-offered");
    if (offered.length === 0) parts.push(`No catalog GPU type is offered in ${req.region}${req.instanceType ? "" : " at all"}.`);
    for (const [reason, types] of groupByReason(offered).slice(0, 2)) {
      parts.push(`${types.length} offered type(s) (${types.slice(0, 3).join(", ")}${types.length > 3 ? ", …" : ""}) were rejected: ${reason}.`);
    }
  }
  parts.push(...fixesElsewhere(req));
  return parts.join(" ");
}

/** Rejections grouped by their reason with the GPU-specific tail removed, largest group first. */
function groupByReason(cands: readonly Candidate[]): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const c of cands) {
    const key = c.reason.split("; ")[0]!;
    groups.set(key, [...(groups.get(key) ?? []), c.instanceType]);
  }
  return [...groups].sort((a, b) => b[1].length - a[1].length);
}

function fixesElsewhere(req: SizingRequest): string[] {
  const fixes: string[] = [];
  for (const p of ["fp8", "int4"] as const) {
    if (p === req.precision || !weightsFor(req.model, p)) continue;
    const r = sizeModel({ ...req, precision: p }, { explain: false });
    if (r.ok) fixes.push(`precision ${p} fits on ${r.placement.instanceType} ($${r.placement.hourlyUsd}/h).`);
  }
  if (req.kvCacheDtype !== "fp8") {
    const r = sizeModel({ ...req, kvCacheDtype: "fp8" }, { explain: false });
    if (r.ok) fixes.push(`kvCacheDtype fp8 fits on ${r.placement.instanceType} ($${r.placement.hourlyUsd}/h).`);
  }
  if (req.instanceType) {
    const free = sizeModel({ ...req, instanceType: undefined, tensorParallel: undefined, pipelineParallel: undefined }, { explain: false });
    if (free.ok) fixes.push(`without the pinned instance type, ${free.placement.instanceType} × ${free.placement.nodes} fits ($${free.placement.hourlyUsd}/h).`);
  }
  const elsewhere = KNOWN_REGIONS.filter((r) => r !== req.region)
    .map((region) => ({ region, r: sizeModel({ ...req, region }, { explain: false }) }))
    .flatMap(({ region, r }) => (r.ok ? [{ region, p: r.placement }] : []))
    .sort((a, b) => a.p.hourlyUsd - b.p.hourlyUsd)[0];
  if (elsewhere) fixes.push(`region ${elsewhere.region} fits on ${elsewhere.p.instanceType} ($${elsewhere.p.hourlyUsd}/h${elsewhere.p.priceEstimate ? ", estimated price" : ""}).`);
  return fixes.length ? [`Would fit with: ${fixes.join(" ")}`] : [];
}
