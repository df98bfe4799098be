/**
 * Traffic objects for one model as plain manifests (pure): the KEDA ScaledObject, the ALB Ingress and its
 * IngressClass/IngressClassParams, and the NetworkPolicies that let only the ingress path, the router and
 * Prometheus in. The router is in router-spec.ts, scale-from-zero on request in wake-spec.ts.
 */
import type { ResolvedModel } from "../config/validate";
import type { TrafficSettings } from "../config/traffic-schema";
import { hasTls } from "../config/validate-traffic";
import { VLLM_PORT } from "../serving/vllm-args";
import { autoscaled, drainSeconds, serverLabels } from "../serving/vllm-spec";
import { terminationGraceSeconds } from "../serving/lifecycle-spec";
import { fromZeroOf } from "../config/validate-routing";
import { ROUTER_PORT, routerLabels, routerName } from "./router-spec";
import { INTERCEPTOR, INTERCEPTOR_GRACE_SECONDS, serviceNames, wakeTrigger } from "./wake-spec";

type Obj = Record<string, unknown>;

/** kube-prometheus-stack's Prometheus (fullnameOverride pins the service name; see charts/). */
export const PROMETHEUS_URL = "http://kube-prometheus-stack-prometheus.monitoring.svc:9090";
export const MONITORING_NAMESPACE = "monitoring";
/** Namespaces whose pods may call internal models. */
export const CLIENT_NAMESPACE_LABEL = "omk.dev/llm-client";

export function metricSelector(m: ResolvedModel, namespace: string): string {
  return `namespace="${namespace}",model_name="${m.name}"`;
}

/** A ScaledObject when the model can change size (min < max, or warm windows); null otherwise. */
export function buildScaledObject(m: ResolvedModel, namespace: string): Obj | null {
  const a = m.autoscaling;
  if (!autoscaled(m)) return null;
  const sel = metricSelector(m, namespace);
  const multiNode = m.placement.nodes > 1;
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name: m.name, namespace, labels: serverLabels(m.name) },
    spec: {
      scaleTargetRef: multiNode ? { apiVersion: "leaderworkerset.x-k8s.io/v1", kind: "LeaderWorkerSet", name: m.name } : { apiVersion: "apps/v1", kind: "Deployment", name: m.name },
      minReplicaCount: m.replicas.min,
      maxReplicaCount: m.replicas.max,
      pollingInterval: 15,
      cooldownPeriod: a.cooldownSeconds,
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: {
            // One GPU replica at a time: each needs a new node; adding more at once only queues them.
            scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] },
            // Removing a replica evicts a pod, which then drains for its termination grace period.
            scaleDown: { stabilizationWindowSeconds: a.scaleDownStabilizationSeconds, policies: [{ type: "Pods", value: 1, periodSeconds: 300 }] },
          },
        },
      },
      triggers: [
        {
          type: "prometheus",
          name: "queue",
          metadata: { serverAddress: PROMETHEUS_URL, query: `sum(vllm:num_requests_waiting{${sel}})`, threshold: String(a.targetQueueLength), activationThreshold: String(a.activationQueueLength) },
        },
        // With a stated load: requests in flight per replica above the predicted capacity within the latency targets,
        // less the load's headroom (components/sizing/perf/load.ts), add a replica before latency degrades. The query sums
        // over pods; KEDA's default metricType AverageValue has the HPA divide it by the replicas, so the threshold is
        // per replica (https://keda.sh/docs/2.16/reference/scaledobject-spec/#triggers).
        ...(m.placement.load ? [{
          type: "prometheus",
          name: "in-flight",
          metadata: { serverAddress: PROMETHEUS_URL, query: `sum(vllm:num_requests_running{${sel}}) + sum(vllm:num_requests_waiting{${sel}})`, threshold: String(m.placement.load.scaleAtInFlight) },
        }] : []),
        {
          type: "prometheus",
          name: "kv-cache",
          metricType: "Value",
          metadata: { serverAddress: PROMETHEUS_URL, query: `avg(vllm:kv_cache_usage_perc{${sel}})`, threshold: String(a.kvCacheUtilization) },
        },
        ...a.warmWindows.map((w, i) => ({ type: "cron", name: `warm-${i}`, metadata: { timezone: w.timezone, start: w.start, end: w.end, desiredReplicas: String(w.replicas) } })),
        // At zero no vLLM metric exists: requests held by the KEDA HTTP interceptor wake the model (wake-spec.ts).
        ...(fromZeroOf(m) === "on-request" ? [wakeTrigger(m)] : []),
      ],
    },
  };
}

export type IngressFlavor = "auto-mode" | "load-balancer-controller";
export type Scheme = "private" | "public";

export function ingressClassName(scheme: Scheme): string {
  return `omk-${scheme}`;
}

/** ALB's maximum idle timeout (Elastic Load Balancing user guide, "Connection idle timeout": 1–4000 s). */
export const ALB_MAX_IDLE_SECONDS = 4000;

/**
 * The ALB idle timeout: the stack's setting, else long enough for the longest exposed model's full-length
 * generation sent without streaming (no bytes flow until it is done), never below 900 s.
 */
export function idleTimeoutFor(traffic: TrafficSettings, exposed: readonly ResolvedModel[]): number {
  return traffic.idleTimeoutSeconds ?? Math.min(ALB_MAX_IDLE_SECONDS, Math.max(900, ...exposed.map(drainSeconds)));
}

/** What else an ALB IngressClass carries: the namespaces allowed to use it, and where access logs go. */
export interface IngressClassOptions {
  /** Only Ingresses in these namespaces may join the ALB (IngressClassParams namespaceSelector). */
  readonly namespaces: readonly string[];
  readonly accessLogs?: { readonly bucket: string; readonly prefix?: string };
}

/**
 * IngressClass + its parameters (scheme, certificate, idle timeout, ALB group, the namespaces that may use it, access
 * logs) for one scheme. Fields per the EKS user guide "IngressClassParams Reference" (Auto Mode) and the AWS Load
 * Balancer Controller's IngressClass guide: namespaceSelector, group.name, certificateARNs/certificateArn,
 * loadBalancerAttributes.
 */
export function buildIngressClass(flavor: IngressFlavor, scheme: Scheme, idleTimeoutSeconds: number, group: string, certificateArn: string | undefined, options: IngressClassOptions = { namespaces: [] }): [Obj, Obj] {
  const name = ingressClassName(scheme);
  const auto = flavor === "auto-mode";
  const apiGroup = auto ? "eks.amazonaws.com" : "elbv2.k8s.aws";
  const cert = certificateArn ? (auto ? { certificateARNs: [certificateArn] } : { certificateArn: [certificateArn] }) : {};
  const params = {
    apiVersion: auto ? "eks.amazonaws.com/v1" : "elbv2.k8s.aws/v1beta1",
    kind: "IngressClassParams",
    metadata: { name },
    spec: {
      scheme: scheme === "public" ? "internet-facing" : "internal",
      group: { name: `${group}-${scheme}` },
      ...cert,
      // Without a selector any namespace's Ingress could join this (internet-facing) ALB group.
      ...(options.namespaces.length ? { namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: [...options.namespaces] }] } } : {}),
      loadBalancerAttributes: [
        // The default 60 s idle timeout cuts long generations (see idleTimeoutFor).
        { key: "idle_timeout.timeout_seconds", value: String(idleTimeoutSeconds) },
        // ELB access logs to the stack's bucket (its policy must let the region's log delivery write: ELB user guide,
        // "Enable access logs for your Application Load Balancer").
        ...(options.accessLogs ? [
          { key: "access_logs.s3.enabled", value: "true" }, { key: "access_logs.s3.bucket", value: options.accessLogs.bucket },
          ...(options.accessLogs.prefix ? [{ key: "access_logs.s3.prefix", value: options.accessLogs.prefix }] : []),
        ] : []),
      ],
    },
  };
  const cls = {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: { name },
    spec: { controller: auto ? "eks.amazonaws.com/alb" : "ingress.k8s.aws/alb", parameters: { apiGroup, kind: "IngressClassParams", name } },
  };
  return [cls, params];
}

/** The listener security policy: TLS 1.3 and 1.2, nothing older. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/** ALB health check of the servers' targets: every 10 s, healthy after 2 passes (AWS Load Balancer Controller annotations). */
export const ALB_HEALTH_CHECK = { intervalSeconds: 10, healthyThreshold: 2 } as const;

/**
 * How long a new pod must stay Ready before the rollout stops an old one (Deployment minReadySeconds): the ALB
 * registers an IP target and needs `healthyThreshold` passing checks before it routes to it; until then a
 * draining old target is the only one and a single-replica model would answer 503 ("Pod readiness gate",
 * AWS Load Balancer Controller docs). Registration takes up to ~30 s (estimate).
 */
export const ALB_TARGET_READY_SECONDS = ALB_HEALTH_CHECK.intervalSeconds * ALB_HEALTH_CHECK.healthyThreshold + 30;

/**
 * Only the OpenAI API (`/v1/...`) is routed; /metrics, /health and admin routes never leave the cluster. A model
 * woken on request is reached through the KEDA HTTP interceptor: its Ingress lives in the interceptor's namespace
 * (the AWS Load Balancer Controller cannot target an ExternalName Service; kubernetes-sigs/aws-load-balancer-controller#1223)
 * and joins the same ALB through the IngressClass's group.
 */
export function buildIngress(m: ResolvedModel, namespace: string, host: string, traffic: TrafficSettings): Obj {
  const tls = hasTls(traffic);
  const wakes = serviceNames(m).wakes;
  const backend = wakes ? { service: { name: INTERCEPTOR.service, port: { number: INTERCEPTOR.port } } } : { service: { name: serviceNames(m).client, port: { name: "http" } } };
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name: m.name,
      namespace: wakes ? INTERCEPTOR.namespace : namespace,
      labels: serverLabels(m.name),
      annotations: {
        "alb.ingress.kubernetes.io/target-type": "ip",
        // The interceptor's own readiness on its proxy port (the chart's readinessProbe): 503 while it drains, so the ALB
        // stops sending to it (keda.sh/http-add-on/0.16/operations/configure-interceptor, graceful shutdown).
        "alb.ingress.kubernetes.io/healthcheck-path": wakes ? "/readyz" : "/health",
        "alb.ingress.kubernetes.io/healthcheck-interval-seconds": String(ALB_HEALTH_CHECK.intervalSeconds),
        "alb.ingress.kubernetes.io/healthy-threshold-count": String(ALB_HEALTH_CHECK.healthyThreshold),
        // A draining pod keeps its in-flight streams for its whole termination grace period; the default 300 s
        // deregistration delay would cut them. Least outstanding requests: a replica busy with long generations
        // gets fewer new ones than round robin would send (ELB user guide, target group attributes).
        // Behind the interceptor, targets are its pods: they drain for its own grace period (charts/keda-add-ons-http).
        "alb.ingress.kubernetes.io/target-group-attributes": `deregistration_delay.timeout_seconds=${wakes ? INTERCEPTOR_GRACE_SECONDS : terminationGraceSeconds(m)},load_balancing.algorithm.type=least_outstanding_requests`,
        "alb.ingress.kubernetes.io/listen-ports": JSON.stringify([tls ? { HTTPS: 443 } : { HTTP: 80 }]),
        // TLS 1.2 and 1.3 only (the controller's default policy still allows 1.0/1.1): ELB user guide, "Security
        // policies for your Application Load Balancer". Supported on Auto Mode (EKS user guide's annotation table).
        ...(tls ? { "alb.ingress.kubernetes.io/ssl-policy": TLS_POLICY } : {}),
        ...(traffic.wafAclArn ? { "alb.ingress.kubernetes.io/wafv2-acl-arn": traffic.wafAclArn } : {}),
        ...(m.exposure === "public" ? { "alb.ingress.kubernetes.io/inbound-cidrs": traffic.allowedCidrs.join(",") } : {}),
      },
    },
    spec: {
      ingressClassName: ingressClassName(m.exposure as Scheme),
      rules: [{ host, http: { paths: [{ path: "/v1", pathType: "Prefix", backend }] } }],
    },
  };
}

export interface NetworkPolicyInput {
  readonly model: ResolvedModel;
  readonly namespace: string;
  /** Where ALB traffic comes from (the subnets of the load balancer that serves the model), when it is exposed. */
  readonly albSourceCidrs: readonly string[];
  /** Prometheus is installed and scrapes the pods. */
  readonly monitoring: boolean;
}

/**
 * Who may reach a model's pods. Clients (the ALB's subnets when exposed, labelled client namespaces when internal)
 * reach its front — the router, or vLLM itself with round-robin — and, for a model woken on request, so does the
 * KEDA interceptor (it sends to pod IPs directly). Behind a router, vLLM admits only the router. Prometheus
 * scrapes both; a multi-node group talks to itself on Ray and NCCL ports.
 */
export function buildNetworkPolicies(input: NetworkPolicyInput): Obj[] {
  const { model: m, namespace } = input;
  const names = serviceNames(m);
  const clients: Obj[] = m.exposure === "internal"
    ? [{ namespaceSelector: { matchLabels: { [CLIENT_NAMESPACE_LABEL]: "true" } } }]
    : input.albSourceCidrs.map((cidr) => ({ ipBlock: { cidr } }));
  const interceptor = names.wakes ? [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": INTERCEPTOR.namespace } } }] : [];
  const monitoring = (port: number) => (input.monitoring ? [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": MONITORING_NAMESPACE } } }], ports: [{ protocol: "TCP", port }] }] : []);
  // Egress beyond DNS and HTTPS (namespace-policy-spec.ts) is opened here, only toward this model's own pods.
  const policy = (name: string, selector: Record<string, string>, ingress: Obj[], egress: Obj[] = []): Obj => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace, labels: selector },
    spec: { podSelector: { matchLabels: selector }, policyTypes: egress.length ? ["Ingress", "Egress"] : ["Ingress"], ingress, ...(egress.length ? { egress } : {}) },
  });
  const vllmPort = [{ protocol: "TCP", port: VLLM_PORT }];
  const front = [...clients, ...interceptor];
  const group = [{ podSelector: { matchLabels: serverLabels(m.name) } }];
  const server = policy(m.name, serverLabels(m.name), [
    { from: names.routed ? [{ podSelector: { matchLabels: routerLabels(m.name) } }] : front, ports: vllmPort },
    ...monitoring(VLLM_PORT),
    ...(m.placement.nodes > 1 ? [{ from: group }] : []),
  ], m.placement.nodes > 1 ? [{ to: group }] : []);
  if (!names.routed) return [server];
  // The router reaches its own model's servers (requests, /metrics) and nothing else in the cluster but the API.
  return [server, policy(routerName(m), routerLabels(m.name), [{ from: front, ports: [{ protocol: "TCP", port: ROUTER_PORT }] }, ...monitoring(ROUTER_PORT)], [{ to: [{ podSelector: { matchLabels: serverLabels(m.name) } }], ports: vllmPort }])];
}
