/**
 * CPU, memory and shared memory for a vLLM pod that owns its node (pure). Requests must fit what the
 * node can allocate, or the pod stays Pending on the very node the sizing chose.
 */
import type { InstanceSpec } from "../catalog/instances";

export interface PodResources {
  readonly gpus: number;
  /** Whole vCPUs requested. */
  readonly cpu: number;
  /** Memory request = limit, GiB (includes /dev/shm, which counts against the pod's memory). */
  readonly memoryGiB: number;
  /** /dev/shm size, GiB: NCCL and the multiprocess executor exchange tensors through it when TP/PP > 1. */
  readonly shmGiB: number;
}

/**
 * EKS reserves CPU and memory for the kubelet and system (kube-reserved ≈ 255 MiB + 11 MiB per pod slot,
 * eviction threshold 100 MiB; CPU 6 % of the first core, 1 % of the second, 0.5 % of the next two and 0.25 % of
 * the rest), and DaemonSets (CNI, device plugins, the DCGM exporter, any security or log agent the account adds)
 * need room too: the pod takes at most 90 % of the vCPUs and one fewer than all of them, and 90 % of memory less
 * 1.5 GiB (estimate). vLLM needs a few cores per engine, not the whole node.
 */
export function podResources(instance: InstanceSpec, gpusPerPod: number): PodResources {
  const cpu = Math.max(1, Math.min(instance.vcpu - 1, Math.floor(instance.vcpu * 0.9)));
  const memoryGiB = Math.max(2, Math.floor(instance.memoryGiB * 0.9 - 1.5));
  const shmGiB = gpusPerPod > 1 ? Math.min(64, Math.max(8, Math.floor(memoryGiB * 0.1))) : 2;
  return { gpus: gpusPerPod, cpu, memoryGiB, shmGiB };
}

/** A CPU-only vLLM pod (laptop path): the weights, the KV cache space and ~3 GiB for the runtime (estimate). */
export function cpuPodResources(weightsGiB: number, kvSpaceGiB: number): PodResources {
  return { gpus: 0, cpu: 2, memoryGiB: Math.ceil(weightsGiB + kvSpaceGiB + 3), shmGiB: 1 };
}
