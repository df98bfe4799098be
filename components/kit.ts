/**
 * Composes the kit for one resolved stack: the platform (network, cluster, GPU pools, add-ons), the model
 * servers, their traffic (autoscaling, ingress, network policy) and observability. Used by `index.ts`
 * (real Pulumi runs) and by the offline engine behind `omk plan` and the tests, so both see exactly the
 * same resources.
 */
import { fromZeroOf, usesRouter } from "./config/validate-routing";
import { hostOf } from "./config/validate-traffic";
import { INTERCEPTOR, wakeHosts } from "./traffic/wake-spec";
import { WakeBase } from "./traffic/wake-base";
import * as pulumi from "@pulumi/pulumi";
import { getPrefixListOutput } from "@pulumi/aws/ec2/getPrefixList";
import { findInstance } from "./catalog/instances";
import { planInfrastructure, type InfraPlan } from "./aws/preflight";
import { Platform } from "./aws/platform";
import { resolveStack, type RawStackConfig, type ResolvedStack } from "./config/validate";
import { GRAFANA_HINT } from "./observability/monitoring-spec";
import { Observability } from "./observability/observability";
import { alertReceiversOf, alertingWarnings } from "./observability/alerting-spec";
import { ModelService, type ServiceSummary } from "./serving/model-service";
import type { RefreshTargets } from "./serving/refresh-spec";
import { ServingBase } from "./serving/serving-base";
import { servingWarnings } from "./serving/warnings";
import { accessWarnings } from "./aws/cluster-access";
import { ModelTraffic } from "./traffic/model-traffic";
import { TrafficBase } from "./traffic/traffic-base";
import { WildcardCertificate } from "./traffic/certificate";
import { ALB_TARGET_READY_SECONDS, idleTimeoutFor, type Scheme } from "./traffic/traffic-spec";
import { planSubnets } from "./aws/network-plan";
import { cachedImage, imageCacheTarget } from "./aws/image-cache-spec";
import { AWS_CLI_IMAGE } from "./serving/mirror-job-spec";

export interface KitOutputs {
  readonly environment: string;
  readonly region: string;
  readonly clusterName: pulumi.Output<string>;
  readonly models: pulumi.Output<ServiceSummary[]>;
  /** Client URL per served model name. */
  readonly endpoints: Readonly<Record<string, string>>;
  /** API key per served model name (secret). */
  readonly apiKeys: pulumi.Output<Record<string, string>>;
  readonly dashboard: string | null;
  readonly infra: InfraPlan;
  /** Non-blocking findings (preflight and serving), for `pulumi.log.warn` and the plan's notes. */
  readonly warnings: readonly string[];
}

/**
 * Offline, a `secure:` value is ciphertext the kit cannot (and must not) decrypt: a stand-in takes its place. An API
 * key's stand-in is shaped like a bearer token, so the API guard's keys file (which refuses anything else) renders
 * as it will for real.
 */
function secretOf(value: string | { secure: string } | undefined, standIn = "(encrypted in the stack file; not decrypted offline)"): pulumi.Output<string> | undefined {
  if (value === undefined) return undefined;
  return pulumi.secret(typeof value === "string" ? value : standIn);
}
const KEY_STAND_IN = "encrypted-in-the-stack-file-not-decrypted-offline";

export class OpenModelKit extends pulumi.ComponentResource {
  public readonly platform: Platform;
  public readonly services: readonly ModelService[];
  public readonly models: pulumi.Output<ServiceSummary[]>;
  public readonly endpoints: Readonly<Record<string, string>>;
  public readonly apiKeys: pulumi.Output<Record<string, string>>;
  public readonly monitoring: boolean;

  constructor(name: string, args: { stack: ResolvedStack; infra: InfraPlan; stackName: string }, opts?: pulumi.ComponentResourceOptions) {
    const { stack, infra } = args;
    super("omk:index:Kit", name, { environment: stack.environment, region: stack.region }, opts);
    const tags = { "omk.dev/environment": stack.environment, "omk.dev/stack": args.stackName, "app.kubernetes.io/managed-by": "open-model-kit" };
    const platform = (this.platform = new Platform(`${name}-platform`, { stack, infra, tags, images: imagesOf(stack) }, { parent: this }));
    const pull = pullThrough(stack);
    const provider = platform.provider;
    const installed = (addon: string) => infra.addons.some((a) => a.name === addon && a.install);
    this.monitoring = installed("kube-prometheus-stack");
    const namespace = stack.serving.namespace;

    const base = new ServingBase(`${name}-serving`, {
      namespace, hfToken: secretOf(stack.hfToken), needsModelStore: stack.models.some((m) => m.weightSource === "s3"),
      provider, tags,
      refresh: refreshFor(stack), protect: stack.cluster.protect, storeOnDestroy: stack.serving.modelStore.onDestroy,
      // Servers streaming from the store reach S3 only: its AWS-managed prefix list (Amazon VPC user guide, "AWS-managed
      // prefix lists": com.amazonaws.<region>.s3 holds the service's address ranges in the region).
      s3Cidrs: stack.models.some((m) => m.weightSource === "s3") ? getPrefixListOutput({ name: `com.amazonaws.${stack.region}.s3` }, { parent: this }).cidrBlocks : undefined,
    }, { parent: this });
    const sharedApiKey = secretOf(stack.apiKey, KEY_STAND_IN);
    const idleTimeoutSeconds = idleTimeoutFor(stack.traffic, stack.models.filter((m) => m.exposure !== "internal"));
    this.services = stack.models.map((model) => {
      const placed = infra.pools.find((p) => p.pool.models.includes(model.name));
      return new ModelService(`${name}-${model.name}`, {
        model, region: stack.region, pool: placed ? { name: placed.pool.name, zones: placed.zones, instance: findInstance(model.placement.instanceType)! } : null,
        base, namespace, image: pull(model.placement.nodes > 1 ? stack.serving.multiNodeImage ?? stack.serving.image : stack.serving.image), cpuImage: stack.serving.cpuImage,
        awsCliImage: pull(AWS_CLI_IMAGE), clusterName: platform.clusterName,
        // Longer than whoever pools connections to vLLM keeps them idle: the ALB, or the router (aiohttp keeps 15 s).
        keepAliveSeconds: model.exposure === "internal" && !usesRouter(model) ? undefined : idleTimeoutSeconds + 60, idleTimeoutSeconds,
        minReadySeconds: model.exposure === "internal" ? undefined : ALB_TARGET_READY_SECONDS,
        guardImage: pull(stack.serving.guardImage), provider, dependsOn: [platform], tags, surgeRollout: stack.capacity.mode !== "managed",
        keys: { version: stack.apiKeyVersion, keepPrevious: stack.apiKeyKeepPrevious, shared: sharedApiKey, sharedPrevious: secretOf(stack.apiKeyPrevious, KEY_STAND_IN) },
      }, { parent: this });
    });

    const schemes = [...new Set(stack.models.map((m) => m.exposure).filter((e): e is Scheme => e !== "internal"))].sort();
    const autoMode = stack.cluster.mode === "create" || stack.cluster.autoMode;
    const t = stack.traffic;
    // Request a wildcard certificate only when a model is exposed and none was given.
    const certificateArn = t.certificateArn ?? (schemes.length && t.domain && t.hostedZoneId
      ? new WildcardCertificate(`${name}-certificate`, { domain: t.domain, hostedZoneId: t.hostedZoneId, tags }, { parent: this }).arn
      : undefined);
    const trafficBase = new TrafficBase(`${name}-traffic`, {
      certificateArn,
      schemes, flavor: autoMode ? "auto-mode" : "load-balancer-controller", traffic: stack.traffic, group: `omk-${stack.environment}`,
      namespaces: [namespace, ...(stack.models.some((m) => m.exposure !== "internal" && fromZeroOf(m) === "on-request") ? [INTERCEPTOR.namespace] : [])],
      idleTimeoutSeconds,
      // With node groups the vpc-cni add-on owns the amazon-vpc-cni ConfigMap and turns enforcement on (managed-pools.ts).
      enableAutoModeNetworkPolicy: stack.cluster.mode === "create" && !(stack.capacity.mode === "managed" && infra.pools.length > 0), provider, dependsOn: [platform],
    }, { parent: this });
    const sources = loadBalancerSources(stack, infra);
    const endpoints: Record<string, string> = {};
    const waking = stack.models.filter((m) => fromZeroOf(m) === "on-request");
    const wakeBase = waking.length ? new WakeBase(`${name}-wake`, {
      namespace, image: pull(stack.serving.guardImage), provider, dependsOn: [platform, ...base.dependencies],
      models: waking.map((m) => ({ name: m.name, hosts: wakeHosts(m, namespace, hostOf(m, stack.traffic)), coldStartMinutes: Math.round(this.services[stack.models.indexOf(m)]!.coldStart.scaleUpSeconds / 60) })),
    }, { parent: this }) : undefined;
    this.services.forEach((service, i) => {
      const model = stack.models[i]!;
      const traffic = new ModelTraffic(`${name}-${model.name}-traffic`, {
        model, namespace, traffic: stack.traffic, albSourceCidrs: model.exposure === "internal" ? [] : sources[model.exposure], monitoring: this.monitoring, keda: installed("keda"), provider,
        routerImage: pull(stack.serving.routerImage), apiKeySecret: model.auth ? `${model.name}-api-key` : undefined, apiKeyVersion: stack.apiKeyVersion, coldStart: service.coldStart, idleTimeoutSeconds,
        dependsOn: [platform, service.workload, ...trafficBase.dependencies, ...(wakeBase && fromZeroOf(model) === "on-request" ? [wakeBase] : [])],
      }, { parent: this });
      endpoints[model.name] = traffic.url;
    });
    if (this.monitoring) {
      new Observability(`${name}-observability`, {
        namespace, provider, dependsOn: [platform, ...base.dependencies], gpuMetrics: installed("dcgm-exporter"),
        receivers: alertReceiversOf(stack), slackWebhookUrl: secretOf(stack.alertSlackWebhookUrl), webhookUrl: secretOf(stack.alertWebhookUrl),
      }, { parent: this });
    }

    this.endpoints = endpoints;
    this.apiKeys = pulumi.secret(pulumi.all(Object.fromEntries(this.services.flatMap((s, i) => (s.apiKey ? [[stack.models[i]!.name, s.apiKey]] : [])))));
    this.models = pulumi.all(this.services.map((s) => s.summary));
    // environment and region are read by the policy pack (allowed-regions).
    this.registerOutputs({ environment: stack.environment, region: stack.region, models: this.models, endpoints: this.endpoints });
  }
}

/** The images GPU serving pulls (vLLM, the multi-node vLLM, the AWS CLI for S3 steps, the router, the cold-start responder). */
export function imagesOf(stack: ResolvedStack): string[] {
  if (stack.capacity.mode === "cpu") return [];
  const multiNode = stack.models.some((m) => m.placement.nodes > 1) && stack.serving.multiNodeImage;
  const routed = stack.models.some(usesRouter) ? [stack.serving.routerImage] : [];
  // The API guard's nginx (serving.guardImage) runs in every server pod; the cold-start responder is the same image.
  return [stack.serving.image, ...(multiNode ? [multiNode] : []), AWS_CLI_IMAGE, ...routed, stack.serving.guardImage];
}

/** How an image is referenced: through the environment's ECR pull-through cache when the stack has one. */
export function pullThrough(stack: ResolvedStack): (image: string) => string {
  const cache = stack.capacity.mode !== "cpu" && stack.serving.imageCache ? imageCacheTarget(stack.serving.imageCache.dockerHubCredentialArn, stack.environment) : null;
  return (image) => (cache ? cachedImage(image, cache) : image);
}

/** The scheduled refresh when GPU servers roll surge-first on Karpenter capacity (their nodes expire): every such Deployment and LeaderWorkerSet. */
export function refreshFor(stack: ResolvedStack): { schedule: string; targets: RefreshTargets } | undefined {
  const schedule = stack.serving.refreshSchedule;
  const gpu = stack.models.filter((m) => m.device === "gpu");
  if (schedule === "off" || stack.capacity.mode !== "karpenter" || !gpu.length) return undefined;
  return { schedule, targets: { deployments: gpu.some((m) => m.placement.nodes === 1), leaderWorkerSets: gpu.filter((m) => m.placement.nodes > 1).map((m) => m.name) } };
}

/** Private address ranges: where an existing cluster's ALBs may be, when the stack does not say. */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/**
 * Where an ALB's traffic reaches the pods from (IP targets see the load balancer's own addresses): an
 * internet-facing ALB sits in the public subnets, an internal one in the private subnets (the subnet tags the
 * Network sets, kubernetes.io/role/elb and internal-elb). Existing clusters: what the stack names, else the
 * private ranges (the plan warns).
 */
export function loadBalancerSources(stack: ResolvedStack, infra: InfraPlan): Record<Scheme, string[]> {
  if (stack.cluster.mode === "create") {
    const plan = planSubnets(stack.cluster.vpcCidr, infra.clusterZones);
    return { public: plan.map((s) => s.publicCidr), private: plan.map((s) => s.privateCidr) };
  }
  const given = stack.traffic.loadBalancerSourceCidrs ?? PRIVATE_RANGES;
  return { public: [...given], private: [...given] };
}

/** Builds the kit for a resolved stack and its preflight; the component is named after the environment. */
export function buildKit(stack: ResolvedStack, infra: InfraPlan, stackName = pulumi.getStack()): KitOutputs & { kit: OpenModelKit } {
  const kit = new OpenModelKit(`omk-${stack.environment}`, { stack, infra, stackName });
  return {
    kit, environment: stack.environment, region: stack.region, clusterName: kit.platform.clusterName, models: kit.models, infra,
    endpoints: kit.endpoints, apiKeys: kit.apiKeys, dashboard: kit.monitoring ? GRAFANA_HINT : null,
    warnings: [...infra.warnings, ...accessWarnings(stack.cluster), ...servingWarnings(stack), ...alertingWarnings(alertReceiversOf(stack), kit.monitoring)],
  };
}

/** Preflight and build for an already resolved stack (`omk plan` resolves first, to report config errors). */
export async function runResolvedKit(stack: ResolvedStack, source: string): Promise<KitOutputs & { kit: OpenModelKit; stack: ResolvedStack }> {
  const infra = await planInfrastructure(stack, source);
  return { ...buildKit(stack, infra), stack };
}

/** The whole program: validate, preflight, build. Throws ConfigError (all problems) before registering anything. */
export async function runKit(raw: RawStackConfig, source: string, secretKeys: ReadonlySet<string> = new Set()): Promise<KitOutputs & { kit: OpenModelKit; stack: ResolvedStack }> {
  const resolved = resolveStack(raw, source, secretKeys);
  if (!resolved.ok) throw resolved.error;
  return runResolvedKit(resolved.stack, source);
}
