/**
 * Time of one vLLM engine step on one GPU (pure), by the roofline: a step reads every weight the step's tokens
 * touch and every running sequence's KV cache once (memory-bound decode), and spends 2 FLOPs per active
 * parameter per token plus attention FLOPs (compute-bound prefill); the slower of the two, plus the
 * tensor/expert-parallel collectives over the instance's links, plus a fixed per-step cost (scheduling, kernel
 * launches between CUDA graphs). vLLM v1 runs prefill chunks and decode tokens in one batch (chunked prefill),
 * so one formula covers both. Efficiency factors are calibrated on published measurements (calibration.ts).
 */
import type { ModelSpec } from "../../catalog/models";
import type { GpuPerf } from "../../catalog/gpus";
import type { Precision } from "../../catalog/precision";
import type { KvCacheSpec } from "../kv-cache";
import { weightBytes, type ParallelLayout } from "../memory";
import type { WeightVariant } from "../../catalog/models";
import { EFFICIENCY, type Efficiency } from "./calibration";

export interface StepInput {
  readonly model: ModelSpec;
  readonly precision: Precision;
  readonly variant?: Pick<WeightVariant, "expertsOnly">;
  readonly layout: ParallelLayout;
  readonly gpu: GpuPerf;
  readonly kv: KvCacheSpec;
  /** Sequences decoding in this step, per data-parallel rank. */
  readonly decodeSequences: number;
  /** Their mean context length (tokens already in the KV cache). */
  readonly meanContext: number;
  /** Prompt tokens prefilled in this step, per data-parallel rank. */
  readonly prefillTokens: number;
  /** Context already present before those prompt tokens (0 for a new prompt). */
  readonly prefillContext?: number;
  /** @default EFFICIENCY (the calibrated factors) */
  readonly efficiency?: Efficiency;
}

export interface StepTime {
  readonly seconds: number;
  readonly memorySeconds: number;
  readonly computeSeconds: number;
  readonly communicationSeconds: number;
}

/** Expected share of E experts that N tokens choosing k each touch: 1 − (1 − k/E)^N. */
export function expertsTouched(experts: number, perToken: number, tokens: number): number {
  if (tokens <= 0) return 0;
  return 1 - (1 - perToken / experts) ** tokens;
}

/** Tensor-core TFLOPS for the precision the matmuls run in (weights-only INT4/MXFP4 dequantize to BF16). */
export function matmulTflops(gpu: GpuPerf, precision: Precision): number {
  if (precision === "fp8" && gpu.tflops.fp8) return gpu.tflops.fp8;
  if (precision === "nvfp4" && gpu.tflops.fp4) return gpu.tflops.fp4;
  return gpu.tflops.bf16;
}

/** Attention FLOPs per layer for `tokens` query tokens over `context` keys: QK and PV, 2 FLOPs per MAC. */
function attentionFlops(model: ModelSpec, tokens: number, context: number): number {
  let flops = 0;
  for (const g of model.attention) {
    if (g.kind === "gated-deltanet" || g.kind === "lightning") continue; // linear attention: counted in its state
    const width = g.kind === "mla" ? model.attentionHeads * (g.kvLoraRank + g.ropeHeadDim) : model.attentionHeads * g.headDim;
    const span = g.kind === "sliding" ? Math.min(context, g.window) : g.kind === "chunked" ? Math.min(context, g.chunk) : context;
    flops += g.layers * 2 * 2 * tokens * span * width;
  }
  return flops;
}

export function stepTime(input: StepInput): StepTime {
  const { model, layout, gpu, kv } = input;
  const eff = input.efficiency ?? EFFICIENCY;
  const tp = layout.tensorParallel;
  const pp = layout.pipelineParallel;
  const dp = layout.dataParallel ?? 1;
  const w = weightBytes(model, input.precision, input.variant);
  const tokensPerRank = input.decodeSequences + input.prefillTokens;
  // Experts: each GPU holds 1/(tp·pp·dp) of them; with EP (dp > 1) every rank's tokens reach them.
  const routedTokens = tokensPerRank * dp;
  const moe = model.moe;
  const expertShare = moe ? expertsTouched(moe.experts, moe.expertsPerToken, routedTokens) : 0;
  // Routed experts are read as many small grouped GEMMs: they reach a lower share of bandwidth (moeEfficiency).
  // A step reads the LM head but only the embedding rows of its tokens, and no vision tower for text.
  const p = model.params;
  const notRead = Math.max(0, (p.embeddingB + p.visionB) * 1e9 * 2 - model.vocabSize * model.hiddenSize * 2);
  const sharedRead = Math.max(0, w.sharedBytes - notRead);
  const weightRead = sharedRead / (tp * pp) + ((w.routedExpertBytes / (tp * pp * dp)) * expertShare) / eff.moeEfficiency;
  // KV: each decoding sequence reads its cache once per step, bounded layers only their span (per GPU and stage).
  const kvRead = input.decodeSequences * kv.readBytesPerDecode(Math.max(1, Math.round(input.meanContext)));
  const memorySeconds = (weightRead + kvRead) / (gpu.memoryBandwidthGBps * 1e9 * eff.memoryBandwidth);

  const activeParams = model.activeParamsB * 1e9;
  const denseFlops = 2 * activeParams * tokensPerRank;
  const attn = attentionFlops(model, input.decodeSequences, input.meanContext) + attentionFlops(model, input.prefillTokens, (input.prefillContext ?? 0) + input.prefillTokens / 2);
  const computeSeconds = (denseFlops + attn) / (tp * pp) / (matmulTflops(gpu, input.precision) * 1e12 * eff.compute);

  // Collectives: two all-reduces per layer at TP > 1 (attention and MLP outputs), two all-to-alls per MoE layer with EP.
  const layersPerStage = Math.ceil(model.layers / pp);
  const activationBytes = tokensPerRank * model.hiddenSize * 2;
  const link = gpu.interconnect;
  const linkBytesPerSecond = link.perGpuGBps * 1e9;
  const latency = link.kind === "nvlink" ? eff.nvlinkLatencySeconds : eff.pcieLatencySeconds;
  let communicationSeconds = 0;
  if (tp > 1) communicationSeconds += layersPerStage * 2 * (latency + (2 * (tp - 1) / tp) * activationBytes / linkBytesPerSecond);
  if (dp > 1 && moe && layout.expertParallel) {
    const moeLayers = Math.ceil(moe.moeLayers / pp);
    communicationSeconds += moeLayers * 2 * (latency + (activationBytes * moe.expertsPerToken) / linkBytesPerSecond);
  }
  const seconds = Math.max(memorySeconds, computeSeconds) + communicationSeconds + eff.stepOverheadSeconds;
  return { seconds, memorySeconds, computeSeconds, communicationSeconds };
}
