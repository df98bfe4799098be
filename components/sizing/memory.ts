/**
 * vLLM's GPU memory accounting, as pure functions.
 *
 * vLLM (v1 engine, `Worker.determine_available_memory`, vllm/v1/worker/gpu_worker.py) reserves
 * `gpu_memory_utilization × total` per GPU and gives the KV cache whatever is left after the weights, the peak
 * activation of a profiling forward pass over `--max-num-batched-tokens` tokens (plus the sampler over
 * `min(max_num_seqs, max_num_batched_tokens)` rows of logits), non-torch memory (NCCL buffers, CUDA context
 * growth) and — by default since v0.21 — an estimate of CUDA-graph memory. The kit passes both batch flags
 * explicitly, so the activation here follows the arguments the server really gets.
 *
 * Calibration (all on H100, vLLM logs published in llm-d/llm-d-benchmark
 * config_explorer/empirical-vllm-memory-results.md): peak activation 4.76 GiB (Llama-3.1-8B, vocab 128256),
 * 5.56 GiB (Qwen3-0.6B, vocab 151936), 7.38 GiB (gpt-oss-20b, vocab 201088), each at max_num_seqs 1024 and
 * 8192 batched tokens — proportional to vocab × sequences at ≈ 38.5 bytes per logit; non-torch 0.13 GiB at TP=1
 * and 0.55 GiB at TP=2; CUDA-graph memory between −0.45 and 1.03 GiB. Figures beyond those are ESTIMATES.
 */
import { loraBytesPerGpu, type LoraSlots } from "./lora";
import type { ModelSpec, WeightVariant } from "../catalog/models";
import { PRECISION_TRAITS, type Precision } from "../catalog/precision";
import { kvCacheSpec, type KvCacheDtype, type KvCacheSpec } from "./kv-cache";

export type { KvCacheDtype } from "./kv-cache";

export const GiB = 1024 ** 3;

/** The kit's `--gpu-memory-utilization`, passed explicitly (vLLM's default was 0.9; recent releases use 0.92). */
export const DEFAULT_GPU_MEMORY_UTILIZATION = 0.9;

/** Bytes of sampler working memory per (sequence × vocab entry), fitted to the H100 logs above. */
const SAMPLER_BYTES_PER_LOGIT = 38.5;
/** Non-torch memory: 0.13 GiB measured at TP=1, 0.55 GiB at TP=2; multi-node adds NCCL/EFA buffers (estimate). */
const NON_TORCH_GIB = { single: 0.15, multiGpu: 0.6, multiNode: 1.0 } as const;
/** Expert parallelism's all-to-all buffers on top (estimate). */
const EXPERT_PARALLEL_GIB = 0.5;
/** CUDA-graph allowance: the measured range tops at 1.03 GiB; larger at TP ≥ 2 (estimate). */
const CUDA_GRAPH_GIB = { single: 0.5, multiGpu: 1.0 } as const;
/** Tokens of one image the encoder profiling run budgets for (vLLM raises the budget to one item's size; estimate). */
const ENCODER_PROFILE_TOKENS = 16_384;

/** The parallel layout of one replica. */
export interface ParallelLayout {
  readonly tensorParallel: number;
  readonly pipelineParallel: number;
  /** Nodes the replica spans (pipeline stages across nodes). */
  readonly nodes: number;
  /** Data-parallel attention ranks (`--data-parallel-size`): each holds its own sequences. @default 1 */
  readonly dataParallel?: number;
  /** `--enable-expert-parallel`: whole experts per GPU instead of slices of every expert. @default false */
  readonly expertParallel?: boolean;
}

export function gpusOf(layout: ParallelLayout): number {
  return layout.tensorParallel * layout.pipelineParallel * (layout.dataParallel ?? 1);
}

/** The scheduler limits the kit passes (`--max-num-seqs`, `--max-num-batched-tokens`). */
export interface BatchSettings {
  readonly maxNumSeqs: number;
  readonly maxNumBatchedTokens: number;
}

/**
 * `vllm serve` defaults (vllm/engine/arg_utils.py, OPENAI_API_SERVER usage context): GPUs with ≥ 70 GiB that are
 * not A100 get max_num_seqs 1024 and 8192 batched tokens; all others 256 and 2048. The kit starts from these.
 */
export function vllmBatchDefaults(gpuModel: string, gpuMemoryGiB: number): BatchSettings {
  const large = gpuMemoryGiB >= 70 && !gpuModel.toLowerCase().includes("a100");
  return large ? { maxNumSeqs: 1024, maxNumBatchedTokens: 8192 } : { maxNumSeqs: 256, maxNumBatchedTokens: 2048 };
}

/**
 * Weights vLLM reported loading ("Model loading took X GiB") at TP=1, where someone published the log.
 * They beat the formula for MXFP4 checkpoints, whose padding the formula underestimates by ~4 %.
 * Source: llm-d/llm-d-benchmark config_explorer/empirical-vllm-memory-results.md (H100, vLLM logs).
 */
const MEASURED_WEIGHTS_GIB: Readonly<Record<string, number>> = {
  "openai/gpt-oss-20b@mxfp4": 13.47,
  "openai/gpt-oss-120b@mxfp4": 64.38,
};

/** Bytes per routed-expert parameter of an experts-only INT4 checkpoint: INT4 plus a BF16 scale per 32 (Kimi-K2.x). */
const INT4_GROUP32_BYTES = 0.5 + 2 / 32;

export interface WeightBytes {
  /** Replicated across data-parallel ranks, split by TP × PP: attention, dense MLPs, shared experts, embeddings, vision. */
  readonly sharedBytes: number;
  /** Split across every GPU of the replica (TP × PP × DP), with or without expert parallelism. */
  readonly routedExpertBytes: number;
}

/** The checkpoint's weight bytes at a precision, split the way parallelism splits them. */
export function weightBytes(model: ModelSpec, precision: Precision, variant?: Pick<WeightVariant, "expertsOnly">): WeightBytes {
  const p = model.params;
  const bf16 = 2;
  const expertsOnly = variant?.expertsOnly ?? (precision === "mxfp4");
  const quantized = PRECISION_TRAITS[precision].bytesPerParam;
  const expertBytesPerParam = precision === "int4" && expertsOnly ? INT4_GROUP32_BYTES : quantized;
  const bodyB = Math.max(0, p.totalB - p.embeddingB - p.visionB - p.routedExpertB);
  const shared = (p.embeddingB + p.visionB) * bf16 + bodyB * (precision === "bf16" || expertsOnly ? bf16 : quantized);
  const routed = p.routedExpertB * (precision === "bf16" ? bf16 : expertBytesPerParam);
  const measured = MEASURED_WEIGHTS_GIB[`${model.id}@${precision}`];
  const scale = measured !== undefined ? (measured * GiB) / ((shared + routed) * 1e9) : 1;
  return { sharedBytes: shared * 1e9 * scale, routedExpertBytes: routed * 1e9 * scale };
}

/** Total weight bytes of the checkpoint at a precision. */
export function totalWeightBytes(model: ModelSpec, precision: Precision, variant?: Pick<WeightVariant, "expertsOnly">): number {
  const w = weightBytes(model, precision, variant);
  return w.sharedBytes + w.routedExpertBytes;
}

/** Weights each GPU holds: shared parts split by TP × PP (copied per DP rank), routed experts by every GPU. */
export function weightsGiBPerGpu(model: ModelSpec, precision: Precision, layout: ParallelLayout, variant?: Pick<WeightVariant, "expertsOnly">): number {
  const w = weightBytes(model, precision, variant);
  const split = layout.tensorParallel * layout.pipelineParallel;
  return (w.sharedBytes / split + w.routedExpertBytes / (split * (layout.dataParallel ?? 1))) / GiB;
}

/** Peak activation of the profiling run on one GPU: the larger of the forward pass and the sampler (estimate). */
export function activationGiB(model: ModelSpec, layout: ParallelLayout, batch: BatchSettings): number {
  const sampler = Math.min(batch.maxNumSeqs, batch.maxNumBatchedTokens) * model.vocabSize * SAMPLER_BYTES_PER_LOGIT;
  const ffnPerToken = model.moe ? model.moe.intermediateSize * model.moe.expertsPerToken : model.intermediateSize;
  const forward = batch.maxNumBatchedTokens * (4 * model.hiddenSize + (2 * ffnPerToken) / layout.tensorParallel) * 2;
  // Multimodal models profile the vision encoder first and keep its outputs in the encoder cache.
  const encoder = model.params.visionB > 0 ? Math.max(batch.maxNumBatchedTokens, ENCODER_PROFILE_TOKENS) * model.hiddenSize * 2 * 2 : 0;
  return (Math.max(sampler, forward) + encoder) / GiB;
}

export interface MemoryInput {
  readonly model: ModelSpec;
  readonly precision: Precision;
  readonly variant?: Pick<WeightVariant, "expertsOnly">;
  readonly layout: ParallelLayout;
  /** Per-GPU memory vLLM sees (GiB). */
  readonly gpuMemoryGiB: number;
  readonly gpuMemoryUtilization: number;
  readonly kvCacheDtype: KvCacheDtype;
  readonly batch: BatchSettings;
  readonly maxModelLen: number;
  /** @default true — the kit enables prefix caching. */
  readonly prefixCaching?: boolean;
  /** LoRA slots the server reserves (`--max-loras` × `--max-lora-rank`); null or absent without adapters. */
  readonly lora?: LoraSlots | null;
}

/** Per-GPU memory breakdown, in GiB, plus the KV capacity of the whole replica. */
export interface MemoryBreakdown {
  readonly gpuMemoryGiB: number;
  readonly budgetGiB: number;
  readonly weightsGiBPerGpu: number;
  readonly activationGiB: number;
  readonly nonTorchGiB: number;
  readonly cudaGraphGiB: number;
  /** LoRA adapter buffers (sizing/lora.ts): taken before the KV cache is profiled (0 without adapters). */
  readonly loraGiBPerGpu: number;
  /** Left for KV cache on each GPU (negative: the weights and overheads alone exceed the budget). */
  readonly kvCacheGiBPerGpu: number;
  /** Per GPU, layers whose cache grows with the context (vLLM's per-token accounting at this TP). */
  readonly kvBytesPerTokenPerGpu: number;
  /** Per GPU, one running sequence's fixed linear-attention state (0 where none). */
  readonly stateBytesPerSequencePerGpu: number;
  /** Per GPU, one sequence's bounded-window layers at maxModelLen (0 where none). */
  readonly windowBytesPerSequencePerGpu: number;
  readonly blockSize: number;
  /** Per GPU, everything one sequence of maxModelLen costs (growing, windowed and state). */
  readonly bytesPerSequencePerGpu: number;
  /** Sequences of maxModelLen the replica holds at once (vLLM's "Maximum concurrency"), over all DP ranks. */
  readonly maxConcurrency: number;
  /** Tokens the replica's KV cache holds, as vLLM reports them. */
  readonly kvCacheTokens: number;
  /** Linear-attention models: the state blocks per GPU, an upper bound on --max-num-seqs (null for others). @see KvCacheSpec.stateBlocks */
  readonly stateBlocks: number | null;
  readonly batch: BatchSettings;
}

/**
 * Spare KV memory beyond `concurrency` sequences of maxModelLen (0.25 = 25 % more than needed), in bytes rather
 * than reported tokens, so windowed and linear-attention models are judged like the others.
 */
export function kvHeadroom(m: Pick<MemoryBreakdown, "kvCacheGiBPerGpu" | "bytesPerSequencePerGpu">, concurrency: number, dataParallel = 1): number {
  const perRank = Math.ceil(concurrency / dataParallel);
  return (Math.max(0, m.kvCacheGiBPerGpu) * GiB) / (perRank * m.bytesPerSequencePerGpu) - 1;
}

export function estimateMemory(input: MemoryInput): MemoryBreakdown {
  const { model, layout } = input;
  const worldSize = layout.tensorParallel * layout.pipelineParallel;
  const dp = layout.dataParallel ?? 1;
  const budgetGiB = input.gpuMemoryGiB * input.gpuMemoryUtilization;
  const weights = weightsGiBPerGpu(model, input.precision, layout, input.variant);
  const activation = activationGiB(model, layout, input.batch);
  const nonTorch = (layout.nodes > 1 ? NON_TORCH_GIB.multiNode : worldSize * dp > 1 ? NON_TORCH_GIB.multiGpu : NON_TORCH_GIB.single) + (layout.expertParallel ? EXPERT_PARALLEL_GIB : 0);
  const cudaGraph = worldSize * dp > 1 ? CUDA_GRAPH_GIB.multiGpu : CUDA_GRAPH_GIB.single;
  const lora = input.lora ? loraBytesPerGpu(model, input.lora, layout.tensorParallel, layout.pipelineParallel) / GiB : 0;
  const kvGiB = budgetGiB - weights - activation - nonTorch - cudaGraph - lora;
  const kv: KvCacheSpec = kvCacheSpec({
    model, tensorParallel: layout.tensorParallel, pipelineParallel: layout.pipelineParallel, kvCacheDtype: input.kvCacheDtype,
    maxModelLen: input.maxModelLen, maxNumBatchedTokens: input.batch.maxNumBatchedTokens, prefixCaching: input.prefixCaching ?? true,
  });
  const kvBytes = Math.max(0, kvGiB * GiB);
  const perRank = Math.floor(kvBytes / kv.bytesPerSequence(input.maxModelLen));
  const attentionOnly = kv.windowBytesPerSequencePerGpu === 0 && kv.stateBytesPerSequencePerGpu === 0;
  const tokensPerRank = attentionOnly ? Math.floor(kvBytes / (kv.bytesPerTokenPerGpu * kv.blockSize)) * kv.blockSize : perRank * input.maxModelLen;
  return {
    gpuMemoryGiB: input.gpuMemoryGiB, budgetGiB, weightsGiBPerGpu: weights, activationGiB: activation, nonTorchGiB: nonTorch, cudaGraphGiB: cudaGraph, loraGiBPerGpu: lora,
    kvCacheGiBPerGpu: kvGiB, kvBytesPerTokenPerGpu: kv.bytesPerTokenPerGpu, stateBytesPerSequencePerGpu: kv.stateBytesPerSequencePerGpu,
    windowBytesPerSequencePerGpu: kv.windowBytesPerSequencePerGpu, blockSize: kv.blockSize, bytesPerSequencePerGpu: kv.bytesPerSequence(input.maxModelLen),
    maxConcurrency: kvGiB > 0 ? perRank * dp : 0, kvCacheTokens: kvGiB > 0 ? tokensPerRank * dp : 0, batch: input.batch,
    stateBlocks: kv.stateBlocks(kvBytes),
  };
}
