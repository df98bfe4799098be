/**
 * A model's architecture as the sizing needs it (pure types): the attention layers grouped by kind, the
 * MLP/MoE shape, context limits and how the checkpoint is quantized. Built from a Hugging Face
 * `config.json` by `hf-config.ts` — for catalog entries and for a user's own model alike.
 */

/**
 * Layers that share one kind of attention. The kinds follow vLLM v1's KV-cache specs
 * (vllm/v1/kv_cache_interface.py): what each costs per token or per sequence lives in
 * `components/sizing/attention/`.
 */
export type AttentionGroup =
  /** Full (global) softmax attention, MHA/GQA/MQA: K and V per token per layer. */
  | { readonly kind: "full"; readonly layers: number; readonly kvHeads: number; readonly headDim: number }
  /** Sliding-window attention (gpt-oss, Gemma, Mistral v0.1): only the last `window` tokens are kept. */
  | { readonly kind: "sliding"; readonly layers: number; readonly kvHeads: number; readonly headDim: number; readonly window: number }
  /** Chunked local attention (Llama 4's RoPE layers): tokens attend within chunks of `chunk`. */
  | { readonly kind: "chunked"; readonly layers: number; readonly kvHeads: number; readonly headDim: number; readonly chunk: number }
  /**
   * Multi-head latent attention (DeepSeek-V2/V3, Kimi-K2, GLM-5): one compressed latent per token, the same
   * on every tensor-parallel rank. `indexerHeadDim` marks DeepSeek Sparse Attention (V3.2, GLM-5), whose
   * lightning indexer keeps its own FP8 key cache.
   */
  | {
    readonly kind: "mla"; readonly layers: number; readonly kvLoraRank: number; readonly ropeHeadDim: number;
    readonly nopeHeadDim: number; readonly valueHeadDim: number; readonly qLoraRank: number | null; readonly indexerHeadDim: number | null;
  }
  /** Gated DeltaNet linear attention (Qwen3-Next, Qwen3.5/3.6): a fixed recurrent state per sequence. */
  | {
    readonly kind: "gated-deltanet"; readonly layers: number; readonly keyHeads: number; readonly valueHeads: number;
    readonly keyHeadDim: number; readonly valueHeadDim: number; readonly convKernel: number;
    /** The recurrent state's dtype: the model dtype, or float32 where the config says so (`mamba_ssm_dtype`). */
    readonly recurrentStateDtype: "model" | "float32";
  }
  /** Lightning (linear) attention (MiniMax-Text-01 / M1): a heads × d × d state per sequence. */
  | { readonly kind: "lightning"; readonly layers: number; readonly heads: number; readonly headDim: number };

export type AttentionKind = AttentionGroup["kind"];

export interface MoeShape {
  readonly experts: number;
  readonly expertsPerToken: number;
  readonly intermediateSize: number;
  /** Layers whose MLP is a mixture of experts (the rest are dense). */
  readonly moeLayers: number;
  readonly sharedExperts: number;
  readonly sharedIntermediateSize: number;
}

/** How the checkpoint stores its weights, when it is quantized (config.json `quantization_config`). */
export interface NativeQuantization {
  readonly method: "fp8" | "compressed-tensors" | "mxfp4" | "awq" | "gptq" | "modelopt_fp4" | "bitsandbytes";
  readonly bits: number;
  /** FP8 block-wise scales ([128, 128]): vLLM then needs every tensor-parallel slice to be whole blocks. */
  readonly blockSize: number | null;
  /** Only the routed experts are quantized (Kimi-K2-Thinking's INT4, gpt-oss's MXFP4); the rest stays BF16. */
  readonly expertsOnly: boolean;
}

export interface RopeScaling {
  readonly type: string;
  readonly factor: number;
  readonly originalMaxPositionEmbeddings: number | null;
}

export interface Architecture {
  /** `architectures[0]` of config.json. */
  readonly name: string;
  readonly layers: number;
  readonly hiddenSize: number;
  readonly attentionHeads: number;
  readonly intermediateSize: number;
  readonly vocabSize: number;
  readonly tiedEmbeddings: boolean;
  readonly attention: readonly AttentionGroup[];
  readonly moe: MoeShape | null;
  readonly maxPositionEmbeddings: number;
  /** RoPE scaling the config already carries (DeepSeek's and Kimi's YaRN); null when none. */
  readonly ropeScaling: RopeScaling | null;
  readonly ropeTheta: number | null;
  /** config.json `torch_dtype` / `dtype`. */
  readonly dtype: string;
  readonly quantization: NativeQuantization | null;
  /** Vision tower parameters (billions) for multimodal checkpoints; 0 for text-only. */
  readonly visionParamsB: number;
  /** Why vLLM's memory for this architecture cannot be sized yet (never a wrong number instead). */
  readonly unsupported: string | null;
}

/** Layers per attention kind, for summaries ("12 full + 36 gated-deltanet"). */
export function attentionSummary(arch: Pick<Architecture, "attention">): string {
  return arch.attention.map((g) => `${g.layers} ${g.kind}${g.kind === "mla" && g.indexerHeadDim ? " (sparse, indexer)" : ""}`).join(" + ");
}
