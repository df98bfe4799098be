/**
 * Bring your own model: a Hugging Face config.json is sized by the same code as the catalog (whose entries are
 * config.json fields too), and a config the kit cannot size fails with the field named.
 */
import * as path from "node:path";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { architectureFromConfig, ModelConfigError } from "../../components/catalog/hf-config";
import { MODELS, findModel } from "../../components/catalog/models";
import { paramsFromArchitecture } from "../../components/catalog/params";
import { readModelConfigFile, userModelSpec } from "../../components/catalog/user-model";
import { main } from "../../cli/omk";
import { plan, stackConfig } from "../harness/stack";

const FIXTURES = path.join(__dirname, "../fixtures/configs");

async function omk(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

describe("architecture from config.json", () => {
  it("reads a user's Qwen3-8B config exactly as the catalog's", () => {
    const user = userModelSpec("me/qwen3-8b", readModelConfigFile(path.join(FIXTURES, "qwen3-8b.config.json")), "qwen3-8b.config.json");
    const catalog = findModel("Qwen/Qwen3-8B")!;
    expect(user.attention).toEqual(catalog.attention);
    expect(user.context.derivedMax).toBe(40_960);
    // Computed parameters land within 2 % of the published 8.2B.
    expect(Math.abs(user.totalParamsB - 8.2) / 8.2).toBeLessThan(0.02);
  });

  it("computed parameter counts agree with the published ones for every catalog model (a data and code cross-check)", () => {
    for (const m of MODELS.filter((x) => !x.cannotSize)) {
      const computed = paramsFromArchitecture(m.architecture).totalB;
      expect(Math.abs(computed - m.totalParamsB) / m.totalParamsB, `${m.id}: computed ${computed.toFixed(1)}B vs published ${m.totalParamsB}B`).toBeLessThan(0.06);
    }
  });

  it("tensor-parallel sizes computed from the heads match the catalog's researched lists (up to TP 16)", () => {
    const raw = JSON.parse(readFileSync(path.join(__dirname, "../../components/catalog/data/models.json"), "utf8")).models as { id: string; valid_tp_sizes: number[] | null }[];
    const researched = raw.filter((r) => r.valid_tp_sizes);
    expect(researched.length).toBeGreaterThanOrEqual(30);
    for (const r of researched) expect(findModel(r.id)!.validTensorParallel.filter((tp) => tp <= 16), r.id).toEqual(r.valid_tp_sizes!.filter((tp) => tp <= 16));
  });

  it.each([
    ["mamba-hybrid.config.json", /hybrid_override_pattern.*Mamba\/attention hybrid layers.*not something the kit can size yet/],
  ])("%s is listed as not sizable, naming the field", (file, why) => {
    const arch = architectureFromConfig(readModelConfigFile(path.join(FIXTURES, file)), file);
    expect(arch.unsupported).toMatch(why);
  });

  it("a missing required field is an error naming it", () => {
    expect(() => architectureFromConfig(readModelConfigFile(path.join(FIXTURES, "missing-layers.config.json")), "missing-layers.config.json"))
      .toThrow(/missing-layers\.config\.json: num_hidden_layers is missing or not a positive number/);
  });

  it("an unknown layer kind or quantization format is an error naming the field", () => {
    const base = { architectures: ["X"], num_hidden_layers: 2, hidden_size: 64, num_attention_heads: 4, vocab_size: 100, max_position_embeddings: 512 };
    expect(() => architectureFromConfig({ ...base, layer_types: ["full_attention", "cross_attention"] }, "c")).toThrow(/layer_types contains "cross_attention"/);
    expect(() => architectureFromConfig({ ...base, quantization_config: { quant_method: "hqq" } }, "c")).toThrow(ModelConfigError);
  });
});

describe("omk size --model-config and the modelConfig stack key", () => {
  it("sizes a config file like the catalog model it describes", async () => {
    const catalog = JSON.parse((await omk("size", "--model", "Qwen/Qwen3-8B", "--max-model-len", "8192", "--json")).out);
    const own = await omk("size", "--model-config", path.join(FIXTURES, "qwen3-8b.config.json"), "--max-model-len", "8192", "--json");
    expect(own.code, own.err).toBe(0);
    const j = JSON.parse(own.out);
    expect(j.kvBytesPerTokenPerGpu).toBe(catalog.kvBytesPerTokenPerGpu);
    expect(j.instanceType).toBe(catalog.instanceType);
    expect(j.model).toBe("local/configs");
    expect(j.estimates).toContain("parameter counts computed from config.json");
  });

  it("names the unreadable file or the unsizable field", async () => {
    const missing = await omk("size", "--model-config", "/nope/config.json");
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/--model-config "\/nope\/config\.json": \/nope\/config\.json: \(file\) cannot be read \(ENOENT\)/);
    const mamba = await omk("size", "--model-config", path.join(FIXTURES, "mamba-hybrid.config.json"));
    expect(mamba.code).toBe(1);
    expect(mamba.err).toMatch(/cannot be sized yet: config\.json field "hybrid_override_pattern"/);
  });

  it("plans a stack whose model comes from its own config.json", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "omk-byo-"));
    const file = path.join(dir, "config.json");
    writeFileSync(file, readFileSync(path.join(FIXTURES, "qwen3-8b.config.json"), "utf8"));
    const p = await plan(stackConfig([{ id: "my-org/my-qwen", modelConfig: file, maxModelLen: 8192 }]));
    expect(p.models[0]).toMatchObject({ model: "my-org/my-qwen", weightsRepo: "my-org/my-qwen", instanceType: "g6e.xlarge" });
  });
});

describe("DeepSeek Sparse Attention's KV dtype, however the model is given", () => {
  // vLLM turns "auto" into fp8_ds_mla for DeepseekV32 (vllm/config/cache.py), so every route must size 48,068 B/token.
  const stored = (JSON.parse(readFileSync(path.resolve(__dirname, "../../components/catalog/data/models.json"), "utf8")) as { models: { id: string; config: unknown }[] })
    .models.find((m) => m.id === "deepseek-ai/DeepSeek-V3.2")!.config;

  it("a config.json with an indexer defaults to fp8, like the catalog entry", () => {
    expect(userModelSpec("deepseek-ai/DeepSeek-V3.2", stored, "test").kvCacheDtypeDefault).toBe("fp8");
    expect(findModel("deepseek-ai/DeepSeek-V3.2")!.kvCacheDtypeDefault).toBe("fp8");
  });

  it("an explicit kvCacheDtype: auto is sized as vLLM runs it", async () => {
    const p = await plan(stackConfig([{ id: "deepseek-ai/DeepSeek-V3.2", maxModelLen: 8192, kvCacheDtype: "auto", instanceType: "p5en.48xlarge" }]));
    expect(p.models[0]).toMatchObject({ kvCacheDtype: "fp8", kvBytesPerTokenPerGpu: 48_068 });
  });
});

describe("a stack's modelConfig in the plan", () => {
  it("says the sizing comes from the file, with estimated parameters, and that a catalog entry of the same id is not used", async () => {
    const p = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", modelConfig: "test/fixtures/configs/qwen3-8b.config.json", maxModelLen: 8192 }]));
    expect(p.warnings.join("\n")).toMatch(/qwen3-8b is sized from test\/fixtures\/configs\/qwen3-8b\.config\.json: its parameter counts are ESTIMATES.*catalog's own entry for Qwen\/Qwen3-8B .*is not used/);
  });
});
