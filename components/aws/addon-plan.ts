/**
 * Which cluster add-ons a stack needs, and why (pure). A stack that does not need an add-on does not
 * install it: every chart is attack surface, upgrade work and, on GPU nodes, memory.
 */
import type { ResolvedStack } from "../config/validate";
import { alertReceiversOf, hasReceivers } from "../observability/alerting-spec";
import type { AddonName } from "./charts";
import { fromZeroOf } from "../config/validate-routing";
import type { GpuPool } from "./gpu-pools";

export interface AddonDecision {
  readonly name: AddonName;
  readonly install: boolean;
  readonly reason: string;
}

/** True when GPU nodes are EKS Auto Mode nodes (AWS then runs the device plugin and drivers). */
export function gpuNodesAreAutoMode(stack: ResolvedStack): boolean {
  if (stack.capacity.mode !== "karpenter") return false;
  return stack.cluster.mode === "create" || stack.cluster.autoMode;
}

/** Ordered so that each add-on follows what it depends on (Prometheus before KEDA). */
export function planAddons(stack: ResolvedStack, pools: readonly GpuPool[]): AddonDecision[] {
  const autoNodes = gpuNodesAreAutoMode(stack);
  const multiNode = pools.filter((p) => p.multiNode).map((p) => p.name);
  const autoscaled = stack.models.filter((m) => m.replicas.max > m.replicas.min).map((m) => m.name);
  const keda = stack.addons.keda === "on" || (stack.addons.keda === "auto" && autoscaled.length > 0);
  const waking = stack.models.filter((m) => fromZeroOf(m) === "on-request").map((m) => m.name);
  // The exporter's ServiceMonitor needs the Prometheus operator's CRD, so asking for it brings Prometheus
  // (validation refuses dcgmExporter: on with prometheus: off); so does configuring where alerts go.
  const alerting = hasReceivers(alertReceiversOf(stack));
  // GPU servers are always watched by default: a stack without autoscaling still needs its dashboard and alerts.
  const prometheus = stack.addons.prometheus === "on" || (stack.addons.prometheus === "auto" && (keda || alerting || stack.addons.dcgmExporter === "on" || pools.length > 0));
  const dcgm = stack.addons.dcgmExporter === "on" || (stack.addons.dcgmExporter === "auto" && prometheus && pools.length > 0);
  const autoModeCluster = stack.cluster.mode === "create" || stack.cluster.autoMode;
  const exposed = stack.models.filter((m) => m.exposure !== "internal").map((m) => m.name);
  const lbc = !autoModeCluster && (stack.addons.loadBalancerController === "on" || (stack.addons.loadBalancerController === "auto" && exposed.length > 0));
  return [
    {
      name: "nvidia-device-plugin", install: !autoNodes && pools.length > 0,
      reason: autoNodes ? "EKS Auto Mode runs the NVIDIA device plugin and drivers itself" : `GPU nodes from ${stack.capacity.mode === "managed" ? "managed node groups" : "self-managed Karpenter"} need it to expose nvidia.com/gpu`,
    },
    {
      // EKS user guide "Manage EFA devices": the device plugin is how pods get vpc.amazonaws.com/efa. Auto Mode AMIs
      // include it, and the chart's DaemonSet excludes Auto Mode nodes (node affinity eks.amazonaws.com/compute-type
      // NotIn auto; aws/eks-charts#1358, #1359), so installing it there would only add a DaemonSet that never runs.
      name: "aws-efa-k8s-device-plugin", install: multiNode.length > 0 && !autoNodes,
      reason: multiNode.length === 0 ? "no model spans nodes" : autoNodes ? "EKS Auto Mode's AMIs include the EFA device plugin" : `exposes EFA (vpc.amazonaws.com/efa) to multi-node pools ${multiNode.join(", ")}`,
    },
    {
      name: "kube-prometheus-stack", install: prometheus,
      reason: stack.addons.prometheus !== "auto" ? `addons.prometheus is ${stack.addons.prometheus}` : keda ? "KEDA's triggers read vLLM metrics from Prometheus" : alerting ? "alert receivers are configured (omk:alert*, observability.alertSnsTopicArn)"
        : pools.length ? "GPU servers get the dashboard, alerts and GPU metrics" : prometheus ? "addons.dcgmExporter is on and scrapes into Prometheus" : "nothing needs Prometheus",
    },
    {
      name: "dcgm-exporter", install: dcgm,
      reason: stack.addons.dcgmExporter !== "auto" ? `addons.dcgmExporter is ${stack.addons.dcgmExporter}` : dcgm ? "GPU metrics (utilisation, memory, power, temperature, XID errors) for the dashboard and alerts" : !prometheus ? "no Prometheus to scrape it" : "no GPU nodes",
    },
    {
      name: "keda", install: keda,
      reason: stack.addons.keda !== "auto" ? `addons.keda is ${stack.addons.keda}` : keda ? `autoscaled models: ${autoscaled.join(", ")}` : "no model autoscales (replicas.min = replicas.max)",
    },
    {
      // Scale from zero on request: the interceptor holds the first request while a replica starts (traffic/wake-spec.ts).
      name: "keda-add-ons-http", install: keda && waking.length > 0,
      reason: waking.length ? `${waking.join(", ")} wake(s) from zero on the first request` : "no model wakes from zero on request",
    },
    {
      name: "lws", install: multiNode.length > 0,
      reason: multiNode.length ? `multi-node models run as LeaderWorkerSet groups (${multiNode.join(", ")})` : "no model spans nodes",
    },
    {
      name: "aws-load-balancer-controller", install: lbc,
      reason: autoModeCluster ? "EKS Auto Mode provides load balancing" : !lbc ? "no model is exposed through an ALB" : stack.addons.loadBalancerController === "on" ? "addons.loadBalancerController is on" : `ALB ingress for ${exposed.join(", ")}`,
    },
  ];
}
