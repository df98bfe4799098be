/**
 * The memory model against (a) the KV formulas recorded per model in the catalog data, (b) vLLM startup logs
 * published for H100 (llm-d/llm-d-benchmark config_explorer/empirical-vllm-memory-results.md), and
 * (c) worked examples derived from model cards.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findModel, MODELS, type ModelSpec } from "../../components/catalog/models";
import { GiB, estimateMemory, kvBytesPerTokenPerGpu, totalWeightBytes, vllmBatchDefaults, type ParallelLayout } from "../../components/sizing/memory";

const H100 = { gpuModel: "NVIDIA H100 (SXM, 80GB HBM3)", gpuMemoryGiB: 79.18 };
const A10G = { gpuModel: "NVIDIA A10G", gpuMemoryGiB: (22888 / 1024) * 0.985 };
const tp = (n: number, pp = 1): ParallelLayout => ({ tensorParallel: n, pipelineParallel: pp, nodes: 1 });
const model = (id: string): ModelSpec => findModel(id)!;

const raw = JSON.parse(readFileSync(path.join(__dirname, "../../components/catalog/data/models.json"), "utf8")).models as {
  id: string; kv_cache: { kind: string; per_gpu_bf16_by_tp?: Record<string, number>; bytes_per_token_bf16_per_gpu?: number };
}[];

describe("KV-cache bytes per token per GPU", () => {
  const gqaRows = raw.flatMap((m) => Object.entries(m.kv_cache.per_gpu_bf16_by_tp ?? {}).map(([t, bytes]) => [m.id, Number(t), bytes] as const));
  it.each(gqaRows)("%s at TP %i costs %i bytes (catalog data)", (id, t, bytes) => {
    expect(kvBytesPerTokenPerGpu(model(id), tp(t), "auto")).toBe(bytes);
  });

  it.each([1, 2, 8, 16])("DeepSeek-R1 MLA latent is replicated on every rank: 70272 bytes at TP %i", (t) => {
    expect(kvBytesPerTokenPerGpu(model("deepseek-ai/DeepSeek-R1"), tp(t), "auto")).toBe(61 * (512 + 64) * 2);
  });

  it("halves with an fp8 KV cache and splits layers across pipeline stages", () => {
    const m = model("meta-llama/Llama-3.1-8B-Instruct");
    expect(kvBytesPerTokenPerGpu(m, tp(1), "fp8")).toBe(kvBytesPerTokenPerGpu(m, tp(1), "auto") / 2);
    expect(kvBytesPerTokenPerGpu(m, tp(1, 2), "auto")).toBe(kvBytesPerTokenPerGpu(m, tp(1), "auto") / 2);
  });
});

describe("weights against vLLM 'Model loading took X GiB' (H100 logs)", () => {
  it.each([
    ["meta-llama/Llama-3.1-8B-Instruct", "bf16", 14.99],
    ["Qwen/Qwen3-0.6B", "bf16", 1.12],
    ["Qwen/Qwen3-32B", "bf16", 61.03],
    // The log is Llama-3.3-70B FP8; 3.1 has the same architecture.
    ["meta-llama/Llama-3.1-70B-Instruct", "fp8", 67.72],
  ] as const)("%s %s ≈ %s GiB (±3 %%)", (id, precision, gib) => {
    const ours = totalWeightBytes(model(id), precision) / GiB;
    expect(Math.abs(ours - gib) / gib).toBeLessThan(0.03);
  });
});

describe("KV cache left on an H100 at gpu-memory-utilization 0.9 vs vLLM's 'Available KV cache memory'", () => {
  it.each([
    ["meta-llama/Llama-3.1-8B-Instruct", "bf16", 1, 51.38],
    ["Qwen/Qwen3-32B", "bf16", 1, 4.45],
    ["meta-llama/Llama-3.1-70B-Instruct", "fp8", 2, 32.0],
    ["openai/gpt-oss-20b", "mxfp4", 1, 50.28],
  ] as const)("%s %s TP %i: vLLM reported %s GiB; the kit is within 1.5 GiB and never above it", (id, precision, t, measured) => {
    const m = estimateMemory({ model: model(id), precision, layout: tp(t), ...H100, gpuMemoryUtilization: 0.9, kvCacheDtype: "auto" });
    expect(m.kvCacheGiBPerGpu).toBeLessThanOrEqual(measured + 0.05);
    expect(measured - m.kvCacheGiBPerGpu).toBeLessThan(1.5);
  });
});

describe("worked examples from model cards", () => {
  it("a 7B BF16 model fits one 24 GB GPU (A10G) at 8K context × 4, but not at 32K × 4", () => {
    const m = model("Qwen/Qwen2.5-7B-Instruct");
    const est = estimateMemory({ model: m, precision: "bf16", layout: tp(1), ...A10G, gpuMemoryUtilization: 0.9, kvCacheDtype: "auto" });
    // 7.61 B params × 2 bytes = 14.2 GiB of weights; 28 layers × 4 KV heads × 128 × 2 × 2 = 57,344 B/token.
    expect(est.weightsGiBPerGpu).toBeCloseTo(14.17, 1);
    expect(est.kvBytesPerTokenPerGpu).toBe(57_344);
    expect(est.kvCacheTokens).toBeGreaterThanOrEqual(8192 * 4);
    expect(est.kvCacheTokens).toBeLessThan(32_768 * 4);
  });

  it("a 72B BF16 model does not fit 2 × 80 GB at 32K context but does on 4", () => {
    const m = model("Qwen/Qwen2.5-72B-Instruct");
    const on = (n: number) => estimateMemory({ model: m, precision: "bf16", layout: tp(n), ...H100, gpuMemoryUtilization: 0.9, kvCacheDtype: "auto" });
    expect(on(2).kvCacheGiBPerGpu).toBeLessThan(0); // 135 GiB of weights / 2 = 67.7 GiB per GPU, plus activations
    expect(on(4).kvCacheTokens).toBeGreaterThanOrEqual(32_768 * 4);
  });

  it("DeepSeek-R1 FP8 weights are ~627 GiB: 78 GiB per GPU at TP 8", () => {
    const w = totalWeightBytes(model("deepseek-ai/DeepSeek-R1"), "fp8") / GiB;
    expect(w).toBeGreaterThan(620);
    expect(w).toBeLessThan(635);
  });
});

describe("vLLM scheduler defaults per GPU (arg_utils get_batch_defaults)", () => {
  it.each([
    ["NVIDIA H100 (SXM, 80GB HBM3)", 79.18, 1024],
    ["NVIDIA H200 (141GB HBM3e)", 138.9, 1024],
    ["NVIDIA A100 80GB (SXM4)", 79.2, 256],
    ["NVIDIA L40S", 44.1, 256],
  ])("%s (%s GiB) → max_num_seqs %i", (gpu, mem, seqs) => {
    expect(vllmBatchDefaults(gpu, mem).maxNumSeqs).toBe(seqs);
  });
});

describe("invariants", () => {
  const gqa = MODELS.filter((m) => m.attention.kind === "gqa");
  it("more GPUs (higher valid TP) never lower a replica's KV capacity", () => {
    fc.assert(fc.property(fc.constantFrom(...gqa), fc.constantFrom(24, 45, 80, 141), fc.double({ min: 0.5, max: 0.98, noNaN: true }), (m, mem, util) => {
      const tps = m.validTensorParallel.filter((t) => t <= 8);
      const tokens = tps.map((t) => estimateMemory({ model: m, precision: "bf16", layout: tp(t), gpuModel: "NVIDIA L40S", gpuMemoryGiB: mem, gpuMemoryUtilization: util, kvCacheDtype: "auto" }).kvCacheTokens);
      tokens.slice(1).forEach((t, i) => expect(t).toBeGreaterThanOrEqual(tokens[i]!));
    }));
  });

  it("a higher gpu-memory-utilization never lowers KV capacity", () => {
    fc.assert(fc.property(fc.constantFrom(...MODELS), fc.double({ min: 0.5, max: 0.97, noNaN: true }), (m, util) => {
      const at = (u: number) => estimateMemory({ model: m, precision: m.nativePrecision, layout: tp(8), ...H100, gpuMemoryUtilization: u, kvCacheDtype: "auto" }).kvCacheTokens;
      expect(at(util + 0.01)).toBeGreaterThanOrEqual(at(util));
    }));
  });
});
