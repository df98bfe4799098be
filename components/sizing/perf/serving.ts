/**
 * Steady-state serving prediction for one replica (pure): `concurrency` clients each send a request of
 * `inputTokens` and wait for `outputTokens` (vLLM's `bench serve` with --max-concurrency). The server runs as
 * many of them as `--max-num-seqs` and the KV cache admit; each engine step decodes one token for every running
 * sequence and prefills new prompts in the same batch (chunked prefill, at most `--max-num-batched-tokens` per
 * step). In steady state a sequence's prompt enters at the rate sequences finish, so a step carries
 * B × input/output prompt tokens next to its B decode tokens. Everything here is an ESTIMATE.
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
  readonly estimate: true;
}

export function predictServing(input: ServingInput): ServingPrediction {
  const { layout } = input;
  const dp = layout.dataParallel ?? 1;
  const pp = layout.pipelineParallel;
  const context = Math.min(input.maxModelLen, input.inputTokens + input.outputTokens);
  const kv = kvCacheSpec({
    model: input.model, tensorParallel: layout.tensorParallel, pipelineParallel: pp, kvCacheDtype: input.kvCacheDtype,
    maxModelLen: input.maxModelLen, maxNumBatchedTokens: input.batch.maxNumBatchedTokens, prefixCaching: true,
  });
  // What one data-parallel rank admits: the batch limit, the KV cache at this request size, the state blocks.
  const kvLimit = Math.max(0, Math.floor((Math.max(0, input.kvCacheGiBPerGpu) * GiB) / kv.bytesPerSequence(context)));
  const limits: [ServingPrediction["cappedBy"], number][] = [["max-num-seqs", input.batch.maxNumSeqs], ["kv-cache", kvLimit], ["state-blocks", input.stateBlocks ?? Number.POSITIVE_INFINITY]];
  const perRankAsked = Math.ceil(input.concurrency / dp);
  const [cap, perRankLimit] = limits.reduce((a, b) => (b[1] < a[1] ? b : a));
  const perRank = Math.max(1, Math.min(perRankAsked, perRankLimit));
  const running = Math.min(input.concurrency, perRank * dp);
  const cappedBy = perRankAsked > perRankLimit ? cap : null;

  // Pipeline stages each run a micro-batch: a token crosses every stage once per output step.
  const microBatch = Math.max(1, Math.ceil(perRank / pp));
  const budget = input.batch.maxNumBatchedTokens;
  const steadyPrefill = Math.min(Math.max(0, budget - microBatch), (microBatch * input.inputTokens) / Math.max(1, input.outputTokens));
  const step = stepTime({
    model: input.model, precision: input.precision, variant: input.variant, layout, gpu: input.gpu, kv,
    decodeSequences: microBatch, meanContext: input.inputTokens + input.outputTokens / 2, prefillTokens: steadyPrefill, efficiency: input.efficiency,
  });
  const tpotSeconds = step.seconds * pp;
  const outputTokensPerSecond = running / tpotSeconds;
  const requestsPerSecond = outputTokensPerSecond / Math.max(1, input.outputTokens);

  // First token: the prompt in chunks of the step budget left beside the running decodes, then one more step.
  const chunk = Math.max(1, budget - (microBatch - 1));
  const chunks = Math.ceil(input.inputTokens / chunk);
  const prefillStep = stepTime({
    model: input.model, precision: input.precision, variant: input.variant, layout, gpu: input.gpu, kv,
    decodeSequences: microBatch - 1, meanContext: input.inputTokens + input.outputTokens / 2, prefillTokens: Math.min(chunk, input.inputTokens),
    prefillContext: input.inputTokens / 2, efficiency: input.efficiency,
  });
  const queueSeconds = cappedBy ? (input.concurrency - running) / Math.max(1e-9, requestsPerSecond) : 0;
  const ttftSeconds = (input.efficiency ?? EFFICIENCY).requestOverheadSeconds + chunks * prefillStep.seconds * pp + queueSeconds;
  return {
    runningSequences: running, cappedBy, outputTokensPerSecond, requestsPerSecond,
    ttftMs: ttftSeconds * 1000, tpotMs: tpotSeconds * 1000, estimate: true,
  };
}
