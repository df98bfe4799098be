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
import { formatValue } from "../../components/config/errors";
import { sizeModel, type Placement } from "../../components/sizing/placement";
import { fixForFlags, flagFor } from "./size";

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
    ...(opts.precision ? { precision: opts.precision } : {}), ...(opts.tp && !opts.dp && !opts.expertParallel ? { tensorParallelSize: opts.tp } : {}), ...(opts.pp && !opts.dp && !opts.expertParallel ? { pipelineParallelSize: opts.pp } : {}),
  };
  if ((opts.dp || opts.expertParallel) && !opts.instance) {
    err("omk perf: --dp and --expert-parallel describe a layout on a given instance. Fix: add --instance <type> (e.g. p5.48xlarge) and --tp so that TP × DP is its GPU count.");
    return 1;
  }
  const resolved = resolveStack({ "aws:region": opts.region, "omk:environment": "perf", "omk:models": [entry] }, "omk perf", new Set(), { purpose: "sizing" });
  if (!resolved.ok) {
    err(`omk perf: ${resolved.error.problems.map((p) => `${flagFor(p.path)} ${formatValue(p.value)}: ${p.message} Fix: ${fixForFlags(p.fix)}`).join("\n  ")}`);
    return 1;
  }
  const m = resolved.stack.models[0]!;
  let p: Placement = m.placement;
  if (opts.expertParallel && !m.spec.moe) {
    err(`omk perf: --expert-parallel: ${m.spec.id} is a dense model (no experts to spread). Fix: drop --expert-parallel.`);
    return 1;
  }
  if (opts.dp || opts.expertParallel) {
    // A layout the sizing would not choose itself: sized as given (data-parallel attention, experts spread over every GPU).
    const sized = sizeModel({
      model: m.spec, region: resolved.stack.region, precision: m.precision, maxModelLen: m.maxModelLen, concurrency: 1, gpuMemoryUtilization: m.gpuMemoryUtilization,
      kvCacheDtype: m.kvCacheDtype, instanceType: p.instanceType, tensorParallel: opts.tp ?? p.tensorParallelSize, pipelineParallel: opts.pp ?? p.pipelineParallelSize,
      dataParallel: opts.dp, expertParallel: opts.expertParallel ?? false,
    });
    if (!sized.ok) {
      err(`omk perf: --tp ${opts.tp ?? p.tensorParallelSize}${opts.dp ? ` --dp ${opts.dp}` : ""}${opts.expertParallel ? " --expert-parallel" : ""} on ${p.instanceType}: ${sized.error} Fix: TP × DP must be the instance's ${findInstance(p.instanceType)?.gpu.count ?? "?"} GPUs and hold the weights; drop --dp to let the kit choose.`);
      return 1;
    }
    p = sized.placement;
  }
  const prediction = predictFor(
    { instanceType: p.instanceType, layout: { tensorParallel: p.tensorParallelSize, pipelineParallel: p.pipelineParallelSize, dataParallel: p.dataParallelSize, expertParallel: p.expertParallel, nodes: p.nodes }, memory: p.memory, replicaHourlyUsd: p.hourlyUsd },
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
  out(`Cost: $${p.hourlyUsd}/h per replica → $${json.usdPerMillionOutputTokens} per million output tokens with the replica this busy (\`omk size\` with a load prices the replicas a load needs, headroom included).`);
  out(`ESTIMATES: a roofline model of vLLM's engine step, calibrated on published measurements (README, "How performance is estimated")${unmeasuredNote(p.instanceType)}.`);
  return 0;
}
