/**
 * vLLM v1's KV accounting per attention kind, checked against numbers taken from vLLM's source and published
 * start-up logs — never from the code under test. Sources per table:
 * - MLA / sparse MLA: vllm/v1/kv_cache_interface.py (MLAAttentionSpec, no K/V factor; `fp8_ds_mla` = 656 B/token/layer)
 *   and deepseek_v2.py `DeepseekV32IndexerCache` (132 B/token/layer); worked example 61 × (656 + 132) = 48,068.
 * - Hybrid linear attention: `_align_hybrid_block_size` logs — "Setting attention block size to 544 tokens … Padding
 *   mamba page size by 1.49%" (Qwen3-Next, vLLM ≈0.11) and "… 1568 tokens … 0.13%" (Qwen3.6-27B, FP8 KV, TP 2;
 *   github.com/noonghunna/club-3090/issues/1047).
 * - Windowed: SlidingWindowSpec `(cdiv(min(W − 1 + max_num_batched_tokens, len), B) + 1)` blocks — 521 blocks for a
 *   128-token window at 8192 batched tokens; ChunkedLocalAttentionSpec `cdiv(min(C + mnbt, len), B)` — 1024 blocks.
 */
import { describe, expect, it } from "vitest";
import { findModel, type ModelSpec } from "../../components/catalog/models";
import { hybridBlockSize, linearStateBytes } from "../../components/sizing/attention/linear";
import { chunkedLocalTokens, slidingWindowTokens } from "../../components/sizing/attention/windowed";
import { kvCacheSpec, type KvCacheDtype } from "../../components/sizing/kv-cache";

const model = (id: string): ModelSpec => findModel(id)!;
const spec = (id: string, tp: number, kvCacheDtype: KvCacheDtype = "auto", over: { prefixCaching?: boolean; maxModelLen?: number; pp?: number } = {}) =>
  kvCacheSpec({ model: model(id), tensorParallel: tp, pipelineParallel: over.pp ?? 1, kvCacheDtype, maxModelLen: over.maxModelLen ?? 32_768, maxNumBatchedTokens: 8192, prefixCaching: over.prefixCaching ?? false });

describe("MLA: one latent per token, the same on every tensor-parallel rank", () => {
  it.each([
    // DeepSeek-V3/R1 and Kimi-K2: 61 layers × (kv_lora_rank 512 + rope 64) × 2 bytes.
    ["deepseek-ai/DeepSeek-R1", "auto", 61 * 576 * 2],
    ["deepseek-ai/DeepSeek-R1", "fp8", 61 * 576],
    ["moonshotai/Kimi-K2-Thinking", "auto", 61 * 576 * 2],
    // DeepSeek-V3.2: fp8_ds_mla latent + FP8 indexer keys, or BF16 latent + indexer keys.
    ["deepseek-ai/DeepSeek-V3.2", "fp8", 48_068],
    ["deepseek-ai/DeepSeek-V3.2", "auto", 78_324],
    // GLM-5 (GlmMoeDsaForCausalLM → deepseek_v2.py): 78 layers, same latent and indexer shapes.
    ["zai-org/GLM-5", "fp8", 78 * (656 + 132)],
    ["zai-org/GLM-5", "auto", 78 * (1152 + 132)],
  ] as const)("%s, KV %s: %i bytes per token per GPU at TP 1 and TP 8", (id, dtype, bytes) => {
    expect(spec(id, 1, dtype).bytesPerTokenPerGpu).toBe(bytes);
    expect(spec(id, 8, dtype).bytesPerTokenPerGpu).toBe(bytes);
  });

  it("DeepSeek-V3.2 defaults to the FP8 sparse-MLA cache, as vLLM does", () => {
    expect(model("deepseek-ai/DeepSeek-V3.2").kvCacheDtypeDefault).toBe("fp8");
    expect(model("deepseek-ai/DeepSeek-R1").kvCacheDtypeDefault).toBe("auto");
  });
});

describe("hybrid linear attention: block size aligned to the state page, a fixed state per sequence", () => {
  it.each([
    // Qwen3-Next-80B-A3B: 12 attention layers (2 KV heads × 256), 36 Gated DeltaNet layers (16/32 heads × 128, kernel 4).
    ["Qwen/Qwen3-Next-80B-A3B-Instruct", 1, "auto", 544, 1.49],
    ["Qwen/Qwen3-Next-80B-A3B-Instruct", 2, "auto", 544, 1.49],
    // Qwen3.6-27B: 16 attention layers (4 × 256), 48 GDN layers (16/48 heads), FP32 recurrent state, FP8 KV.
    ["Qwen/Qwen3.6-27B", 2, "fp8", 1568, 0.13],
  ] as const)("%s at TP %i (KV %s): block %i tokens, state page padded by %s percent", (id, tp, dtype, block, paddingPct) => {
    const s = spec(id, tp, dtype);
    expect(s.blockSize).toBe(block);
    const g = model(id).attention.find((a) => a.kind === "gated-deltanet")!;
    const raw = linearStateBytes(g as never, tp, 2);
    const padded = s.stateBytesPerSequencePerGpu / g.layers;
    expect(((padded - raw) / raw) * 100).toBeCloseTo(paddingPct, 1);
  });

  it("counts the state once per running sequence per linear layer, twice with prefix caching (mamba_cache_mode align)", () => {
    const off = spec("Qwen/Qwen3-Next-80B-A3B-Instruct", 1, "auto", { prefixCaching: false });
    const on = spec("Qwen/Qwen3-Next-80B-A3B-Instruct", 1, "auto", { prefixCaching: true });
    // 36 linear layers × one page each: 544 tokens × 2,048 B (one attention layer's K,V per token) = 1,114,112 B.
    expect(off.stateBytesPerSequencePerGpu).toBe(36 * 544 * 2048);
    expect(on.stateBytesPerSequencePerGpu).toBe(2 * off.stateBytesPerSequencePerGpu);
    // The attention layers still cost per token: 12 layers × 2 KV heads × 256 × K,V × 2 bytes.
    expect(off.bytesPerTokenPerGpu).toBe(12 * 2 * 256 * 2 * 2);
  });

  it("lightning attention (MiniMax-M1): a 64 × 128 × 128 BF16 state per layer and a 512-token block", () => {
    const g = model("MiniMaxAI/MiniMax-M1-80k").attention.find((a) => a.kind === "lightning")!;
    expect(linearStateBytes(g as never, 1, 2)).toBe(64 * 128 * 128 * 2);
    expect(hybridBlockSize(64 * 128 * 128 * 2, 2 * 8 * 128 * 2)).toBe(512);
    expect(spec("MiniMaxAI/MiniMax-M1-80k", 1).blockSize).toBe(512);
    expect(spec("MiniMaxAI/MiniMax-M1-80k", 8).blockSize).toBe(512);
  });

  it("cuts KV memory into state blocks of min(attention, linear layers) pages: Qwen3.5-9B's 108 at 1.74 GiB (vLLM's start-up error)", () => {
    // Published failure (vLLM 0.27.1): "max_num_seqs (256) exceeds available Mamba cache blocks (108)" with 1.74 GiB
    // of KV on one GPU. Qwen3.5-9B: 8 attention layers (4 KV heads × 256), 24 GDN layers (16/32 heads × 128), FP32 state.
    const qwen35_9b: ModelSpec = { ...model("Qwen/Qwen3.6-27B"), attention: [
      { kind: "full", layers: 8, kvHeads: 4, headDim: 256 },
      { kind: "gated-deltanet", layers: 24, keyHeads: 16, valueHeads: 32, keyHeadDim: 128, valueHeadDim: 128, convKernel: 4, recurrentStateDtype: "float32" },
    ] };
    const s = kvCacheSpec({ model: qwen35_9b, tensorParallel: 1, pipelineParallel: 1, kvCacheDtype: "auto", maxModelLen: 32_768, maxNumBatchedTokens: 8192, prefixCaching: true });
    // Page: 528 tokens × 4,096 B (one layer's K,V per token); a block spans 8 layers (min of 8 and 24).
    expect(s.blockSize).toBe(528);
    expect(s.stateBlocks(1.74 * 2 ** 30)).toBe(Math.floor((1.74 * 2 ** 30) / (8 * 528 * 4096)));
    expect(Math.abs(s.stateBlocks(1.74 * 2 ** 30)! - 108)).toBeLessThanOrEqual(1);
    expect(spec("Qwen/Qwen3-8B", 1).stateBlocks(2 ** 30)).toBeNull();
  });

  it("a long context costs the linear layers nothing more", () => {
    const short = spec("Qwen/Qwen3-Next-80B-A3B-Instruct", 4, "auto", { maxModelLen: 4096 });
    const extra = short.bytesPerSequence(262_144) - short.bytesPerSequence(4096);
    // Only the 12 attention layers grow (to whole blocks); the 36 linear layers' state stays the same.
    expect(extra).toBeGreaterThanOrEqual(short.bytesPerTokenPerGpu * (262_144 - 4096 - short.blockSize));
    expect(extra).toBeLessThanOrEqual(short.bytesPerTokenPerGpu * (262_144 - 4096 + short.blockSize));
  });
});

describe("windowed layers keep only their span per sequence", () => {
  it("sliding window of 128 at 8192 batched tokens: 521 blocks of 16 (gpt-oss)", () => {
    expect(slidingWindowTokens(128, 8192, 131_072, 16)).toBe(521 * 16);
    expect(slidingWindowTokens(128, 8192, 4096, 16)).toBe((4096 / 16 + 1) * 16);
    const s = spec("openai/gpt-oss-120b", 1, "auto", { maxModelLen: 131_072 });
    // 18 full layers grow per token; 18 sliding layers hold 521 blocks: 8 KV heads × 64 × K,V × 2 bytes per layer-token.
    expect(s.bytesPerTokenPerGpu).toBe(18 * 8 * 64 * 2 * 2);
    expect(s.windowBytesPerSequencePerGpu).toBe(18 * 8 * 64 * 2 * 2 * 521 * 16);
  });

  it("chunked local attention of 8192 at 8192 batched tokens: 1024 blocks of 16 (Llama 4 Scout's 36 RoPE layers)", () => {
    expect(chunkedLocalTokens(8192, 8192, 1_000_000, 16)).toBe(1024 * 16);
    const s = spec("meta-llama/Llama-4-Scout-17B-16E-Instruct", 8, "auto", { maxModelLen: 1_000_000 });
    expect(s.bytesPerTokenPerGpu).toBe(12 * 1 * 128 * 2 * 2);
    expect(s.windowBytesPerSequencePerGpu).toBe(36 * 1 * 128 * 2 * 2 * 1024 * 16);
  });
});

describe("full attention", () => {
  it("replicates KV heads once TP exceeds them (Qwen3-Next's 2 KV heads at TP 4)", () => {
    expect(spec("Qwen/Qwen3-Next-80B-A3B-Instruct", 4).bytesPerTokenPerGpu).toBe(12 * 1 * 256 * 2 * 2);
    expect(spec("Qwen/Qwen3-Next-80B-A3B-Instruct", 4).blockSize).toBe(272);
  });

  it("splits layers across pipeline stages", () => {
    expect(spec("Qwen/Qwen3-32B", 1, "auto", { pp: 2 }).bytesPerTokenPerGpu).toBe(spec("Qwen/Qwen3-32B", 1).bytesPerTokenPerGpu / 2);
  });
});
