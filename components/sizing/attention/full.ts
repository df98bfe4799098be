/**
 * Full (global) softmax attention, MHA/GQA/MQA (pure). vLLM's `FullAttentionSpec` (vllm/v1/kv_cache_interface.py):
 * a page holds `block_size` tokens × K and V × the KV heads on this GPU × head size × dtype bytes, and a sequence
 * needs `cdiv(max_model_len, block_size)` pages per layer. KV heads are split by tensor parallelism and replicated
 * once TP exceeds them (`ModelConfig.get_num_kv_heads`: max(1, kv_heads // tp)).
 */

/** KV heads each GPU stores. */
export function kvHeadsPerGpu(kvHeads: number, tensorParallel: number): number {
  return Math.max(1, Math.floor(kvHeads / tensorParallel));
}

/** Bytes one token costs in one layer on one GPU: K and V. */
export function fullAttentionBytesPerToken(g: { readonly kvHeads: number; readonly headDim: number }, tensorParallel: number, kvBytes: number): number {
  return 2 * kvHeadsPerGpu(g.kvHeads, tensorParallel) * g.headDim * kvBytes;
}

/** Tokens a sequence of `len` occupies: whole blocks. */
export function blockedTokens(len: number, blockSize: number): number {
  return Math.ceil(len / blockSize) * blockSize;
}
