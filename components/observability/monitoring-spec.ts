/**
 * Monitoring objects (pure): a PodMonitor per model, alert rules and a Grafana dashboard for the stack.
 * Metric names follow the pinned vLLM release (vllm:kv_cache_usage_perc replaced gpu_cache_usage_perc;
 * vllm:inter_token_latency_seconds replaced time_per_output_token_seconds).
 */
import { routerLabels } from "../traffic/router-spec";
import type { ResolvedModel } from "../config/validate";
import { serverLabels } from "../serving/vllm-spec";
import { MONITORING_NAMESPACE } from "../traffic/traffic-spec";

type Obj = Record<string, unknown>;

export function buildPodMonitor(m: ResolvedModel, namespace: string): Obj {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PodMonitor",
    metadata: { name: m.name, namespace, labels: serverLabels(m.name) },
    spec: {
      selector: { matchLabels: serverLabels(m.name) },
      // Workers of a multi-node group serve no HTTP: only pods with the named port are scraped.
      podMetricsEndpoints: [{ port: "http", path: "/metrics", interval: "15s" }],
    },
  };
}

/**
 * The routers' metrics (production-stack router, /metrics): they reuse vLLM's names (`vllm:num_requests_running`,
 * … with a `server` label), so they are renamed `vllm_router:*` on scrape and never mix into the servers' series
 * the autoscaling queries, alerts and panels read.
 */
export function buildRouterPodMonitor(m: ResolvedModel, namespace: string): Obj {
  const labels = routerLabels(m.name);
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PodMonitor",
    metadata: { name: `${m.name}-router`, namespace, labels },
    spec: {
      selector: { matchLabels: labels },
      podMetricsEndpoints: [{
        port: "http", path: "/metrics", interval: "15s",
        metricRelabelings: [{ sourceLabels: ["__name__"], regex: "vllm:(.*)", targetLabel: "__name__", replacement: "vllm_router:$1", action: "replace" }],
      }],
    },
  };
}

/** Every kit alert carries this label; the kit's Alertmanager route sends only these (not the cluster's defaults). */
export const KIT_ALERT_LABEL = { source: "open-model-kit" } as const;

export interface MonitoringOptions {
  /** The DCGM exporter runs: add GPU panels and GPU alerts. @default false */
  readonly gpuMetrics?: boolean;
}

/**
 * GPU alerts from the DCGM exporter's default counters (NVIDIA/dcgm-exporter etc/default-counters.csv;
 * labels Hostname and gpu). DCGM_FI_DEV_XID_ERRORS holds the last XID a GPU reported, so a change is a new
 * error (the left operand, so $value is the XID code): XIDs 48, 63, 64, 74, 79, 94, 95 mean the GPU needs a reset or the node replacing (NVIDIA "Xid
 * Errors" catalogue); the alert names the code so the on-call can look it up.
 */
function gpuRules(rule: (alert: string, expr: string, forDuration: string, severity: string, summary: string) => Obj): Obj {
  return {
    name: "open-model-kit.gpu",
    rules: [
      rule("GpuXidError", "DCGM_FI_DEV_XID_ERRORS > 0 and changes(DCGM_FI_DEV_XID_ERRORS[10m]) > 0", "0m", "critical", "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reported XID {{ printf \"%.0f\" $value }}: check NVIDIA's Xid catalogue; a reset-class XID means cordoning the node."),
      rule("GpuTooHot", "DCGM_FI_DEV_GPU_TEMP > 87", "15m", "warning", "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} has been above 87 °C for 15 minutes: it will throttle."),
    ],
  };
}

/** Alerts a platform team acts on: sustained queueing, a full KV cache, crash loops, server errors (and GPU faults). */
export function buildPrometheusRule(namespace: string, options: MonitoringOptions = {}): Obj {
  const ns = `namespace="${namespace}"`;
  const rule = (alert: string, expr: string, forDuration: string, severity: string, summary: string) => ({ alert, expr, for: forDuration, labels: { severity, ...KIT_ALERT_LABEL }, annotations: { summary } });
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "open-model-kit", namespace, labels: { "app.kubernetes.io/managed-by": "open-model-kit" } },
    spec: {
      groups: [{
        name: "open-model-kit.vllm",
        rules: [
          rule("VllmRequestsQueueing", `sum by (model_name) (vllm:num_requests_waiting{${ns}}) > 10`, "10m", "warning", "{{ $labels.model_name }} has had more than 10 requests waiting for 10 minutes: at max replicas or scale-up is stuck."),
          rule("VllmKvCacheFull", `avg by (model_name) (vllm:kv_cache_usage_perc{${ns}}) > 0.9`, "10m", "warning", "{{ $labels.model_name }} KV cache above 90% for 10 minutes: requests are being preempted."),
          rule("VllmRestarting", `increase(kube_pod_container_status_restarts_total{${ns},container="vllm"}[30m]) > 2`, "0m", "critical", "{{ $labels.pod }} restarted more than twice in 30 minutes."),
          rule("VllmServerErrors", `sum by (pod) (rate(http_requests_total{${ns},status="5xx"}[5m])) / sum by (pod) (rate(http_requests_total{${ns}}[5m])) > 0.05`, "5m", "critical", "{{ $labels.pod }} answers more than 5% of requests with 5xx."),
        ],
      }, ...(options.gpuMetrics ? [gpuRules(rule)] : [])],
    },
  };
}

function panel(id: number, title: string, expr: string, unit: string, x: number, y: number, legendFormat = "{{model_name}}"): Obj {
  return {
    id, title, type: "timeseries", gridPos: { h: 8, w: 12, x, y },
    datasource: { type: "prometheus", uid: "${datasource}" },
    fieldConfig: { defaults: { unit }, overrides: [] },
    targets: [{ refId: "A", expr, legendFormat }],
  };
}

/** Per-GPU panels from the DCGM exporter (FB_USED is MiB, POWER_USAGE W, GPU_TEMP °C). */
function gpuPanels(y: number): Obj[] {
  const perGpu = "{{Hostname}} GPU {{gpu}}";
  return [
    panel(7, "GPU utilisation", "DCGM_FI_DEV_GPU_UTIL", "percent", 0, y, perGpu),
    panel(8, "GPU memory used", "DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)", "percentunit", 12, y, perGpu),
    panel(9, "GPU power", "DCGM_FI_DEV_POWER_USAGE", "watt", 0, y + 8, perGpu),
    panel(10, "GPU temperature", "DCGM_FI_DEV_GPU_TEMP", "celsius", 12, y + 8, perGpu),
  ];
}

/** The Grafana dashboard JSON (TTFT, inter-token latency, queue, KV cache, tokens/s, GPUs, prefix-cache hits, routers; per-GPU health with DCGM). */
export function dashboardJson(namespace: string, options: MonitoringOptions = {}): Obj {
  const ns = `namespace="${namespace}"`;
  const p95 = (metric: string) => `histogram_quantile(0.95, sum by (le, model_name) (rate(${metric}_bucket{${ns}}[5m])))`;
  return {
    title: "open-model-kit: vLLM",
    uid: "open-model-kit-vllm",
    schemaVersion: 39,
    time: { from: "now-6h", to: "now" },
    templating: { list: [{ name: "datasource", type: "datasource", query: "prometheus" }] },
    panels: [
      panel(1, "Time to first token (p95)", p95("vllm:time_to_first_token_seconds"), "s", 0, 0),
      panel(2, "Inter-token latency (p95)", p95("vllm:inter_token_latency_seconds"), "s", 12, 0),
      panel(3, "Requests waiting", `sum by (model_name) (vllm:num_requests_waiting{${ns}})`, "short", 0, 8),
      panel(4, "KV cache usage", `avg by (model_name) (vllm:kv_cache_usage_perc{${ns}})`, "percentunit", 12, 8),
      panel(5, "Generated tokens/s", `sum by (model_name) (rate(vllm:generation_tokens_total{${ns}}[5m]))`, "short", 0, 16),
      panel(6, "GPUs in use", `sum(kube_pod_container_resource_requests{${ns},resource="nvidia_com_gpu"})`, "short", 12, 16, "GPUs"),
      // What prefix-aware routing buys: the share of prompt tokens served from a replica's prefix cache.
      panel(11, "Prefix cache hit rate", `sum by (model_name) (rate(vllm:prefix_cache_hits_total{${ns}}[5m])) / sum by (model_name) (rate(vllm:prefix_cache_queries_total{${ns}}[5m]))`, "percentunit", 0, 24),
      panel(12, "Router requests/s (incl. refused while at zero)", `sum by (model) (rate({__name__=~"vllm_router:num_incoming_requests(_total)?",${ns}}[5m]))`, "reqps", 12, 24, "{{model}}"),
      ...(options.gpuMetrics ? gpuPanels(32) : []),
    ],
  };
}

export function buildDashboardConfigMap(namespace: string, options: MonitoringOptions = {}): Obj {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    // Grafana's sidecar (kube-prometheus-stack) loads every ConfigMap with this label, in any namespace.
    metadata: { name: "open-model-kit-dashboard", namespace: MONITORING_NAMESPACE, labels: { grafana_dashboard: "1", "app.kubernetes.io/managed-by": "open-model-kit" } },
    data: { "open-model-kit.json": JSON.stringify(dashboardJson(namespace, options)) },
  };
}

export const GRAFANA_HINT = "Grafana dashboard \"open-model-kit: vLLM\": kubectl -n monitoring port-forward svc/kube-prometheus-stack-grafana 3000:80 (user admin, password: kubectl -n monitoring get secret omk-grafana-admin -o jsonpath='{.data.admin-password}' | base64 -d)";
