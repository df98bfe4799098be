/**
 * Pod Security Standards "restricted" settings for every pod the kit runs (kubernetes.io/docs/concepts/security/
 * pod-security-standards: runAsNonRoot, no privilege escalation, every capability dropped, the runtime's default
 * seccomp profile). No imports: serving, traffic and the policy pack all use it. The serving namespace enforces the
 * level, so a pod that drifts from it is refused by the API server, not only flagged.
 */

/** The non-root user kit containers run as where the image has none of its own (vLLM, the AWS CLI). */
export const KIT_UID = 2000;

/** Pod-level restricted settings; `fsGroup` makes mounted volumes writable for the user. */
export function restrictedPod(uid: number = KIT_UID): Record<string, unknown> {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: "RuntimeDefault" } };
}

/** Container-level restricted settings. */
export const RESTRICTED_CONTAINER: Readonly<Record<string, unknown>> = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

/**
 * Environment a Python tool needs without a passwd entry for its user: getpass.getuser() (torch's inductor cache
 * path, Ray) reads USER/LOGNAME before the password database, and HOME must be writable.
 */
export function nonRootEnv(home: string): { name: string; value: string }[] {
  return [{ name: "HOME", value: home }, { name: "USER", value: "omk" }, { name: "LOGNAME", value: "omk" }];
}

/**
 * Namespace labels: audit and warn at "restricted", enforce "baseline". Not enforced at restricted, because three
 * kinds of vLLM pod cannot meet it (vllmPodSecurity below), and because rolling back to a revision that ran as
 * root must stay possible: PodSecurity admission would refuse those pods (Kubernetes "Enforce Pod Security
 * Standards with namespace labels": audit/warn first, then enforce).
 */
export const SERVING_NAMESPACE_LABELS: Readonly<Record<string, string>> = {
  "pod-security.kubernetes.io/enforce": "baseline",
  "pod-security.kubernetes.io/audit": "restricted",
  "pod-security.kubernetes.io/warn": "restricted",
};

/** Why a vLLM pod keeps a setting "restricted" forbids (null: it meets the level). */
export type RestrictedException = "multi-gpu" | "efa" | "cpu-image";

export const EXCEPTION_REASONS: Readonly<Record<RestrictedException, string>> = {
  // The runtime's default seccomp profile blocks pidfd_getfd, which CUDA IPC between a replica's GPU worker processes
  // uses (pytorch/pytorch#130890; FlashInfer's all-to-all, flashinfer-ai/flashinfer#2394): unconfined, as before.
  "multi-gpu": "a pod with several GPUs shares CUDA memory between processes (pidfd_getfd), which the default seccomp profile blocks",
  // EFA needs /dev/infiniband/uverbs* and an unlimited locked-memory limit, both granted to root on the node images.
  efa: "EFA devices and locked memory (multi-node) are available to root only on the node images",
  // vLLM's CPU image installs under /root (its PATH starts at /root/.local/bin).
  "cpu-image": "vLLM's CPU image installs vLLM under /root",
};

/**
 * The securityContext of a vLLM pod and its containers: "restricted" unless an exception applies, and then only
 * what that exception needs relaxed (the pod still drops every capability and never escalates).
 */
export function vllmPodSecurity(exception: RestrictedException | null): { pod: Record<string, unknown>; container: Record<string, unknown> } {
  if (exception === null) return { pod: restrictedPod(), container: RESTRICTED_CONTAINER };
  if (exception === "multi-gpu") {
    const { seccompProfile: _unconfined, ...pod } = restrictedPod();
    return { pod, container: RESTRICTED_CONTAINER };
  }
  return { pod: {}, container: { allowPrivilegeEscalation: false } };
}
