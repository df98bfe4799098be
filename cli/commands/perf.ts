/**
 * `omk perf`: predicted serving performance of one model on one instance and layout, for a request shape and
 * a number of concurrent clients (ESTIMATES from the roofline model in components/sizing/perf, calibrated on
 * published vLLM measurements). A concurrency above what the server admits (--max-num-seqs, the KV cache) is
 * capped, and the output says so: that is the saturation throughput.
 */
import { findInstance } from "../../components/catalog/instances";
import { resolveStack } from "../../components/config/validate";
import { predictFor } from "../../components/sizing/perf/load";
import { measuredOn, unmeasuredNote } from "../../components/sizing/perf/accuracy";
import { int, layoutOf } from "../format";

export interface PerfOptions {
  readonly model: string;
  /** @default the instance `omk size` picks */
  readonly instance?: string;
  readonly region: string;
  readonly tp?: number;
  readonly pp?: number;
  readonly dp?: number;
  readonly expertParallel?: boolean;
  readonly precision?: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly concurrency: number;
  readonly json?: boolean;
}

export function perfCommand(opts: PerfOptions, out: (s: string) => void, err: (s: string) => void): number {
  const entry: Record<string, unknown> = {
    id: opts.model, ...(opts.instance ? { instanceType: opts.instance } : {}), maxModelLen: Math.max(256, opts.inputTokens + opts.outputTokens), concurrency: 1,
    ...(opts.precision ? { precision: opts.precision } : {}), ...(opts.tp ? { tensorParallelSize: opts.tp } : {}), ...(opts.pp ? { pipelineParallelSize: opts.pp } : {}),
  };
  const resolved = resolveStack({ "aws:region": opts.region, "omk:environment": "perf", "omk:models": [entry] }, "omk perf", new Set(), { purpose: "sizing" });
  if (!resolved.ok) {
    err(`omk perf: ${resolved.error.problems.map((p) => `${p.path.replace(/^omk:models\[0\]\./, "")}: ${p.message} Fix: ${p.fix}`).join("\n  ")}`);
    return 1;
  }
  const m = resolved.stack.models[0]!;
  const p = m.placement;
  if (opts.dp && opts.dp !== p.dataParallelSize) {
    err(`omk perf: --dp ${opts.dp}: the sizing runs ${m.spec.id} on ${p.instanceType} as ${layoutOf(p)}. Fix: drop --dp, or pass --tp so that TP × DP is the instance's ${findInstance(p.instanceType)?.gpu.count ?? "?"} GPUs.`);
    return 1;
  }
  const prediction = predictFor(
    { instanceType: p.instanceType, layout: { tensorParallel: p.tensorParallelSize, pipelineParallel: p.pipelineParallelSize, dataParallel: p.dataParallelSize, expertParallel: opts.expertParallel ?? p.expertParallel, nodes: p.nodes }, memory: p.memory, replicaHourlyUsd: p.hourlyUsd },
    { model: m.spec, precision: m.precision, variant: m.weights, kvCacheDtype: m.kvCacheDtype, maxModelLen: m.maxModelLen },
    { inputTokens: opts.inputTokens, outputTokens: opts.outputTokens }, opts.concurrency,
  );
  if (!prediction) {
    err(`omk perf: no performance data for ${findInstance(p.instanceType)?.gpu.model ?? p.instanceType} (components/catalog/data/gpus.json).`);
    return 1;
  }
  const outputPerHour = prediction.outputTokensPerSecond * 3600;
  const json = {
    model: m.spec.id, precision: m.precision, instanceType: p.instanceType, nodes: p.nodes, tensorParallelSize: p.tensorParallelSize, pipelineParallelSize: p.pipelineParallelSize,
    dataParallelSize: p.dataParallelSize, expertParallel: p.expertParallel, inputTokens: opts.inputTokens, outputTokens: opts.outputTokens,
    concurrency: opts.concurrency, runningSequences: prediction.runningSequences, cappedBy: prediction.cappedBy,
    outputTokensPerSecond: Math.round(prediction.outputTokensPerSecond * 10) / 10, requestsPerSecond: Math.round(prediction.requestsPerSecond * 1000) / 1000,
    ttftMs: Math.round(prediction.ttftMs), tpotMs: Math.round(prediction.tpotMs * 10) / 10,
    hourlyUsd: p.hourlyUsd, usdPerMillionOutputTokens: Math.round((p.hourlyUsd / outputPerHour) * 1e6 * 1000) / 1000, estimate: true, measuredGpu: measuredOn(p.instanceType),
  };
  if (opts.json) {
    out(JSON.stringify(json, null, 2));
    return 0;
  }
  out(`${m.spec.id} (${m.precision}) on ${p.instanceType}${p.nodes > 1 ? ` × ${p.nodes}` : ""}${opts.instance ? "" : " (the cheapest fit; --instance to choose)"}, ${layoutOf(p)}: ${int(opts.inputTokens)} tokens in, ${int(opts.outputTokens)} out, ${opts.concurrency} concurrent client(s)`);
  if (prediction.cappedBy) out(`Capped at ${prediction.runningSequences} running requests by ${prediction.cappedBy === "kv-cache" ? "the KV cache" : prediction.cappedBy === "state-blocks" ? "vLLM's state blocks" : "--max-num-seqs"}: this is the saturation throughput; the other ${opts.concurrency - prediction.runningSequences} wait.`);
  out(`Output ${json.outputTokensPerSecond} tokens/s, ${json.requestsPerSecond} requests/s; TTFT ${int(json.ttftMs)} ms, TPOT ${json.tpotMs} ms.`);
  out(`Cost: $${p.hourlyUsd}/h per replica → $${json.usdPerMillionOutputTokens} per million output tokens at this throughput.`);
  out(`ESTIMATES: a roofline model of vLLM's engine step, calibrated on published measurements (README, "How performance is estimated")${unmeasuredNote(p.instanceType)}.`);
  return 0;
}
