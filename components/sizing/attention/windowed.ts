/**
 * Attention over a bounded span (pure): sliding windows (gpt-oss, Gemma) and Llama 4's chunked local layers.
 * vLLM keeps at most this many tokens per sequence in such a layer (vllm/v1/kv_cache_interface.py):
 * - `SlidingWindowSpec`: `(cdiv(min(window − 1 + max_num_batched_tokens, max_model_len), block) + 1)` blocks —
 *   the chunked-prefill budget is in flight on top of the window, and one extra block covers a window that
 *   starts mid-block;
 * - `ChunkedLocalAttentionSpec`: `cdiv(min(chunk + max_num_batched_tokens, max_model_len), block)` blocks.
 * The page per token is that of full attention (K and V of the GPU's KV heads).
 */

export function slidingWindowTokens(window: number, maxNumBatchedTokens: number, maxModelLen: number, blockSize: number): number {
  return (Math.ceil(Math.min(window - 1 + maxNumBatchedTokens, maxModelLen) / blockSize) + 1) * blockSize;
}

export function chunkedLocalTokens(chunk: number, maxNumBatchedTokens: number, maxModelLen: number, blockSize: number): number {
  return Math.ceil(Math.min(chunk + maxNumBatchedTokens, maxModelLen) / blockSize) * blockSize;
}
