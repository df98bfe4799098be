/**
 * A scheduled, surge-first restart of the GPU servers (pure): each gets a fresh node before Karpenter's node
 * expiry would take its old one. Expiration is a *forceful* disruption in Karpenter v1 — it ignores NodePool
 * disruption budgets and does not start a replacement first; PodDisruptionBudgets and karpenter.sh/do-not-disrupt
 * only delay it until the NodePool's terminationGracePeriod (karpenter.sh docs, Disruption: "Expiration",
 * "TerminationGracePeriod"). EKS Auto Mode requires an expiry of at most 21 days (336 h by default). So a
 * single-replica model would go dark for a cold start every two weeks. `kubectl rollout restart` instead starts
 * the successor on a new node while the old pod serves (the Deployments roll maxSurge 1 / maxUnavailable 0); the
 * emptied old node is then consolidated. Nodes therefore never reach their expiry, and the weekly EKS AMI update
 * (drift, blocked meanwhile by do-not-disrupt) arrives with the fresh node.
 */

type Obj = Record<string, unknown>;

/** Official kubectl image (registry.k8s.io publishes one per release since v1.28), matching the cluster's minor version. */
export const KUBECTL_IMAGE = "registry.k8s.io/kubectl:v1.33.0";
/** Deployments carrying this label are restarted on the schedule. */
export const REFRESH_LABEL = "omk.dev/refresh";
export const REFRESH_NAME = "omk-refresh";

export function buildRefresh(namespace: string, schedule: string): { serviceAccount: Obj; role: Obj; roleBinding: Obj; cronJob: Obj } {
  const labels = { "app.kubernetes.io/name": REFRESH_NAME, "app.kubernetes.io/managed-by": "open-model-kit" };
  const meta = { name: REFRESH_NAME, namespace, labels };
  return {
    serviceAccount: { apiVersion: "v1", kind: "ServiceAccount", metadata: meta },
    // Only what `kubectl rollout restart` needs, on Deployments of this namespace.
    role: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: meta, rules: [{ apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "patch"] }] },
    roleBinding: {
      apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: meta,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: REFRESH_NAME },
      subjects: [{ kind: "ServiceAccount", name: REFRESH_NAME, namespace }],
    },
    cronJob: {
      apiVersion: "batch/v1", kind: "CronJob", metadata: meta,
      spec: {
        schedule, timeZone: "Etc/UTC", concurrencyPolicy: "Forbid", startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            backoffLimit: 2,
            template: {
              metadata: { labels },
              spec: {
                serviceAccountName: REFRESH_NAME, restartPolicy: "OnFailure",
                securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } },
                containers: [{
                  name: "kubectl", image: KUBECTL_IMAGE, command: ["kubectl"],
                  args: ["rollout", "restart", "deployment", "--namespace", namespace, "--selector", `${REFRESH_LABEL}=true`],
                  resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                }],
              },
            },
          },
        },
      },
    },
  };
}
