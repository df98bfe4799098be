/**
 * `vllm serve` arguments derived from the sizing and the catalog (pure). One function, so the Deployment,
 * the LeaderWorkerSet leader and the tests all see the same command line.
 */
import type { ResolvedModel } from "../config/validate";
import { totalWeightBytes } from "../sizing/memory";
import { loraArgs } from "./adapters-spec";
import { GUARD_PORT, VLLM_LOCAL_PORT } from "./api-guard-spec";

/** The pod's serving port: the API guard's (api-guard-spec.ts); vLLM itself listens on loopback, VLLM_LOCAL_PORT. */
export const VLLM_PORT = GUARD_PORT;

export interface ArgsInput {
  readonly model: ResolvedModel;
  /** What vLLM loads: a Hub repo id, or `s3://bucket/prefix` for the model store. */
  readonly modelUri: string;
  /** GPUs of this instance support BF16 (else quantized models run with FP16 activations). */
  readonly bf16: boolean;
}

/**
 * Why no `--quantization`: vLLM reads the method from the checkpoint's quantization_config and picks its
 * fastest kernel (e.g. Marlin for AWQ/GPTQ); forcing `--quantization awq` would select the slower one.
 */
function dtypeFor(m: ResolvedModel, bf16: boolean): string {
  if (m.precision === "bf16") return "bfloat16";
  return bf16 ? "auto" : "half";
}

export function vllmArgs({ model: m, modelUri, bf16 }: ArgsInput): string[] {
  const p = m.placement;
  // Parallelism and GPU memory only mean something on GPUs (the CPU backend sizes its KV cache from VLLM_CPU_KVCACHE_SPACE).
  const gpu = m.device === "gpu";
  const args = [
    modelUri,
    "--served-model-name", m.name,
    // Loopback only: every caller goes through the API guard, which allow-lists /v1, /health and /metrics (vLLM's
    // security guide: without --host vLLM binds every interface, and its key guards only some paths).
    "--host", "127.0.0.1",
    "--port", String(VLLM_LOCAL_PORT),
    ...(gpu ? ["--tensor-parallel-size", String(p.tensorParallelSize), "--pipeline-parallel-size", String(p.pipelineParallelSize)] : []),
    // Data-parallel attention with expert parallelism (docs.vllm.ai serving/data_parallel_deployment): one engine per GPU.
    ...(gpu && p.dataParallelSize > 1 ? ["--data-parallel-size", String(p.dataParallelSize)] : []),
    ...(gpu && p.expertParallel ? ["--enable-expert-parallel"] : []),
    "--max-model-len", String(m.maxModelLen),
    ...(gpu ? ["--gpu-memory-utilization", String(m.gpuMemoryUtilization)] : []),
    // Both batch limits are explicit: the sizing's activation memory assumes exactly these.
    "--max-num-seqs", String(p.memory.batch.maxNumSeqs),
    ...(gpu ? ["--max-num-batched-tokens", String(p.memory.batch.maxNumBatchedTokens)] : []),
    "--dtype", dtypeFor(m, bf16),
    // On by default in vLLM v1; explicit so the plan states it.
    "--enable-prefix-caching",
    // vLLM aborts in-flight requests on SIGTERM unless told to drain (vllm-project/vllm#34730, v0.18+; its
    // Kubernetes guide, #43208): rollouts, scale-down and node replacement let running generations finish.
    "--shutdown-timeout", String(drainSeconds(m)),
  ];
  // YaRN beyond vLLM's derived maximum: `--rope-scaling` is gone from vLLM (vllm-project/vllm#28006); the
  // documented way is --hf-overrides with rope_parameters (docs.vllm.ai features/context_extension).
  if (m.yarn) args.push("--hf-overrides", JSON.stringify(m.yarn.hfOverrides));
  if (m.kvCacheDtype === "fp8") args.push("--kv-cache-dtype", "fp8");
  // Online quantization is the one case vLLM cannot read from the checkpoint (MiniMax-M1's deployment guide:
  // BF16 weights, experts quantized to INT8 at load).
  if (m.weights.quantization === "experts_int8") args.push("--quantization", "experts_int8");
  if (m.spec.trustRemoteCode) args.push("--trust-remote-code");
  if (m.revision && m.weightSource === "huggingface") args.push("--revision", m.revision);
  if (m.spec.reasoningParser) args.push("--reasoning-parser", m.spec.reasoningParser);
  if (m.spec.toolCallParser) args.push("--enable-auto-tool-choice", "--tool-call-parser", m.spec.toolCallParser);
  args.push(...m.spec.vllmFlags);
  if (m.weightSource === "s3") args.push("--load-format", "runai_streamer", "--model-loader-extra-config", JSON.stringify(streamerConfig(m)));
  if (p.nodes > 1) args.push("--distributed-executor-backend", "ray");
  args.push(...loraArgs(m));
  return [...args, ...m.extraArgs];
}

/** Seconds to finish a full-length generation at ~40 tokens/s (estimate): the drain window on shutdown. */
export function drainSeconds(m: ResolvedModel): number {
  return Math.min(1800, Math.max(120, Math.ceil(m.maxModelLen / 40)));
}

/** Bytes the Run:ai streamer reads per request (RUNAI_STREAMER_CHUNK_BYTESIZE), as the EKS user guide sets it. */
export const STREAMER_CHUNK_BYTES = 4 * 1024 ** 3;

/** Concurrent S3 reads per streaming process at most (the EKS user guide's table stops at 35; 64 leaves room). */
export const STREAMER_MAX_CONCURRENCY = 64;

/**
 * The Run:ai streamer's settings (docs.vllm.ai models/extensions/runai_model_streamer; EKS user guide,
 * "Accelerate model loading on Amazon EKS"): one 4 GiB read in flight per 4 GB of weights, at least 8 and at
 * most STREAMER_MAX_CONCURRENCY per process; data-parallel engines on one node each run their own streamer, so
 * they share that budget. With tensor parallelism each rank streams its own share and passes it on
 * (`distributed`, off by default in vLLM, only meaningful at TP > 1).
 */
export function streamerConfig(m: ResolvedModel): { concurrency: number; distributed?: true } {
  const gb = totalWeightBytes(m.spec, m.precision, m.weights) / 1e9;
  const engines = m.placement.dataParallelSize ?? 1;
  const perProcess = Math.min(STREAMER_MAX_CONCURRENCY, Math.max(8, Math.ceil(gb / (STREAMER_CHUNK_BYTES / 1e9))));
  const concurrency = engines > 1 ? Math.max(4, Math.floor(perProcess / engines)) : perProcess;
  return m.placement.tensorParallelSize > 1 ? { concurrency, distributed: true } : { concurrency };
}

/** Value of a flag in an argument list (tests and plan summaries read the command line this way). */
export function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Quotes one argument for `sh -c` (the multi-node leader runs a shell line). */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
