import { RESTRICTED_CONTAINER, nonRootEnv } from "../pod-security";
/**
 * Where a vLLM pod keeps what a start produces (pure): the weights download, vLLM's torch.compile cache, Triton,
 * DeepGEMM and FlashInfer kernels — all under `/cache`, the pod's emptyDir on the node's ephemeral storage (NVMe
 * RAID 0 where the instance has NVMe), so a container restart reuses them. For models streamed from the S3
 * model store, the compiled kernels are also shared through S3 per model, revision, instance type and layout:
 * restored before vLLM starts and saved by a native sidecar once it serves (EKS user guide, "Accelerate model
 * loading": a warm compile cache takes ~6 s instead of ~50–80 s).
 */
type Obj = Record<string, unknown>;

export const CACHE_ROOT = "/cache";

/**
 * Cache locations, all on the cache volume. vLLM sets TORCHINDUCTOR_CACHE_DIR itself, inside its own
 * torch_compile_cache (vllm/compilation/decorators.py), so it is not set here; Triton's cache it does not
 * redirect on the AOT path, DeepGEMM defaults to ~/.deep_gemm (DG_JIT_CACHE_DIR) and FlashInfer's JIT workspace
 * to ~/.cache/flashinfer.
 */
export const CACHE_ENV: readonly { name: string; value: string }[] = [
  { name: "HF_HOME", value: `${CACHE_ROOT}/huggingface` },
  { name: "VLLM_CACHE_ROOT", value: `${CACHE_ROOT}/vllm` },
  { name: "TRITON_CACHE_DIR", value: `${CACHE_ROOT}/triton` },
  { name: "DG_JIT_CACHE_DIR", value: `${CACHE_ROOT}/deep_gemm` },
  { name: "FLASHINFER_WORKSPACE_BASE", value: `${CACHE_ROOT}/flashinfer` },
  { name: "XDG_CACHE_HOME", value: `${CACHE_ROOT}/xdg` },
];

/** Compiled output shared through S3, each directory under its own key below the model's cache prefix. */
export const SHARED_CACHE_DIRS: Readonly<Record<string, string>> = {
  "torch-compile": `${CACHE_ROOT}/vllm/torch_compile_cache`,
  triton: `${CACHE_ROOT}/triton`,
  "deep-gemm": `${CACHE_ROOT}/deep_gemm`,
};

/** The sidecar saves again this often: autotuning keeps adding kernels after the first requests. */
export const CACHE_RESAVE_SECONDS = 1800;

/**
 * The S3 sync pair: an init container restores the shared caches (an empty prefix is normal the first time;
 * any other failure is logged as such), a native sidecar (restartPolicy Always, Kubernetes ≥ 1.29: it never
 * holds the pod's readiness) saves them once vLLM listens — it binds its port only after compile and warm-up —
 * and every CACHE_RESAVE_SECONDS after, logging any failure instead of hiding it.
 */
export function cacheSyncContainers(uri: string, awsCliImage: string, port: number): Obj[] {
  const mounts = [{ name: "cache", mountPath: CACHE_ROOT }];
  const small = { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } };
  const dirs = Object.entries(SHARED_CACHE_DIRS);
  const restore = dirs.map(([key, dir]) => `mkdir -p ${dir} && (aws s3 sync ${uri}/${key} ${dir} --only-show-errors || echo "omk: restoring the ${key} cache from ${uri}/${key} failed; vLLM compiles it from scratch" >&2)`).join("; ");
  const save = dirs.map(([key, dir]) => `aws s3 sync ${dir} ${uri}/${key} --only-show-errors || echo "omk: saving the ${key} cache to ${uri}/${key} failed" >&2`).join("; ");
  return [
    { name: "compile-cache-restore", image: awsCliImage, command: ["/bin/sh", "-c"], args: [restore], volumeMounts: mounts, resources: small, env: nonRootEnv("/tmp"), securityContext: RESTRICTED_CONTAINER },
    {
      name: "compile-cache-save", image: awsCliImage, restartPolicy: "Always", command: ["/bin/bash", "-c"],
      args: [`until (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null; do sleep 15; done; sleep 30; while true; do ${save}; sleep ${CACHE_RESAVE_SECONDS}; done`],
      volumeMounts: mounts, resources: small, env: nonRootEnv("/tmp"), securityContext: RESTRICTED_CONTAINER,
    },
  ];
}
