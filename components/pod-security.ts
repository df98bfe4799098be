/**
 * Pod Security Standards "restricted" settings for every pod the kit runs (kubernetes.io/docs/concepts/security/
 * pod-security-standards: runAsNonRoot, no privilege escalation, every capability dropped, the runtime's default
 * seccomp profile). No imports: serving, traffic and the policy pack all use it. The serving namespace enforces the
 * level, so a pod that drifts from it is refused by the API server, not only flagged.
 */

/** The non-root user kit containers run as where the image has none of its own (vLLM, the AWS CLI). */
export const KIT_UID = 2000;

/** Pod-level restricted settings; `fsGroup` makes mounted volumes (the mirror Job's EBS volume) writable for the user. */
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

/** Namespace labels: enforce "restricted", and audit and warn at the same level (PodSecurity admission). */
export const RESTRICTED_NAMESPACE_LABELS: Readonly<Record<string, string>> = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/audit": "restricted",
  "pod-security.kubernetes.io/warn": "restricted",
};
