/**
 * Steady-state serving prediction for one replica (pure): `concurrency` clients each send a request of
 * `inputTokens` and wait for `outputTokens` (vLLM's `bench serve` with --max-concurrency). The server runs as
 * many of them as `--max-num-seqs`, the KV cache and the state blocks admit. vLLM v1 schedules every running
 * decode first and gives prompts what is left of `--max-num-batched-tokens`, first come first served (vLLM docs,
 * "Optimization and Tuning", chunked prefill). So there are two kinds of engine step: pure decode steps, and steps
 * that also carry a chunk of one prompt. A request's TPOT (vLLM's (latency − TTFT) / (output − 1)) sees the
 * prompt-carrying steps of the *other* running requests; its TTFT is its own chunks, a fixed per-request cost,
 * and the wait behind prompts ahead of it (an M/D/1 queue on the prompt steps). Throughput follows Little's law:
 * running / (TTFT + (output − 1) × TPOT). Everything here is an ESTIMATE.
 */
import type { ModelSpec, WeightVariant } from "../../catalog/models";
import type { GpuPerf } from "../../catalog/gpus";
import type { Precision } from "../../catalog/precision";
import { kvCacheSpec, type KvCacheDtype } from "../kv-cache";
import { GiB, type BatchSettings, type ParallelLayout } from "../memory";
import { EFFICIENCY, type Efficiency } from "./calibration";
import { stepTime } from "./step";

export interface ServingInput {
  readonly model: ModelSpec;
  readonly precision: Precision;
  readonly variant?: Pick<WeightVariant, "expertsOnly">;
  readonly layout: ParallelLayout;
  readonly gpu: GpuPerf;
  readonly kvCacheDtype: KvCacheDtype;
  /** KV memory per GPU (GiB), from the memory model. */
  readonly kvCacheGiBPerGpu: number;
  /** The batch limits the server runs with (--max-num-seqs, --max-num-batched-tokens). */
  readonly batch: BatchSettings;
  /** Linear-attention state blocks per GPU (null for other models): a ceiling on running sequences. */
  readonly stateBlocks?: number | null;
  readonly maxModelLen: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Clients with one request in flight each. */
  readonly concurrency: number;
  /** @default the calibrated EFFICIENCY */
  readonly efficiency?: Efficiency;
}

export interface ServingPrediction {
  /** Sequences the replica runs at once (≤ concurrency). */
  readonly runningSequences: number;
  /** What capped it below the asked concurrency, if anything: the saturation point. */
  readonly cappedBy: "max-num-seqs" | "kv-cache" | "state-blocks" | null;
  readonly outputTokensPerSecond: number;
  readonly requestsPerSecond: number;
  /** Time to first token, including the wait for a free slot when capped. */
  readonly ttftMs: number;
  /** Time per output token after the first. */
  readonly tpotMs: number;
  /** The median gap between tokens: a pure decode step unless most steps carry a prompt. */
  readonly medianItlMs: number;
  /** TPOT while prompts wait in a queue (a burst): every step filled to the batch budget with prompt tokens. */
  readonly queuedTpotMs: number;
  readonly estimate: true;
}

export function predictServing(input: ServingInput): ServingPrediction {
  const { layout } = input;
  const eff = input.efficiency ?? EFFICIENCY;
  const dp = layout.dataParallel ?? 1;
  const pp = layout.pipelineParallel;
  const I = input.inputTokens;
  const O = Math.max(1, input.outputTokens);
  const kv = kvCacheSpec({
    model: input.model, tensorParallel: layout.tensorParallel, pipelineParallel: pp, kvCacheDtype: input.kvCacheDtype,
    maxModelLen: input.maxModelLen, maxNumBatchedTokens: input.batch.maxNumBatchedTokens, prefixCaching: true,
  });
  // What one data-parallel rank admits: the batch limit, the KV cache (pages are allocated as a sequence grows, so a
  // running sequence holds its prompt and half its output on average), the state blocks.
  const meanHeld = Math.min(input.maxModelLen, I + O / 2);
  const kvLimit = Math.max(0, Math.floor((Math.max(0, input.kvCacheGiBPerGpu) * GiB) / kv.runtimeBytesPerSequence(meanHeld)));
  const limits: [ServingPrediction["cappedBy"], number][] = [["max-num-seqs", input.batch.maxNumSeqs], ["kv-cache", kvLimit], ["state-blocks", input.stateBlocks ?? Number.POSITIVE_INFINITY]];
  const perRankAsked = Math.ceil(input.concurrency / dp);
  const [cap, perRankLimit] = limits.reduce((a, b) => (b[1] < a[1] ? b : a));
  const perRank = Math.max(1, Math.min(perRankAsked, perRankLimit));
  const running = Math.min(input.concurrency, perRank * dp);
  const cappedBy = perRankAsked > perRankLimit ? cap : null;

  // Pipeline stages each run a micro-batch: a token crosses every stage once per output step.
  const microBatch = Math.max(1, Math.ceil(perRank / pp));
  const step = (decodeSequences: number, prefillTokens: number) => stepTime({
    model: input.model, precision: input.precision, variant: input.variant, layout, gpu: input.gpu, kv,
    decodeSequences, meanContext: I + O / 2, prefillTokens, prefillContext: I / 2, efficiency: input.efficiency,
  }).seconds * pp;
  const decodeStep = step(microBatch, 0);
  // A prompt goes in chunks of the budget the other running decodes leave.
  const chunkBudget = Math.max(1, input.batch.maxNumBatchedTokens - (microBatch - 1));
  const chunks = Math.max(1, Math.ceil(I / chunkBudget));
  const promptStep = step(microBatch - 1, I / chunks);
  // Each of the other running requests brings `chunks` prompt steps per `O` output steps of this one.
  const shareOfPromptSteps = Math.min(1, (chunks * (perRank - 1)) / O);
  const tpot = (1 - shareOfPromptSteps) * decodeStep + shareOfPromptSteps * promptStep;
  const prefill = chunks * promptStep;

  // Prompts queue behind each other: utilization of the prompt steps → M/D/1 wait, at most every other request ahead.
  let wait = 0;
  let cycle = eff.requestOverheadSeconds + prefill + (O - 1) * tpot;
  for (let i = 0; i < 20; i++) {
    const rho = Math.min(0.99, (perRank / cycle) * prefill);
    wait = Math.min((perRank - 1) * prefill, (rho / (2 * (1 - rho))) * prefill);
    cycle = eff.requestOverheadSeconds + prefill + wait + (O - 1) * tpot;
  }
  const requestsPerSecond = running / cycle;
  // Clients beyond what the server admits wait for a free slot.
  const slotWait = cappedBy ? (input.concurrency - running) / requestsPerSecond : 0;
  const ttftSeconds = eff.requestOverheadSeconds + prefill + wait + slotWait;
  return {
    runningSequences: running, cappedBy, outputTokensPerSecond: requestsPerSecond * O, requestsPerSecond,
    ttftMs: ttftSeconds * 1000, tpotMs: tpot * 1000,
    medianItlMs: (shareOfPromptSteps < 0.5 ? decodeStep : promptStep) * 1000,
    queuedTpotMs: step(microBatch, Math.max(0, input.batch.maxNumBatchedTokens - microBatch)) * 1000,
    estimate: true,
  };
}
