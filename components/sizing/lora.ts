/**
 * GPU memory vLLM reserves for LoRA adapters (pure). With `--enable-lora`, every LoRA-capable layer allocates
 * stacked A/B buffers for `--max-loras` slots at `--max-lora-rank`, whether or not adapters are loaded, in the
 * activation dtype, while the model loads — before the KV cache is profiled, so the KV cache shrinks by exactly
 * this much (vllm/lora/layers/*.create_lora_weights; vllm/v1/worker/gpu_model_runner.py load_model → load_lora_model).
 * Under tensor parallelism a column-parallel layer (qkv, gate_up) shards B and replicates A; a row-parallel one
 * (o, down) shards A and replicates B (vllm/lora/layers/column_parallel_linear.py, row_parallel_linear.py).
 * Fused-MoE layers get buffers per expert (vllm/lora/layers/fused_moe.py). The embedding and LM head are counted
 * too (models that declare them, e.g. Llama and Qwen): an upper bound where a model does not.
 */
import type { ModelSpec } from "../catalog/models";

/** `--max-lora-rank` values vLLM accepts (vllm/config/lora.py MaxLoRARanks, v0.14+). */
export const LORA_RANKS = [1, 8, 16, 32, 64, 128, 256, 320, 512] as const;

/** The GPU slots the server reserves: `--max-loras` adapters in one batch, each up to `--max-lora-rank`. */
export interface LoraSlots {
  readonly maxLoras: number;
  readonly maxRank: number;
}

/** LoRA buffers are kept in the activation dtype (`--lora-dtype auto`: bf16 or fp16), never quantized. */
const LORA_BYTES = 2;

/** The smallest `--max-lora-rank` vLLM accepts that holds an adapter of `rank`. */
export function maxLoraRankFor(rank: number): number {
  const r = LORA_RANKS.find((x) => x >= rank);
  if (r === undefined) throw new Error(`LoRA rank ${rank} exceeds vLLM's largest --max-lora-rank ${LORA_RANKS[LORA_RANKS.length - 1]}`);
  return r;
}

/** Elements per unit of rank of one linear layer's A and B buffers on one GPU. */
function column(input: number, output: number, tp: number): number {
  return input + output / tp;
}
function row(input: number, output: number, tp: number): number {
  return input / tp + output;
}

/** Per unit of rank and per slot, the attention projections of every layer (elements). */
function attentionElements(model: ModelSpec, tp: number): number {
  const h = model.hiddenSize;
  let total = 0;
  for (const g of model.attention) {
    if (g.kind === "mla") {
      const heads = model.attentionHeads;
      const qIn = g.qLoraRank ?? h;
      // q_a and kv_a are replicated; q_b and kv_b column-parallel; o row-parallel (vllm/model_executor/models/deepseek_v2.py).
      const perLayer = (g.qLoraRank ? h + g.qLoraRank : 0) + column(qIn, heads * (g.nopeHeadDim + g.ropeHeadDim), tp)
        + (h + g.kvLoraRank + g.ropeHeadDim) + column(g.kvLoraRank, heads * (g.nopeHeadDim + g.valueHeadDim), tp) + row(heads * g.valueHeadDim, h, tp);
      total += g.layers * perLayer;
    } else if (g.kind === "gated-deltanet") {
      const qk = g.keyHeads * g.keyHeadDim;
      const v = g.valueHeads * g.valueHeadDim;
      total += g.layers * (column(h, 2 * qk + 2 * v, tp) + row(v, h, tp));
    } else if (g.kind === "lightning") {
      const d = g.heads * g.headDim;
      total += g.layers * (column(h, 3 * d, tp) + row(d, h, tp));
    } else {
      const q = model.attentionHeads * g.headDim;
      const kv = g.kvHeads * g.headDim;
      // qkv_proj is three packed slices, each with its own A over the full hidden size.
      total += g.layers * (3 * h + (q + 2 * kv) / tp + row(q, h, tp));
    }
  }
  return total;
}

/** Per unit of rank and per slot, the MLPs of every layer: dense ones, and for MoE every expert plus the shared ones. */
function mlpElements(model: ModelSpec, tp: number): number {
  const h = model.hiddenSize;
  const dense = (i: number) => 2 * h + (2 * i) / tp + row(i, h, tp);
  if (!model.moe) return model.layers * dense(model.intermediateSize);
  const moe = model.moe;
  const perExpert = 2 * h + (2 * moe.intermediateSize) / tp + row(moe.intermediateSize, h, tp);
  const shared = moe.sharedExperts > 0 ? dense(moe.sharedIntermediateSize * moe.sharedExperts) : 0;
  return (model.layers - moe.moeLayers) * dense(model.intermediateSize) + moe.moeLayers * (moe.experts * perExpert + shared);
}

/** Bytes of LoRA buffers on each GPU of a replica (tensor-parallel rank; pipeline stages split the layers). */
export function loraBytesPerGpu(model: ModelSpec, slots: LoraSlots, tensorParallel: number, pipelineParallel = 1): number {
  const layers = (attentionElements(model, tensorParallel) + mlpElements(model, tensorParallel)) / pipelineParallel;
  // Embedding (A: vocab × r, B: hidden × r) and LM head (A: hidden × r, B: vocab × r), both replicated.
  const edges = 2 * (model.vocabSize + model.hiddenSize);
  return slots.maxLoras * slots.maxRank * (layers + edges) * LORA_BYTES;
}
