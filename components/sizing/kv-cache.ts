/**
 * vLLM v1's KV-cache accounting for one GPU of a replica, across every attention kind a model mixes (pure).
 * Each kind's rule lives in `attention/`; this module adds them up the way vLLM's hybrid allocator does: all
 * layers draw pages of one size from one pool (vllm/v1/core/kv_cache_utils.py), so a sequence of `len` tokens
 * costs the sum over layers of the pages each layer needs for it.
 */
import type { AttentionGroup } from "../catalog/architecture";
import type { ModelSpec } from "../catalog/models";
import { blockedTokens, fullAttentionBytesPerToken } from "./attention/full";
import { hybridBlockSize, linearStateBytes } from "./attention/linear";
import { mlaBytesPerToken } from "./attention/mla";
import { chunkedLocalTokens, slidingWindowTokens } from "./attention/windowed";

export type KvCacheDtype = "auto" | "fp8";

/** vLLM's default block size (tokens per page) for GQA backends; MLA backends (FlashMLA) use 64. */
export const DEFAULT_BLOCK_SIZE = 16;
export const MLA_BLOCK_SIZE = 64;

export interface KvCacheInput {
  readonly model: ModelSpec;
  readonly tensorParallel: number;
  readonly pipelineParallel: number;
  readonly kvCacheDtype: KvCacheDtype;
  readonly maxModelLen: number;
  readonly maxNumBatchedTokens: number;
  /** Prefix caching keeps a second state page per linear layer (mamba_cache_mode "align"). */
  readonly prefixCaching: boolean;
}

export interface KvCacheSpec {
  /** Tokens per page (raised for hybrid models so one attention page holds a state page). */
  readonly blockSize: number;
  /** Bytes per token per GPU of the layers whose cache grows with the context (full attention, MLA, indexer). */
  readonly bytesPerTokenPerGpu: number;
  /** Bytes one token costs per GPU in every attention layer, bounded ones included (vLLM's page per token). */
  readonly pageBytesPerTokenPerGpu: number;
  /** Bytes per GPU a sequence holds in its bounded layers at maxModelLen (sliding window, chunked local). */
  readonly windowBytesPerSequencePerGpu: number;
  /** Bytes per GPU of one running sequence's linear-attention state (padded pages; 0 for attention-only models). */
  readonly stateBytesPerSequencePerGpu: number;
  /** What one sequence of `len` tokens costs on one GPU (start-up bound: bounded layers at window + batched tokens). */
  bytesPerSequence(len: number): number;
  /**
   * What a running sequence of `len` tokens holds once served: vLLM frees the pages of sliding-window and chunked
   * layers that fall out of the span, so those layers keep the span plus one page (the performance model's
   * admission limit; the start-up check keeps `bytesPerSequence`).
   */
  runtimeBytesPerSequence(len: number): number;
  /** What one decode step reads for a sequence of `len` tokens: every growing layer's cache, the span of bounded ones, the state. */
  readBytesPerDecode(len: number): number;
  /**
   * Blocks the hybrid allocator cuts `kvBytes` (one GPU's KV memory) into, or null for models without linear
   * attention. Layers are grouped by kind into groups of min(attention, linear layers per stage); a block is one
   * page in each layer of a group, so blocks = kvBytes / (group size × page). Every running sequence holds at
   * least one block for its state: vLLM raises "max_num_seqs (N) exceeds available Mamba cache blocks (M)" when
   * --max-num-seqs is larger (vllm-project/vllm#38270, #49064; recipes PR #551).
   */
  stateBlocks(kvBytes: number): number | null;
}

const kvBytesOf = (dtype: KvCacheDtype) => (dtype === "fp8" ? 1 : 2);
const MODEL_BYTES = 2;

function perStage(layers: number, pipelineParallel: number): number {
  return Math.ceil(layers / pipelineParallel);
}

/** Specs are pure in their inputs and the placement search asks for the same ones many times: cache them per model. */
const specCache = new WeakMap<ModelSpec, Map<string, KvCacheSpec>>();

export function kvCacheSpec(input: KvCacheInput): KvCacheSpec {
  let byInput = specCache.get(input.model);
  if (!byInput) specCache.set(input.model, (byInput = new Map()));
  const key = `${input.tensorParallel}/${input.pipelineParallel}/${input.kvCacheDtype}/${input.maxModelLen}/${input.maxNumBatchedTokens}/${input.prefixCaching}`;
  const cached = byInput.get(key);
  if (cached) return cached;
  const spec = buildKvCacheSpec(input);
  byInput.set(key, spec);
  return spec;
}

function buildKvCacheSpec(input: KvCacheInput): KvCacheSpec {
  const { model, tensorParallel: tp, kvCacheDtype } = input;
  const kvBytes = kvBytesOf(kvCacheDtype);
  const groups = model.attention;
  const linear = groups.filter((g): g is Extract<AttentionGroup, { kind: "gated-deltanet" | "lightning" }> => g.kind === "gated-deltanet" || g.kind === "lightning");
  const attentionLayer = groups.find((g) => g.kind === "full" || g.kind === "sliding" || g.kind === "chunked") as Extract<AttentionGroup, { kind: "full" }> | undefined;

  let blockSize = groups.some((g) => g.kind === "mla") ? MLA_BLOCK_SIZE : DEFAULT_BLOCK_SIZE;
  let statePage = 0;
  if (linear.length && attentionLayer) {
    const perToken = fullAttentionBytesPerToken(attentionLayer, tp, kvBytes);
    const state = Math.max(...linear.map((g) => linearStateBytes(g, tp, MODEL_BYTES)));
    blockSize = hybridBlockSize(state, perToken);
    statePage = blockSize * perToken;
  } else if (linear.length) {
    statePage = Math.max(...linear.map((g) => linearStateBytes(g, tp, MODEL_BYTES)));
  }

  const layersOf = (gs: readonly AttentionGroup[]) => gs.reduce((n, g) => n + perStage(g.layers, input.pipelineParallel), 0);
  const linearLayers = layersOf(linear);
  const attentionLayers = layersOf(groups.filter((g) => g.kind !== "gated-deltanet" && g.kind !== "lightning"));
  const groupSize = attentionLayers ? Math.min(attentionLayers, linearLayers) : linearLayers;

  let growing = 0;
  const windowed: { bytesPerToken: number; span: number; tokens: (len: number) => number }[] = [];
  let state = 0;
  for (const g of groups) {
    const layers = perStage(g.layers, input.pipelineParallel);
    switch (g.kind) {
      case "full":
        growing += layers * fullAttentionBytesPerToken(g, tp, kvBytes);
        break;
      case "mla":
        growing += layers * mlaBytesPerToken(g, kvCacheDtype, MODEL_BYTES);
        break;
      case "sliding":
        windowed.push({ bytesPerToken: layers * fullAttentionBytesPerToken(g, tp, kvBytes), span: g.window, tokens: (len) => slidingWindowTokens(g.window, input.maxNumBatchedTokens, len, blockSize) });
        break;
      case "chunked":
        windowed.push({ bytesPerToken: layers * fullAttentionBytesPerToken(g, tp, kvBytes), span: g.chunk, tokens: (len) => chunkedLocalTokens(g.chunk, input.maxNumBatchedTokens, len, blockSize) });
        break;
      case "gated-deltanet":
      case "lightning":
        state += layers * statePage * (input.prefixCaching ? 2 : 1);
        break;
    }
  }
  const windowBytes = (len: number) => windowed.reduce((sum, w) => sum + w.bytesPerToken * w.tokens(len), 0);
  return {
    blockSize,
    bytesPerTokenPerGpu: growing,
    pageBytesPerTokenPerGpu: growing + windowed.reduce((sum, w) => sum + w.bytesPerToken, 0),
    windowBytesPerSequencePerGpu: windowBytes(input.maxModelLen),
    stateBytesPerSequencePerGpu: state,
    bytesPerSequence: (len) => growing * blockedTokens(len, blockSize) + windowBytes(len) + state,
    runtimeBytesPerSequence: (len) => growing * blockedTokens(len, blockSize) + windowed.reduce((sum, w) => sum + w.bytesPerToken * blockedTokens(Math.min(len, w.span + blockSize), blockSize), 0) + state,
    readBytesPerDecode: (len) => growing * len + windowed.reduce((sum, w) => sum + w.bytesPerToken * Math.min(len, w.span), 0) + state / (input.prefixCaching && linear.length ? 2 : 1),
    stateBlocks: (kvBytes) => (linear.length ? Math.floor(kvBytes / (groupSize * statePage)) : null),
  };
}
