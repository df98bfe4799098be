/**
 * Size presets: a stack says `omk:preset: medium` and gets a sensible model, context and replica range,
 * then overrides what it needs. Resolution is pure and happens before validation, so a preset's output
 * is checked exactly like a hand-written stack.
 */
import type { RawStackConfig } from "./validate";

export interface Preset {
  readonly description: string;
  readonly models: readonly Record<string, unknown>[];
}

/**
 * Why these models (README "Presets"): each is the newest open model of its size class the catalog sizes, with
 * a published vLLM recipe, an Apache-2.0 or MIT license and no remote code.
 */
export const PRESETS: Readonly<Record<string, Preset>> = {
  small: {
    description: "≈8B model on one GPU: Qwen3-8B, 16K context",
    models: [{ id: "Qwen/Qwen3-8B", maxModelLen: 16_384, replicas: { min: 1, max: 2 } }],
  },
  medium: {
    description: "≈30B dense model: Qwen3.6-27B (hybrid linear attention: small KV cache), 32K context",
    models: [{ id: "Qwen/Qwen3.6-27B", maxModelLen: 32_768, replicas: { min: 1, max: 2 } }],
  },
  large: {
    description: "≈80B MoE with 3B active: Qwen3-Next-80B-A3B-Instruct, 32K context, weights streamed from S3",
    models: [{ id: "Qwen/Qwen3-Next-80B-A3B-Instruct", maxModelLen: 32_768, replicas: { min: 1, max: 2 }, weights: { source: "s3" } }],
  },
  xlarge: {
    description: "DeepSeek-V3.2 (671B MoE, FP8, sparse attention): a full 8-GPU H200-class node, 32K context",
    models: [{ id: "deepseek-ai/DeepSeek-V3.2", maxModelLen: 32_768, replicas: { min: 1, max: 1 }, weights: { source: "s3" } }],
  },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Deep merge for plain objects; arrays and scalars in `over` replace those in `base`. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(base[k]) ? deepMerge(base[k] as Record<string, unknown>, v) : v;
  return out;
}

/**
 * Applies `omk:preset` (models when the stack lists none) and `omk:modelDefaults` (deep-merged into every
 * model). Unknown presets are left for validation to report with the list of known ones.
 */
export function applyPresets(raw: RawStackConfig): RawStackConfig {
  const { "omk:preset": presetName, "omk:modelDefaults": defaults, ...rest } = raw as Record<string, unknown>;
  const preset = typeof presetName === "string" ? PRESETS[presetName] : undefined;
  const explicit = rest["omk:models"];
  let models = explicit ?? preset?.models;
  // Precedence: preset model < modelDefaults < a model the stack lists itself.
  if (Array.isArray(models) && isObject(defaults)) {
    models = models.map((m) => (!isObject(m) ? m : explicit !== undefined ? deepMerge(defaults, m) : deepMerge(m, defaults)));
  }
  const out: Record<string, unknown> = { ...rest };
  if (models !== undefined) out["omk:models"] = models;
  if (presetName !== undefined && !preset) out["omk:preset"] = presetName;
  if (defaults !== undefined && !isObject(defaults)) out["omk:modelDefaults"] = defaults;
  return out;
}
