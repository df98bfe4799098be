/**
 * Linear attention: a fixed state per running sequence instead of a per-token cache (pure).
 *
 * State shapes (vllm/model_executor/layers/mamba/mamba_utils.py `MambaStateShapeCalculator`):
 * - Gated DeltaNet (Qwen3-Next, Qwen3.5/3.6): a conv state of (kernel − 1) × conv_dim/TP, with
 *   conv_dim = 2·key_heads·key_dim + value_heads·value_dim, and a recurrent state of value_heads/TP × value_dim ×
 *   key_dim. The conv state uses the model dtype; the recurrent one `mamba_ssm_cache_dtype`, which Qwen3.5/3.6's
 *   config sets to float32 (vllm-project/vllm#34489).
 * - Lightning attention (MiniMax-Text-01/M1): heads/TP × head_dim × head_dim in the model dtype.
 *
 * Hybrid models share one block pool between attention and state (vllm/v1/core/kv_cache_utils.py): vLLM raises
 * the attention block size until an attention page is at least a state page, then pads the state page to match
 * (`_align_hybrid_block_size`: block = a·cdiv(state, a·attention_bytes_per_token), a = 16), so each sequence
 * pays one padded page per linear layer — two with prefix caching on (`mamba_cache_mode: align`).
 */
import type { AttentionGroup } from "../../catalog/architecture";

type Linear = Extract<AttentionGroup, { kind: "gated-deltanet" | "lightning" }>;

/** Kernel alignment of the attention block size for non-MLA backends (vLLM's default block size). */
export const HYBRID_BLOCK_ALIGNMENT = 16;

/** One sequence's state in one linear layer on one GPU, in bytes (before padding to a page). */
export function linearStateBytes(g: Linear, tensorParallel: number, modelBytes: number): number {
  if (g.kind === "lightning") return (g.heads / tensorParallel) * g.headDim * g.headDim * modelBytes;
  const convDim = 2 * g.keyHeads * g.keyHeadDim + g.valueHeads * g.valueHeadDim;
  const conv = (g.convKernel - 1) * (convDim / tensorParallel) * modelBytes;
  const recurrent = (g.valueHeads / tensorParallel) * g.valueHeadDim * g.keyHeadDim * (g.recurrentStateDtype === "float32" ? 4 : modelBytes);
  return conv + recurrent;
}

/** The attention block size vLLM chooses so an attention page holds at least one state page. */
export function hybridBlockSize(stateBytes: number, attentionBytesPerToken: number, alignment = HYBRID_BLOCK_ALIGNMENT): number {
  return alignment * Math.ceil(stateBytes / (alignment * attentionBytesPerToken));
}
