/**
 * Scale from zero on the first request (pure manifests), with the KEDA HTTP add-on (kedacore/http-add-on ≥ 0.15;
 * keda.sh/http-add-on/0.16): clients reach a model at zero through the add-on's interceptor, which holds each
 * request until the model's backend Service has a ready endpoint and counts what it holds; an `external-push`
 * trigger in the model's own ScaledObject turns that count into a replica (InterceptorRoute, the API that
 * replaces HTTPScaledObject since 0.14 and creates no ScaledObject of its own, so ours keeps its queue, KV and
 * cron triggers). A request still waiting when the model's cold-start budget runs out goes to a fallback that
 * answers 503 with Retry-After.
 */
import { NGINX_IMAGE } from "../serving/api-guard-spec";
import type { ResolvedModel } from "../config/validate";
import type { ColdStart } from "../serving/cold-start";
import { VLLM_PORT } from "../serving/vllm-args";
import { usesRouter, fromZeroOf } from "../config/validate-routing";
import { ROUTER_PORT, routerLabels, routerName } from "./router-spec";
import { serverLabels } from "../serving/vllm-spec";

type Obj = Record<string, unknown>;

/** The add-on's services (chart keda-add-ons-http: `<chart>-interceptor-proxy` and `<chart>-external-scaler`, in KEDA's namespace). */
export const INTERCEPTOR = { namespace: "keda", service: "keda-add-ons-http-interceptor-proxy", port: 8080 } as const;
/** The interceptor's termination grace (charts/keda-add-ons-http/values.yaml: drainTimeout 1800 s + shutdown): streams it carries finish. */
export const INTERCEPTOR_GRACE_SECONDS = 1830;
export const EXTERNAL_SCALER = "keda-add-ons-http-external-scaler.keda:9090";
/** The 503 responder behind every model's cold-start fallback (one per stack, in the serving namespace). */
export const UNAVAILABLE = { name: "omk-unavailable", port: 8080, image: NGINX_IMAGE } as const;
/** Seconds a client told to come back waits: about one node launch, by when the replica is often up. */
export const RETRY_AFTER_SECONDS = 60;

/**
 * The Services of a model: `client` is the name clients and the ALB use; `backend` is where requests are routed
 * (the router, or vLLM itself with round-robin). A model woken on request keeps `client` as an ExternalName to
 * the interceptor, so in-cluster clients are held too, and its backend gets its own name.
 */
export function serviceNames(m: Pick<ResolvedModel, "name" | "routing" | "replicas" | "autoscaling">): { client: string; backend: string; wakes: boolean; routed: boolean } {
  const wakes = fromZeroOf(m) === "on-request";
  const routed = usesRouter(m);
  return { client: m.name, backend: wakes ? (routed ? routerName(m) : `${m.name}-engine`) : m.name, wakes, routed };
}

/** Host names the interceptor routes to this model: its public host, and the in-cluster names of its client Service. */
export function wakeHosts(m: Pick<ResolvedModel, "name">, namespace: string, host: string | null): string[] {
  return [...(host ? [host] : []), `${m.name}.${namespace}.svc.cluster.local`, `${m.name}.${namespace}.svc`, `${m.name}.${namespace}`, m.name];
}

/**
 * How long the interceptor holds a first request: the model's worst-case uncached scale-up (node, image, weights,
 * load, compile, warm-up; ESTIMATE) with a quarter more, below the ALB idle timeout (the hold sends no bytes).
 */
export function wakeTimeoutSeconds(coldStart: ColdStart, idleTimeoutSeconds: number): number {
  return Math.min(Math.ceil(coldStart.scaleUpSeconds * 1.25), idleTimeoutSeconds - 30);
}

export interface InterceptorRouteInput {
  readonly model: ResolvedModel;
  readonly namespace: string;
  readonly host: string | null;
  readonly coldStart: ColdStart;
  readonly idleTimeoutSeconds: number;
}

/** The route (http.keda.sh/v1beta1 InterceptorRoute, keda.sh/http-add-on/0.16/reference/interceptorroute). */
export function buildInterceptorRoute(input: InterceptorRouteInput): Obj {
  const m = input.model;
  const names = serviceNames(m);
  const perReplica = m.placement.load?.scaleAtInFlight ?? m.placement.memory.batch.maxNumSeqs;
  return {
    apiVersion: "http.keda.sh/v1beta1",
    kind: "InterceptorRoute",
    metadata: { name: m.name, namespace: input.namespace },
    spec: {
      target: { service: names.backend, port: names.routed ? ROUTER_PORT : VLLM_PORT },
      rules: [{ hosts: wakeHosts(m, input.namespace, input.host), paths: [{ value: "/v1" }] }],
      // The held requests wake the model; beyond zero the queue, in-flight and KV triggers size it, so this is a backstop
      // at what one replica runs at once.
      scalingMetric: { concurrency: { targetValue: perReplica } },
      timeouts: {
        readiness: `${wakeTimeoutSeconds(input.coldStart, input.idleTimeoutSeconds)}s`,
        // A non-streamed completion sends its headers only when it is done: no header deadline (the 300 s default would 504 it).
        responseHeader: "0s",
      },
      coldStart: {
        fallback: { service: { name: UNAVAILABLE.name, port: UNAVAILABLE.port } },
        // Bounds what a burst at zero holds in each interceptor (an unbounded queue exhausts its memory); beyond it: 503.
        maxPendingRequests: Math.max(100, perReplica * 4),
      },
    },
  };
}

/** The ScaledObject trigger fed by the interceptor (keda.sh/http-add-on/0.16/user-guide/autoscale-an-app). */
export function wakeTrigger(m: Pick<ResolvedModel, "name">): Obj {
  return { type: "external-push", name: "requests", metadata: { scalerAddress: EXTERNAL_SCALER, interceptorRoute: m.name } };
}

/**
 * The Service named after the model, what clients and the ALB use, whatever is behind it: the interceptor (an
 * ExternalName on its port 8080) for a model woken on request, else the router, else vLLM. One Pulumi resource
 * for that name in every case, so switching routing or wake-on-request updates (or, for a type change, deletes and
 * recreates) the same object instead of creating a second Service of the same name (pulumi-kubernetes replaces a
 * fixed-name object delete-first; two resources of one name would collide).
 */
export function buildClientService(m: ResolvedModel, namespace: string): Obj {
  const names = serviceNames(m);
  const metadata = { name: m.name, namespace, labels: serverLabels(m.name) };
  if (names.wakes) {
    return { apiVersion: "v1", kind: "Service", metadata, spec: { type: "ExternalName", externalName: `${INTERCEPTOR.service}.${INTERCEPTOR.namespace}.svc.cluster.local`, ports: [{ name: "http", port: INTERCEPTOR.port, protocol: "TCP" }] } };
  }
  return backendService(m, namespace, m.name);
}

/** A ClusterIP Service in front of the router (routed) or vLLM (round-robin; a multi-node group's leader). */
export function backendService(m: ResolvedModel, namespace: string, name: string): Obj {
  const routed = serviceNames(m).routed;
  const leaderOnly = m.placement.nodes > 1 ? { "leaderworkerset.sigs.k8s.io/worker-index": "0" } : {};
  const selector = routed ? routerLabels(m.name) : { ...serverLabels(m.name), ...leaderOnly };
  return {
    apiVersion: "v1", kind: "Service",
    metadata: { name, namespace, labels: routed ? routerLabels(m.name) : serverLabels(m.name) },
    spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: routed ? ROUTER_PORT : VLLM_PORT, targetPort: "http", protocol: "TCP" }] },
  };
}

/** The 503 answered when a model cannot start in time: JSON in OpenAI's error shape, naming the model and its cold start. */
export function unavailableConfig(models: readonly { name: string; hosts: readonly string[]; coldStartMinutes: number }[]): string {
  const message = (name: string, minutes: number) => `${name} is starting from zero (cold start ~${minutes} min, ESTIMATE) and is not ready yet; retry after ${RETRY_AFTER_SECONDS} s.`;
  const map = models.flatMap((m) => m.hosts.map((h) => `    "${h}" "${message(m.name, m.coldStartMinutes)}";`));
  return [
    "pid /tmp/nginx.pid;",
    "worker_processes 1;",
    "events { worker_connections 1024; }",
    "http {",
    "  access_log off;",
    "  client_body_temp_path /tmp/client_body; proxy_temp_path /tmp/proxy; fastcgi_temp_path /tmp/fastcgi; uwsgi_temp_path /tmp/uwsgi; scgi_temp_path /tmp/scgi;",
    "  map $host $omk_message {",
    `    default "The model is starting from zero and is not ready yet; retry after ${RETRY_AFTER_SECONDS} s.";`,
    ...map,
    "  }",
    "  server {",
    `    listen ${UNAVAILABLE.port};`,
    "    location = /healthz { return 200 \"ok\\n\"; }",
    "    location / {",
    "      default_type application/json;",
    `      add_header Retry-After ${RETRY_AFTER_SECONDS} always;`,
    "      return 503 '{\"error\":{\"message\":\"$omk_message\",\"type\":\"service_unavailable\",\"code\":503}}';",
    "    }",
    "  }",
    "}",
  ].join("\n");
}

export function buildUnavailableResponder(namespace: string, config: string, image: string = UNAVAILABLE.image): Obj[] {
  const labels = { "app.kubernetes.io/name": UNAVAILABLE.name, "app.kubernetes.io/component": "cold-start-fallback", "app.kubernetes.io/managed-by": "open-model-kit" };
  return [
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: UNAVAILABLE.name, namespace, labels }, data: { "nginx.conf": config } },
    {
      apiVersion: "apps/v1", kind: "Deployment", metadata: { name: UNAVAILABLE.name, namespace, labels },
      spec: {
        replicas: 2, selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: 101, runAsGroup: 101, seccompProfile: { type: "RuntimeDefault" } },
            containers: [{
              name: "nginx", image, args: ["nginx", "-g", "daemon off;", "-c", "/etc/omk/nginx.conf"],
              ports: [{ name: "http", containerPort: UNAVAILABLE.port, protocol: "TCP" }],
              readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 10 },
              resources: { requests: { cpu: "20m", memory: "32Mi" }, limits: { memory: "64Mi" } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
              volumeMounts: [{ name: "config", mountPath: "/etc/omk", readOnly: true }, { name: "tmp", mountPath: "/tmp" }],
            }],
            volumes: [{ name: "config", configMap: { name: UNAVAILABLE.name } }, { name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
          },
        },
      },
    },
    { apiVersion: "v1", kind: "Service", metadata: { name: UNAVAILABLE.name, namespace, labels }, spec: { type: "ClusterIP", selector: labels, ports: [{ name: "http", port: UNAVAILABLE.port, targetPort: "http", protocol: "TCP" }] } },
  ];
}
