/**
 * Cross-layer traffic checks (pure): autoscaling, exposure and the GPU budget must agree with each other
 * and with the capacity layer, or the stack fails before anything is created.
 */
import type { ConfigProblem } from "./errors";
import type { AddonsSettings, CapacitySettings, ClusterSettings } from "./infra-schema";
import type { TrafficSettings } from "./traffic-schema";
import { gpusPerReplica, type ResolvedModel } from "./validate";

export interface TrafficContext {
  readonly models: readonly ResolvedModel[];
  /** Index of each model in omk:models (for key paths). */
  readonly indexOf: (name: string) => number;
  readonly traffic: TrafficSettings;
  readonly capacity: CapacitySettings;
  readonly cluster: ClusterSettings;
  readonly addons: AddonsSettings;
}

/** Host a model is served at through the ALB, or null when internal or undecidable. */
export function hostOf(m: ResolvedModel, traffic: TrafficSettings): string | null {
  if (m.exposure === "internal") return null;
  return m.host ?? (traffic.domain ? `${m.name}.${traffic.domain}` : null);
}

/** TLS is available: a given certificate, or one the kit requests for the domain in its hosted zone. */
export function hasTls(traffic: TrafficSettings): boolean {
  return Boolean(traffic.certificateArn || (traffic.domain && traffic.hostedZoneId));
}

export function checkTraffic(ctx: TrafficContext): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const hosts = new Map<string, string>();
  for (const m of ctx.models) {
    const at = (key: string) => `omk:models[${ctx.indexOf(m.name)}].${key}`;
    const autoscaled = m.replicas.max > m.replicas.min;
    if (m.replicas.min === 0 && !m.autoscaling.wakeOnRequest && m.autoscaling.warmWindows.length === 0) {
      problems.push({ path: at("autoscaling.wakeOnRequest"), value: false, message: "scale-to-zero needs a wake-up signal: with no replica there are no vLLM metrics to scale on, and requests do not wake it.", fix: "remove wakeOnRequest: false (the first request wakes the model), add autoscaling.warmWindows, or set replicas.min to 1." });
    }
    if (m.device === "cpu" && (m.replicas.min === 0 || autoscaled)) {
      problems.push({ path: at("replicas"), value: m.replicas, message: "a CPU (kind) stack installs no KEDA: replicas would never change, and a model at zero would never wake.", fix: "set replicas.min = replicas.max ≥ 1." });
    }
    if (m.replicas.min === 0 && m.placement.nodes > 1) {
      problems.push({ path: at("replicas.min"), value: 0, message: `scale-to-zero is not supported for ${m.name}: a replica spans ${m.placement.nodes} nodes and its group restarts as a whole.`, fix: "set replicas.min to 1 or more." });
    }
    if ((autoscaled || m.replicas.min === 0) && (ctx.addons.keda === "off" || ctx.addons.prometheus === "off")) {
      problems.push({ path: "omk:addons", value: ctx.addons, message: `${m.name} autoscales (replicas ${m.replicas.min}–${m.replicas.max}), which needs KEDA and Prometheus.`, fix: "set addons.keda and addons.prometheus to auto, or replicas.min = replicas.max." });
    }
    if (ctx.capacity.mode === "managed" && (autoscaled || m.replicas.min === 0)) {
      problems.push({ path: at("replicas"), value: m.replicas, message: "managed node groups do not add GPU nodes when KEDA adds replicas (the kit installs no Cluster Autoscaler), so extra replicas would stay Pending.", fix: "use capacity.mode: karpenter for autoscaling, or set replicas.min = replicas.max." });
    }
    if (m.exposure === "internal") continue;
    if (m.device === "cpu") {
      problems.push({ path: at("exposure"), value: m.exposure, message: "a CPU-only (laptop) cluster has no AWS load balancer.", fix: "use exposure: internal and kubectl port-forward." });
      continue;
    }
    if (m.exposure === "public" && !m.auth) problems.push({ path: at("auth"), value: false, message: "a public endpoint must require an API key.", fix: "remove auth: false (or use exposure: private)." });
    if (m.exposure === "public" && !hasTls(ctx.traffic)) {
      problems.push({ path: "omk:traffic.certificateArn", value: undefined, message: `is required: ${m.name} is public and public endpoints are served over TLS only.`, fix: "set the ARN of an ACM certificate for the host (or *.domain), or set traffic.domain and traffic.hostedZoneId so the kit requests one." });
    }
    if (m.exposure === "private" && !hasTls(ctx.traffic) && !ctx.traffic.plainHttpInVpc) {
      problems.push({ path: "omk:traffic.certificateArn", value: undefined, message: `is required: ${m.name} is private, and without TLS its API key crosses the VPC in clear text.`, fix: "set the ARN of an ACM certificate for the host (or traffic.domain + hostedZoneId so the kit requests one); or, knowingly, traffic.plainHttpInVpc: true." });
    }
    if (m.host && !ctx.traffic.certificateArn && ctx.traffic.hostedZoneId && ctx.traffic.domain && !m.host.endsWith(`.${ctx.traffic.domain}`)) {
      problems.push({ path: at("host"), value: m.host, message: `is not covered by the requested certificate *.${ctx.traffic.domain}.`, fix: `use a host under ${ctx.traffic.domain}, or set traffic.certificateArn.` });
    }
    const host = hostOf(m, ctx.traffic);
    if (!host) problems.push({ path: at("host"), value: undefined, message: `is required for exposure ${m.exposure} (or set omk:traffic.domain).`, fix: `set host (e.g. ${m.name}.llm.example.com) or omk:traffic.domain.` });
    else if (hosts.has(host)) problems.push({ path: at("host"), value: host, message: `is already used by ${hosts.get(host)}.`, fix: "give each exposed model its own host." });
    else hosts.set(host, m.name);
    if (ctx.cluster.mode === "existing" && !ctx.cluster.autoMode && ctx.addons.loadBalancerController === "off") {
      problems.push({ path: "omk:addons.loadBalancerController", value: "off", message: `${m.name} is exposed through an ALB, but the cluster has no ingress controller for it.`, fix: "set it to auto (the kit installs the AWS Load Balancer Controller) or expose the model as internal." });
    }
  }
  const needsLbc = ctx.cluster.mode === "existing" && !ctx.cluster.autoMode && ctx.addons.loadBalancerController === "auto" && hosts.size > 0;
  if (needsLbc && !ctx.addons.loadBalancerControllerPolicyArn) {
    problems.push({ path: "omk:addons.loadBalancerControllerPolicyArn", value: undefined, message: "is required: the kit installs the AWS Load Balancer Controller for the exposed models.", fix: "create the policy AWS publishes with the controller (iam_policy.json) and set its ARN here." });
  }
  if (needsLbc && ctx.cluster.mode === "existing" && !ctx.cluster.vpcId) {
    problems.push({ path: "omk:cluster.vpcId", value: undefined, message: "is required to install the AWS Load Balancer Controller.", fix: "set cluster.vpcId to the cluster's VPC." });
  }
  if (ctx.capacity.maxGpus !== undefined) {
    const total = ctx.models.reduce((n, m) => n + m.replicas.max * gpusPerReplica(m), 0);
    if (total > ctx.capacity.maxGpus) {
      const breakdown = ctx.models.map((m) => `${m.name} ${m.replicas.max} × ${gpusPerReplica(m)}`).join(", ");
      problems.push({ path: "omk:capacity.maxGpus", value: ctx.capacity.maxGpus, message: `the models can use ${total} GPUs at max replicas (${breakdown}): ${total - ctx.capacity.maxGpus} over the budget.`, fix: `lower replicas.max, or raise maxGpus to ${total}.` });
    }
  }
  return problems;
}
