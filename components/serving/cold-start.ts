/**
 * Cold-start estimate per model (pure): new node, image pull, weights, engine warm-up. It drives the
 * startup probe budget (a 70B model must not be killed while loading; a 1.5B model must not wait 30
 * minutes to be declared failed) and the worst-case scale-up time shown in the plan.
 *
 * Every rate below is an ESTIMATE with its reasoning; the plan prints them as assumptions.
 */
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
  /** Run:ai streamer from S3: ~60 % of the node's network bandwidth, at most 4 GB/s (its benchmark: ~3 GB/s on a 40 Gbps g5.12xlarge). */
  s3NetworkShare: 0.6,
  s3MaxGBps: 4,
  /** torch.compile + CUDA graph capture: ~60 s plus ~1 s per billion active parameters (estimate). */
  warmupBaseSeconds: 60,
  warmupSecondsPerActiveB: 1,
  /** Probe budget = this × the expected in-container start, never below the floor. */
  probeSafetyFactor: 2,
  probeFloorSeconds: 300,
} as const;

export interface ColdStart {
  readonly nodeBootSeconds: number;
  readonly imagePullSeconds: number;
  /** Hub download (huggingface source), 0 for S3. */
  readonly downloadSeconds: number;
  /** Weights into GPU memory: from local disk (Hub) or streamed from S3. */
  readonly loadSeconds: number;
  readonly warmupSeconds: number;
  /** From container start to ready: what the startup probe must allow. */
  readonly containerStartSeconds: number;
  /** From "need one more replica" to serving: node + image + container start. */
  readonly scaleUpSeconds: number;
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
    const networkGBps = ((instance?.networkGbps ?? 10) / 8) * a.s3NetworkShare;
    loadSeconds = Math.round(perNodeGB / Math.min(a.s3MaxGBps, networkGBps));
  }
  // CPU serving (laptop): nodes already exist and there is no CUDA graph capture.
  const cpu = m.device === "cpu";
  const nodeBootSeconds = cpu ? 0 : a.nodeBootSeconds;
  const warmupSeconds = cpu ? 30 : Math.round(a.warmupBaseSeconds + a.warmupSecondsPerActiveB * m.spec.activeParamsB);
  const containerStartSeconds = downloadSeconds + loadSeconds + warmupSeconds;
  const budgetSeconds = Math.max(a.probeFloorSeconds, Math.ceil((containerStartSeconds * a.probeSafetyFactor) / 60) * 60);
  const periodSeconds = 10;
  return {
    nodeBootSeconds, imagePullSeconds, downloadSeconds, loadSeconds, warmupSeconds, containerStartSeconds,
    scaleUpSeconds: nodeBootSeconds + imagePullSeconds + containerStartSeconds,
    startupProbe: { periodSeconds, failureThreshold: Math.ceil(budgetSeconds / periodSeconds), budgetSeconds },
    weightsGB: Math.round(weightsGB * 10) / 10,
  };
}
