import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { INSTANCES, findInstance, offeredIn, priceIn } from "../../components/catalog/instances";
import { MODELS, findModel, weightsFor } from "../../components/catalog/models";
import { layoutProblem } from "../../components/sizing/parallel";
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
    // R1's tool parser needs a chat template vLLM's examples ship and the kit does not: tools stay off (catalog-errors).
    ["deepseek-ai/DeepSeek-R1", "fp8", "61 mla", "deepseek_r1", null],
    ["openai/gpt-oss-120b", "mxfp4", "18 full + 18 sliding", null, "openai"],
    ["Qwen/Qwen3-32B", "bf16", "64 full", "qwen3", "hermes"],
    ["Qwen/QwQ-32B", "bf16", "64 full", "deepseek_r1", "hermes"],
    ["meta-llama/Llama-3.1-8B-Instruct", "bf16", "32 full", null, "llama3_json"],
    ["deepseek-ai/DeepSeek-R1-Distill-Llama-70B", "bf16", "80 full", "deepseek_r1", null],
    ["deepseek-ai/DeepSeek-V3.2", "fp8", "61 mla (sparse, indexer)", "deepseek_v3", "deepseek_v32"],
    ["Qwen/Qwen3-Next-80B-A3B-Instruct", "bf16", "12 full + 36 gated-deltanet", null, "hermes"],
    ["MiniMaxAI/MiniMax-M1-80k", "bf16", "10 full + 70 lightning", null, null],
    ["meta-llama/Llama-4-Scout-17B-16E-Instruct", "bf16", "12 full + 36 chunked", null, "llama4_pythonic"],
    ["moonshotai/Kimi-K2-Thinking", "int4", "61 mla", "kimi_k2", "kimi_k2"],
  ])("%s: native %s, %s attention, reasoning %s, tools %s", (id, native, attention, reasoning, tools) => {
    const m = findModel(id)!;
    expect(m.nativePrecision).toBe(native);
    expect(m.attention.map((g) => `${g.layers} ${g.kind}${g.kind === "mla" && g.indexerHeadDim ? " (sparse, indexer)" : ""}`).join(" + ")).toBe(attention);
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

  // shared/data/catalog-errors.json: the TP sizes vLLM accepts for each block-128 FP8 checkpoint, from the
  // models' configs and vLLM's error text; Qwen3-30B-A3B: moe_intermediate 768 / 8 = 96 and / 4 = 192.
  it.each([
    ["Qwen/Qwen3-4B", [1, 2, 4]],
    ["Qwen/Qwen3-32B", [1, 2, 4, 8]],
    ["Qwen/Qwen3-0.6B", [1, 2, 4, 8]],
    ["Qwen/Qwen3-235B-A22B", [1, 2, 4]],
    ["Qwen/Qwen3-30B-A3B", [1, 2]],
  ] as const)("%s FP8 loads at TP %j only", (id, valid) => {
    const m = findModel(id)!;
    const fp8 = weightsFor(m, "fp8")!;
    expect(fp8.fp8BlockSize).toBe(128);
    const ok = m.validTensorParallel.filter((tp) => !layoutProblem(m, fp8, { tensorParallel: tp, pipelineParallel: 1, nodes: 1 }));
    expect(ok).toEqual(valid);
    expect(m.validTensorParallel.filter((tp) => !layoutProblem(m, weightsFor(m, "bf16")!, { tensorParallel: tp, pipelineParallel: 1, nodes: 1 }))).toContain(8);
  });

  it("expert parallelism lifts the expert-slice limit, as Qwen's docs advise for Qwen3-235B-A22B-FP8 at TP 8", () => {
    const m = findModel("Qwen/Qwen3-235B-A22B")!;
    const fp8 = weightsFor(m, "fp8")!;
    expect(layoutProblem(m, fp8, { tensorParallel: 8, pipelineParallel: 1, nodes: 1 })).toMatch(/expert intermediate per GPU would be 192/);
    expect(layoutProblem(m, fp8, { tensorParallel: 8, pipelineParallel: 1, nodes: 1, expertParallel: true })).toBeNull();
  });

  it("moves the NVFP4 repo that belongs to the 2507 release off Qwen3-235B-A22B (catalog-errors)", () => {
    expect(weightsFor(findModel("Qwen/Qwen3-235B-A22B")!, "nvfp4")).toBeUndefined();
    expect(weightsFor(findModel("Qwen/Qwen3-235B-A22B-Instruct-2507")!, "nvfp4")?.repo).toBe("nvidia/Qwen3-235B-A22B-Instruct-2507-NVFP4");
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
