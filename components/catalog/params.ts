/**
 * Parameter counts from an architecture (pure): the split the memory model needs — embeddings (stay BF16
 * in quantized checkpoints), routed experts (split across expert-parallel ranks; the only INT4/MXFP4 part of
 * some checkpoints), and the rest. Catalog models keep their published totals; these counts fill the split
 * and size a user's own model. Norms, biases and routers' small vectors are left out (< 0.1 %).
 */
import type { Architecture, AttentionGroup } from "./architecture";

export interface ParamBreakdown {
  readonly totalB: number;
  readonly activeB: number;
  /** Input embedding plus, when untied, the LM head. */
  readonly embeddingB: number;
  /** Routed experts of all MoE layers (0 for dense models). */
  readonly routedExpertB: number;
  readonly visionB: number;
}

function attentionParams(g: AttentionGroup, hidden: number, heads: number): number {
  switch (g.kind) {
    case "full":
    case "sliding":
    case "chunked":
      return 2 * hidden * heads * g.headDim + 2 * hidden * g.kvHeads * g.headDim;
    case "mla": {
      const qk = g.nopeHeadDim + g.ropeHeadDim;
      const q = g.qLoraRank ? hidden * g.qLoraRank + g.qLoraRank * heads * qk : hidden * heads * qk;
      return q + hidden * (g.kvLoraRank + g.ropeHeadDim) + g.kvLoraRank * heads * (g.nopeHeadDim + g.valueHeadDim) + heads * g.valueHeadDim * hidden;
    }
    case "gated-deltanet": {
      const k = g.keyHeads * g.keyHeadDim;
      const v = g.valueHeads * g.valueHeadDim;
      return hidden * (2 * k + 2 * v) + hidden * 2 * g.valueHeads + (2 * k + v) * g.convKernel + v * hidden;
    }
    case "lightning":
      return 5 * hidden * g.heads * g.headDim;
  }
}

export function paramsFromArchitecture(arch: Architecture): ParamBreakdown {
  const h = arch.hiddenSize;
  const embedding = arch.vocabSize * h * (arch.tiedEmbeddings ? 1 : 2);
  const attention = arch.attention.reduce((sum, g) => sum + g.layers * attentionParams(g, h, arch.attentionHeads), 0);
  const moe = arch.moe;
  const denseLayers = arch.layers - (moe?.moeLayers ?? 0);
  const dense = denseLayers * 3 * h * arch.intermediateSize;
  const perExpert = moe ? 3 * h * moe.intermediateSize : 0;
  const routed = moe ? moe.moeLayers * moe.experts * perExpert : 0;
  const sharedAndRouter = moe ? moe.moeLayers * (3 * h * moe.sharedIntermediateSize + h * moe.experts) : 0;
  const activeRouted = moe ? moe.moeLayers * moe.expertsPerToken * perExpert : 0;
  const visionB = arch.visionParamsB;
  const body = embedding + attention + dense + sharedAndRouter;
  return {
    totalB: (body + routed) / 1e9 + visionB,
    activeB: (body + activeRouted) / 1e9,
    embeddingB: embedding / 1e9,
    routedExpertB: routed / 1e9,
    visionB,
  };
}

/**
 * A vision tower's size from its config (ViT blocks of 4·h² attention + 2·h·intermediate MLP); an estimate
 * that leaves out patch embeddings and mergers. Catalog entries carry researched figures instead.
 */
export function visionParamsFromConfig(vision: unknown): number {
  if (!vision || typeof vision !== "object") return 0;
  const v = vision as Record<string, unknown>;
  const depth = Number(v.depth ?? v.num_hidden_layers ?? v.vt_num_hidden_layers ?? 0);
  const hidden = Number(v.hidden_size ?? v.vt_hidden_size ?? 0);
  const inter = Number(v.intermediate_size ?? v.vt_intermediate_size ?? 4 * hidden);
  if (!depth || !hidden) return 0;
  return (depth * (4 * hidden * hidden + 2 * hidden * inter)) / 1e9;
}
