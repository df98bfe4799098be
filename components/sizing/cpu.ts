/**
 * Placement on CPUs, for trying the kit on a laptop (kind) with a tiny model: no GPU search, the KV cache
 * lives in host memory (`VLLM_CPU_KVCACHE_SPACE`), and the cost is zero. Pure.
 */
import type { ModelSpec } from "../catalog/models";
import { kvCacheSpec } from "./kv-cache";
import { GiB, totalWeightBytes } from "./memory";
import type { Placement } from "./sizing-request";

/** Larger models take minutes per answer on a laptop CPU: not a useful trial (judgment). */
export const CPU_MAX_PARAMS_B = 4;
/** vLLM's CPU backend keeps its own small batch; 8 sequences keeps memory predictable on a laptop. */
export const CPU_MAX_NUM_SEQS = 8;

export type CpuSizing = { readonly ok: true; readonly placement: Placement; readonly kvSpaceGiB: number } | { readonly ok: false; readonly error: string };

export function sizeOnCpu(model: ModelSpec, maxModelLen: number, concurrency: number): CpuSizing {
  if (model.totalParamsB > CPU_MAX_PARAMS_B) {
    return { ok: false, error: `${model.id} has ${model.totalParamsB}B parameters; CPU serving is for trying the kit with models up to ${CPU_MAX_PARAMS_B}B (e.g. Qwen/Qwen2.5-0.5B-Instruct). Use a GPU capacity mode for it.` };
  }
  const batch = { maxNumSeqs: CPU_MAX_NUM_SEQS, maxNumBatchedTokens: 2048 };
  const kv = kvCacheSpec({ model, tensorParallel: 1, pipelineParallel: 1, kvCacheDtype: "auto", maxModelLen, maxNumBatchedTokens: batch.maxNumBatchedTokens, prefixCaching: true });
  const perToken = kv.bytesPerTokenPerGpu;
  const kvSpaceGiB = Math.max(1, Math.ceil((kv.bytesPerSequence(maxModelLen) * concurrency) / GiB));
  const weights = totalWeightBytes(model, "bf16") / GiB;
  const maxConcurrency = Math.floor((kvSpaceGiB * GiB) / kv.bytesPerSequence(maxModelLen));
  const kvCacheTokens = maxConcurrency * maxModelLen;
  return {
    ok: true,
    kvSpaceGiB,
    placement: {
      instanceType: "cpu", nodes: 1, gpusPerNode: 0, tensorParallelSize: 1, pipelineParallelSize: 1,
      dataParallelSize: 1, expertParallel: false, layoutReason: "CPU serving",
      hourlyUsd: 0, priceEstimate: false, priceBasis: "your own machine", availability: "listed", fits: true,
      reason: `KV cache in host memory holds ${kvCacheTokens} tokens`, maxConcurrency,
      gpu: { model: "CPU", memoryGiB: weights + kvSpaceGiB, computeCapability: 0 },
      memory: {
        gpuMemoryGiB: weights + kvSpaceGiB, budgetGiB: weights + kvSpaceGiB, weightsGiBPerGpu: weights, activationGiB: 0, nonTorchGiB: 0, cudaGraphGiB: 0, loraGiBPerGpu: 0,
        kvCacheGiBPerGpu: kvSpaceGiB, kvBytesPerTokenPerGpu: perToken, stateBytesPerSequencePerGpu: kv.stateBytesPerSequencePerGpu,
        windowBytesPerSequencePerGpu: kv.windowBytesPerSequencePerGpu, blockSize: kv.blockSize, bytesPerSequencePerGpu: kv.bytesPerSequence(maxModelLen), maxConcurrency, kvCacheTokens, batch,
        stateBlocks: kv.stateBlocks(kvSpaceGiB * GiB),
      },
    },
  };
}
