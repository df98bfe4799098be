/**
 * Traffic for one model: the router (prefix-aware or session routing), scale-from-zero on request (the KEDA HTTP
 * add-on's InterceptorRoute and the model's in-cluster name pointing at the interceptor), KEDA autoscaling, the
 * ALB Ingress (exposed models), the NetworkPolicies, the PodMonitors.
 */
import * as pulumi from "@pulumi/pulumi";
import { CustomResource } from "@pulumi/kubernetes/apiextensions/customResource";
import { Deployment } from "@pulumi/kubernetes/apps/v1/deployment";
import { Service } from "@pulumi/kubernetes/core/v1/service";
import { ServiceAccount } from "@pulumi/kubernetes/core/v1/serviceAccount";
import { Ingress } from "@pulumi/kubernetes/networking/v1/ingress";
import { NetworkPolicy } from "@pulumi/kubernetes/networking/v1/networkPolicy";
import { PodDisruptionBudget } from "@pulumi/kubernetes/policy/v1/podDisruptionBudget";
import { Role } from "@pulumi/kubernetes/rbac/v1/role";
import { RoleBinding } from "@pulumi/kubernetes/rbac/v1/roleBinding";
import type { Provider } from "@pulumi/kubernetes/provider";
import type { TrafficSettings } from "../config/traffic-schema";
import type { ResolvedModel } from "../config/validate";
import { hasTls, hostOf } from "../config/validate-traffic";
import { buildPodMonitor, buildRouterPodMonitor } from "../observability/monitoring-spec";
import type { ColdStart } from "../serving/cold-start";
import { VLLM_PORT } from "../serving/vllm-args";
import { buildRouterDeployment, buildRouterPdb, buildRouterRbac, buildRouterService } from "./router-spec";
import { ALB_TARGET_READY_SECONDS, buildIngress, buildNetworkPolicies, buildScaledObject } from "./traffic-spec";
import { INTERCEPTOR, buildInterceptorRoute, serviceNames } from "./wake-spec";

export interface ModelTrafficArgs {
  readonly model: ResolvedModel;
  readonly namespace: string;
  readonly traffic: TrafficSettings;
  /** Source ranges of ALB traffic: the load balancer's subnets. */
  readonly albSourceCidrs: readonly string[];
  /** Prometheus (and its CRDs) and KEDA are installed. */
  readonly monitoring: boolean;
  readonly keda: boolean;
  /** The router image (pinned). */
  readonly routerImage: string;
  /** Secret with key VLLM_API_KEY when the model requires a key (the router's discovery calls need it). */
  readonly apiKeySecret?: string;
  /** omk:apiKeyVersion: the router restarts onto a new key (it reads VLLM_API_KEY at start; the servers' guards reload keys in place). */
  readonly apiKeyVersion?: number;
  readonly coldStart: ColdStart;
  /** ALB idle timeout: a request held while the model wakes must be answered within it. */
  readonly idleTimeoutSeconds: number;
  readonly provider: Provider;
  /** The server and the add-ons (CRDs) must exist first. */
  readonly dependsOn: readonly pulumi.Resource[];
}

/** `kind`/`apiVersion` plus the rest of a manifest, as CustomResource args. */
function custom(o: Record<string, unknown>) {
  return o as unknown as ConstructorParameters<typeof CustomResource>[1];
}

export class ModelTraffic extends pulumi.ComponentResource {
  /** URL clients use (ALB host, or the in-cluster Service). */
  public readonly url: string;

  constructor(name: string, args: ModelTrafficArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:traffic:ModelTraffic", name, {}, opts);
    const m = args.model;
    const k8s = { parent: this, provider: args.provider, dependsOn: [...args.dependsOn] };
    const names = serviceNames(m);
    const host = hostOf(m, args.traffic);

    if (names.routed) {
      const [sa, role, binding] = buildRouterRbac(m, args.namespace);
      const account = new ServiceAccount(`${name}-router-sa`, sa as never, k8s);
      const grant = new RoleBinding(`${name}-router`, binding as never, { ...k8s, dependsOn: [...k8s.dependsOn, new Role(`${name}-router`, role as never, k8s), account] });
      const router = buildRouterDeployment({
        model: m, namespace: args.namespace, image: args.routerImage, apiKeySecret: args.apiKeySecret, readyWithBackend: names.wakes || (m.auth && m.replicas.min > 0), skipAwait: names.wakes,
        keepAliveSeconds: args.idleTimeoutSeconds + 60, minReadySeconds: host && !names.wakes ? ALB_TARGET_READY_SECONDS : undefined, apiKeyVersion: args.apiKeyVersion,
      });
      new Deployment(`${name}-router`, router as never, { ...k8s, dependsOn: [...k8s.dependsOn, grant] });
      // The model's own Service is the router's unless the model wakes on request (then the interceptor waits on this one).
      if (names.wakes) new Service(`${name}-router-svc`, buildRouterService(m, args.namespace) as never, k8s);
      new PodDisruptionBudget(`${name}-router-pdb`, buildRouterPdb(m, args.namespace) as never, k8s);
      if (args.monitoring) new CustomResource(`${name}-router-monitor`, custom(buildRouterPodMonitor(m, args.namespace)), k8s);
    }

    const scaled = args.keda ? buildScaledObject(m, args.namespace) : null;
    let route: pulumi.Resource | undefined;
    if (names.wakes) {
      // The route must exist before the ScaledObject that reads it, or KEDA falls back to a CPU metric and never scales up
      // (keda.sh/http-add-on/0.16/user-guide/autoscale-an-app).
      route = new CustomResource(`${name}-wake`, custom(buildInterceptorRoute({ model: m, namespace: args.namespace, host, coldStart: args.coldStart, idleTimeoutSeconds: args.idleTimeoutSeconds })), k8s);
    }
    if (scaled) new CustomResource(`${name}-scaler`, custom(scaled), { ...k8s, dependsOn: [...k8s.dependsOn, ...(route ? [route] : [])] });
    if (host) new Ingress(`${name}-ingress`, buildIngress(m, args.namespace, host, args.traffic) as never, k8s);
    buildNetworkPolicies({ model: m, namespace: args.namespace, albSourceCidrs: args.albSourceCidrs, monitoring: args.monitoring })
      .forEach((p, i) => new NetworkPolicy(i ? `${name}-router-netpol` : `${name}-netpol`, p as never, k8s));
    if (args.monitoring) new CustomResource(`${name}-monitor`, custom(buildPodMonitor(m, args.namespace)), k8s);
    const port = names.wakes ? INTERCEPTOR.port : VLLM_PORT;
    this.url = host ? `${hasTls(args.traffic) ? "https" : "http"}://${host}/v1` : `http://${m.name}.${args.namespace}.svc.cluster.local:${port}/v1`;
    this.registerOutputs({ url: this.url });
  }
}
