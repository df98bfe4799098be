/**
 * `omk size`: size one model without a stack file. The flags become a one-model stack config, so the
 * checks, defaults and errors are exactly those of `omk plan` and `pulumi up`.
 */
import { resolveStack, type ResolvedModel } from "../../components/config/validate";
import { formatValue } from "../../components/config/errors";
import { placementSummary } from "../../components/serving/placement-summary";
import { summarizeAlternative } from "../../components/sizing/placement";
import { alternativesTable, gib, int, usd } from "../format";

export interface SizeOptions {
  readonly model: string;
  readonly region: string;
  readonly precision?: string;
  readonly maxModelLen?: number;
  readonly concurrency?: number;
  readonly gpuMemoryUtilization?: number;
  readonly kvCacheDtype?: string;
  readonly instance?: string;
  readonly tp?: number;
  readonly pp?: number;
  readonly multiNode?: string;
  readonly json?: boolean;
}

/** Stack keys → the flag a `size` user typed, so errors name what they can change. */
const FLAG_FOR_KEY: Readonly<Record<string, string>> = {
  id: "--model", precision: "--precision", maxModelLen: "--max-model-len", concurrency: "--concurrency",
  gpuMemoryUtilization: "--gpu-memory-utilization", kvCacheDtype: "--kv-cache-dtype", instanceType: "--instance",
  tensorParallelSize: "--tp", pipelineParallelSize: "--pp", multiNode: "--multi-node",
};

function flagFor(path: string): string {
  if (path === "aws:region") return "--region";
  const key = /^omk:models\[0\]\.(\w+)/.exec(path)?.[1];
  return key ? FLAG_FOR_KEY[key] ?? path : "--model";
}

/** The JSON contract of `omk size --json`. */
export function sizeJson(m: ResolvedModel, region: string) {
  // The same summary `omk plan` shows; `hourlyUsd` here is per replica.
  const s = placementSummary(m, region);
  return {
    model: s.model, region, precision: s.precision, weightsRepo: s.weightsRepo,
    instanceType: s.instanceType, gpu: s.gpu, nodes: s.nodes, gpusPerNode: s.gpusPerNode,
    tensorParallelSize: s.tensorParallelSize, pipelineParallelSize: s.pipelineParallelSize,
    maxModelLen: s.maxModelLen, concurrency: s.concurrency, gpuMemoryUtilization: s.gpuMemoryUtilization, kvCacheDtype: s.kvCacheDtype,
    gpuMemoryGiB: s.gpuMemoryGiB, weightsGiBPerGpu: s.weightsGiBPerGpu, activationGiB: s.activationGiB,
    overheadGiB: s.overheadGiB, kvCacheGiBPerGpu: s.kvCacheGiBPerGpu,
    kvCacheTokens: s.kvCacheTokens, maxConcurrency: s.maxConcurrency, maxNumSeqs: s.maxNumSeqs,
    hourlyUsd: s.hourlyUsdPerReplica, priceEstimate: s.priceEstimate, priceBasis: s.priceBasis, fits: s.fits,
    alternatives: m.alternatives.map(summarizeAlternative),
  };
}

export function sizeCommand(opts: SizeOptions, out: (s: string) => void, err: (s: string) => void): number {
  const entry: Record<string, unknown> = { id: opts.model };
  if (opts.precision !== undefined) entry.precision = opts.precision;
  if (opts.maxModelLen !== undefined) entry.maxModelLen = opts.maxModelLen;
  if (opts.concurrency !== undefined) entry.concurrency = opts.concurrency;
  if (opts.gpuMemoryUtilization !== undefined) entry.gpuMemoryUtilization = opts.gpuMemoryUtilization;
  if (opts.kvCacheDtype !== undefined) entry.kvCacheDtype = opts.kvCacheDtype;
  if (opts.instance !== undefined) entry.instanceType = opts.instance;
  if (opts.tp !== undefined) entry.tensorParallelSize = opts.tp;
  if (opts.pp !== undefined) entry.pipelineParallelSize = opts.pp;
  if (opts.multiNode !== undefined) entry.multiNode = opts.multiNode;
  const resolved = resolveStack({ "aws:region": opts.region, "omk:environment": "size", "omk:models": [entry] }, "omk size");
  if (!resolved.ok) {
    const problems = resolved.error.problems;
    err(`omk size: ${problems.length} problem${problems.length === 1 ? "" : "s"}:`);
    for (const p of problems) err(`  - ${flagFor(p.path)} ${formatValue(p.value)}: ${p.message} Fix: ${p.fix}`);
    if (opts.json) out(JSON.stringify({ fits: false, problems: problems.map((p) => ({ flag: flagFor(p.path), ...p })) }, null, 2));
    return 1;
  }
  const m = resolved.stack.models[0]!;
  const json = sizeJson(m, resolved.stack.region);
  if (opts.json) {
    out(JSON.stringify(json, null, 2));
    return 0;
  }
  const p = m.placement;
  const mem = p.memory;
  out(`${m.spec.id} (${m.precision}, ${m.weights.repo}) in ${json.region}: maxModelLen ${int(m.maxModelLen)} × concurrency ${m.concurrency}`);
  out(`Chosen: ${p.instanceType} × ${p.nodes} node${p.nodes > 1 ? "s" : ""}, ${json.tensorParallelSize * json.pipelineParallelSize} × ${p.gpu.model} (${gib(mem.gpuMemoryGiB)} each), TP ${p.tensorParallelSize}, PP ${p.pipelineParallelSize}`);
  out(`Cost: ${usd(p.hourlyUsd)}/hour per replica, on-demand${p.priceEstimate ? " (ESTIMATE: no published price for this region)" : ""}`);
  out(`Memory per GPU: budget ${gib(mem.budgetGiB)} (${m.gpuMemoryUtilization} × ${gib(mem.gpuMemoryGiB)}) = weights ${gib(mem.weightsGiBPerGpu)} + activation ${gib(mem.activationGiB)} + overhead ${gib(mem.nonTorchGiB + mem.cudaGraphGiB)} + KV cache ${gib(mem.kvCacheGiBPerGpu)}`);
  out(`KV cache: ${int(mem.kvCacheTokens)} tokens → ${p.maxConcurrency} concurrent sequences at ${int(m.maxModelLen)} (vLLM max_num_seqs ${mem.batch.maxNumSeqs})`);
  out("Activation and overhead figures are estimates calibrated on published vLLM H100 logs; weights and KV follow vLLM's formulas.");
  out(`\nAlternatives (cheapest first):\n${alternativesTable(m.alternatives, 12)}`);
  return 0;
}
