/**
 * Published vLLM recipes for the 2025–2026 models (vllm-project/recipes models/<org>/<model>.yaml and guides,
 * vendors' deploy guides): the kit must run each on the recipe's own hardware (AWS's instance with those GPUs)
 * and find a placement that costs no more than that hardware. Layouts, GPUs and contexts come from the recipes;
 * where a recipe names no context, the kit's default (32,768) is used and the row says so.
 */
import { describe, expect, it } from "vitest";
import { findInstance, priceIn } from "../../components/catalog/instances";
import { findModel } from "../../components/catalog/models";
import type { Precision } from "../../components/catalog/precision";
import { sizeModel, type SizingRequest } from "../../components/sizing/placement";

interface Recipe {
  readonly model: string;
  readonly precision: Precision;
  /** The AWS instance type holding the recipe's GPUs (p5en: 8 × H200; p5: 8 × H100; p5.4xlarge: 1 × H100). */
  readonly instance: string;
  readonly nodes: number;
  readonly layout: Partial<Pick<SizingRequest, "tensorParallel" | "pipelineParallel" | "dataParallel" | "expertParallel">>;
  readonly maxModelLen: number;
  readonly source: string;
}

const DEFAULT_LEN = 32_768;
const RECIPES: readonly Recipe[] = [
  { model: "Qwen/Qwen3-Coder-480B-A35B-Instruct", precision: "bf16", instance: "p5en.48xlarge", nodes: 1, layout: { tensorParallel: 8, expertParallel: true }, maxModelLen: 32_000, source: "recipes Qwen3-Coder-480B-A35B-Instruct.yaml (8×H200, TP 8 + EP, 32000)" },
  { model: "Qwen/Qwen3-Coder-480B-A35B-Instruct", precision: "fp8", instance: "p5en.48xlarge", nodes: 1, layout: { dataParallel: 8, expertParallel: true }, maxModelLen: 131_072, source: "recipes Qwen3-Coder-480B-A35B-Instruct.yaml FP8 (8×H200, DP 8 + EP, 131072)" },
  { model: "Qwen/Qwen3-Next-80B-A3B-Instruct", precision: "bf16", instance: "p5en.48xlarge", nodes: 1, layout: { tensorParallel: 4 }, maxModelLen: 262_144, source: "recipes Qwen3-Next-80B-A3B-Instruct.yaml (4×H200, TP 4) + model card (262144)" },
  { model: "Qwen/Qwen3.5-397B-A17B", precision: "bf16", instance: "p5en.48xlarge", nodes: 1, layout: { tensorParallel: 8 }, maxModelLen: DEFAULT_LEN, source: "recipes Qwen3.5-397B-A17B.yaml (8×H200, TP 8; no context stated)" },
  { model: "Qwen/Qwen3.5-397B-A17B", precision: "fp8", instance: "p5en.48xlarge", nodes: 1, layout: { dataParallel: 8, expertParallel: true }, maxModelLen: DEFAULT_LEN, source: "recipes Qwen3.5-397B-A17B.yaml FP8 throughput (8×H200, DP 8 + EP; no context stated)" },
  { model: "Qwen/Qwen3.6-35B-A3B", precision: "bf16", instance: "p5en.48xlarge", nodes: 1, layout: { tensorParallel: 1 }, maxModelLen: DEFAULT_LEN, source: "recipes Qwen3.6-35B-A3B.yaml (1×H200; no context stated)" },
  { model: "Qwen/Qwen3.6-27B", precision: "bf16", instance: "p5.48xlarge", nodes: 1, layout: { tensorParallel: 2 }, maxModelLen: 262_144, source: "recipes Qwen3.6-27B.yaml (2×H100, TP 2, 262144)" },
  { model: "Qwen/Qwen3-VL-235B-A22B-Instruct", precision: "bf16", instance: "p5en.48xlarge", nodes: 1, layout: { tensorParallel: 8 }, maxModelLen: DEFAULT_LEN, source: "recipes Qwen3-VL-235B-A22B-Instruct.yaml (8×H200, TP 8; no context stated)" },
  { model: "deepseek-ai/DeepSeek-R1", precision: "fp8", instance: "p5en.48xlarge", nodes: 1, layout: { tensorParallel: 8, expertParallel: true }, maxModelLen: DEFAULT_LEN, source: "recipes DeepSeek-R1.yaml (8×H200, TP 8 + EP; no context stated)" },
  { model: "deepseek-ai/DeepSeek-V3.1", precision: "fp8", instance: "p5en.48xlarge", nodes: 1, layout: { tensorParallel: 8, expertParallel: true }, maxModelLen: DEFAULT_LEN, source: "recipes DeepSeek-V3.1.yaml (8×H200, TP 8 + EP; no context stated)" },
  { model: "deepseek-ai/DeepSeek-V3.2", precision: "fp8", instance: "p5en.48xlarge", nodes: 1, layout: { dataParallel: 8, expertParallel: true }, maxModelLen: DEFAULT_LEN, source: "recipes DeepSeek-V3.2-Exp guide (8×H200, DP 8 + EP; no context stated)" },
  { model: "deepseek-ai/DeepSeek-V3.2", precision: "fp8", instance: "p5en.48xlarge", nodes: 1, layout: { dataParallel: 4, tensorParallel: 2, expertParallel: true }, maxModelLen: DEFAULT_LEN, source: "recipes DeepSeek-V3.2.yaml 2026-04 (Hopper: prefer TP 2 with DP/EP; no context stated)" },
  { model: "moonshotai/Kimi-K2-Instruct", precision: "fp8", instance: "p5en.48xlarge", nodes: 2, layout: { tensorParallel: 8, pipelineParallel: 2 }, maxModelLen: 131_072, source: "recipes Kimi-K2-Instruct.yaml (16 GPUs over 2 nodes, TP 8 + PP 2); Moonshot deploy guide: 128K needs 16 GPUs" },
  { model: "moonshotai/Kimi-K2-Thinking", precision: "int4", instance: "p5en.48xlarge", nodes: 1, layout: { tensorParallel: 8 }, maxModelLen: DEFAULT_LEN, source: "recipes Kimi-K2-Thinking.yaml (8×H200, TP 8; no context stated)" },
  { model: "moonshotai/Kimi-K2.5", precision: "int4", instance: "p5en.48xlarge", nodes: 1, layout: { tensorParallel: 8 }, maxModelLen: DEFAULT_LEN, source: "recipes Kimi-K2.5 (8×H200, TP 8; no context stated)" },
  { model: "zai-org/GLM-4.5", precision: "bf16", instance: "p5en.48xlarge", nodes: 1, layout: { tensorParallel: 8 }, maxModelLen: DEFAULT_LEN, source: "recipes GLM-4.5.yaml BF16 (8×H200, TP 8)" },
  { model: "zai-org/GLM-4.5", precision: "fp8", instance: "p5en.48xlarge", nodes: 1, layout: { tensorParallel: 8 }, maxModelLen: DEFAULT_LEN, source: "recipes GLM-4.5.yaml FP8 (8×H200, TP 8)" },
  { model: "zai-org/GLM-4.6", precision: "fp8", instance: "p5en.48xlarge", nodes: 1, layout: { tensorParallel: 8 }, maxModelLen: DEFAULT_LEN, source: "recipes GLM-4.6.yaml FP8 (8×H200, TP 8)" },
  { model: "zai-org/GLM-5", precision: "fp8", instance: "p5en.48xlarge", nodes: 1, layout: { tensorParallel: 8 }, maxModelLen: DEFAULT_LEN, source: "recipes GLM-5.yaml FP8 (8×H200, TP 8)" },
  { model: "MiniMaxAI/MiniMax-M2", precision: "fp8", instance: "p5.48xlarge", nodes: 1, layout: { tensorParallel: 4 }, maxModelLen: DEFAULT_LEN, source: "recipes MiniMax-M2.yaml (4×H100, TP 4)" },
  { model: "MiniMaxAI/MiniMax-M1-80k", precision: "int8", instance: "p5.48xlarge", nodes: 1, layout: { tensorParallel: 8 }, maxModelLen: 4096, source: "MiniMax-M1 vllm_deployment_guide.md (8×H800, TP 8, experts_int8, 4096)" },
  { model: "meta-llama/Llama-4-Scout-17B-16E-Instruct", precision: "fp8", instance: "p5en.48xlarge", nodes: 1, layout: { tensorParallel: 1 }, maxModelLen: 10_240, source: "recipes Llama/Llama4-Scout.md (NVIDIA FP8 on 1×H200, 10240)" },
  { model: "openai/gpt-oss-120b", precision: "mxfp4", instance: "p5.4xlarge", nodes: 1, layout: { tensorParallel: 1 }, maxModelLen: 131_072, source: "recipes gpt-oss-120b.yaml (1×H100)" },
];

describe.each(RECIPES)("$model $precision — $source", (r) => {
  const model = findModel(r.model)!;
  const base: SizingRequest = { model, region: "us-east-1", precision: r.precision, maxModelLen: r.maxModelLen, concurrency: 1, gpuMemoryUtilization: 0.9, kvCacheDtype: model.kvCacheDtypeDefault };
  const pinned = sizeModel({ ...base, instanceType: r.instance, ...r.layout });

  it(`runs on the recipe's hardware (${r.nodes} × ${r.instance}) with its layout`, () => {
    expect(pinned.ok, pinned.ok ? "" : pinned.error).toBe(true);
    if (pinned.ok) expect(pinned.placement.nodes).toBe(r.nodes);
    expect(priceIn(findInstance(r.instance)!, "us-east-1")!.estimate).toBe(false);
  });

  it("the kit's own placement costs no more than that hardware", () => {
    const free = sizeModel(base);
    expect(free.ok, free.ok ? "" : free.error).toBe(true);
    if (free.ok && pinned.ok) expect(free.placement.hourlyUsd).toBeLessThanOrEqual(pinned.placement.hourlyUsd);
  });
});

describe("giant MoE models", () => {
  it("Kimi-K2 FP8 at 128K (× the default 4 sequences) needs 16 H200s: two p5en nodes, one LeaderWorkerSet group", () => {
    const r = sizeModel({ model: findModel("moonshotai/Kimi-K2-Instruct")!, region: "us-east-1", precision: "fp8", maxModelLen: 131_072, concurrency: 4, gpuMemoryUtilization: 0.9, kvCacheDtype: "auto", instanceType: "p5en.48xlarge" });
    expect(r.ok && r.placement).toMatchObject({ nodes: 2, tensorParallelSize: 8, pipelineParallelSize: 2 });
  });

  it("Qwen3-Coder-480B FP8 cannot run pure TP 8 (its 2560-wide experts split into 320, not whole 128-blocks) but runs with expert parallelism", () => {
    const model = findModel("Qwen/Qwen3-Coder-480B-A35B-Instruct")!;
    const req: SizingRequest = { model, region: "us-east-1", precision: "fp8", maxModelLen: 32_768, concurrency: 1, gpuMemoryUtilization: 0.9, kvCacheDtype: "auto", instanceType: "p5en.48xlarge" };
    const tp8 = sizeModel({ ...req, tensorParallel: 8, expertParallel: false });
    expect(tp8.ok).toBe(false);
    expect(tp8.alternatives[0]!.reason).toMatch(/expert intermediate per GPU would be 320/);
    expect(sizeModel({ ...req, tensorParallel: 8, expertParallel: true }).ok).toBe(true);
  });

  it("says which layout it chose and why", () => {
    const r = sizeModel({ model: findModel("deepseek-ai/DeepSeek-V3.2")!, region: "us-east-1", precision: "fp8", maxModelLen: 32_768, concurrency: 4, gpuMemoryUtilization: 0.9, kvCacheDtype: "fp8" });
    expect(r.ok && r.placement).toMatchObject({ instanceType: "p5en.48xlarge", dataParallelSize: 4, tensorParallelSize: 2, expertParallel: true, layoutReason: expect.stringMatching(/data-parallel attention over TP 2 pairs.*recipe/) });
  });

  it("never places DeepSeek Sparse Attention on GPUs without FlashMLA's sparse kernels", () => {
    const r = sizeModel({ model: findModel("deepseek-ai/DeepSeek-V3.2")!, region: "us-east-1", precision: "fp8", maxModelLen: 8192, concurrency: 1, gpuMemoryUtilization: 0.9, kvCacheDtype: "fp8", instanceType: "g7e.48xlarge" });
    expect(r.ok).toBe(false);
    expect(r.alternatives[0]!.reason).toMatch(/Hopper and datacenter Blackwell/);
  });
});
