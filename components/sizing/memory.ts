/**
 * vLLM's GPU memory accounting, as pure functions.
 *
 * vLLM (v1 engine, `Worker.determine_available_memory`) reserves `gpu_memory_utilization × total` per GPU and
 * gives the KV cache whatever is left after the weights, the peak activation of a profiling forward pass
 * (including the sampler over `max_num_seqs` rows of logits) and non-torch memory (NCCL buffers, CUDA
 * context growth). CUDA graphs are captured afterwards from the same GPU; the kit subtracts an allowance
 * for them too, so its KV figure is slightly conservative rather than optimistic.
 *
 * Calibration (all on H100, vLLM logs published in llm-d/llm-d-benchmark
 * config_explorer/empirical-vllm-memory-results.md): peak activation 4.76 GiB (Llama-3.1-8B, vocab 128256),
 * 5.56 GiB (Qwen3-0.6B, vocab 151936), 7.38 GiB (gpt-oss-20b, vocab 201088), each at max_num_seqs 1024 —
 * proportional to vocab × max_num_seqs at ≈ 38.5 bytes per logit; non-torch 0.13 GiB at TP=1 and 0.55 GiB
 * at TP=2; CUDA-graph memory between −0.45 and 1.03 GiB. Figures beyond those measurements are estimates.
 */
import type { ModelSpec } from "../catalog/models";
import { PRECISION_TRAITS, type Precision } from "../catalog/precision";

export const GiB = 1024 ** 3;

/** The kit's `--gpu-memory-utilization`, passed explicitly (vLLM's default was 0.9; recent releases use 0.92). */
export const DEFAULT_GPU_MEMORY_UTILIZATION = 0.9;

/** Bytes of sampler working memory per (sequence × vocab entry), fitted to the H100 logs above. */
const SAMPLER_BYTES_PER_LOGIT = 38.5;
/** Non-torch memory: 0.13 GiB measured at TP=1, 0.55 GiB at TP=2; multi-node adds NCCL/EFA buffers (estimate). */
const NON_TORCH_GIB = { single: 0.15, multiGpu: 0.6, multiNode: 1.0 } as const;
/** CUDA-graph allowance: the measured range tops at 1.03 GiB; larger at TP ≥ 2 (estimate). */
const CUDA_GRAPH_GIB = { single: 0.5, multiGpu: 1.0 } as const;

export type KvCacheDtype = "auto" | "fp8";

/** The parallel layout of one replica. */
export interface ParallelLayout {
  readonly tensorParallel: number;
  readonly pipelineParallel: number;
  /** Nodes the replica spans (pipeline stages across nodes). */
  readonly nodes: number;
}

/** What vLLM's scheduler will use by default on this GPU (vllm/engine/arg_utils.py `get_batch_defaults`). */
export interface BatchDefaults {
  readonly maxNumSeqs: number;
  readonly maxNumBatchedTokens: number;
}

/**
 * `vllm serve` defaults: GPUs with ≥ 70 GiB that are not A100 get max_num_seqs 1024 and 8192 batched
 * tokens; all others 256 and 2048 (vllm/engine/arg_utils.py, OPENAI_API_SERVER usage context).
 */
export function vllmBatchDefaults(gpuModel: string, gpuMemoryGiB: number): BatchDefaults {
  const large = gpuMemoryGiB >= 70 && !gpuModel.toLowerCase().includes("a100");
  return large ? { maxNumSeqs: 1024, maxNumBatchedTokens: 8192 } : { maxNumSeqs: 256, maxNumBatchedTokens: 2048 };
}

/** Parameters (billions) in the input embedding and, when untied, the LM head: they stay BF16 when quantized. */
export function embeddingParamsB(model: ModelSpec): number {
  return (model.vocabSize * model.hiddenSize * (model.tiedEmbeddings ? 1 : 2)) / 1e9;
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

/** Total weight bytes of the checkpoint at a precision. */
export function totalWeightBytes(model: ModelSpec, precision: Precision): number {
  const measured = MEASURED_WEIGHTS_GIB[`${model.id}@${precision}`];
  if (measured !== undefined) return measured * GiB;
  const embedB = embeddingParamsB(model);
  const bodyB = Math.max(0, model.totalParamsB - embedB);
  if (precision === "bf16") return model.totalParamsB * 1e9 * 2;
  if (precision === "mxfp4" && model.moe) {
    // gpt-oss: only the MoE experts are MXFP4; attention, router and embeddings stay BF16.
    const expertB = (model.layers * model.moe.experts * 3 * model.hiddenSize * model.moe.intermediateSize) / 1e9;
    const otherB = Math.max(0, model.totalParamsB - expertB);
    return (expertB * PRECISION_TRAITS.mxfp4.bytesPerParam + otherB * 2) * 1e9;
  }
  return (bodyB * PRECISION_TRAITS[precision].bytesPerParam + embedB * 2) * 1e9;
}

/** Weights each GPU holds: TP and PP both split the weights evenly (embeddings are vocab-parallel). */
export function weightsGiBPerGpu(model: ModelSpec, precision: Precision, layout: ParallelLayout): number {
  return totalWeightBytes(model, precision) / (layout.tensorParallel * layout.pipelineParallel) / GiB;
}

/**
 * KV-cache bytes one token costs on one GPU.
 * GQA: 2 (K and V) × layers/PP × max(1, kvHeads/TP) × headDim × dtype bytes — KV heads are replicated
 * when TP exceeds them. MLA (DeepSeek-V3/R1): one latent of kv_lora_rank + qk_rope_head_dim per layer,
 * replicated on every TP rank (vLLM stores it with num_kv_heads = 1).
 */
export function kvBytesPerTokenPerGpu(model: ModelSpec, layout: ParallelLayout, kvDtype: KvCacheDtype): number {
  const dtypeBytes = kvDtype === "fp8" ? 1 : 2;
  const layersPerStage = Math.ceil(model.layers / layout.pipelineParallel);
  if (model.attention.kind === "mla") {
    return layersPerStage * (model.attention.kvLoraRank + model.attention.qkRopeHeadDim) * dtypeBytes;
  }
  const kvHeadsPerGpu = Math.max(1, Math.floor(model.attention.kvHeads / layout.tensorParallel));
  return 2 * layersPerStage * kvHeadsPerGpu * model.attention.headDim * dtypeBytes;
}

/** Peak activation of the profiling run: the larger of the forward pass and the sampler (estimate). */
export function activationGiB(model: ModelSpec, layout: ParallelLayout, batch: BatchDefaults): number {
  const sampler = batch.maxNumSeqs * model.vocabSize * SAMPLER_BYTES_PER_LOGIT;
  const ffnPerToken = model.moe ? model.moe.intermediateSize * model.moe.expertsPerToken : model.intermediateSize;
  const forward = batch.maxNumBatchedTokens * (4 * model.hiddenSize + (2 * ffnPerToken) / layout.tensorParallel) * 2;
  return Math.max(sampler, forward) / GiB;
}

export interface MemoryInput {
  readonly model: ModelSpec;
  readonly precision: Precision;
  readonly layout: ParallelLayout;
  /** Per-GPU memory vLLM sees (GiB). */
  readonly gpuMemoryGiB: number;
  readonly gpuModel: string;
  readonly gpuMemoryUtilization: number;
  readonly kvCacheDtype: KvCacheDtype;
}

/** Per-GPU memory breakdown, in GiB, plus the KV capacity of the whole replica. */
export interface MemoryBreakdown {
  readonly gpuMemoryGiB: number;
  readonly budgetGiB: number;
  readonly weightsGiBPerGpu: number;
  readonly activationGiB: number;
  readonly nonTorchGiB: number;
  readonly cudaGraphGiB: number;
  /** Left for KV cache on each GPU (negative: the weights and overheads alone exceed the budget). */
  readonly kvCacheGiBPerGpu: number;
  readonly kvBytesPerTokenPerGpu: number;
  /** Tokens the replica's KV cache holds (every GPU holds its slice of every token). */
  readonly kvCacheTokens: number;
  readonly batch: BatchDefaults;
}

export function estimateMemory(input: MemoryInput): MemoryBreakdown {
  const { model, layout } = input;
  const worldSize = layout.tensorParallel * layout.pipelineParallel;
  const batch = vllmBatchDefaults(input.gpuModel, input.gpuMemoryGiB);
  const budgetGiB = input.gpuMemoryGiB * input.gpuMemoryUtilization;
  const weights = weightsGiBPerGpu(model, input.precision, layout);
  const activation = activationGiB(model, layout, batch);
  const nonTorch = layout.nodes > 1 ? NON_TORCH_GIB.multiNode : worldSize > 1 ? NON_TORCH_GIB.multiGpu : NON_TORCH_GIB.single;
  const cudaGraph = worldSize > 1 ? CUDA_GRAPH_GIB.multiGpu : CUDA_GRAPH_GIB.single;
  const kvGiB = budgetGiB - weights - activation - nonTorch - cudaGraph;
  const perToken = kvBytesPerTokenPerGpu(model, layout, input.kvCacheDtype);
  return {
    gpuMemoryGiB: input.gpuMemoryGiB,
    budgetGiB,
    weightsGiBPerGpu: weights,
    activationGiB: activation,
    nonTorchGiB: nonTorch,
    cudaGraphGiB: cudaGraph,
    kvCacheGiBPerGpu: kvGiB,
    kvBytesPerTokenPerGpu: perToken,
    kvCacheTokens: kvGiB > 0 ? Math.floor((kvGiB * GiB) / perToken) : 0,
    batch,
  };
}
