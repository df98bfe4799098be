/**
 * The inference-aware router in front of a model's vLLM replicas, as plain manifests (pure): the vLLM
 * production-stack router (github.com/vllm-project/production-stack, src/vllm_router). It discovers the model's
 * ready pods through the Kubernetes API (a pod watch limited by a label selector; it reads each pod's /v1/models,
 * so LoRA adapters route to pods that serve them) and picks one per request: `prefixaware` (a hash trie of
 * 128-character prompt chunks → the replica that served the longest prefix, whose prefix cache is warm) or
 * `session` (a consistent hash of a header). It forwards the client's Authorization header unchanged, so vLLM's
 * own API key still guards every request; the router enforces none itself. Why this router and not llm-d's
 * endpoint picker: README, "Routing".
 */
import type { ResolvedModel } from "../config/validate";
import { EGRESS_LABEL } from "../egress";
import { VLLM_PORT } from "../serving/vllm-args";
import { modelListedScript, terminationGraceSeconds } from "../serving/lifecycle-spec";

type Obj = Record<string, unknown>;

export const ROUTER_PORT = 8000;
/**
 * Router pod-template annotation carrying omk:apiKeyVersion: the router reads VLLM_API_KEY (for its discovery calls)
 * only when it starts, so a new key needs a rollout of these small pods. The servers' guards reload keys in place.
 */
export const API_KEY_VERSION_ANNOTATION = "omk.dev/api-key-version";
/** Two routers: a node drain or a rollout never leaves the model without one. Each keeps its own prefix trie. */
export const ROUTER_REPLICAS = 2;

export function routerName(m: Pick<ResolvedModel, "name">): string {
  return `${m.name}-router`;
}

export function routerLabels(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": "vllm-router", "app.kubernetes.io/instance": name, "app.kubernetes.io/component": "router", "app.kubernetes.io/managed-by": "open-model-kit" };
}

/** The vLLM pods the router may send to (serving pods; for a multi-node group, its leader, which serves the API). */
export function engineSelector(m: Pick<ResolvedModel, "name" | "placement">): string {
  const leader = m.placement.nodes > 1 ? ",leaderworkerset.sigs.k8s.io/worker-index=0" : "";
  return `app.kubernetes.io/name=vllm,app.kubernetes.io/instance=${m.name},app.kubernetes.io/component=server${leader}`;
}

/** `vllm-router` flags (src/vllm_router/parsers/parser.py): k8s discovery in the model's namespace, its routing logic. */
export function routerArgs(m: Pick<ResolvedModel, "name" | "placement" | "routing">, namespace: string): string[] {
  const logic = m.routing.policy === "session" ? ["--routing-logic", "session", "--session-key", m.routing.sessionHeader] : ["--routing-logic", "prefixaware"];
  return [
    "--host", "0.0.0.0", "--port", String(ROUTER_PORT),
    "--service-discovery", "k8s", "--k8s-namespace", namespace, "--k8s-label-selector", engineSelector(m), "--k8s-port", String(VLLM_PORT),
    ...logic,
    // Engine load (running/waiting requests, KV usage) scraped from each pod's /metrics, as the production-stack chart does.
    "--engine-stats-interval", "15", "--request-stats-window", "60",
  ];
}

/**
 * The router's HTTP keep-alive. It runs uvicorn with its 5 s default (src/vllm_router/app.py `main` calls
 * `uvicorn.run(app, host, port)`; no flag sets it), while the ALB keeps idle connections up to its idle timeout:
 * the ALB would reuse connections the router has closed and answer 502 ("Connection idle timeout", ELB user guide).
 * The router is started through its own interpreter (the `vllm-router` console script's, `vllm_router.app:main`)
 * with `uvicorn.run` given the longer keep-alive.
 */
export const ROUTER_LAUNCH = [
  "import functools, os, sys, uvicorn",
  "uvicorn.run = functools.partial(uvicorn.run, timeout_keep_alive=int(os.environ['OMK_ROUTER_KEEP_ALIVE_SECONDS']))",
  "sys.argv = ['vllm-router', *sys.argv[1:]]",
  "from vllm_router.app import main",
  "main()",
].join("\n");

/**
 * Ready only once the router has discovered a replica that serves the model: a model woken from zero by the KEDA
 * HTTP interceptor is held until this router Service has a ready endpoint (the interceptor waits on endpoints, not
 * replicas), so the first request is released when a replica can answer it. The router's own /v1/models lists
 * what it discovered; the probe sends the model's key, for a router release that checks keys (production-stack #937).
 */
export const ROUTER_READY_SCRIPT = modelListedScript(ROUTER_PORT);

export interface RouterInput {
  readonly model: ResolvedModel;
  readonly namespace: string;
  readonly image: string;
  /** Secret with key VLLM_API_KEY: the router's discovery calls /v1/models on each pod with it. */
  readonly apiKeySecret?: string;
  /**
   * Ready only with a discovered replica: when the model wakes from zero on request (the interceptor holds requests
   * until a router is ready), and when its servers require a key — after a key rotation new routers discover pods
   * only once the pods' guards have reloaded the new key, and the old routers (whose key is still accepted) must
   * keep serving until then.
   */
  readonly readyWithBackend: boolean;
  /** Pulumi does not wait for the Deployment to be ready (a router of a model at zero never is). @default false */
  readonly skipAwait?: boolean;
  /** The API key's version: the router reads the key at start, so a new one restarts it. */
  readonly apiKeyVersion?: number;
  /** HTTP keep-alive, longer than the ALB idle timeout in front. */
  readonly keepAliveSeconds: number;
  /** Seconds a new router stays Ready before an old one stops (behind an ALB: until the ALB routes to it). @default 0 */
  readonly minReadySeconds?: number;
}

export function buildRouterDeployment(input: RouterInput): Obj {
  const m = input.model;
  const name = routerName(m);
  const labels = routerLabels(m.name);
  const health = { httpGet: { path: "/health", port: "http" } };
  const env: Obj[] = [
    // Without the key every discovery call gets 401 and no pod is ever routed to (production-stack #150, fixed in #194).
    ...(input.apiKeySecret ? [{ name: "VLLM_API_KEY", valueFrom: { secretKeyRef: { name: input.apiKeySecret, key: "VLLM_API_KEY" } } }] : []),
    // The trie evicts above this resident size × 0.9 (prefix/config.py); the default 2 GB is above the container's limit.
    { name: "PREFIXAWARE_MAX_MEMORY_SIZE_GB", value: "1" },
    // Stable hashing across router replicas and restarts (as the production-stack chart sets it).
    { name: "PYTHONHASHSEED", value: "123" },
    { name: "HOME", value: "/tmp" },
    { name: "PYTHONDONTWRITEBYTECODE", value: "1" },
    { name: "OMK_ROUTER_KEEP_ALIVE_SECONDS", value: String(input.keepAliveSeconds) },
    { name: "OMK_ROUTER_LAUNCH", value: ROUTER_LAUNCH },
  ];
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    // A router held back until a replica exists never becomes Ready while the model sits at zero: Pulumi must not wait for it.
    metadata: { name, namespace: input.namespace, labels, ...(input.skipAwait ? { annotations: { "pulumi.com/skipAwait": "true" } } : {}) },
    spec: {
      replicas: ROUTER_REPLICAS,
      selector: { matchLabels: labels },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      ...(input.minReadySeconds ? { minReadySeconds: input.minReadySeconds } : {}),
      template: {
        // Its pod watch calls the EKS API (components/egress.ts); the selector above stays the labels alone.
        metadata: { labels: { ...labels, [EGRESS_LABEL]: "internet" }, ...(input.apiKeySecret && input.apiKeyVersion ? { annotations: { [API_KEY_VERSION_ANNOTATION]: String(input.apiKeyVersion) } } : {}) },
        spec: {
          serviceAccountName: name,
          // The pod watch needs the API; nothing else in the pod does.
          automountServiceAccountToken: true,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: labels } }],
          // Streams pass through the router: it drains like the servers behind it.
          terminationGracePeriodSeconds: terminationGraceSeconds(m),
          containers: [{
            name: "router",
            image: input.image,
            // $0 is the program name; the router's flags follow as "$@".
            command: ["/bin/sh", "-c", `exec "$(dirname "$(command -v vllm-router)")/python" -c "$OMK_ROUTER_LAUNCH" "$@"`, "vllm-router"],
            args: routerArgs(m, input.namespace),
            env,
            ports: [{ name: "http", containerPort: ROUTER_PORT, protocol: "TCP" }],
            startupProbe: { ...health, periodSeconds: 5, failureThreshold: 24 },
            readinessProbe: input.readyWithBackend ? { exec: { command: ["python3", "-c", ROUTER_READY_SCRIPT, m.name] }, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 2 } : { ...health, periodSeconds: 5, failureThreshold: 3 },
            livenessProbe: { ...health, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 5 },
            lifecycle: { preStop: { exec: { command: ["sleep", "15"] } } },
            // The chart's 1000Mi OOM'd under prefix-aware routing (production-stack #782, #800); the trie is capped at ~0.9 GB above.
            resources: { requests: { cpu: "400m", memory: "1Gi" }, limits: { memory: "2Gi" } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
          }],
          volumes: [{ name: "tmp", emptyDir: { sizeLimit: "1Gi" } }],
        },
      },
    },
  };
}

/**
 * The router's own Service for a model woken on request: the interceptor holds requests until it has a ready
 * endpoint. Its pods are unready by design while the model sleeps, so Pulumi must not wait for endpoints either.
 */
export function buildRouterService(m: ResolvedModel, namespace: string): Obj {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: routerName(m), namespace, labels: routerLabels(m.name), annotations: { "pulumi.com/skipAwait": "true" } },
    spec: { type: "ClusterIP", selector: routerLabels(m.name), ports: [{ name: "http", port: ROUTER_PORT, targetPort: "http", protocol: "TCP" }] },
  };
}

/** The router's identity: a pod watch in its own namespace, nothing more (get, list, watch; patch only serves sleep mode, unused). */
export function buildRouterRbac(m: ResolvedModel, namespace: string): Obj[] {
  const name = routerName(m);
  const labels = routerLabels(m.name);
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace, labels } },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name, namespace, labels }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }] },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name, namespace, labels }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name }, subjects: [{ kind: "ServiceAccount", name, namespace }] },
  ];
}

export function buildRouterPdb(m: ResolvedModel, namespace: string): Obj {
  // Routers of a sleeping model are unready by design: under the default IfHealthyBudget they could never be evicted,
  // and every node drain would stall (PodDisruptionBudget unhealthyPodEvictionPolicy, GA in Kubernetes 1.31).
  return { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: routerName(m), namespace, labels: routerLabels(m.name) }, spec: { maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow", selector: { matchLabels: routerLabels(m.name) } } };
}
