/**
 * What a preview role needs inside a cluster the kit creates, and nothing more (pure): `omk:cluster.previewers`.
 *
 * The kit's Kubernetes providers use server-side apply, so `pulumi preview` computes each object's change with a
 * dry-run apply: a GET, then a PATCH with dryRun=All, which the API server also authorises as `create` (with the
 * object's name) when the object is new — and a dry-run is authorised exactly like the change (Kubernetes API
 * concepts, "Dry-run authorization"). Read-only RBAC therefore fails previews ("cannot patch",
 * pulumi-kubernetes#2213). Previews return before any await logic and render Helm releases client-side, so nothing
 * else is read.
 *
 * Scope, because a create/patch right on workloads or Secrets in a namespace is the power of every ServiceAccount
 * there (RBAC good practices, "Workload creation"; a service-account-token Secret is filled for any account): the
 * namespaced kinds only in the kit's own namespaces (Roles), cluster-scoped ones only where the kit has them
 * (its namespaces by name, classes, node pools), kube-system's amazon-vpc-cni ConfigMap by name. No update, delete,
 * escalate or impersonate; `bind` only on Roles in the kit's namespaces (a dry-run of a new RoleBinding cannot find
 * its Role, which the dry-run did not save — bind skips that lookup; every Role there passed the escalation check
 * when it was created). What the role CAN do for real is what a deploy does in those namespaces: run pods as their
 * ServiceAccounts (S3 weights through Pod Identity), read their Secrets (API keys, HF token), start GPU nodes
 * through NodePools — so list it only where its runs need approval like a deploy (README "Day 2").
 *
 * A RoleBinding the kit creates passes the dry-run's escalation check when the previewer holds what the Role grants
 * (RBAC docs, "Privilege escalation prevention"): the router reads pods, the refresh patches Deployments and
 * LeaderWorkerSets — test/stacks/shipped.test.ts checks it per stack.
 */

/** The Kubernetes group previewers' access entries carry. */
export const PREVIEW_GROUP = "omk-previewers";
export const PREVIEW_ROLE = "omk-previewer";

/** The namespaced kinds the kit applies, by API group: the plural resource name RBAC rules use. */
export const NAMESPACED_KINDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "": { ConfigMap: "configmaps", Secret: "secrets", Service: "services", ServiceAccount: "serviceaccounts" },
  apps: { Deployment: "deployments" },
  batch: { Job: "jobs", CronJob: "cronjobs" },
  policy: { PodDisruptionBudget: "poddisruptionbudgets" },
  "rbac.authorization.k8s.io": { Role: "roles", RoleBinding: "rolebindings" },
  "networking.k8s.io": { NetworkPolicy: "networkpolicies", Ingress: "ingresses" },
  "keda.sh": { ScaledObject: "scaledobjects" },
  "http.keda.sh": { InterceptorRoute: "interceptorroutes" },
  "monitoring.coreos.com": { PodMonitor: "podmonitors", PrometheusRule: "prometheusrules", ServiceMonitor: "servicemonitors" },
  "leaderworkerset.x-k8s.io": { LeaderWorkerSet: "leaderworkersets" },
};

/** The cluster-scoped kinds the kit applies. */
export const CLUSTER_KINDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "": { Namespace: "namespaces" },
  "networking.k8s.io": { IngressClass: "ingressclasses" },
  "storage.k8s.io": { StorageClass: "storageclasses" },
  "karpenter.sh": { NodePool: "nodepools" },
  "karpenter.k8s.aws": { EC2NodeClass: "ec2nodeclasses" },
  "eks.amazonaws.com": { NodeClass: "nodeclasses", IngressClassParams: "ingressclassparams" },
};

/** The one object the kit applies outside its namespaces (Auto Mode's network-policy switch, traffic-base.ts). */
export const KUBE_SYSTEM_OBJECTS = { namespace: "kube-system", configMaps: ["amazon-vpc-cni"] } as const;

const DRY_RUN = ["get", "create", "patch"];
const RBAC = "rbac.authorization.k8s.io";

export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly verbs: readonly string[];
}

/** The previewer's rules in one of the kit's namespaces (a Role there). */
export function namespaceRules(): PolicyRule[] {
  return [
    ...Object.entries(NAMESPACED_KINDS).map(([group, kinds]) => ({ apiGroups: [group], resources: Object.values(kinds), verbs: DRY_RUN })),
    // What the kit's own Roles grant, so binding them passes the escalation check: the router watches pods, the
    // refresh lists Deployments (router-spec.ts, refresh-spec.ts).
    { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["apps"], resources: ["deployments"], verbs: ["list"] },
    { apiGroups: [RBAC], resources: ["roles"], verbs: ["bind"] },
  ];
}

/** The previewer's cluster-wide rules: cluster-scoped kinds, its namespaces by name, its own ClusterRole. */
export function clusterRules(namespaces: readonly string[]): PolicyRule[] {
  return [
    { apiGroups: [""], resources: ["namespaces"], resourceNames: [...namespaces], verbs: DRY_RUN },
    ...Object.entries(CLUSTER_KINDS).filter(([group]) => group !== "").map(([group, kinds]) => ({ apiGroups: [group], resources: Object.values(kinds), verbs: DRY_RUN })),
    // Its own ClusterRole and binding, by name: a preview dry-runs them too; a real patch cannot widen the role
    // (escalation prevention refuses rules the patcher does not hold). `create` by name matches only an apply, which
    // names its object (RBAC docs: a POST create cannot be limited by name, so such a rule never admits one).
    { apiGroups: [RBAC], resources: ["clusterroles", "clusterrolebindings"], resourceNames: [PREVIEW_ROLE], verbs: DRY_RUN },
  ];
}

/** Rules in kube-system: the one shared object, by name, and its own Role there. */
export function kubeSystemRules(): PolicyRule[] {
  return [
    { apiGroups: [""], resources: ["configmaps"], resourceNames: [...KUBE_SYSTEM_OBJECTS.configMaps], verbs: DRY_RUN },
    { apiGroups: [RBAC], resources: ["roles", "rolebindings"], resourceNames: [PREVIEW_ROLE], verbs: DRY_RUN },
  ];
}

/**
 * Every RBAC object of the previewers: a ClusterRole and its binding, then a Role and binding in each of the kit's
 * namespaces (their own Role and binding by name included) and in kube-system.
 */
export function previewRbac(namespaces: readonly string[], labels: Readonly<Record<string, string>>): Record<string, any>[] {
  const subjects = [{ apiGroup: RBAC, kind: "Group", name: PREVIEW_GROUP }];
  const pair = (kind: "Role" | "ClusterRole", namespace: string | undefined, rules: PolicyRule[]) => [
    { apiVersion: `${RBAC}/v1`, kind, metadata: { name: PREVIEW_ROLE, ...(namespace ? { namespace } : {}), labels }, rules },
    { apiVersion: `${RBAC}/v1`, kind: `${kind}Binding`, metadata: { name: PREVIEW_ROLE, ...(namespace ? { namespace } : {}), labels }, roleRef: { apiGroup: RBAC, kind, name: PREVIEW_ROLE }, subjects },
  ];
  return [
    ...pair("ClusterRole", undefined, clusterRules([...namespaces, KUBE_SYSTEM_OBJECTS.namespace])),
    ...namespaces.flatMap((ns) => pair("Role", ns, namespaceRules())),
    ...pair("Role", KUBE_SYSTEM_OBJECTS.namespace, kubeSystemRules()),
  ];
}

/** The namespaces the kit applies objects in: its serving namespace, Prometheus's and KEDA's when it puts objects there. */
export function previewNamespaces(serving: string, uses: { readonly monitoring: boolean; readonly wakeOnRequest: boolean }): string[] {
  return [serving, ...(uses.monitoring ? ["monitoring"] : []), ...(uses.wakeOnRequest ? ["keda"] : [])];
}
