/**
 * `omk size`: size one model without a stack file. The flags become a one-model stack config, so the
 * checks, defaults and errors are exactly those of `omk plan` and `pulumi up` — except that sizing is
 * arithmetic and needs no Hugging Face token, even for gated models.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { resolveStack, type ResolvedModel } from "../../components/config/validate";
import { formatValue } from "../../components/config/errors";
import { placementSummary } from "../../components/serving/placement-summary";
import { summarizeAlternative } from "../../components/sizing/placement";
import { unmeasuredNote } from "../../components/sizing/perf/accuracy";
import { alternativesTable, gib, int, layoutOf, usd } from "../format";

export interface SizeOptions {
  /** Catalog id; with modelConfig, the Hub repo (default: the config's `_name_or_path`, else its folder's name). */
  readonly model?: string;
  readonly modelConfig?: string;
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
  readonly requestsPerSecond?: number;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly ttftMs?: number;
  readonly tpotMs?: number;
  readonly headroom?: number;
  readonly adapters?: number;
  readonly adapterRank?: number;
  readonly maxLoras?: number;
  readonly json?: boolean;
}

/** Stack keys → the flag a `size` user typed, so errors name what they can change. */
const FLAG_FOR_KEY: Readonly<Record<string, string>> = {
  id: "--model", modelConfig: "--model-config", precision: "--precision", maxModelLen: "--max-model-len", concurrency: "--concurrency",
  gpuMemoryUtilization: "--gpu-memory-utilization", kvCacheDtype: "--kv-cache-dtype", instanceType: "--instance",
  tensorParallelSize: "--tp", pipelineParallelSize: "--pp", multiNode: "--multi-node", load: "--requests-per-second/--input-tokens/--output-tokens",
  adapters: "--adapters/--adapter-rank", maxLoras: "--max-loras",
};

/** A fix written for a stack file, reworded for the flags a `size` user types. */
export function fixForFlags(fix: string): string {
  let out = fix.replace(/\bload\.ttftMs\b/g, "--ttft-ms").replace(/\bload\.tpotMs\b/g, "--tpot-ms").replace(/\blower requestsPerSecond\b/g, "lower --requests-per-second").replace(/\b(set|also set|remove) aws:region\b/g, "$1 --region").replace(/as modelConfig\b/g, "with --model-config <file>").replace(/point modelConfig at/g, "pass --model-config").replace(/ \(relative to the repository root\)/g, " (a path from the current directory)");
  for (const [key, flag] of Object.entries(FLAG_FOR_KEY)) out = out.replace(new RegExp(`\\b(set|also set|remove|lower|raise) ${key}\\b`, "g"), `$1 ${flag}`);
  return out;
}

export function flagFor(path: string): string {
  if (path === "aws:region") return "--region";
  const loadKey = /^omk:models\[0\]\.load\.(\w+)/.exec(path)?.[1];
  if (loadKey) return { requestsPerSecond: "--requests-per-second", inputTokens: "--input-tokens", outputTokens: "--output-tokens", ttftMs: "--ttft-ms", tpotMs: "--tpot-ms", headroom: "--headroom" }[loadKey] ?? path;
  const key = /^omk:models\[0\]\.(\w+)/.exec(path)?.[1];
  return key ? FLAG_FOR_KEY[key] ?? path : "--model";
}

/** The JSON contract of `omk size --json`. */
export function sizeJson(m: ResolvedModel, region: string) {
  // The same summary `omk plan` shows; `hourlyUsd` here is per replica.
  const s = placementSummary(m, region);
  return {
    model: s.model, region, precision: s.precision, weightsRepo: s.weightsRepo, gated: m.spec.gated,
    instanceType: s.instanceType, gpu: s.gpu, nodes: s.nodes, gpusPerNode: s.gpusPerNode,
    tensorParallelSize: s.tensorParallelSize, pipelineParallelSize: s.pipelineParallelSize,
    dataParallelSize: s.dataParallelSize, expertParallel: s.expertParallel, layoutReason: s.layoutReason,
    maxModelLen: s.maxModelLen, yarnFactor: s.yarnFactor, concurrency: s.concurrency, gpuMemoryUtilization: s.gpuMemoryUtilization, kvCacheDtype: s.kvCacheDtype,
    gpuMemoryGiB: s.gpuMemoryGiB, weightsGiBPerGpu: s.weightsGiBPerGpu, loraGiBPerGpu: s.loraGiBPerGpu, activationGiB: s.activationGiB,
    overheadGiB: s.overheadGiB, kvCacheGiBPerGpu: s.kvCacheGiBPerGpu,
    kvBytesPerTokenPerGpu: s.kvBytesPerTokenPerGpu, stateBytesPerSequencePerGpu: s.stateBytesPerSequencePerGpu, windowBytesPerSequencePerGpu: s.windowBytesPerSequencePerGpu,
    kvCacheTokens: s.kvCacheTokens, maxConcurrency: s.maxConcurrency, maxNumSeqs: s.maxNumSeqs, maxNumBatchedTokens: s.maxNumBatchedTokens, stateBlocks: s.stateBlocks,
    hourlyUsd: s.hourlyUsdPerReplica, priceEstimate: s.priceEstimate, priceBasis: s.priceBasis, fits: s.fits, load: s.load,
    estimates: ["activation and overhead memory (calibrated on published vLLM H100 logs)", ...(m.spec.userSupplied ? ["parameter counts computed from config.json"] : [])],
    alternatives: m.alternatives.map(summarizeAlternative),
  };
}

/** A Hub-like id for a config.json given without --model: its `_name_or_path`, else `local/<folder>`. */
function defaultIdFor(file: string): string {
  try {
    const name = (JSON.parse(readFileSync(file, "utf8")) as { _name_or_path?: unknown })._name_or_path;
    if (typeof name === "string" && /^[\w.-]+\/[\w.-]+$/.test(name)) return name;
  } catch {
    // The sizing reports an unreadable file with the flag that named it.
  }
  return `local/${path.basename(path.dirname(path.resolve(file))) || "model"}`;
}

export function sizeCommand(opts: SizeOptions, out: (s: string) => void, err: (s: string) => void): number {
  const entry: Record<string, unknown> = { id: opts.model ?? defaultIdFor(opts.modelConfig ?? "") };
  if (opts.modelConfig !== undefined) entry.modelConfig = path.resolve(opts.modelConfig);
  if (opts.precision !== undefined) entry.precision = opts.precision;
  if (opts.maxModelLen !== undefined) entry.maxModelLen = opts.maxModelLen;
  if (opts.concurrency !== undefined) entry.concurrency = opts.concurrency;
  if (opts.gpuMemoryUtilization !== undefined) entry.gpuMemoryUtilization = opts.gpuMemoryUtilization;
  if (opts.kvCacheDtype !== undefined) entry.kvCacheDtype = opts.kvCacheDtype;
  if (opts.instance !== undefined) entry.instanceType = opts.instance;
  if (opts.tp !== undefined) entry.tensorParallelSize = opts.tp;
  if (opts.pp !== undefined) entry.pipelineParallelSize = opts.pp;
  if (opts.multiNode !== undefined) entry.multiNode = opts.multiNode;
  if ((opts.adapterRank !== undefined || opts.maxLoras !== undefined) && opts.adapters === undefined) {
    err("omk size: --adapter-rank and --max-loras describe LoRA adapters: add --adapters <n> (how many), e.g. --adapters 4 --adapter-rank 16.");
    return 1;
  }
  // Placeholders of the given rank: only their number, rank and slots change the memory (sizing/lora.ts).
  if (opts.adapters !== undefined) entry.adapters = Array.from({ length: opts.adapters }, (_, i) => ({ name: `adapter-${i + 1}`, repo: "size/placeholder", rank: opts.adapterRank ?? 16 }));
  if (opts.maxLoras !== undefined) entry.maxLoras = opts.maxLoras;
  const loadFlags = { "--requests-per-second": opts.requestsPerSecond, "--input-tokens": opts.inputTokens, "--output-tokens": opts.outputTokens };
  const given = Object.entries(loadFlags).filter(([, v]) => v !== undefined).map(([k]) => k);
  const targets = Object.entries({ "--ttft-ms": opts.ttftMs, "--tpot-ms": opts.tpotMs, "--headroom": opts.headroom }).filter(([, v]) => v !== undefined).map(([k]) => k);
  if ((given.length || targets.length) && given.length < 3) {
    const missing = Object.keys(loadFlags).filter((k) => !given.includes(k));
    err(`omk size: a load needs --requests-per-second, --input-tokens and --output-tokens together; missing ${missing.join(", ")}${targets.length ? ` (${targets.join(", ")} apply only with a load)` : ""}. Example: --requests-per-second 5 --input-tokens 2000 --output-tokens 500 --tpot-ms 40.`);
    return 1;
  }
  if (given.length === 3) {
    // The context stays what a stack would serve (maxModelLen's default or --max-model-len), so size and plan agree.
    entry.load = { requestsPerSecond: opts.requestsPerSecond, inputTokens: opts.inputTokens, outputTokens: opts.outputTokens, ...(opts.ttftMs !== undefined ? { ttftMs: opts.ttftMs } : {}), ...(opts.tpotMs !== undefined ? { tpotMs: opts.tpotMs } : {}), ...(opts.headroom !== undefined ? { headroom: opts.headroom } : {}) };
  }
  const resolved = resolveStack({ "aws:region": opts.region, "omk:environment": "size", "omk:models": [entry] }, "omk size", new Set(), { purpose: "sizing" });
  if (!resolved.ok) {
    const problems = resolved.error.problems;
    err(`omk size: ${problems.length} problem${problems.length === 1 ? "" : "s"}:`);
    for (const p of problems) err(`  - ${flagFor(p.path)} ${formatValue(p.value)}: ${p.message} Fix: ${fixForFlags(p.fix)}`);
    if (opts.json) out(JSON.stringify({ fits: false, problems: problems.map((p) => ({ flag: flagFor(p.path), ...p, fix: fixForFlags(p.fix) })) }, null, 2));
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
  const gpus = json.tensorParallelSize * json.pipelineParallelSize * json.dataParallelSize;
  out(`${m.spec.id} (${m.precision}, ${m.weights.repo}) in ${json.region}: maxModelLen ${int(m.maxModelLen)} × concurrency ${m.concurrency}`);
  out(`Chosen: ${p.instanceType} × ${p.nodes} node${p.nodes > 1 ? "s" : ""}, ${gpus} × ${p.gpu.model} (${gib(mem.gpuMemoryGiB)} each), ${layoutOf(p)} — ${p.layoutReason}`);
  out(`Cost: ${usd(p.hourlyUsd)}/hour per replica, on-demand${p.priceEstimate ? " (ESTIMATE: no published price for this region)" : ""}`);
  out(`Memory per GPU: budget ${gib(mem.budgetGiB)} (${m.gpuMemoryUtilization} × ${gib(mem.gpuMemoryGiB)}) = weights ${gib(mem.weightsGiBPerGpu)}${mem.loraGiBPerGpu ? ` + LoRA adapters ${gib(mem.loraGiBPerGpu)} (--max-loras ${m.lora?.maxLoras} × --max-lora-rank ${m.lora?.maxRank}, ESTIMATE)` : ""} + activation ${gib(mem.activationGiB)} + overhead ${gib(mem.nonTorchGiB + mem.cudaGraphGiB)} + KV cache ${gib(mem.kvCacheGiBPerGpu)}`);
  const extras = [
    mem.stateBytesPerSequencePerGpu ? `linear-attention state ${int(mem.stateBytesPerSequencePerGpu / 1024)} KiB per sequence` : "",
    mem.windowBytesPerSequencePerGpu ? `windowed layers ${int(mem.windowBytesPerSequencePerGpu / 1024)} KiB per sequence` : "",
  ].filter(Boolean);
  out(`KV cache: ${int(mem.kvBytesPerTokenPerGpu)} bytes per token per GPU${extras.length ? ` + ${extras.join(" + ")}` : ""} → ${p.maxConcurrency} concurrent sequences at ${int(m.maxModelLen)} (${int(mem.kvCacheTokens)} tokens; --max-num-seqs ${mem.batch.maxNumSeqs}, --max-num-batched-tokens ${mem.batch.maxNumBatchedTokens}${mem.stateBlocks === null ? "" : `; ${int(mem.stateBlocks)} state blocks per GPU, one per running sequence`})`);
  const l = json.load;
  if (l) {
    out(`Load: ${l.requestsPerSecond} requests/s of ${int(l.inputTokens)} in + ${int(l.outputTokens)} out${l.ttftTargetMs ? `, TTFT ≤ ${l.ttftTargetMs} ms` : ""}${l.tpotTargetMs ? `, TPOT ≤ ${l.tpotTargetMs} ms` : ""} → ${l.replicas} replica(s) with ${Math.round(l.headroom * 100)} % headroom, each within the targets up to ${l.concurrencyPerReplica} requests in flight (ESTIMATE of the means per replica there: ${int(l.outputTokensPerSecond)} output tokens/s, TTFT ${int(l.ttftMs)} ms, TPOT ${l.tpotMs} ms${unmeasuredNote(p.instanceType)}).`);
    out(`Cost for the load: $${Math.round(p.hourlyUsd * l.replicas * 100) / 100}/h → $${l.usdPerMillionOutputTokens} per million output tokens, $${l.usdPerMillionTotalTokens} per million tokens in and out (ESTIMATE).`);
  }
  if (m.yarn) out(`Context: YaRN factor ${m.yarn.factor} × the original ${int(m.spec.context.yarn?.originalMaxPositionEmbeddings ?? m.spec.context.derivedMax)} positions (vLLM's own maximum without it: ${int(m.spec.context.derivedMax)}); static YaRN can cost quality on short prompts, as vLLM applies it to every request.`);
  if (m.spec.gated) out(`Gated on Hugging Face: deploying it needs the license accepted and omk:hfToken; sizing did not.`);
  if (m.spec.userSupplied) out(`From ${opts.modelConfig}: parameter counts are computed from the config (ESTIMATE); license and gating are unknown to the kit.`);
  out("Activation and overhead figures are estimates calibrated on published vLLM H100 logs; weights and KV follow vLLM's formulas.");
  out(`\nAlternatives (cheapest first):\n${alternativesTable(m.alternatives, 12)}`);
  return 0;
}
