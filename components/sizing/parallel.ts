/**
 * Which parallel layouts vLLM accepts for a model and checkpoint, and which the kit tries (pure).
 *
 * - Tensor parallelism must split the attention heads evenly (vllm/config/model.py `verify_with_parallel_config`).
 * - FP8 checkpoints with block-wise scales ([128, 128]) need every tensor-parallel slice to be whole blocks:
 *   column-parallel outputs and row-parallel inputs (`validate_fp8_block_shape`, "Weight output_partition_size = …
 *   is not divisible by weight quantization block_n = 128") and each expert's intermediate slice (`Fp8MoEMethod`,
 *   "The output_size of gate's and up's weight = 192 is not divisible by …"). `--enable-expert-parallel` keeps
 *   experts whole, so only the unsplit size counts; without it, data parallelism splits experts over DP × TP
 *   (vllm/model_executor/layers/fused_moe/config.py `FusedMoEParallelConfig.make`).
 * - Expert parallelism with data-parallel attention (`--data-parallel-size N --enable-expert-parallel`, TP 1) is
 *   what vLLM's recipes use for MLA models (DeepSeek-V3.2, Kimi-K2): MLA's latent is the same on every TP rank, so
 *   TP 8 stores every sequence 8 times, while DP 8 gives each GPU its own sequences (docs.vllm.ai
 *   serving/data_parallel_deployment, expert_parallel_deployment).
 */
import type { ModelSpec, WeightVariant } from "../catalog/models";
import { hasSparseMla } from "./attention/mla";
import type { ParallelLayout } from "./memory";

/** Why vLLM would refuse this layout for this checkpoint, or null when it loads. */
export function layoutProblem(model: ModelSpec, variant: Pick<WeightVariant, "fp8BlockSize" | "precision">, layout: ParallelLayout): string | null {
  const tp = layout.tensorParallel;
  if (!model.validTensorParallel.includes(tp)) return `TP ${tp} does not divide ${model.id}'s attention heads (valid: ${model.validTensorParallel.join(", ")})`;
  const block = variant.precision === "fp8" ? variant.fp8BlockSize : null;
  if (!block || (tp === 1 && (layout.dataParallel ?? 1) === 1)) return null;
  const slices: [string, number][] = [];
  const denseLayers = model.layers - (model.moe?.moeLayers ?? 0);
  if (denseLayers > 0 && model.intermediateSize) slices.push(["dense MLP intermediate", model.intermediateSize / tp]);
  if (model.moe?.sharedIntermediateSize) slices.push(["shared-expert intermediate", model.moe.sharedIntermediateSize / tp]);
  if (model.moe) slices.push(["expert intermediate", model.moe.intermediateSize / (layout.expertParallel ? 1 : tp * (layout.dataParallel ?? 1))]);
  for (const g of model.attention) {
    if (g.kind === "full" || g.kind === "sliding" || g.kind === "chunked") {
      slices.push(["attention heads × head_dim", (model.attentionHeads * g.headDim) / tp]);
      if (g.kvHeads >= tp) slices.push(["KV heads × head_dim", (g.kvHeads * g.headDim) / tp]);
    } else if (g.kind === "mla") {
      slices.push(["MLA value projection", (model.attentionHeads * g.valueHeadDim) / tp]);
    }
  }
  const bad = slices.find(([, size]) => size % block !== 0);
  return bad ? `its FP8 checkpoint uses ${block}×${block} blocks and the ${bad[0]} per GPU would be ${bad[1]}, not a multiple of ${block} (vLLM refuses to load it)` : null;
}

/** Short human name of a layout, as the plan prints it. */
export function layoutName(layout: ParallelLayout): string {
  const dp = layout.dataParallel ?? 1;
  const parts = [dp > 1 ? `DP ${dp}` : `TP ${layout.tensorParallel}`];
  if (dp > 1 && layout.tensorParallel > 1) parts.push(`TP ${layout.tensorParallel}`);
  if (layout.pipelineParallel > 1) parts.push(`PP ${layout.pipelineParallel}`);
  if (layout.expertParallel) parts.push("EP");
  return parts.join(" + ");
}

/** Why the kit prefers one fitting layout over another on the same hardware. */
export function layoutReason(model: ModelSpec, layout: ParallelLayout): string {
  const dp = layout.dataParallel ?? 1;
  if (dp > 1 && layout.tensorParallel === 2 && hasSparseMla(model.attention)) return "data-parallel attention over TP 2 pairs with expert parallelism: the DeepSeek-V3.2 recipe's layout for Hopper (FlashMLA's sparse kernels run 64 heads per rank there)";
  if (dp > 1) return "data-parallel attention with expert parallelism (as vLLM's recipes for MLA models): each GPU keeps its own sequences instead of a copy of every sequence's latent";
  if (layout.expertParallel) return "expert parallelism keeps experts whole, as the FP8 checkpoint's 128-blocks require";
  if (layout.pipelineParallel > 1 && layout.nodes > 1) return `tensor parallelism within each node, pipeline stages across ${layout.nodes} nodes`;
  if (layout.pipelineParallel > 1) return `${layout.pipelineParallel} pipeline stages on one node: each GPU holds 1/${layout.pipelineParallel} of the layers and of their KV cache${model.attention.some((g) => g.kind === "mla") ? " (TP alone would copy MLA's latent to every GPU)" : ""}`;
  return layout.tensorParallel > 1 ? "tensor parallelism across the node's GPUs (lowest latency)" : "one GPU";
}

/** Is data-parallel attention worth preferring for this model (MLA MoE: yes, per vLLM's recipes)? */
export function prefersDataParallelAttention(model: ModelSpec): boolean {
  return model.moe !== null && model.attention.some((g) => g.kind === "mla");
}

/**
 * The layouts the search tries for `gpus` GPUs per node on `nodes` nodes. On Hopper, sparse-MLA models also get
 * DP × TP 2 + EP, which the placement then prefers: the DeepSeek-V3.2 recipe says "Prefer TP=2 (Hopper) or TP=1
 * (Blackwell) with DP/EP mode" (vllm-project/recipes models/deepseek-ai/DeepSeek-V3.2.yaml), since FlashMLA's
 * sparse kernels on Hopper run 64 query heads per rank (vllm-project/vllm#46189) — DeepSeek's 128 heads at TP 2.
 */
export function candidateLayouts(model: ModelSpec, gpusPerNode: number, nodes: number, computeCapability = 0): ParallelLayout[] {
  const tps = model.validTensorParallel.filter((tp) => gpusPerNode % tp === 0);
  if (nodes > 1) {
    const tp = tps[tps.length - 1];
    if (tp === undefined) return [];
    const pp = (gpusPerNode / tp) * nodes;
    if (pp > model.layers) return [];
    const base = { tensorParallel: tp, pipelineParallel: pp, nodes };
    return model.moe ? [base, { ...base, expertParallel: true }] : [base];
  }
  const layouts: ParallelLayout[] = tps.map((tp) => ({ tensorParallel: tp, pipelineParallel: gpusPerNode / tp, nodes: 1 }))
    .filter((l) => l.pipelineParallel <= model.layers);
  if (model.moe && gpusPerNode > 1) {
    if (tps.includes(gpusPerNode)) layouts.push({ tensorParallel: gpusPerNode, pipelineParallel: 1, nodes: 1, expertParallel: true });
    if (computeCapability === 9.0 && hasSparseMla(model.attention) && tps.includes(2) && gpusPerNode >= 4) {
      layouts.push({ tensorParallel: 2, pipelineParallel: 1, nodes: 1, dataParallel: gpusPerNode / 2, expertParallel: true });
    }
    layouts.push({ tensorParallel: 1, pipelineParallel: 1, nodes: 1, dataParallel: gpusPerNode, expertParallel: true });
  }
  return layouts;
}
