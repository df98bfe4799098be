/**
 * What `omk bench` reports (pure): per-request timings from each stream, their distributions, throughput, errors,
 * the kit's prediction for the same workload, and the measurement as a calibration point.
 *
 * Definitions follow vLLM's benchmark (`vllm bench serve`, vllm/benchmarks/serve.py `calculate_metrics`):
 *   - TTFT: request start → first chunk carrying generated text;
 *   - TPOT, per request: (last token − first token) / (output tokens − 1), the decode time per token excluding the
 *     first (only chunks with generated text count: the trailing usage chunk carries no token);
 *   - ITL: every gap between consecutive chunks with generated text, pooled over all requests;
 *   - output tokens/s and requests/s: completed requests over the time from the run's start to the last completion.
 * Output tokens are the server's count (usage.completion_tokens), or the number of chunks when it sends no usage.
 */
import { predictFor } from "../../components/sizing/perf/load";
import type { ServingPrediction } from "../../components/sizing/perf/serving";
import type { ResolvedModel, ResolvedStack } from "../../components/config/validate";
import type { Failure } from "./explain";
import type { StreamedChat } from "./openai";
import { distribution, rounded, type Distribution } from "./stats";

export type RequestResult =
  | { readonly ok: true; readonly ttftMs: number; readonly tpotMs: number | null; readonly itlsMs: readonly number[]; readonly latencyMs: number; readonly outputTokens: number; readonly promptTokens: number | null }
  | { readonly ok: false; readonly failure: Failure };

/** The timings of one finished stream; a stream without generated text is a failure. */
export function timingsOf(s: StreamedChat): RequestResult {
  const first = s.tokenTimesMs[0];
  const last = s.tokenTimesMs.at(-1);
  if (first === undefined || last === undefined) return { ok: false, failure: { kind: "empty", what: "a stream held no generated text.", cause: "the server stopped before generating (or a proxy swallowed the events).", fix: "run `omk smoke` against the endpoint." } };
  if (!s.done) return { ok: false, failure: { kind: "truncated", what: "a stream ended without data: [DONE].", cause: "the connection was cut mid-answer.", fix: "run `omk smoke`; look at the server's restarts." } };
  const outputTokens = s.usage?.completionTokens ?? s.tokenTimesMs.length;
  return {
    ok: true, ttftMs: first - s.startMs, tpotMs: outputTokens > 1 ? (last - first) / (outputTokens - 1) : null,
    itlsMs: s.tokenTimesMs.slice(1).map((t, i) => t - s.tokenTimesMs[i]!), latencyMs: last - s.startMs, outputTokens, promptTokens: s.usage?.promptTokens ?? null,
  };
}

export interface Workload {
  readonly endpointHost: string;
  readonly model: string;
  readonly loop: string;
  readonly concurrency: number | null;
  readonly rate: number | null;
  readonly arrival: "fixed" | "poisson" | null;
  readonly seed: number | null;
  /** Leads every prompt (defeats vLLM's prefix cache across runs). */
  readonly promptNonce: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly requests: number;
  readonly durationLimitSeconds: number;
}

export interface BenchSummary {
  readonly workload: Workload;
  readonly requests: { readonly succeeded: number; readonly failed: number; readonly cancelledAtLimit: number; readonly notSent: number };
  readonly durationSeconds: number;
  readonly ttftMs: Distribution | null;
  readonly tpotMs: Distribution | null;
  readonly itlMs: Distribution | null;
  readonly outputTokensPerSecond: number;
  readonly requestsPerSecond: number;
  /** Requests in flight on average (Little's law: summed latency over the run's duration). */
  readonly meanConcurrency: number;
  /** What the server counted, per request (mean): the prompt with its chat template, the generated tokens. */
  readonly promptTokens: number | null;
  readonly outputTokensPerRequest: number | null;
  /** Requests that generated fewer tokens than asked (a server that ignores ignore_eos). */
  readonly shortRequests: number;
  readonly errors: Readonly<Record<string, number>>;
  /** The first failure of each kind, with its likely cause and fix. */
  readonly errorExamples: Readonly<Record<string, Failure>>;
}

const r1 = (v: number) => Math.round(v * 10) / 10;

export function summarize(workload: Workload, results: readonly RequestResult[], run: { wallMs: number; cancelled: number; notSent: number }): BenchSummary {
  const ok = results.filter((r): r is Extract<RequestResult, { ok: true }> => r.ok);
  const errors: Record<string, number> = {};
  const errorExamples: Record<string, Failure> = {};
  for (const r of results) {
    if (r.ok) continue;
    errors[r.failure.kind] = (errors[r.failure.kind] ?? 0) + 1;
    errorExamples[r.failure.kind] ??= r.failure;
  }
  const seconds = run.wallMs / 1000;
  const prompts = ok.map((r) => r.promptTokens).filter((n): n is number => n !== null);
  return {
    workload, requests: { succeeded: ok.length, failed: results.length - ok.length, cancelledAtLimit: run.cancelled, notSent: run.notSent },
    durationSeconds: Math.round(seconds * 100) / 100,
    ttftMs: rounded(distribution(ok.map((r) => r.ttftMs))),
    tpotMs: rounded(distribution(ok.map((r) => r.tpotMs).filter((v): v is number => v !== null)), 2),
    itlMs: rounded(distribution(ok.flatMap((r) => r.itlsMs)), 2),
    outputTokensPerSecond: seconds > 0 ? r1(ok.reduce((s, r) => s + r.outputTokens, 0) / seconds) : 0,
    requestsPerSecond: seconds > 0 ? Math.round((ok.length / seconds) * 1000) / 1000 : 0,
    meanConcurrency: seconds > 0 ? Math.round((ok.reduce((s, r) => s + r.latencyMs, 0) / run.wallMs) * 100) / 100 : 0,
    promptTokens: prompts.length ? Math.round(prompts.reduce((s, n) => s + n, 0) / prompts.length) : null,
    outputTokensPerRequest: ok.length ? r1(ok.reduce((s, r) => s + r.outputTokens, 0) / ok.length) : null,
    shortRequests: ok.filter((r) => r.outputTokens < workload.outputTokens).length,
    errors, errorExamples,
  };
}

/** The kit's prediction (ESTIMATE) for one replica of the stack's model at this workload, or why there is none. */
/**
 * The kit's prediction for the endpoint: the load spread evenly over the replicas serving it (the ALB or router
 * balances them) — each at ⌈concurrency / replicas⌉ — and the totals of all of them. An autoscaled model is predicted
 * at its minimum replicas (what serves a short run); `replicas` says which count was used.
 */
export function predictionFor(stack: ResolvedStack, model: string, inputTokens: number, outputTokens: number, concurrency: number): { model: ResolvedModel; prediction: ServingPrediction; replicas: number } | string {
  const m = stack.models.find((x) => x.name === model || x.adapters.some((a) => a.name === model));
  if (!m) return `the stack file has no model ${model}`;
  if (m.device === "cpu") return "the model runs on CPUs: the performance model covers GPUs only";
  const p = m.placement;
  const replicas = Math.max(1, m.replicas.min);
  const one = predictFor(
    { instanceType: p.instanceType, layout: { tensorParallel: p.tensorParallelSize, pipelineParallel: p.pipelineParallelSize, dataParallel: p.dataParallelSize, expertParallel: p.expertParallel, nodes: p.nodes }, memory: p.memory, replicaHourlyUsd: p.hourlyUsd },
    { model: m.spec, precision: m.precision, variant: m.weights, kvCacheDtype: m.kvCacheDtype, maxModelLen: m.maxModelLen },
    { inputTokens, outputTokens }, Math.max(1, Math.ceil(Math.round(concurrency) / replicas)),
  );
  if (!one) return `no performance data for ${p.instanceType}'s GPU`;
  const prediction = { ...one, outputTokensPerSecond: one.outputTokensPerSecond * replicas, requestsPerSecond: one.requestsPerSecond * replicas };
  return { model: m, prediction, replicas };
}

/** measured / predicted, two decimals (null when either is missing). */
export function ratio(measured: number | null | undefined, predicted: number): number | null {
  return measured === null || measured === undefined || !(predicted > 0) ? null : Math.round((measured / predicted) * 100) / 100;
}

/** vLLM's version from the image tag (vllm/vllm-openai:v0.32.0@sha256:… → 0.32.0), null when the tag says none. */
export function vllmVersionOf(image: string): string | null {
  return /:v?(\d+\.\d+(?:\.\d+)?(?:\.post\d+)?)(?:@|$)/.exec(image)?.[1] ?? null;
}

/**
 * The measurement as an entry of components/sizing/perf/data/measurements.json (`points[]`, see measurements.ts):
 * the same fields, so it can be appended and `npm run bench` compares the model with it. "validate" keeps it out of
 * the fitted points until someone decides otherwise; the source names the tool, the date and the endpoint's host
 * (never the key).
 */
export function measurementEntry(s: BenchSummary, m: ResolvedModel, stack: ResolvedStack, at: Date, concurrency: number): Record<string, unknown> {
  const date = at.toISOString().slice(0, 10);
  const p = m.placement;
  const w = s.workload;
  const loop = w.rate ? `open loop at ${w.rate} req/s (${w.arrival}, seed ${w.seed})` : `closed loop at concurrency ${w.concurrency}`;
  return {
    // The time makes two runs of a day distinct entries.
    id: `omk-bench-${at.toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "-")}-${m.name}-c${concurrency}`,
    model: m.spec.id, precision: m.precision, instanceType: p.instanceType,
    tp: p.tensorParallelSize, pp: p.pipelineParallelSize, dp: p.dataParallelSize, expertParallel: p.expertParallel,
    vllmVersion: vllmVersionOf(p.nodes > 1 ? stack.serving.multiNodeImage ?? stack.serving.image : stack.serving.image),
    inputTokens: s.promptTokens ?? w.inputTokens, outputTokens: w.outputTokens, concurrency, maxNumSeqs: p.memory.batch.maxNumSeqs,
    measured: { outputTokensPerSecond: s.outputTokensPerSecond, tpotMs: s.tpotMs?.median ?? null, ttftMs: s.ttftMs?.median ?? null, medianItlMs: s.itlMs?.median ?? null },
    split: "validate",
    source: `measured by omk bench on ${date} against ${w.endpointHost} (model ${w.model}, ${loop})`,
    quote: `${s.requests.succeeded} requests in ${s.durationSeconds} s: output ${s.outputTokensPerSecond} tok/s, median TTFT ${s.ttftMs?.median ?? "-"} ms, median TPOT ${s.tpotMs?.median ?? "-"} ms, median ITL ${s.itlMs?.median ?? "-"} ms`,
    caveats: `Not checked: that ${w.endpointHost} serves the stack's placement (instance, layout and image are the stack file's). Chat endpoint through the kit's ingress and API guard (network time included); synthetic prompts (inputTokens is the server's mean prompt count, chat template included); ignore_eos; ${s.requests.failed} failed request(s); throughput is the whole endpoint's (more than one replica serving adds up).`,
    trust: "low until reviewed (omk bench, one run; the endpoint is not verified to run the recorded placement)",
    regime: "steady",
  };
}
