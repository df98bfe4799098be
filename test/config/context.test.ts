/**
 * Context length as vLLM derives it, and YaRN beyond it (vllm/config/model.py `_get_and_verify_max_len`;
 * docs.vllm.ai features/context_extension: `--hf-overrides` with rope_parameters, `--rope-scaling` removed), and
 * sizing without credentials.
 */
import { describe, expect, it } from "vitest";
import { yarnFor } from "../../components/catalog/context";
import { findModel } from "../../components/catalog/models";
import { resolveStack } from "../../components/config/validate";
import { flagValue, vllmArgs } from "../../components/serving/vllm-args";
import { main } from "../../cli/omk";
import { stackConfig } from "../harness/stack";

async function omk(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

const resolved = (model: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
  const r = resolveStack(stackConfig([model], extra), "t", new Set(["omk:hfToken"]));
  if (!r.ok) throw r.error;
  return r.stack.models[0]!;
};
const args = (m: ReturnType<typeof resolved>) => vllmArgs({ model: m, modelUri: m.spec.id, bf16: true });

describe("vLLM's derived maximum is the default ceiling", () => {
  it.each([
    // max_position_embeddings, or original × factor when config.json carries YaRN (DeepSeek: 4096 × 40, Kimi-K2: 4096 × 32).
    ["Qwen/Qwen3-8B", 40_960],
    ["Qwen/Qwen2.5-7B-Instruct", 32_768],
    ["deepseek-ai/DeepSeek-R1", 163_840],
    ["moonshotai/Kimi-K2-Instruct", 131_072],
    ["moonshotai/Kimi-K2-Thinking", 262_144],
    ["openai/gpt-oss-120b", 131_072],
    // llama3-type scaling is not multiplied.
    ["meta-llama/Llama-4-Scout-17B-16E-Instruct", 10_485_760],
  ])("%s: %i", (id, max) => {
    expect(findModel(id)!.context.derivedMax).toBe(max);
  });

  it("Qwen3 at 40,960 (vLLM's own default for it) plans without YaRN", () => {
    const m = resolved({ id: "Qwen/Qwen3-8B", maxModelLen: 40_960, concurrency: 1 });
    expect(m.yarn).toBeNull();
    expect(flagValue(args(m), "--max-model-len")).toBe("40960");
    expect(args(m)).not.toContain("--hf-overrides");
  });
});

describe("YaRN within the model's documented extension", () => {
  it("Qwen2.5-7B at 131,072 turns YaRN on (factor 4 over 32,768) with --hf-overrides and sizes the longer context", () => {
    const m = resolved({ id: "Qwen/Qwen2.5-7B-Instruct", maxModelLen: 131_072, concurrency: 1 });
    expect(m.yarn?.factor).toBe(4);
    expect(JSON.parse(flagValue(args(m), "--hf-overrides")!)).toEqual({ rope_parameters: { rope_type: "yarn", factor: 4, original_max_position_embeddings: 32_768, rope_theta: 1_000_000 } });
    expect(args(m)).not.toContain("--rope-scaling");
    expect(m.placement.maxConcurrency).toBeGreaterThanOrEqual(1);
    expect(m.placement.memory.bytesPerSequencePerGpu).toBeGreaterThanOrEqual(131_072 * m.placement.memory.kvBytesPerTokenPerGpu);
  });

  it("scales YaRN just enough: 65,536 on Qwen3-8B is factor 2", () => {
    expect(resolved({ id: "Qwen/Qwen3-8B", maxModelLen: 65_536, concurrency: 1 }).yarn?.factor).toBe(2);
  });

  it("nests the override under text_config where the model keeps RoPE there (Qwen3.5)", () => {
    const y = resolved({ id: "Qwen/Qwen3.5-397B-A17B", maxModelLen: 524_288, concurrency: 1 }).yarn!;
    expect(y.hfOverrides).toEqual({ text_config: { rope_parameters: expect.objectContaining({ rope_type: "yarn", factor: 2, original_max_position_embeddings: 262_144 }) } });
  });

  it("keeps Qwen3.5's M-RoPE keys in the override and allows the long length, exactly as the recipe's long_context feature", () => {
    // vllm-project/recipes models/Qwen/Qwen3.5-397B-A17B.yaml (long_context), factor 4 over 262,144:
    const recipe = { text_config: { rope_parameters: { mrope_interleaved: true, mrope_section: [11, 11, 10], rope_type: "yarn", rope_theta: 10_000_000, partial_rotary_factor: 0.25, factor: 4.0, original_max_position_embeddings: 262_144 } } };
    const limits = findModel("Qwen/Qwen3.5-397B-A17B")!.context;
    const y = yarnFor(limits, 4 * 262_144)!;
    expect(y.hfOverrides).toEqual(recipe);
    expect(y.env).toEqual({ VLLM_ALLOW_LONG_MAX_MODEL_LEN: "1" });
    // The server gets both.
    const m = resolved({ id: "Qwen/Qwen3.5-397B-A17B", maxModelLen: 524_288, concurrency: 1 });
    expect(JSON.parse(flagValue(args(m), "--hf-overrides")!).text_config.rope_parameters).toMatchObject({ mrope_section: [11, 11, 10], partial_rotary_factor: 0.25, factor: 2 });
  });

  it("beyond the extension: a clear error naming the maximum", () => {
    const r = resolveStack(stackConfig([{ id: "Qwen/Qwen2.5-7B-Instruct", maxModelLen: 200_000 }]), "t");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/maxModelLen: 200000 — must be ≤ 131072 for Qwen\/Qwen2\.5-7B-Instruct: its documented YaRN extension/);
  });

  it.each([131_072, 8192])("refuses --hf-overrides in extraArgs at maxModelLen %i (it would change the config after sizing)", (maxModelLen) => {
    const r = resolveStack(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen, concurrency: 1, extraArgs: ['--hf-overrides={"max_position_embeddings": 999999}'] }]), "t");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/extraArgs\[0\].*would change the model config the kit sized.*Fix: give the changed config.json as modelConfig/);
  });

  it("omk size and omk plan say so", async () => {
    const r = await omk("size", "--model", "Qwen/Qwen2.5-7B-Instruct", "--max-model-len", "131072", "--concurrency", "1");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/YaRN factor 4 × the original 32,768 positions \(vLLM.s own maximum without it: 32,768\); static YaRN can cost quality on short prompts/);
  });
});

describe("sizing needs no token; deploying a gated model does", () => {
  it("omk size works for a gated model and says a token is needed to deploy", async () => {
    const r = await omk("size", "--model", "meta-llama/Llama-3.1-70B-Instruct", "--max-model-len", "8192");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/Gated on Hugging Face: deploying it needs the license accepted and omk:hfToken; sizing did not/);
  });

  it("plan still requires omk:hfToken for it, with the clear error", () => {
    const r = resolveStack(stackConfig([{ id: "meta-llama/Llama-3.1-8B-Instruct", maxModelLen: 8192 }]), "t");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.problems).toEqual([expect.objectContaining({ path: "omk:hfToken", message: expect.stringMatching(/gated repository/) })]);
  });

  it("omk models marks gated repos and lists what cannot be sized yet", async () => {
    const r = await omk("models", "--json");
    const rows = JSON.parse(r.out) as { id: string; gated: boolean; cannotSize: string | null }[];
    // Gating per the Hub (research pass: model cards' access requests, 401 GatedRepo reports, HF API gated:false).
    const gated = rows.filter((x) => x.gated).map((x) => x.id);
    expect(gated).toEqual(expect.arrayContaining(["meta-llama/Llama-3.1-70B-Instruct", "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-4-Scout-17B-16E-Instruct", "mistralai/Mistral-7B-Instruct-v0.3"]));
    expect(gated).not.toContain("mistralai/Mistral-Small-3.2-24B-Instruct-2506");
    expect(gated).not.toContain("Qwen/Qwen3-8B");
    expect(rows.find((x) => x.id === "deepseek-ai/DeepSeek-V4-Flash")?.cannotSize).toMatch(/compressed sparse attention/);
    const text = await omk("models");
    expect(text.out).toMatch(/deepseek-ai\/DeepSeek-V4-Flash cannot be sized yet: compressed sparse attention/);
  });

  it("a model that cannot be sized yet is refused with why, never sized with a wrong number", async () => {
    const r = await omk("size", "--model", "deepseek-ai/DeepSeek-V4-Flash");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--model "deepseek-ai\/DeepSeek-V4-Flash": cannot be sized yet: compressed sparse attention/);
  });
});
