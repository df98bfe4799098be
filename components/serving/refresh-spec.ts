/**
 * A scheduled, surge-first restart of the GPU servers (pure): each gets a fresh node before Karpenter's node
 * expiry would take its old one. Expiration is a *forceful* disruption in Karpenter v1 — it ignores NodePool
 * disruption budgets and does not start a replacement first; PodDisruptionBudgets and karpenter.sh/do-not-disrupt
 * only delay it until the NodePool's terminationGracePeriod (karpenter.sh docs, Disruption: "Expiration",
 * "TerminationGracePeriod"). EKS Auto Mode requires an expiry of at most 21 days (336 h by default). So a
 * single-replica model would go dark for a cold start every two weeks. `kubectl rollout restart` instead starts
 * the successor on a new node while the old pod serves (the Deployments roll maxSurge 1 / maxUnavailable 0); the
 * emptied old node is then consolidated. Nodes therefore never reach their expiry, and the weekly EKS AMI update
 * (drift, blocked meanwhile by do-not-disrupt) arrives with the fresh node. `kubectl rollout restart` does not
 * know LeaderWorkerSets (multi-node models): the job changes an annotation of their pod templates instead, which
 * rolls their groups the same surge-first way (LWS rolloutStrategy maxSurge 1).
 */
import { EGRESS_LABEL } from "../egress";

type Obj = Record<string, unknown>;

/** Official kubectl image (registry.k8s.io publishes one per release since v1.28), matching the cluster's minor version. */
export const KUBECTL_IMAGE = "registry.k8s.io/kubectl:v1.33.0";
/** Deployments carrying this label are restarted on the schedule. */
export const REFRESH_LABEL = "omk.dev/refresh";
export const REFRESH_NAME = "omk-refresh";

/** What the scheduled restart covers. */
export interface RefreshTargets {
  /** Some Deployment carries REFRESH_LABEL (single-node GPU servers). */
  readonly deployments: boolean;
  /** LeaderWorkerSets (multi-node GPU servers) by name. */
  readonly leaderWorkerSets: readonly string[];
}

/** The pod template annotation the job changes on LeaderWorkerSets: the job pod's unique name, so every run differs. */
export const RESTARTED_BY_ANNOTATION = "omk.dev/restarted-by";

/** The registry.k8s.io/kubectl image has no shell; its binary is /bin/kubectl. */
const KUBECTL = "/bin/kubectl";

export function buildRefresh(namespace: string, schedule: string, targets: RefreshTargets): { serviceAccount: Obj; role: Obj; roleBinding: Obj; cronJob: Obj } {
  const labels = { "app.kubernetes.io/name": REFRESH_NAME, "app.kubernetes.io/managed-by": "open-model-kit" };
  const meta = { name: REFRESH_NAME, namespace, labels };
  const annotate = { metadata: { annotations: { [RESTARTED_BY_ANNOTATION]: "$(JOB_POD)" } } };
  const patch = JSON.stringify({ spec: { leaderWorkerTemplate: { leaderTemplate: annotate, workerTemplate: annotate } } });
  const steps = [
    ...targets.leaderWorkerSets.map((name) => ({ name: `restart-${name}`.slice(0, 63), args: ["patch", "leaderworkerset", name, "--namespace", namespace, "--type", "merge", "--patch", patch] })),
    ...(targets.deployments ? [{ name: "restart-deployments", args: ["rollout", "restart", "deployment", "--namespace", namespace, "--selector", `${REFRESH_LABEL}=true`] }] : []),
  ];
  // Steps run one after another (init containers, then the last as the main container); kubectl writes its
  // discovery cache under $HOME, a scratch volume on the read-only root filesystem.
  const container = (step: { name: string; args: string[] }) => ({
    name: step.name, image: KUBECTL_IMAGE, command: [KUBECTL], args: step.args,
    env: [{ name: "HOME", value: "/tmp" }, { name: "JOB_POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
  });
  return {
    serviceAccount: { apiVersion: "v1", kind: "ServiceAccount", metadata: meta },
    // Only what the restart needs, on this namespace's Deployments and LeaderWorkerSets.
    role: {
      apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: meta,
      rules: [
        ...(targets.deployments ? [{ apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "patch"] }] : []),
        ...(targets.leaderWorkerSets.length ? [{ apiGroups: ["leaderworkerset.x-k8s.io"], resources: ["leaderworkersets"], resourceNames: [...targets.leaderWorkerSets], verbs: ["get", "patch"] }] : []),
      ],
    },
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
              // kubectl calls the EKS API (components/egress.ts).
              metadata: { labels: { ...labels, [EGRESS_LABEL]: "internet" } },
              spec: {
                serviceAccountName: REFRESH_NAME, restartPolicy: "OnFailure",
                securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } },
                ...(steps.length > 1 ? { initContainers: steps.slice(0, -1).map(container) } : {}),
                containers: [container(steps[steps.length - 1]!)],
                volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
              },
            },
          },
        },
      },
    },
  };
}
