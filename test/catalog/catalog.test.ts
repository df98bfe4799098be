import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { INSTANCES, findInstance, offeredIn, priceIn } from "../../components/catalog/instances";
import { MODELS, findModel, validTensorParallelSizes, weightsFor } from "../../components/catalog/models";
import { PRECISIONS, parsePrecisionLabel } from "../../components/catalog/precision";

const rawModels = JSON.parse(readFileSync(path.join(__dirname, "../../components/catalog/data/models.json"), "utf8")).models as { id: string; weights: { precision: string }[] }[];

describe("model catalog", () => {
  it("has at least the 30 researched models, each with sources, a license and native-precision weights", () => {
    expect(MODELS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(MODELS.map((m) => m.id)).size).toBe(MODELS.length);
    for (const m of MODELS) {
      expect(m.sources.length, m.id).toBeGreaterThan(0);
      expect(m.license, m.id).not.toBe("");
      expect(weightsFor(m, m.nativePrecision), `${m.id} native ${m.nativePrecision}`).toBeDefined();
      expect(m.totalParamsB, m.id).toBeGreaterThan(0);
      expect(m.validTensorParallel, m.id).toContain(1);
    }
  });

  it("maps every precision label in the data (unknown spellings would fail here)", () => {
    for (const m of rawModels) for (const w of m.weights) expect(() => parsePrecisionLabel(w.precision), `${m.id}: ${w.precision}`).not.toThrow();
  });

  it.each([
    ["deepseek-ai/DeepSeek-R1", "fp8", "mla", "deepseek_r1", "deepseek_v3"],
    ["openai/gpt-oss-120b", "mxfp4", "gqa", null, "openai"],
    ["Qwen/Qwen3-32B", "bf16", "gqa", "qwen3", "hermes"],
    ["Qwen/QwQ-32B", "bf16", "gqa", "deepseek_r1", "hermes"],
    ["meta-llama/Llama-3.1-8B-Instruct", "bf16", "gqa", null, "llama3_json"],
    ["deepseek-ai/DeepSeek-R1-Distill-Llama-70B", "bf16", "gqa", "deepseek_r1", null],
  ])("%s: native %s, %s attention, reasoning %s, tools %s", (id, native, attention, reasoning, tools) => {
    const m = findModel(id)!;
    expect(m.nativePrecision).toBe(native);
    expect(m.attention.kind).toBe(attention);
    expect(m.reasoningParser).toBe(reasoning);
    expect(m.toolCallParser).toBe(tools);
  });

  it("finds ids case-insensitively, as the Hub does", () => {
    expect(findModel("qwen/qwen3-8b")?.id).toBe("Qwen/Qwen3-8B");
  });

  it("keeps only same-release weight repos (no Llama 3.3 checkpoint under Llama 3.1)", () => {
    const llama70 = findModel("meta-llama/Llama-3.1-70B-Instruct")!;
    expect(llama70.weights.map((w) => w.precision)).toEqual(["bf16"]);
    expect(weightsFor(findModel("Qwen/Qwen3-8B")!, "fp8")?.repo).toBe("Qwen/Qwen3-8B-FP8");
  });

  it("narrows TP for block-128 FP8 MoE checkpoints", () => {
    const moe = findModel("Qwen/Qwen3-30B-A3B")!;
    expect(validTensorParallelSizes(moe, "fp8")).toEqual([1, 2]);
    expect(validTensorParallelSizes(moe, "bf16")).toContain(4);
  });

  it("only uses the kit's precision vocabulary", () => {
    for (const m of MODELS) for (const w of m.weights) expect(PRECISIONS).toContain(w.precision);
  });
});

describe("instance catalog", () => {
  it("has at least the 45 researched GPU types with GPU facts and a us-east-1 price (p5e: Capacity Blocks only)", () => {
    expect(INSTANCES.length).toBeGreaterThanOrEqual(45);
    for (const i of INSTANCES) {
      expect(i.gpu.count, i.type).toBeGreaterThan(0);
      expect(i.gpu.memoryMiB, i.type).toBeGreaterThan(15_000);
      expect(i.gpu.computeCapability, i.type).toBeGreaterThanOrEqual(7.5);
      if (i.type !== "p5e.48xlarge") expect(i.prices["us-east-1"]?.usdPerHour, i.type).toBeGreaterThan(0);
    }
    expect(findInstance("p5e.48xlarge")?.priceNote).toMatch(/capacity blocks/i);
  });

  it.each([
    ["g6e.12xlarge", "eu-central-1", 13.12002, false],
    ["p5.48xlarge", "us-east-1", 55.04, false],
  ])("%s in %s costs the published $%s/h", (type, region, usd, estimate) => {
    expect(priceIn(findInstance(type)!, region)).toMatchObject({ usdPerHour: usd, estimate });
  });

  it("marks a price derived for a region without a published one as an estimate", () => {
    const q = priceIn(findInstance("g6e.xlarge")!, "eu-central-1")!;
    expect(q.estimate).toBe(true);
    expect(q.basis).toMatch(/^ESTIMATE/);
    // eu-central-1 runs ~25 % above us-east-1 in every published pair.
    expect(q.usdPerHour / 1.861).toBeCloseTo(1.25, 1);
  });

  it.each([
    ["p6-b300.48xlarge", "us-west-2", "listed"],
    ["p6-b300.48xlarge", "us-east-1", "priced-only"],
    ["p6-b200.48xlarge", "eu-west-1", "not-offered"],
    ["g5.xlarge", "eu-west-1", "assumed"],
    ["g7e.2xlarge", "eu-west-1", "not-offered"],
    ["g6.xlarge", "mars-north-1", "not-offered"],
  ])("%s in %s is %s", (type, region, availability) => {
    expect(offeredIn(findInstance(type)!, region)).toBe(availability);
  });
});
