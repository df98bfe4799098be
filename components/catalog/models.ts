/**
 * The model catalog: each entry's Hugging Face config fields (read by `hf-config.ts`, exactly as for a user's
 * own `config.json`), published facts (parameter counts, context, license, gating) and the weight repos per
 * precision, every one with its source. Facts live in `data/models.json`, so a correction is a data edit.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import type { Architecture, AttentionGroup, MoeShape } from "./architecture";
import { derivedMaxModelLen, type ContextLimits } from "./context";
import { architectureFromConfig } from "./hf-config";
import { paramsFromArchitecture, type ParamBreakdown } from "./params";
import { parsePrecisionLabel, type Precision, type QuantizationMethod } from "./precision";

const rawYarn = z.object({
  original_max_position_embeddings: z.number().int(), max_context: z.number().int(), rope_theta: z.number().nullable(),
  nested: z.literal("text_config").optional(), source: z.string(),
  rope_parameters: z.record(z.string(), z.unknown()).optional(), allow_long_max_model_len: z.boolean().optional(),
});
const rawModel = z.object({
  id: z.string(),
  family: z.string(),
  total_params_b: z.number(),
  active_params_b: z.number(),
  vision_params_b: z.number().nullable(),
  native_context: z.number().int(),
  config: z.record(z.string(), z.unknown()),
  config_source: z.string(),
  yarn: rawYarn.nullable(),
  kv_cache_dtype_default: z.enum(["fp8"]).nullable(),
  gated: z.boolean(),
  gated_source: z.string(),
  license: z.string(),
  license_source: z.string(),
  trust_remote_code: z.boolean(),
  reasoning_parser: z.string().nullable(),
  tool_call_parser: z.string().nullable(),
  tool_call_source: z.string(),
  vllm_flags: z.array(z.string()),
  min_vllm: z.string().nullable(),
  weights: z.array(z.object({ repo: z.string(), precision: z.string(), official: z.boolean().nullable() })),
  weights_source: z.string(),
  valid_tp_sizes: z.array(z.number().int()).nullable(),
  sources: z.record(z.string(), z.string()),
  unverified_fields: z.array(z.string()),
}).passthrough();
const rawModelFile = z.object({ source_keys: z.record(z.string(), z.string()), models: z.array(rawModel) });
export type RawCatalogModel = z.infer<typeof rawModel>;

export interface WeightVariant {
  readonly precision: Precision;
  /** Hugging Face repo id (or the model id of a user's own config). */
  readonly repo: string;
  /** Published by the model's authors (false: a well-known community quantization). */
  readonly official: boolean;
  readonly quantization: QuantizationMethod;
  /** FP8 block-wise scales of this size: every tensor-parallel slice must be whole blocks (vLLM fp8.py). */
  readonly fp8BlockSize: number | null;
  /** Only routed experts are quantized; attention, shared experts and embeddings stay BF16. */
  readonly expertsOnly: boolean;
}

export interface ModelSpec {
  readonly id: string;
  readonly family: string;
  readonly architecture: Architecture;
  readonly kind: "dense" | "moe";
  readonly totalParamsB: number;
  readonly activeParamsB: number;
  /** The split the memory model needs (embeddings, routed experts, vision), scaled to the published total. */
  readonly params: ParamBreakdown;
  readonly layers: number;
  readonly hiddenSize: number;
  readonly attentionHeads: number;
  readonly intermediateSize: number;
  readonly vocabSize: number;
  readonly tiedEmbeddings: boolean;
  readonly attention: readonly AttentionGroup[];
  readonly moe: MoeShape | null;
  readonly context: ContextLimits;
  readonly license: string;
  readonly trustRemoteCode: boolean;
  /** vLLM `--reasoning-parser`, when the model emits separable reasoning. */
  readonly reasoningParser: string | null;
  /** vLLM `--tool-call-parser`, when vLLM can parse the model's tool calls with its own chat template. */
  readonly toolCallParser: string | null;
  /** Extra `vllm serve` flags the model needs (e.g. a tokenizer mode). */
  readonly vllmFlags: readonly string[];
  /** The oldest vLLM release that serves it, per its recipe (null: any the kit pins). */
  readonly minVllm: string | null;
  /** KV-cache dtype vLLM uses for it by default (DeepSeek-V3.2: fp8, stored as fp8_ds_mla). */
  readonly kvCacheDtypeDefault: "auto" | "fp8";
  /** The precision the authors ship; the default when a stack does not choose. */
  readonly nativePrecision: Precision;
  readonly weights: readonly WeightVariant[];
  /** Tensor-parallel sizes vLLM accepts for the attention layout (heads and KV heads divide evenly). */
  readonly validTensorParallel: readonly number[];
  readonly sources: readonly string[];
  readonly unverified: readonly string[];
  /** The Hub requires accepting the license (and a token) before download. */
  readonly gated: boolean;
  /** Why it cannot be sized yet (listed, never sized with a wrong number); null when it can. */
  readonly cannotSize: string | null;
  /** True for a model read from a user's config.json rather than the catalog. */
  readonly userSupplied: boolean;
}

const TP_CANDIDATES = [1, 2, 4, 8, 16, 32, 64];

/** TP must divide the attention heads; KV heads are split or replicated (vllm/config/model.py verify_with_parallel_config). */
export function tensorParallelSizesFor(arch: Architecture): number[] {
  const divides = (n: number, tp: number) => n % tp === 0;
  return TP_CANDIDATES.filter((tp) => divides(arch.attentionHeads, tp) && arch.attention.every((g) => {
    if (g.kind === "full" || g.kind === "sliding" || g.kind === "chunked") return divides(g.kvHeads, tp) || divides(tp, g.kvHeads);
    if (g.kind === "gated-deltanet") return divides(g.keyHeads, tp) && divides(g.valueHeads, tp);
    if (g.kind === "lightning") return divides(g.heads, tp);
    return true;
  }));
}

function nativePrecisionOf(arch: Architecture): Precision {
  const q = arch.quantization;
  if (!q) return "bf16";
  if (q.method === "mxfp4") return "mxfp4";
  if (q.method === "modelopt_fp4") return "nvfp4";
  return q.bits <= 4 ? "int4" : q.method === "fp8" ? "fp8" : "int8";
}

function toWeights(raw: RawCatalogModel, arch: Architecture, native: Precision): WeightVariant[] {
  const byPrecision = new Map<Precision, WeightVariant>();
  for (const w of raw.weights) {
    const parsed = parsePrecisionLabel(w.precision);
    if (!parsed) continue;
    // Repo cells sometimes carry a remark ("… (3.3)" marks a different release): keep only same-model repos.
    const [repo = "", remark] = w.repo.split(" (");
    if (remark && /^\d/.test(remark)) continue;
    const isNative = repo === raw.id && parsed.precision === native;
    const variant: WeightVariant = {
      precision: parsed.precision, repo, official: w.official === true, quantization: parsed.quantization,
      fp8BlockSize: isNative ? arch.quantization?.blockSize ?? null : parsed.blockSize,
      expertsOnly: isNative ? arch.quantization?.expertsOnly ?? false : parsed.precision === "mxfp4" || parsed.quantization === "experts_int8",
    };
    const seen = byPrecision.get(parsed.precision);
    if (!seen || (!seen.official && variant.official)) byPrecision.set(parsed.precision, variant);
  }
  return [...byPrecision.values()];
}

/** Scales the architecture's split to the published total (the split's shares stay, the total is the card's). */
function publishedParams(arch: Architecture, totalB: number, activeB: number, visionB: number | null): ParamBreakdown {
  const computed = paramsFromArchitecture({ ...arch, visionParamsB: visionB ?? arch.visionParamsB });
  const scale = (totalB - computed.visionB) / Math.max(1e-9, computed.totalB - computed.visionB);
  return { totalB, activeB, embeddingB: computed.embeddingB, routedExpertB: computed.routedExpertB * scale, visionB: computed.visionB };
}

export function modelSpecFrom(raw: RawCatalogModel, sourceKeys: Readonly<Record<string, string>> = {}): ModelSpec {
  const arch = architectureFromConfig(raw.config, `catalog entry ${raw.id}`);
  const native = nativePrecisionOf(arch);
  const cited = Object.keys(sourceKeys).filter((k) => [JSON.stringify(raw.sources), raw.weights_source, raw.license_source, raw.config_source].some((s) => s.includes(k)));
  return {
    id: raw.id, family: raw.family, architecture: arch, kind: arch.moe ? "moe" : "dense",
    totalParamsB: raw.total_params_b, activeParamsB: raw.active_params_b,
    params: publishedParams(arch, raw.total_params_b, raw.active_params_b, raw.vision_params_b),
    layers: arch.layers, hiddenSize: arch.hiddenSize, attentionHeads: arch.attentionHeads, intermediateSize: arch.intermediateSize,
    vocabSize: arch.vocabSize, tiedEmbeddings: arch.tiedEmbeddings, attention: arch.attention, moe: arch.moe,
    context: {
      derivedMax: derivedMaxModelLen(arch), nativeContext: raw.native_context,
      yarn: raw.yarn ? { originalMaxPositionEmbeddings: raw.yarn.original_max_position_embeddings, maxContext: raw.yarn.max_context, ropeTheta: raw.yarn.rope_theta ?? arch.ropeTheta, nestedUnder: raw.yarn.nested ?? null, source: raw.yarn.source,
        ropeParameters: raw.yarn.rope_parameters ?? {}, allowLongMaxModelLen: raw.yarn.allow_long_max_model_len ?? false } : null,
    },
    license: raw.license, trustRemoteCode: raw.trust_remote_code, reasoningParser: raw.reasoning_parser, toolCallParser: raw.tool_call_parser,
    vllmFlags: raw.vllm_flags, minVllm: raw.min_vllm, kvCacheDtypeDefault: raw.kv_cache_dtype_default ?? "auto",
    nativePrecision: native, weights: toWeights(raw, arch, native), validTensorParallel: tensorParallelSizesFor(arch),
    sources: [
      `architecture: ${raw.config_source}`, ...Object.entries(raw.sources).map(([k, v]) => `${k}: ${v}`),
      ...(raw.weights_source ? [`weights: ${raw.weights_source}`] : []), `license: ${raw.license_source}`, `gated: ${raw.gated_source}`,
      ...(raw.tool_call_source ? [`tool calls: ${raw.tool_call_source}`] : []), ...(raw.yarn ? [`YaRN: ${raw.yarn.source}`] : []),
      ...cited.map((k) => `${k}: ${sourceKeys[k]}`),
    ],
    unverified: raw.unverified_fields, gated: raw.gated, cannotSize: arch.unsupported, userSupplied: false,
  };
}

function loadModels(): ModelSpec[] {
  const file = rawModelFile.parse(JSON.parse(readFileSync(path.join(__dirname, "data", "models.json"), "utf8")));
  return file.models.map((m) => modelSpecFrom(m, file.source_keys));
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
