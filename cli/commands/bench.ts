/**
 * `omk bench`: a bounded, reproducible load against one model's endpoint (cli/endpoint/load.ts), every response
 * streamed and timed (cli/endpoint/bench-report.ts for the definitions), reported as a table or `--json`. With
 * `--stack`, the kit's prediction for the same workload (ESTIMATE, the performance model behind `omk perf`) is shown
 * beside the measurement with the ratio measured / predicted, and `--record` writes the measurement as a calibration
 * point (components/sizing/perf/data/measurements.json). The API key is never printed or recorded.
 */
import { existsSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { table } from "../format";
import type { Io } from "../omk";
import { measurementEntry, predictionFor, ratio, summarize, timingsOf, type BenchSummary, type RequestResult, type Workload } from "../endpoint/bench-report";
import { parseDuration } from "../endpoint/duration";
import { createClient, normalizeEndpoint } from "../endpoint/http";
import { runLoad, syntheticPrompt, WORDS_PER_TOKEN, type Schedule } from "../endpoint/load";
import { streamedChat } from "../endpoint/openai";
import { resolvedStackFile } from "../endpoint/stack-outputs";
import { targetsFor, withoutKeys, type SmokeDeps } from "./smoke";
import { contextOf } from "../endpoint/smoke-checks";

export interface BenchOptions {
  readonly stack?: string;
  readonly endpoint?: string;
  readonly apiKey?: string;
  readonly model?: string;
  /** Closed loop: clients with one request in flight each. @default 1 (without --rate) */
  readonly concurrency?: number;
  /** Open loop: requests per second. */
  readonly rate?: number;
  /** @default "poisson" */
  readonly arrival?: string;
  /** @default 1 */
  readonly seed?: number;
  /** Leads every prompt, so no run finds the last run's prompts in vLLM's prefix cache. @default random per run */
  readonly promptNonce?: string;
  /** @default 256 */
  readonly inputTokens?: number;
  /** @default 128 */
  readonly outputTokens?: number;
  /** @default 32 */
  readonly requests?: number;
  /** Time limit of the whole run, e.g. "2m". @default "5m" */
  readonly duration?: string;
  /** Seconds per request without a byte. @default 120 */
  readonly timeout?: number;
  readonly json?: boolean;
  readonly record?: string;
}

const fmt = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? "-" : v.toFixed(digits));

function text(s: BenchSummary, prediction: Prediction | null): string[] {
  const w = s.workload;
  const lines = [
    `omk bench: ${w.model} at ${w.endpointHost}: ${w.loop}, ${w.requests} requests of ~${w.inputTokens} tokens in (synthetic, ~${WORDS_PER_TOKEN} words per token) and ${w.outputTokens} out (ignore_eos), limit ${w.durationLimitSeconds} s`,
    `${s.requests.succeeded} succeeded, ${s.requests.failed} failed${s.requests.cancelledAtLimit ? `, ${s.requests.cancelledAtLimit} cancelled at the time limit` : ""}${s.requests.notSent ? `, ${s.requests.notSent} not sent (time limit)` : ""} in ${s.durationSeconds} s; server-counted tokens per request: ${s.promptTokens ?? "?"} in, ${s.outputTokensPerRequest ?? "?"} out`,
    "",
  ];
  const pred = prediction && typeof prediction !== "string" ? prediction : null;
  const head = ["metric", "median", "p90", "p99", "mean", ...(pred ? ["predicted", "measured/predicted"] : [])];
  const row = (name: string, d: BenchSummary["ttftMs"], predicted: number | null, digits = 1) =>
    [name, fmt(d?.median, digits), fmt(d?.p90, digits), fmt(d?.p99, digits), fmt(d?.mean, digits), ...(pred ? [fmt(predicted, digits), fmt(ratio(d?.median, predicted ?? 0), 2)] : [])];
  const total = (name: string, v: number, predicted: number | null, digits: number) => [name, "", "", "", v.toFixed(digits), ...(pred ? [fmt(predicted, digits), fmt(ratio(v, predicted ?? 0), 2)] : [])];
  lines.push(table([head,
    row("TTFT (ms)", s.ttftMs, pred?.ttftMs ?? null), row("TPOT (ms)", s.tpotMs, pred?.tpotMs ?? null, 2), row("ITL (ms)", s.itlMs, pred?.medianItlMs ?? null, 2),
    total("output tokens/s", s.outputTokensPerSecond, pred?.outputTokensPerSecond ?? null, 1), total("requests/s", s.requestsPerSecond, pred && !pred.openLoop ? pred.requestsPerSecond : null, 3),
  ]));
  if (Object.keys(s.errors).length) {
    lines.push("", `errors: ${Object.entries(s.errors).map(([k, n]) => `${k} × ${n}`).join(", ")}`);
    for (const [kind, f] of Object.entries(s.errorExamples)) lines.push(`  ${kind}: ${f.what}\n    likely cause: ${f.cause}\n    fix: ${f.fix}`);
  }
  if (s.shortRequests) lines.push(`note: ${s.shortRequests} request(s) generated fewer than ${w.outputTokens} tokens: the server ignored ignore_eos (not vLLM?), so TPOT and throughput are not for the asked length.`);
  if (pred) lines.push("", `Predicted: the kit's ESTIMATE for ${pred.replicas === 1 ? "one replica" : `${pred.replicas} replicas (the stack's minimum), ${Math.ceil(pred.concurrency / pred.replicas)} each`} at ${pred.concurrency} request(s) in flight${pred.cappedBy ? ` (capped at ${pred.runningSequences} running by ${pred.cappedBy})` : ""} — the performance model behind \`omk perf\`, means; measured/predicted compares the median (totals: the run's${pred.openLoop ? "; an open loop's requests/s is the offered rate, not compared" : ""}).`);
  else if (typeof prediction === "string") lines.push("", `No prediction: ${prediction}.`);
  return lines;
}

type Prediction = (NonNullable<Exclude<ReturnType<typeof predictionFor>, string>>["prediction"] & { concurrency: number; replicas: number; openLoop: boolean }) | string;

export async function benchCommand(opts: BenchOptions, given: Io, deps: SmokeDeps & { now?: () => Date } = {}): Promise<number> {
  let io = given;
  const limit = parseDuration(opts.duration ?? "5m");
  if (limit === null) return (io.err(`omk bench: --duration takes a duration like 90s or 5m, not "${opts.duration}".`), 1);
  if (opts.rate && opts.concurrency) return (io.err("omk bench: use --concurrency (closed loop) or --rate (open loop), not both."), 1);
  const arrival = opts.arrival ?? "poisson";
  if (arrival !== "poisson" && arrival !== "fixed") return (io.err(`omk bench: --arrival is poisson or fixed, not "${arrival}".`), 1);
  if (opts.record && !opts.stack) return (io.err("omk bench: --record needs --stack: the entry names the model, precision, instance and layout from the stack's config."), 1);
  if (opts.arrival && !opts.rate) return (io.err("omk bench: --arrival shapes an open loop: add --rate <requests per second>, or drop --arrival."), 1);
  // Checked before any load is sent: a run is minutes of GPU time, not to be thrown away at the end.
  const stack = opts.stack ? (deps.stackConfig ?? resolvedStackFile)(opts.stack) : null;
  if (opts.record && !stack) return (io.err(`omk bench: --record: stacks/Pulumi.${opts.stack!.split("/").at(-1)}.yaml is not here to size the model from. Fix: run omk from the repository that holds the stack file (its config names the instance and layout the entry records), or drop --record.`), 1);
  if (opts.record && existsSync(opts.record)) return (io.err(`omk bench: --record: ${opts.record} exists; omk writes a new file. Fix: choose another name, or remove it.`), 1);
  const found = await targetsFor({ ...opts, expectReasoning: false }, "omk bench", deps);
  if (typeof found === "string") return (io.err(found), 1);
  if (found.targets.length > 1) return (io.err(`omk bench: stack ${opts.stack} serves ${found.targets.length} models (${found.targets.map((t) => t.model).join(", ")}): pick one with --model.`), 1);
  const t = found.targets[0]!;
  const served = stack?.models.find((x) => x.name === t.model);
  if (opts.record && served && !(served.replicas.min === 1 && served.replicas.max === 1)) {
    return (io.err(`omk bench: --record: ${t.model} runs ${served.replicas.min}–${served.replicas.max} replicas; a calibration point is one replica's. Fix: measure a stack serving it with replicas {min: 1, max: 1}, or drop --record.`), 1);
  }
  io = withoutKeys(given, found.targets);
  const url = normalizeEndpoint(t.endpoint);
  const seed = opts.seed ?? 1;
  const nonce = opts.promptNonce ?? randomBytes(4).toString("hex");
  const schedule: Schedule = opts.rate ? { kind: "open", rate: opts.rate, arrival, seed } : { kind: "closed", concurrency: opts.concurrency ?? 1 };
  const inputTokens = opts.inputTokens ?? 256;
  const outputTokens = opts.outputTokens ?? 128;
  const workload: Workload = {
    endpointHost: url.host, model: t.model, loop: schedule.kind === "closed" ? `closed loop at concurrency ${schedule.concurrency}` : `open loop at ${schedule.rate} req/s (${arrival}, seed ${seed})`,
    concurrency: schedule.kind === "closed" ? schedule.concurrency : null, rate: schedule.kind === "open" ? schedule.rate : null, arrival: schedule.kind === "open" ? arrival : null, seed, promptNonce: nonce,
    inputTokens, outputTokens, requests: opts.requests ?? 32, durationLimitSeconds: limit,
  };
  const ctx = contextOf(t, url, found.fromStack, "bench");
  const client = createClient(url, (opts.timeout ?? 120) * 1000);
  let run;
  try {
    // A warm-up round first, not counted (as `vllm bench serve` does its initial test run): as many short requests at
    // once as the load keeps in flight, so the timed requests find their keep-alive connections open and the server's
    // paths warm (against the stand-in on a saturated 2-core machine the first round's TTFT was ~50 ms slower than
    // later ones). A broken endpoint stops here with the reason instead of failing every request.
    const parallel = Math.max(1, Math.min(workload.requests, schedule.kind === "closed" ? schedule.concurrency : Math.ceil(schedule.rate)));
    const warm = await Promise.all(Array.from({ length: parallel }, (_, i) =>
      streamedChat(client, { model: t.model, prompt: syntheticPrompt(inputTokens, -1 - i, seed, nonce), maxTokens: Math.min(outputTokens, 16), ignoreEos: true }, t.apiKey, ctx)));
    const broken = warm.find((w) => !w.ok);
    if (broken && !broken.ok) {
      io.err(`omk bench: the warm-up request failed, no load sent: ${broken.failure.what}\n  likely cause: ${broken.failure.cause}\n  fix: ${broken.failure.fix}`);
      return 1;
    }
    run = await runLoad<RequestResult>({ schedule, requests: workload.requests, durationMs: limit * 1000 }, async (i, signal) => {
      const r = await streamedChat(client, { model: t.model, prompt: syntheticPrompt(inputTokens, i, seed, nonce), maxTokens: outputTokens, ignoreEos: true }, t.apiKey, ctx, signal);
      return r.ok ? timingsOf(r.value) : { ok: false, failure: r.failure };
    });
  } finally {
    client.close();
  }
  const summary = summarize(workload, run.results, run);

  let prediction: Prediction | null = null;
  let predicted: ReturnType<typeof predictionFor> | null = null;
  if (opts.stack) {
    const concurrency = schedule.kind === "closed" ? schedule.concurrency : Math.max(1, Math.round(summary.meanConcurrency));
    predicted = stack ? predictionFor(stack, t.model, summary.promptTokens ?? inputTokens, outputTokens, concurrency) : `stacks/Pulumi.${opts.stack}.yaml is not here to size the model from`;
    prediction = typeof predicted === "string" ? predicted : { ...predicted.prediction, concurrency, replicas: predicted.replicas, openLoop: schedule.kind === "open" };
  }
  // A calibration point is one replica's steady state: a run cut at the limit or with failures is not one.
  const unfit = summary.requests.cancelledAtLimit || summary.requests.failed ? `${summary.requests.failed} failed and ${summary.requests.cancelledAtLimit} cut at the time limit` : null;
  if (opts.record && unfit) io.err(`omk bench: --record: not written: ${unfit}. Fix: raise --duration or lower --requests, and rerun once the endpoint serves every request.`);
  if (opts.record && !unfit) {
    if (!stack || typeof predicted === "string" || !predicted) return (io.err(`omk bench: --record: ${typeof predicted === "string" ? predicted : "no stack config"}.`), 1);
    writeFileSync(opts.record, `${JSON.stringify(measurementEntry(summary, predicted.model, stack, deps.now?.() ?? new Date(), typeof prediction === "string" || !prediction ? 1 : prediction.concurrency), null, 2)}\n`, { flag: "wx" });
  }
  if (opts.json) {
    const p = prediction && typeof prediction !== "string" ? prediction : null;
    io.out(JSON.stringify({
      ...summary,
      ...(opts.stack ? {
        prediction: p ? { estimate: true, concurrency: p.concurrency, ttftMs: Math.round(p.ttftMs), tpotMs: Math.round(p.tpotMs * 100) / 100, medianItlMs: Math.round(p.medianItlMs * 100) / 100, outputTokensPerSecond: Math.round(p.outputTokensPerSecond * 10) / 10, requestsPerSecond: Math.round(p.requestsPerSecond * 1000) / 1000 } : null,
        ...(typeof prediction === "string" ? { noPrediction: prediction } : {}),
        measuredOverPredicted: p ? { ttftMs: ratio(summary.ttftMs?.median, p.ttftMs), tpotMs: ratio(summary.tpotMs?.median, p.tpotMs), outputTokensPerSecond: ratio(summary.outputTokensPerSecond, p.outputTokensPerSecond), requestsPerSecond: p.openLoop ? null : ratio(summary.requestsPerSecond, p.requestsPerSecond) } : null,
      } : {}),
    }, null, 2));
  } else {
    for (const line of text(summary, prediction)) io.out(line);
    if (opts.record) io.out(`\nWrote the measurement to ${opts.record}: an entry for components/sizing/perf/data/measurements.json (append it to "points"; split "validate" holds it out of the fit).`);
  }
  return summary.requests.succeeded > 0 && summary.requests.failed === 0 ? 0 : 1;
}
