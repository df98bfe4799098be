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
import { kvCacheSpec } from "../../components/sizing/kv-cache";
import { GiB, estimateMemory, totalWeightBytes, vllmBatchDefaults, type BatchSettings, type ParallelLayout } from "../../components/sizing/memory";

const H100 = { gpuMemoryGiB: 79.18 };
const A10G = { gpuMemoryGiB: (22888 / 1024) * 0.985 };
/** The batch the llm-d H100 logs ran with (vLLM serve defaults on H100). */
const LOGGED: BatchSettings = { maxNumSeqs: 1024, maxNumBatchedTokens: 8192 };
const tp = (n: number, pp = 1): ParallelLayout => ({ tensorParallel: n, pipelineParallel: pp, nodes: 1 });
const model = (id: string): ModelSpec => findModel(id)!;
const perToken = (m: ModelSpec, layout: ParallelLayout, kvCacheDtype: "auto" | "fp8" = "auto") =>
  kvCacheSpec({ model: m, tensorParallel: layout.tensorParallel, pipelineParallel: layout.pipelineParallel, kvCacheDtype, maxModelLen: 8192, maxNumBatchedTokens: 8192, prefixCaching: true });

const raw = JSON.parse(readFileSync(path.join(__dirname, "../../components/catalog/data/models.json"), "utf8")).models as {
  id: string; kv_cache: { kind: string; per_gpu_bf16_by_tp?: Record<string, number> } | null;
}[];

describe("KV-cache bytes per token per GPU against the catalog's researched values", () => {
  const rows = raw.flatMap((m) => Object.entries(m.kv_cache?.per_gpu_bf16_by_tp ?? {}).map(([t, bytes]) => [m.id, Number(t), bytes] as const));
  it.each(rows)("%s at TP %i: every attention layer costs %i bytes per token", (id, t, bytes) => {
    expect(perToken(model(id), tp(t)).pageBytesPerTokenPerGpu).toBe(bytes);
  });

  it("halves with an fp8 KV cache and splits layers across pipeline stages", () => {
    const m = model("meta-llama/Llama-3.1-8B-Instruct");
    expect(perToken(m, tp(1), "fp8").bytesPerTokenPerGpu).toBe(perToken(m, tp(1)).bytesPerTokenPerGpu / 2);
    expect(perToken(m, tp(1, 2)).bytesPerTokenPerGpu).toBe(perToken(m, tp(1)).bytesPerTokenPerGpu / 2);
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
    const m = estimateMemory({ model: model(id), precision, layout: tp(t), ...H100, gpuMemoryUtilization: 0.9, kvCacheDtype: "auto", batch: LOGGED, maxModelLen: 8192 });
    expect(m.kvCacheGiBPerGpu).toBeLessThanOrEqual(measured + 0.05);
    expect(measured - m.kvCacheGiBPerGpu).toBeLessThan(1.5);
  });

  it("the sampler's profiling memory follows --max-num-seqs: fewer sequences leave more KV cache", () => {
    const at = (maxNumSeqs: number) => estimateMemory({ model: model("Qwen/Qwen3-32B"), precision: "bf16", layout: tp(1), ...H100, gpuMemoryUtilization: 0.9, kvCacheDtype: "auto", batch: { ...LOGGED, maxNumSeqs }, maxModelLen: 8192 });
    expect(at(64).activationGiB).toBeLessThan(at(1024).activationGiB);
    expect(at(64).kvCacheGiBPerGpu - at(1024).kvCacheGiBPerGpu).toBeGreaterThan(4);
  });
});

describe("worked examples from model cards", () => {
  it("a 7B BF16 model fits one 24 GB GPU (A10G) at 8K context × 4, but not at 32K × 4", () => {
    const m = model("Qwen/Qwen2.5-7B-Instruct");
    const at = (len: number) => estimateMemory({ model: m, precision: "bf16", layout: tp(1), ...A10G, gpuMemoryUtilization: 0.9, kvCacheDtype: "auto", batch: vllmBatchDefaults("NVIDIA A10G", A10G.gpuMemoryGiB), maxModelLen: len });
    // 7.61 B params × 2 bytes = 14.2 GiB of weights; 28 layers × 4 KV heads × 128 × 2 × 2 = 57,344 B/token.
    expect(at(8192).weightsGiBPerGpu).toBeCloseTo(14.17, 1);
    expect(at(8192).kvBytesPerTokenPerGpu).toBe(57_344);
    expect(at(8192).maxConcurrency).toBeGreaterThanOrEqual(4);
    expect(at(32_768).maxConcurrency).toBeLessThan(4);
  });

  it("DeepSeek-R1 FP8 weights are ~627 GiB: 78 GiB per GPU at TP 8", () => {
    const w = totalWeightBytes(model("deepseek-ai/DeepSeek-R1"), "fp8") / GiB;
    expect(w).toBeGreaterThan(620);
    expect(w).toBeLessThan(635);
  });

  it("Kimi-K2-Thinking keeps only its routed experts in INT4 (group 32): ~594 GB, about half of the FP8 Kimi-K2", () => {
    // Kimi-K2-Thinking's Hugging Face checkpoint is ~594 GB (model card); Kimi-K2-Instruct's FP8 one ~1.03 TB.
    const int4 = totalWeightBytes(model("moonshotai/Kimi-K2-Thinking"), "int4", { expertsOnly: true }) / 1e9;
    expect(int4).toBeGreaterThan(560);
    expect(int4).toBeLessThan(620);
    expect(totalWeightBytes(model("moonshotai/Kimi-K2-Instruct"), "fp8") / 1e9).toBeGreaterThan(1000);
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
  const sizable = MODELS.filter((m) => !m.cannotSize && m.totalParamsB < 120);
  it("more GPUs (higher valid TP) never lower a replica's concurrency for attention-only models", () => {
    const attentionOnly = sizable.filter((m) => m.attention.every((g) => g.kind === "full"));
    fc.assert(fc.property(fc.constantFrom(...attentionOnly), fc.constantFrom(24, 45, 80, 141), fc.double({ min: 0.5, max: 0.98, noNaN: true }), (m, mem, util) => {
      const tps = m.validTensorParallel.filter((t) => t <= 8);
      const seqs = tps.map((t) => estimateMemory({ model: m, precision: "bf16", layout: tp(t), gpuMemoryGiB: mem, gpuMemoryUtilization: util, kvCacheDtype: "auto", batch: LOGGED, maxModelLen: 8192 }).maxConcurrency);
      seqs.slice(1).forEach((s, i) => expect(s).toBeGreaterThanOrEqual(seqs[i]!));
    }));
  });

  it("a higher gpu-memory-utilization never lowers KV capacity", () => {
    fc.assert(fc.property(fc.constantFrom(...sizable), fc.double({ min: 0.5, max: 0.97, noNaN: true }), (m, util) => {
      const at = (u: number) => estimateMemory({ model: m, precision: m.nativePrecision, layout: tp(8), ...H100, gpuMemoryUtilization: u, kvCacheDtype: "auto", batch: LOGGED, maxModelLen: 8192 }).maxConcurrency;
      expect(at(util + 0.01)).toBeGreaterThanOrEqual(at(util));
    }));
  });

  it("a longer context never raises the number of sequences a replica holds", () => {
    fc.assert(fc.property(fc.constantFrom(...sizable), fc.constantFrom(1024, 4096, 16_384), (m, len) => {
      const at = (l: number) => estimateMemory({ model: m, precision: m.nativePrecision, layout: tp(8), ...H100, gpuMemoryUtilization: 0.9, kvCacheDtype: "auto", batch: LOGGED, maxModelLen: l }).maxConcurrency;
      expect(at(len * 2)).toBeLessThanOrEqual(at(len));
    }));
  });
});
