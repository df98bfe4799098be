/**
 * What a preview role needs inside a cluster the kit creates, and nothing more (pure): `omk:cluster.previewers`.
 *
 * The kit's Kubernetes providers use server-side apply, so `pulumi preview` computes each object's change with a
 * dry-run apply (PATCH with dryRun=All; a create when the object is new), and Kubernetes authorises a dry-run exactly
 * like the change itself ("Dry-run authorization", Kubernetes API concepts). A role with read-only RBAC therefore
 * fails its previews ("cannot patch", pulumi-kubernetes#2213), and a role without an access entry gets previews
 * computed from inputs. This role gets `get/list/watch`, `create` and `patch` on exactly the kinds the kit manages,
 * and no `update`, `delete`, `deletecollection`, `escalate`, `bind` or `impersonate`: it can never delete anything,
 * grant itself more, or touch admission configuration, CRDs or the kube-system add-ons' own kinds. It CAN change
 * those kinds for real — no RBAC rule admits only dry-runs — so list a role here only when its jobs run with the
 * same trust as a deploy (e.g. a GitHub environment with required reviewers); README "Day 2".
 *
 * A RoleBinding the kit creates passes the dry-run's escalation check only if the previewer holds every permission
 * the bound Role grants (RBAC docs, "Privilege escalation prevention"): the router reads pods, the refresh patches
 * Deployments and LeaderWorkerSets — all within the rules below (test/aws/preview-access.test.ts checks it per stack).
 */

/** The Kubernetes group previewers' access entries carry. */
export const PREVIEW_GROUP = "omk-previewers";
export const PREVIEW_ROLE = "omk-previewer";

/** Every kind the kit applies, by API group: the plural resource name RBAC rules use. */
export const KIT_KINDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "": { ConfigMap: "configmaps", Secret: "secrets", Service: "services", ServiceAccount: "serviceaccounts", Namespace: "namespaces" },
  apps: { Deployment: "deployments" },
  batch: { Job: "jobs", CronJob: "cronjobs" },
  policy: { PodDisruptionBudget: "poddisruptionbudgets" },
  "rbac.authorization.k8s.io": { Role: "roles", RoleBinding: "rolebindings" },
  "networking.k8s.io": { NetworkPolicy: "networkpolicies", Ingress: "ingresses", IngressClass: "ingressclasses" },
  "storage.k8s.io": { StorageClass: "storageclasses" },
  "keda.sh": { ScaledObject: "scaledobjects" },
  "http.keda.sh": { InterceptorRoute: "interceptorroutes" },
  "monitoring.coreos.com": { PodMonitor: "podmonitors", PrometheusRule: "prometheusrules", ServiceMonitor: "servicemonitors" },
  "karpenter.sh": { NodePool: "nodepools" },
  "karpenter.k8s.aws": { EC2NodeClass: "ec2nodeclasses" },
  "eks.amazonaws.com": { NodeClass: "nodeclasses", IngressClassParams: "ingressclassparams" },
  "leaderworkerset.x-k8s.io": { LeaderWorkerSet: "leaderworkersets" },
};

/** Reads a preview makes beyond the kit's own kinds: Helm's release records are Secrets (covered above); pods for the router's Role. */
const READ_ONLY: readonly { readonly group: string; readonly resources: readonly string[] }[] = [{ group: "", resources: ["pods"] }];

export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly verbs: readonly string[];
}

export function previewRules(): PolicyRule[] {
  return [
    ...Object.entries(KIT_KINDS).map(([group, kinds]) => ({ apiGroups: [group], resources: Object.values(kinds), verbs: ["get", "list", "watch", "create", "patch"] })),
    ...READ_ONLY.map((r) => ({ apiGroups: [r.group], resources: r.resources, verbs: ["get", "list", "watch"] })),
    // Its own ClusterRole and binding, by name only: a preview dry-runs them too. Patching them for real cannot widen
    // the role (escalation prevention refuses rules the patcher does not hold); `create` cannot be limited by name, so
    // they are left out of it: previews see them once the first `pulumi up` with previewers has created them.
    { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles", "clusterrolebindings"], resourceNames: [PREVIEW_ROLE], verbs: ["get", "patch"] },
  ];
}

/** The ClusterRole and its binding to the previewers' group. */
export function previewRbac(labels: Readonly<Record<string, string>>): { clusterRole: Record<string, unknown>; clusterRoleBinding: Record<string, unknown> } {
  return {
    clusterRole: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: PREVIEW_ROLE, labels }, rules: previewRules() },
    clusterRoleBinding: {
      apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: PREVIEW_ROLE, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: PREVIEW_ROLE },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: PREVIEW_GROUP }],
    },
  };
}
