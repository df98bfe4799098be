/**
 * The model catalog: architecture facts the sizing needs, licenses, official weight repos per precision and
 * vLLM parsers. Facts live in `data/models.json` (each record names its sources; copied from the project's
 * research pass) so a correction is a one-line data edit; this module validates and types them.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { parsePrecisionLabel, type Precision, type QuantizationMethod } from "./precision";

const rawModel = z.object({
  id: z.string(),
  family: z.string(),
  architecture: z.string(),
  type: z.enum(["dense", "moe"]),
  total_params_b: z.number().nullable(),
  total_params_b_computed: z.number().nullable(),
  active_params_b: z.number().nullable(),
  num_hidden_layers: z.number().int(),
  hidden_size: z.number().int(),
  num_attention_heads: z.number().int(),
  num_key_value_heads: z.number().int(),
  head_dim: z.number().int().nullable(),
  intermediate_size: z.number().int(),
  vocab_size: z.number().int(),
  tie_word_embeddings: z.boolean(),
  attention: z.string(),
  sliding_window: z.number().nullable(),
  mla: z.object({ kv_lora_rank: z.number().int(), qk_rope_head_dim: z.number().int() }).passthrough().nullable(),
  moe: z.object({ num_experts: z.number().int(), experts_per_tok: z.number().int(), moe_intermediate: z.number().int() }).passthrough().nullable(),
  native_context: z.number().int(),
  torch_dtype: z.string(),
  license: z.string(),
  license_source: z.string(),
  trust_remote_code: z.boolean(),
  reasoning_parser: z.string().nullable(),
  weights: z.array(z.object({ repo: z.string(), precision: z.string(), official: z.boolean().nullable() })),
  weights_source: z.string(),
  valid_tp_sizes: z.array(z.number().int()),
  fp8_block_valid_tp: z.array(z.number().int()).nullable(),
  sources: z.record(z.string(), z.string()),
  unverified_fields: z.array(z.string()),
}).passthrough();
const rawModelFile = z.object({ source_keys: z.record(z.string(), z.string()), models: z.array(rawModel) });

export interface WeightVariant {
  readonly precision: Precision;
  /** Hugging Face repo id. */
  readonly repo: string;
  /** Published by the model's authors (false: a well-known community quantization). */
  readonly official: boolean;
  readonly quantization: QuantizationMethod;
}

export type AttentionLayout =
  | { readonly kind: "gqa"; readonly kvHeads: number; readonly headDim: number; readonly slidingWindow: number | null }
  | { readonly kind: "mla"; readonly kvLoraRank: number; readonly qkRopeHeadDim: number };

export interface ModelSpec {
  readonly id: string;
  readonly family: string;
  readonly architecture: string;
  readonly kind: "dense" | "moe";
  readonly totalParamsB: number;
  readonly activeParamsB: number;
  readonly layers: number;
  readonly hiddenSize: number;
  readonly attentionHeads: number;
  readonly intermediateSize: number;
  readonly vocabSize: number;
  readonly tiedEmbeddings: boolean;
  readonly attention: AttentionLayout;
  readonly moe: { readonly experts: number; readonly expertsPerToken: number; readonly intermediateSize: number } | null;
  /** Context the model was trained for (no RoPE scaling), in tokens. */
  readonly nativeContext: number;
  readonly license: string;
  readonly trustRemoteCode: boolean;
  /** vLLM `--reasoning-parser`, when the model emits separable reasoning. */
  readonly reasoningParser: string | null;
  /** vLLM `--tool-call-parser`, when the model has a tool-calling chat template vLLM can parse. */
  readonly toolCallParser: string | null;
  /** The precision the authors ship; the default when a stack does not choose. */
  readonly nativePrecision: Precision;
  /** One entry per precision (official repos preferred). */
  readonly weights: readonly WeightVariant[];
  /** Tensor-parallel sizes vLLM accepts for this model (heads, KV heads, vocab). */
  readonly validTensorParallel: readonly number[];
  /** Narrower TP set for block-128 FP8 checkpoints (MoE intermediate must split into 128-blocks). */
  readonly fp8ValidTensorParallel: readonly number[] | null;
  readonly sources: readonly string[];
  readonly unverified: readonly string[];
  /** The Hub requires accepting the license (and a token) before download. */
  readonly gated: boolean;
}

/** Repos the Hub gates behind a license click-through (Meta's Llama license, Mistral's terms). */
const GATED = /^(meta-llama|mistralai)\//;

/**
 * vLLM tool-call parser per family, from docs.vllm.ai "Tool Calling" (hermes for Qwen2.5/Qwen3/QwQ,
 * llama3_json for Llama 3.1, mistral, deepseek_v3, openai for gpt-oss). R1 distills ship no tool template.
 */
const TOOL_CALL_PARSERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^Qwen\/(Qwen2\.5|Qwen3|QwQ)/, "hermes"],
  [/^meta-llama\/Llama-3\.1/, "llama3_json"],
  [/^mistralai\//, "mistral"],
  [/^deepseek-ai\/DeepSeek-(V3|R1)$/, "deepseek_v3"],
  [/^openai\/gpt-oss/, "openai"],
];
const TOOL_PARSER_SOURCE = "docs.vllm.ai features/tool_calling (parser names per model family)";

function nativePrecisionOf(torchDtype: string): Precision {
  const t = torchDtype.toLowerCase();
  if (t.includes("mxfp4")) return "mxfp4";
  if (t.includes("fp8")) return "fp8";
  return "bf16";
}

function toWeights(raw: z.infer<typeof rawModel>): WeightVariant[] {
  const byPrecision = new Map<Precision, WeightVariant>();
  for (const w of raw.weights) {
    const parsed = parsePrecisionLabel(w.precision);
    if (!parsed) continue;
    // Repo cells sometimes carry a remark ("… (3.3)" marks a different release): keep only same-model repos.
    const [repo = "", remark] = w.repo.split(" (");
    if (remark && /^\d/.test(remark)) continue;
    const variant: WeightVariant = { precision: parsed.precision, repo, official: w.official === true, quantization: parsed.quantization };
    const seen = byPrecision.get(parsed.precision);
    if (!seen || (!seen.official && variant.official)) byPrecision.set(parsed.precision, variant);
  }
  return [...byPrecision.values()];
}

function toModelSpec(raw: z.infer<typeof rawModel>, sourceKeys: Record<string, string>): ModelSpec {
  const totalParamsB = raw.total_params_b ?? raw.total_params_b_computed;
  if (totalParamsB === null) throw new Error(`catalog: ${raw.id} has no parameter count`);
  const attention: AttentionLayout = raw.mla
    ? { kind: "mla", kvLoraRank: raw.mla.kv_lora_rank, qkRopeHeadDim: raw.mla.qk_rope_head_dim }
    : { kind: "gqa", kvHeads: raw.num_key_value_heads, headDim: raw.head_dim ?? raw.hidden_size / raw.num_attention_heads, slidingWindow: raw.sliding_window };
  const cited = Object.keys(sourceKeys).filter((k) => JSON.stringify(raw.sources).includes(k) || raw.weights_source.includes(k) || raw.license_source.includes(k));
  return {
    id: raw.id,
    family: raw.family,
    architecture: raw.architecture,
    kind: raw.type,
    totalParamsB,
    activeParamsB: raw.active_params_b ?? totalParamsB,
    layers: raw.num_hidden_layers,
    hiddenSize: raw.hidden_size,
    attentionHeads: raw.num_attention_heads,
    intermediateSize: raw.intermediate_size,
    vocabSize: raw.vocab_size,
    tiedEmbeddings: raw.tie_word_embeddings,
    attention,
    moe: raw.moe ? { experts: raw.moe.num_experts, expertsPerToken: raw.moe.experts_per_tok, intermediateSize: raw.moe.moe_intermediate } : null,
    nativeContext: raw.native_context,
    license: raw.license,
    trustRemoteCode: raw.trust_remote_code,
    reasoningParser: raw.reasoning_parser,
    toolCallParser: TOOL_CALL_PARSERS.find(([re]) => re.test(raw.id))?.[1] ?? null,
    nativePrecision: nativePrecisionOf(raw.torch_dtype),
    weights: toWeights(raw),
    validTensorParallel: raw.valid_tp_sizes,
    fp8ValidTensorParallel: raw.fp8_block_valid_tp,
    sources: [
      ...Object.values(raw.sources),
      ...(raw.weights_source ? [`weights: ${raw.weights_source}`] : []),
      `license: ${raw.license_source}`,
      ...cited.map((k) => `${k}: ${sourceKeys[k]}`),
      TOOL_PARSER_SOURCE,
    ],
    unverified: raw.unverified_fields,
    gated: GATED.test(raw.id),
  };
}

function loadModels(): ModelSpec[] {
  const file = rawModelFile.parse(JSON.parse(readFileSync(path.join(__dirname, "data", "models.json"), "utf8")));
  return file.models.map((m) => toModelSpec(m, file.source_keys));
}

/** Every model the kit knows, in catalog order. */
export const MODELS: readonly ModelSpec[] = loadModels();
const MODELS_BY_ID = new Map(MODELS.map((m) => [m.id.toLowerCase(), m]));

/** Looks a model up by its Hugging Face id (case-insensitive, as the Hub treats ids). */
export function findModel(id: string): ModelSpec | undefined {
  return MODELS_BY_ID.get(id.toLowerCase());
}

/** The weight repo for a precision, or undefined when no checkpoint exists in that precision. */
export function weightsFor(model: ModelSpec, precision: Precision): WeightVariant | undefined {
  return model.weights.find((w) => w.precision === precision);
}

/** Tensor-parallel sizes valid for this model at this precision. */
export function validTensorParallelSizes(model: ModelSpec, precision: Precision): readonly number[] {
  return precision === "fp8" && model.fp8ValidTensorParallel ? model.fp8ValidTensorParallel : model.validTensorParallel;
}
