/**
 * GPU architectures an attention kind needs kernels for in vLLM (pure). Most kinds have a portable
 * (Triton) fallback; DeepSeek Sparse Attention does not: vLLM's only sparse-MLA backend is FlashMLA's, built
 * for Hopper (SM90) and datacenter Blackwell (SM100) — "FlashMLA Sparse is only supported on Hopper and
 * Blackwell DC devices" (vllm-project/vllm#54059); DeepSeek-V3.2 fails on 8 × RTX PRO 6000 (SM120,
 * vllm-project/vllm#31936; fallback request #30644 still open).
 */
import type { InstanceSpec } from "../catalog/instances";
import type { ModelSpec } from "../catalog/models";
import { hasSparseMla } from "./attention/mla";

/** Why this model cannot run on this instance's GPUs in vLLM, or null when it can. */
export function kernelProblem(model: ModelSpec, instance: InstanceSpec): string | null {
  const sparse = hasSparseMla(model.attention);
  const cc = instance.gpu.computeCapability;
  const datacenter = cc === 9.0 || (cc >= 10.0 && cc < 11.0);
  if (sparse && !datacenter) {
    return `DeepSeek Sparse Attention needs FlashMLA's sparse kernels, built only for Hopper and datacenter Blackwell (SM90/SM100); ${instance.gpu.model} is ${cc.toFixed(1)} (vllm-project/vllm#31936)`;
  }
  return null;
}
