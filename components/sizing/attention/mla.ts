/**
 * Multi-head latent attention, dense and sparse (pure).
 *
 * `MLAAttentionSpec` (vllm/v1/kv_cache_interface.py): one latent of `kv_lora_rank + qk_rope_head_dim` values per
 * token per layer — no separate K and V — and `get_num_kv_heads()` is 1 for MLA, so every tensor-parallel rank
 * holds the whole latent (TP does not shrink it; data-parallel attention does, by giving each rank its own
 * sequences). DeepSeek Sparse Attention (V3.2, GLM-5) stores the latent as `fp8_ds_mla` when the KV cache is FP8:
 * 656 bytes per token per layer (512 FP8 values, four FP32 scales, 64 BF16 RoPE values — FlashMLA's format), and
 * its lightning indexer keeps its own key cache: `index_head_dim` FP8 values plus one FP32 scale per 128
 * (deepseek_v2.py `DeepseekV32IndexerCache`: 132 bytes per token per layer, not split by TP either).
 */
import type { AttentionGroup } from "../../catalog/architecture";

type Mla = Extract<AttentionGroup, { kind: "mla" }>;

/** DeepSeek Sparse Attention: MLA with a lightning indexer (DeepSeek-V3.2, GLM-5). */
export function hasSparseMla(attention: readonly AttentionGroup[]): boolean {
  return attention.some((g) => g.kind === "mla" && g.indexerHeadDim !== null);
}

/**
 * The KV dtype vLLM actually uses: for sparse MLA, "auto" means `fp8_ds_mla` (vllm/config/cache.py: "Some models
 * (namely DeepSeekV3.2) default to fp8"; `DeepseekV32ForCausalLM.verify_and_update_config`), so the kit sizes
 * and passes fp8 whatever the stack asked for.
 */
export function effectiveKvCacheDtype(attention: readonly AttentionGroup[], requested: "auto" | "fp8"): "auto" | "fp8" {
  return hasSparseMla(attention) ? "fp8" : requested;
}

/** FlashMLA's FP8 sparse-MLA entry (vLLM `fp8_ds_mla`). */
export const FP8_DS_MLA_BYTES = 656;

/** The indexer's key cache per token per layer: FP8 values and an FP32 scale per 128 of them. */
export function indexerBytesPerToken(indexerHeadDim: number): number {
  return indexerHeadDim + (indexerHeadDim / 128) * 4;
}

export function mlaBytesPerToken(g: Mla, kvCacheDtype: "auto" | "fp8", modelBytes: number): number {
  const latent = g.indexerHeadDim !== null && kvCacheDtype === "fp8"
    ? FP8_DS_MLA_BYTES
    : (g.kvLoraRank + g.ropeHeadDim) * (kvCacheDtype === "fp8" ? 1 : modelBytes);
  return latent + (g.indexerHeadDim !== null ? indexerBytesPerToken(g.indexerHeadDim) : 0);
}
