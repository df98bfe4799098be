/**
 * Context limits as vLLM derives them, and YaRN beyond them (pure).
 *
 * vLLM's default and maximum `--max-model-len` (vllm/config/model.py `_get_and_verify_max_len`): the smallest of
 * the config's length keys (max_position_embeddings, …); when the config carries RoPE scaling of a type other
 * than llama3/longrope/su, that length × `factor` — and for YaRN, `original_max_position_embeddings` × `factor`.
 * Asking for more needs the model's documented YaRN extension, enabled with
 * `--hf-overrides '{"rope_parameters": {...}}'` (docs.vllm.ai features/context_extension: the `--rope-scaling`
 * flag was removed by vllm-project/vllm#28006, Nov 2025; the override replaces the whole dict, so rope_theta
 * goes with it). vLLM's YaRN is static: it applies to short prompts too (Qwen docs, "Processing Long Texts").
 */
import type { Architecture } from "./architecture";

export interface YarnExtension {
  /** The length YaRN scales from (Qwen: 32,768; Qwen3-2507/Next/Coder: 262,144). */
  readonly originalMaxPositionEmbeddings: number;
  /** The longest context the model's authors document with YaRN. */
  readonly maxContext: number;
  readonly ropeTheta: number | null;
  /** Multimodal Qwen3.5 keeps RoPE under text_config, so the override nests there. */
  readonly nestedUnder: "text_config" | null;
  /**
   * The model's own rope_parameters keys the override must keep (it replaces the whole dict): Qwen3.5/3.6's
   * M-RoPE layout and partial rotary factor. Without them the rotary embedding is wrong.
   */
  readonly ropeParameters: Readonly<Record<string, unknown>>;
  /** The recipe also sets VLLM_ALLOW_LONG_MAX_MODEL_LEN=1 (vLLM otherwise caps at max_position_embeddings). */
  readonly allowLongMaxModelLen: boolean;
  readonly source: string;
}

export interface ContextLimits {
  /** vLLM's derived maximum: its default `--max-model-len` and the most it allows without overrides. */
  readonly derivedMax: number;
  /** The context the model was trained for, per its card (≤ derivedMax for most models). */
  readonly nativeContext: number;
  readonly yarn: YarnExtension | null;
}

/** RoPE types vLLM does not multiply the length by (they already describe the full context). */
const NOT_MULTIPLIED = new Set(["llama3", "longrope", "su", "default", "mrope"]);

export function derivedMaxModelLen(arch: Pick<Architecture, "maxPositionEmbeddings" | "ropeScaling">): number {
  const r = arch.ropeScaling;
  if (!r || NOT_MULTIPLIED.has(r.type)) return arch.maxPositionEmbeddings;
  const base = r.type === "yarn" && r.originalMaxPositionEmbeddings ? r.originalMaxPositionEmbeddings : arch.maxPositionEmbeddings;
  return Math.floor(base * r.factor);
}

/** The most a stack may ask for: vLLM's derived maximum, or the documented YaRN extension. */
export function contextCeiling(limits: ContextLimits): number {
  return Math.max(limits.derivedMax, limits.yarn?.maxContext ?? 0);
}

export interface YarnSetting {
  readonly factor: number;
  /** The JSON `--hf-overrides` takes. */
  readonly hfOverrides: Record<string, unknown>;
  /** Environment the server needs with it. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * YaRN for a context beyond vLLM's derived maximum, or null when none is needed. The factor is just large
 * enough (Qwen's advice: scale to the length you need, e.g. 2.0 for ~64K, since static YaRN costs quality).
 */
export function yarnFor(limits: ContextLimits, maxModelLen: number): YarnSetting | null {
  if (maxModelLen <= limits.derivedMax || !limits.yarn) return null;
  const y = limits.yarn;
  const factor = Math.ceil((maxModelLen / y.originalMaxPositionEmbeddings) * 100) / 100;
  const rope: Record<string, unknown> = { ...y.ropeParameters, rope_type: "yarn", factor, original_max_position_embeddings: y.originalMaxPositionEmbeddings };
  if (y.ropeTheta !== null) rope.rope_theta = y.ropeTheta;
  const overrides = { rope_parameters: rope };
  return {
    factor, hfOverrides: y.nestedUnder ? { [y.nestedUnder]: overrides } : overrides,
    env: y.allowLongMaxModelLen ? { VLLM_ALLOW_LONG_MAX_MODEL_LEN: "1" } : {},
  };
}
