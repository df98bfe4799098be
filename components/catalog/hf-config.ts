/**
 * Reads a Hugging Face `config.json` into the kit's `Architecture` (pure). The catalog stores each model's
 * config fields and goes through here too, so a user's own model (`omk size --model-config`) is sized by
 * exactly the same code as a catalog one.
 *
 * Field names and defaults follow transformers' config classes and what vLLM reads from them
 * (vllm/config/model.py `_get_and_verify_max_len`, the model files under vllm/model_executor/models/).
 * Anything that signals a kind of layer the kit cannot size is an error naming the field — never a guess.
 */
import type { Architecture, AttentionGroup, MoeShape, NativeQuantization, RopeScaling } from "./architecture";
import { visionParamsFromConfig } from "./params";

export class ModelConfigError extends Error {
  constructor(readonly source: string, readonly field: string, detail: string) {
    super(`${source}: ${field} ${detail}`);
    this.name = "ModelConfigError";
  }
}

type Json = Record<string, unknown>;

/** Fields of layer kinds the kit does not model yet, and what they are. */
const UNSIZABLE_FIELDS: Readonly<Record<string, string>> = {
  compress_ratios: "per-layer KV compression (DeepSeek-V4's compressed sparse attention)",
  ssm_state_size: "Mamba/SSM state layers",
  mamba_d_state: "Mamba/SSM state layers",
  hybrid_override_pattern: "Mamba/attention hybrid layers (Nemotron-H)",
  layers_block_type: "Mamba/attention hybrid layers (Jamba, Zamba)",
  cross_attention_layers: "cross-attention layers (Llama 3.2 Vision)",
  sliding_window_pattern: "an interleaved sliding-window pattern without layer_types",
  kv_compression: "compressed KV caches",
};

/** `layer_types` values the kit knows (transformers' per-layer attention kinds). */
const LAYER_TYPES = ["full_attention", "sliding_attention", "linear_attention", "chunked_attention"] as const;

/** The keys vLLM takes the context limit from (the smallest wins). */
const MAX_LEN_KEYS = ["max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "max_target_positions", "max_sequence_length", "max_seq_length", "seq_len"];

function num(c: Json, key: string): number | undefined {
  const v = c[key];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** Which architectures vLLM serves from this config: DeepSeek-V4's attention has no sizing yet. */
const UNSIZABLE_ARCHITECTURES: Readonly<Record<string, string>> = {
  DeepseekV4ForCausalLM: "compressed sparse attention (KV compressed 4× or 128× per layer, plus a 128-token window and an indexer) is not modelled by the kit's KV accounting yet",
};

export function architectureFromConfig(raw: unknown, source: string): Architecture {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new ModelConfigError(source, "(root)", "must be a JSON object (a model's config.json).");
  const top = raw as Json;
  const text = (top.text_config && typeof top.text_config === "object" ? top.text_config : {}) as Json;
  // Multimodal checkpoints keep the language model's fields under text_config (Qwen3-VL, Llama 4, Mistral 3, Kimi-K2.5).
  const c: Json = { ...top, ...text };
  const need = (key: string): number => {
    const v = num(c, key);
    if (v === undefined || v <= 0) throw new ModelConfigError(source, key, `is missing or not a positive number; the kit needs it to size the model.`);
    return v;
  };
  const name = Array.isArray(top.architectures) && typeof top.architectures[0] === "string" ? top.architectures[0] : String(c.model_type ?? "unknown");
  const layers = need("num_hidden_layers");
  const hiddenSize = need("hidden_size");
  const attentionHeads = need("num_attention_heads");
  const vocabSize = need("vocab_size");
  const kvHeads = num(c, "num_key_value_heads") ?? attentionHeads;
  const headDim = num(c, "head_dim") ?? hiddenSize / attentionHeads;

  const unsupportedField = Object.keys(c).find((k) => UNSIZABLE_FIELDS[k] !== undefined && c[k] !== null && c[k] !== false);
  const unsupported = UNSIZABLE_ARCHITECTURES[name] ?? (unsupportedField ? `config.json field "${unsupportedField}" (${UNSIZABLE_FIELDS[unsupportedField]}) is not something the kit can size yet` : null);

  const moe = moeShape(c, layers);
  return {
    name, layers, hiddenSize, attentionHeads, vocabSize,
    intermediateSize: num(c, "intermediate_size_mlp") ?? num(c, "intermediate_size") ?? 0,
    tiedEmbeddings: (typeof top.tie_word_embeddings === "boolean" ? top.tie_word_embeddings : c.tie_word_embeddings) === true,
    attention: unsupported ? [{ kind: "full", layers, kvHeads, headDim }] : attentionGroups(c, source, layers, kvHeads, headDim),
    moe,
    maxPositionEmbeddings: maxPositions(c, source),
    ropeScaling: ropeScaling(c),
    ropeTheta: num(c, "rope_theta") ?? num((c.rope_parameters ?? {}) as Json, "rope_theta") ?? null,
    dtype: String(c.torch_dtype ?? c.dtype ?? "bfloat16"),
    quantization: quantization(top.quantization_config ?? c.quantization_config, source),
    visionParamsB: visionParamsFromConfig(top.vision_config),
    unsupported,
  };
}

function maxPositions(c: Json, source: string): number {
  const found = MAX_LEN_KEYS.map((k) => num(c, k)).filter((v): v is number => v !== undefined);
  const override = num(c, "model_max_length");
  if (override !== undefined) return override;
  if (!found.length) throw new ModelConfigError(source, "max_position_embeddings", "is missing; the kit needs the model's context limit (vLLM reads it from this field).");
  return Math.min(...found);
}

function ropeScaling(c: Json): RopeScaling | null {
  const r = (c.rope_scaling ?? c.rope_parameters) as Json | null | undefined;
  if (!r || typeof r !== "object") return null;
  const type = String(r.rope_type ?? r.type ?? "default");
  if (type === "default") return null;
  return { type, factor: num(r, "factor") ?? 1, originalMaxPositionEmbeddings: num(r, "original_max_position_embeddings") ?? null };
}

function attentionGroups(c: Json, source: string, layers: number, kvHeads: number, headDim: number): AttentionGroup[] {
  const kvLoraRank = num(c, "kv_lora_rank");
  if (kvLoraRank !== undefined) {
    const sparse = num(c, "index_topk") !== undefined || num(c, "index_n_heads") !== undefined;
    return [{
      kind: "mla", layers, kvLoraRank, ropeHeadDim: num(c, "qk_rope_head_dim") ?? 64, nopeHeadDim: num(c, "qk_nope_head_dim") ?? 128,
      valueHeadDim: num(c, "v_head_dim") ?? 128, qLoraRank: num(c, "q_lora_rank") ?? null, indexerHeadDim: sparse ? num(c, "index_head_dim") ?? 128 : null,
    }];
  }
  const kinds = layerKinds(c, source, layers);
  const count = (k: string) => kinds.filter((x) => x === k).length;
  const groups: AttentionGroup[] = [];
  if (count("full_attention")) groups.push({ kind: "full", layers: count("full_attention"), kvHeads, headDim });
  if (count("sliding_attention")) {
    const window = num(c, "sliding_window");
    if (window === undefined) throw new ModelConfigError(source, "sliding_window", "is missing although layer_types lists sliding_attention layers.");
    groups.push({ kind: "sliding", layers: count("sliding_attention"), kvHeads, headDim, window });
  }
  if (count("chunked_attention")) groups.push({ kind: "chunked", layers: count("chunked_attention"), kvHeads, headDim, chunk: num(c, "attention_chunk_size")! });
  if (count("linear_attention")) groups.push(linearGroup(c, source, count("linear_attention")));
  return groups;
}

/** One attention kind per layer, from whichever field the architecture uses to say it. */
function layerKinds(c: Json, source: string, layers: number): string[] {
  if (Array.isArray(c.layer_types)) {
    const unknown = c.layer_types.find((t) => !LAYER_TYPES.includes(t as never));
    if (unknown !== undefined) throw new ModelConfigError(source, "layer_types", `contains "${String(unknown)}", a kind of layer the kit cannot size yet (known: ${LAYER_TYPES.join(", ")}).`);
    return c.layer_types as string[];
  }
  const interval = num(c, "full_attention_interval");
  if (interval !== undefined) return range(layers).map((i) => ((i + 1) % interval === 0 ? "full_attention" : "linear_attention"));
  if (Array.isArray(c.attn_type_list)) return (c.attn_type_list as number[]).map((t) => (t === 1 ? "full_attention" : "linear_attention"));
  const chunk = num(c, "attention_chunk_size");
  if (chunk !== undefined) {
    // Llama 4: RoPE layers attend within chunks, NoPE layers (no_rope_layers[i] == 0; by default every 4th) globally.
    const rope = Array.isArray(c.no_rope_layers) ? (c.no_rope_layers as number[]) : range(layers).map((i) => ((i + 1) % 4 !== 0 ? 1 : 0));
    return range(layers).map((i) => (rope[i] ? "chunked_attention" : "full_attention"));
  }
  const window = num(c, "sliding_window");
  if (window !== undefined && c.use_sliding_window !== false) return range(layers).map(() => "sliding_attention");
  return range(layers).map(() => "full_attention");
}

function linearGroup(c: Json, source: string, layers: number): AttentionGroup {
  if (num(c, "linear_num_value_heads") !== undefined) {
    const need = (k: string) => {
      const v = num(c, k);
      if (v === undefined) throw new ModelConfigError(source, k, "is missing for the Gated DeltaNet (linear attention) layers.");
      return v;
    };
    return {
      kind: "gated-deltanet", layers, keyHeads: need("linear_num_key_heads"), valueHeads: need("linear_num_value_heads"),
      keyHeadDim: need("linear_key_head_dim"), valueHeadDim: need("linear_value_head_dim"), convKernel: need("linear_conv_kernel_dim"),
      recurrentStateDtype: c.mamba_ssm_dtype === "float32" ? "float32" : "model",
    };
  }
  if (Array.isArray(c.attn_type_list)) {
    return { kind: "lightning", layers, heads: num(c, "num_attention_heads")!, headDim: num(c, "head_dim") ?? num(c, "hidden_size")! / num(c, "num_attention_heads")! };
  }
  throw new ModelConfigError(source, "layer_types", "lists linear_attention layers, but config.json has neither Gated DeltaNet (linear_num_value_heads, …) nor lightning attention (attn_type_list) fields.");
}

function moeShape(c: Json, layers: number): MoeShape | null {
  const experts = num(c, "num_experts") ?? num(c, "n_routed_experts") ?? num(c, "num_local_experts");
  if (!experts || experts <= 1) return null;
  const firstDense = num(c, "first_k_dense_replace") ?? 0;
  const denseList = Array.isArray(c.mlp_only_layers) ? c.mlp_only_layers.length : 0;
  const step = num(c, "interleave_moe_layer_step") ?? num(c, "decoder_sparse_step") ?? 1;
  const moeLayers = Math.floor((layers - firstDense) / step) - denseList;
  const intermediateSize = num(c, "moe_intermediate_size") ?? num(c, "intermediate_size") ?? 0;
  // DeepSeek-style configs count n_shared_experts of the routed size; Qwen gives the shared MLP's size; Llama 4
  // always adds one shared expert of intermediate_size.
  const nShared = num(c, "n_shared_experts");
  const sharedSize = num(c, "shared_expert_intermediate_size");
  const [sharedExperts, sharedIntermediateSize] = nShared ? [nShared, nShared * intermediateSize]
    : sharedSize ? [1, sharedSize]
      : num(c, "intermediate_size_mlp") ? [1, intermediateSize] : [0, 0];
  return {
    experts, expertsPerToken: num(c, "num_experts_per_tok") ?? num(c, "experts_per_token") ?? num(c, "moe_topk") ?? 1,
    intermediateSize, moeLayers, sharedExperts, sharedIntermediateSize,
  };
}

function quantization(q: unknown, source: string): NativeQuantization | null {
  if (!q || typeof q !== "object") return null;
  const cfg = q as Json;
  const method = String(cfg.quant_method ?? "");
  switch (method) {
    case "fp8": {
      const block = Array.isArray(cfg.weight_block_size) ? Number(cfg.weight_block_size[0]) : null;
      return { method: "fp8", bits: 8, blockSize: block, expertsOnly: false };
    }
    case "mxfp4":
      return { method: "mxfp4", bits: 4, blockSize: null, expertsOnly: true };
    case "awq":
    case "gptq":
      return { method, bits: num(cfg, "bits") ?? num(cfg, "w_bit") ?? 4, blockSize: null, expertsOnly: false };
    case "modelopt":
    case "modelopt_fp4":
      return { method: "modelopt_fp4", bits: 4, blockSize: null, expertsOnly: false };
    case "bitsandbytes":
      return { method: "bitsandbytes", bits: cfg.load_in_4bit ? 4 : 8, blockSize: null, expertsOnly: false };
    case "compressed-tensors": {
      const groups = Object.values((cfg.config_groups ?? {}) as Record<string, Json>);
      const bits = groups.map((g) => num((g.weights ?? {}) as Json, "num_bits")).find((b) => b !== undefined) ?? 8;
      const ignore = Array.isArray(cfg.ignore) ? cfg.ignore.map(String) : [];
      // Kimi-K2.x ignores attention, shared experts and dense MLPs: only the routed experts are quantized.
      const expertsOnly = ignore.some((p) => p.includes("self_attn")) && ignore.some((p) => p.includes("shared_expert"));
      return { method: "compressed-tensors", bits, blockSize: null, expertsOnly };
    }
    default:
      throw new ModelConfigError(source, "quantization_config.quant_method", `is "${method}", a format the kit does not know; known: fp8, mxfp4, awq, gptq, modelopt_fp4, bitsandbytes, compressed-tensors.`);
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
