/**
 * Cold-start estimate per model (pure): new node, image pull, weights, engine warm-up. It drives the
 * startup probe budget (a 70B model must not be killed while loading; a 1.5B model must not wait 30
 * minutes to be declared failed) and the worst-case scale-up time shown in the plan.
 *
 * Every rate below is an ESTIMATE with its reasoning; the plan prints them as assumptions.
 */
import { loraBytesPerGpu } from "../sizing/lora";
import { findInstance } from "../catalog/instances";
import type { ResolvedModel } from "../config/validate";
import { GiB, totalWeightBytes } from "../sizing/memory";

export const COLD_START_ASSUMPTIONS = {
  /** GPU node from pending pod to Ready (launch, EC2 boot, NVIDIA driver, kubelet join): ~4 min (estimate; users report up to ~5). */
  nodeBootSeconds: 240,
  /** The vLLM CUDA image is ~12 GB compressed (vllm-project/vllm issue #27154; ~28.6 GB unpacked per PR #22377) … */
  imageGB: 12,
  /** … pulled at ~150 MB/s from a public registry (estimate). */
  imagePullMBps: 150,
  /** Hugging Face Hub download per pod: ~150 MB/s sustained (estimate; hf_transfer can exceed it). */
  hubDownloadMBps: 150,
  /** Reading cached weights from the node's gp3 volume: its configured 500 MB/s throughput. */
  diskReadMBps: 500,
  /**
   * Run:ai streamer from S3: ~40 % of the node's network bandwidth, at most 2.5 GB/s (its benchmark: 15 GB in
   * 8.45 s, ~1.8 GB/s, at concurrency 16 on a 40 Gbps g5.12xlarge; run-ai/runai-model-streamer docs/benchmarks.md).
   */
  s3NetworkShare: 0.4,
  s3MaxGBps: 2.5,
  /**
   * torch.compile, uncached: ~50 s plus ~0.047 s per GB of weights (EKS user guide, "Accelerate model loading":
   * 60 GB ~53 s, 140 GB ~60 s, 640 GB ~80 s); from a warm compile cache ~6 s.
   */
  compileBaseSeconds: 50,
  compileSecondsPerGB: 0.047,
  compileCachedSeconds: 6,
  /** CUDA graph capture and warm-up: ~30 s plus ~1 s per billion active parameters (estimate). */
  warmupBaseSeconds: 30,
  warmupSecondsPerActiveB: 1,
  /**
   * DeepGEMM JIT warm-up for FP8 block-quantized weights on Hopper/Blackwell: ~3 min (estimate; the DeepSeek-V3.2
   * recipe calls it "long", and vllm-project/vllm#43189 reports ~8 min to start a 284B FP8 MoE from local disk).
   * Its kernels are cached under DG_JIT_CACHE_DIR on the pod's cache volume and synced with the compile cache.
   */
  deepGemmWarmupSeconds: 180,
  /**
   * Probe budget = this × the expected in-container start (uncached), never below a floor. The estimate leaves
   * out Python and engine start-up, NCCL set-up, memory profiling and first-start kernel JIT, and a probe that has
   * passed costs nothing, while one that fires restarts a slow start from its beginning.
   */
  probeSafetyFactor: 2.5,
  /** GPU servers get at least 15 minutes (CPU serving on a laptop: 5). */
  probeFloorSeconds: 900,
  cpuProbeFloorSeconds: 300,
  /**
   * At least 30 minutes for starts with long uncounted stages: 100B+ models (modelplaneai/modelplane#194: ~6 min
   * to stream 509 GiB per engine, before compile and warm-up), hybrid linear-attention models (Triton kernels for
   * their state), pipeline stages, and Blackwell GPUs (first-start CUTLASS/FlashInfer JIT).
   */
  largeModelParamsB: 100,
  slowStartProbeFloorSeconds: 1800,
  /** S3 reads of all engines on a node together: ~12 GB/s (modelplaneai/modelplane#194: 8 engines at ~1.5 GB/s). */
  s3NodeMaxGBps: 12,
} as const;

/** Starts whose uncounted stages can run long (see slowStartProbeFloorSeconds). */
function slowStart(m: ResolvedModel): boolean {
  const cc = findInstance(m.placement.instanceType)?.gpu.computeCapability ?? 0;
  const hybrid = m.spec.attention.some((g) => g.kind === "gated-deltanet" || g.kind === "lightning");
  return m.spec.totalParamsB >= COLD_START_ASSUMPTIONS.largeModelParamsB || hybrid || m.placement.pipelineParallelSize > 1 || cc >= 10;
}

/** FP8 weights with block scales on SM 9.0+ run DeepGEMM, which JIT-compiles its kernels at start-up. */
export function usesDeepGemm(m: ResolvedModel): boolean {
  const cc = findInstance(m.placement.instanceType)?.gpu.computeCapability ?? 0;
  return m.device === "gpu" && m.precision === "fp8" && m.weights.fp8BlockSize !== null && cc >= 9;
}

/**
 * Seconds to stream the weights from S3. One engine per node streams its share (its TP ranks split the reads
 * with the streamer's `distributed` mode). With data-parallel ranks vLLM runs one engine per DP rank and each
 * streams the whole checkpoint itself: each is capped at the streamer's rate, and all of them share the node's
 * network (modelplaneai/modelplane#194: 8 DP engines each read 509 GiB in ~6 min, ~1.5 GB/s apiece).
 */
function s3LoadSeconds(m: ResolvedModel, weightsGB: number, networkGBps: number): number {
  const a = COLD_START_ASSUMPTIONS;
  const dp = m.placement.dataParallelSize ?? 1;
  const perReaderGB = dp > 1 ? weightsGB : weightsGB / m.placement.nodes;
  const readers = dp > 1 ? dp : 1;
  return Math.round(Math.max(perReaderGB / a.s3MaxGBps, (perReaderGB * readers) / Math.min(a.s3NodeMaxGBps, networkGBps * a.s3NetworkShare)));
}

export interface ColdStart {
  readonly nodeBootSeconds: number;
  readonly imagePullSeconds: number;
  /** Hub download (huggingface source), 0 for S3. */
  readonly downloadSeconds: number;
  /** Weights into GPU memory: from local disk (Hub) or streamed from S3. */
  readonly loadSeconds: number;
  /** torch.compile on a pod's first start; a warm compile cache (same pod, or synced from S3) takes ~6 s. */
  readonly compileSeconds: number;
  readonly compileCachedSeconds: number;
  /** CUDA graph capture and engine warm-up. */
  readonly warmupSeconds: number;
  /**
   * LoRA adapters: their fetch before vLLM starts (Hub rate) and the extra CUDA graphs vLLM captures with LoRA on
   * (one set per power of 2 up to --max-loras, plus --max-loras + 1: vllm/v1/worker/gpu/lora_utils). 0 without.
   */
  readonly adaptersSeconds: number;
  /** From container start to ready: what the startup probe must allow. */
  readonly containerStartSeconds: number;
  /** From "need one more replica" to serving: node + image + container start. */
  readonly scaleUpSeconds: number;
  /**
   * How long a rollout may take before Kubernetes calls it stuck (Deployment progressDeadlineSeconds, default
   * 600): a new node, the image and the whole startup probe budget, plus 10 minutes.
   */
  readonly rolloutDeadlineSeconds: number;
  /** Startup probe: checked every `periodSeconds`, failing after `failureThreshold` checks. */
  readonly startupProbe: { readonly periodSeconds: number; readonly failureThreshold: number; readonly budgetSeconds: number };
  readonly weightsGB: number;
}

export function estimateColdStart(m: ResolvedModel): ColdStart {
  const a = COLD_START_ASSUMPTIONS;
  const weightsGB = (totalWeightBytes(m.spec, m.precision) / GiB) * 1.073741824; // GiB → GB
  const instance = findInstance(m.placement.instanceType);
  const perNodeGB = weightsGB / m.placement.nodes;
  const imagePullSeconds = Math.round((a.imageGB * 1000) / a.imagePullMBps);
  let downloadSeconds = 0;
  let loadSeconds: number;
  if (m.weightSource === "huggingface") {
    // Every node of a multi-node replica downloads the full checkpoint (vLLM loads its shard from it).
    downloadSeconds = Math.round((weightsGB * 1000) / a.hubDownloadMBps);
    loadSeconds = Math.round((perNodeGB * 1000) / a.diskReadMBps);
  } else {
    loadSeconds = s3LoadSeconds(m, weightsGB, (instance?.networkGbps ?? 10) / 8);
  }
  // CPU serving (laptop): nodes already exist and there is no CUDA graph capture.
  const cpu = m.device === "cpu";
  const nodeBootSeconds = cpu ? 0 : a.nodeBootSeconds;
  const compileSeconds = cpu ? 0 : Math.round(a.compileBaseSeconds + a.compileSecondsPerGB * weightsGB);
  const warmupSeconds = cpu ? 30 : Math.round(a.warmupBaseSeconds + a.warmupSecondsPerActiveB * m.spec.activeParamsB + (usesDeepGemm(m) ? a.deepGemmWarmupSeconds : 0));
  const adapterGB = m.adapters.reduce((n, x) => n + loraBytesPerGpu(m.spec, { maxLoras: 1, maxRank: x.rank }, 1), 0) / 1e9;
  const captureSets = m.lora ? Math.floor(Math.log2(m.lora.maxLoras)) + 2 : 0;
  const adaptersSeconds = m.lora ? Math.round((adapterGB * 1000) / a.hubDownloadMBps + captureSets * 0.25 * warmupSeconds) : 0;
  // The startup probe must allow a first start with nothing cached: download, load, compile, warm-up.
  const containerStartSeconds = downloadSeconds + loadSeconds + compileSeconds + warmupSeconds + adaptersSeconds;
  const floor = cpu ? a.cpuProbeFloorSeconds : slowStart(m) ? a.slowStartProbeFloorSeconds : a.probeFloorSeconds;
  const budgetSeconds = Math.max(floor, Math.ceil((containerStartSeconds * a.probeSafetyFactor) / 60) * 60);
  const periodSeconds = 10;
  return {
    nodeBootSeconds, imagePullSeconds, downloadSeconds, loadSeconds, compileSeconds, compileCachedSeconds: cpu ? 0 : a.compileCachedSeconds, warmupSeconds, adaptersSeconds, containerStartSeconds,
    scaleUpSeconds: nodeBootSeconds + imagePullSeconds + containerStartSeconds,
    rolloutDeadlineSeconds: nodeBootSeconds + imagePullSeconds + budgetSeconds + 600,
    startupProbe: { periodSeconds, failureThreshold: Math.ceil(budgetSeconds / periodSeconds), budgetSeconds },
    weightsGB: Math.round(weightsGB * 10) / 10,
  };
}
