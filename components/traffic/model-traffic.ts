/** Traffic for one model: KEDA autoscaling, the ALB Ingress (exposed models), the NetworkPolicy, the PodMonitor. */
import * as pulumi from "@pulumi/pulumi";
import { CustomResource } from "@pulumi/kubernetes/apiextensions/customResource";
import { Ingress } from "@pulumi/kubernetes/networking/v1/ingress";
import { NetworkPolicy } from "@pulumi/kubernetes/networking/v1/networkPolicy";
import type { Provider } from "@pulumi/kubernetes/provider";
import type { TrafficSettings } from "../config/traffic-schema";
import type { ResolvedModel } from "../config/validate";
import { hasTls, hostOf } from "../config/validate-traffic";
import { buildPodMonitor } from "../observability/monitoring-spec";
import { buildIngress, buildNetworkPolicy, buildScaledObject } from "./traffic-spec";

export interface ModelTrafficArgs {
  readonly model: ResolvedModel;
  readonly namespace: string;
  readonly traffic: TrafficSettings;
  /** Source ranges of ALB traffic: the load balancer's subnets. */
  readonly albSourceCidrs: readonly string[];
  /** Prometheus (and its CRDs) and KEDA are installed. */
  readonly monitoring: boolean;
  readonly keda: boolean;
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
    const scaled = args.keda ? buildScaledObject(m, args.namespace) : null;
    if (scaled) new CustomResource(`${name}-scaler`, custom(scaled), k8s);
    const host = hostOf(m, args.traffic);
    if (host) new Ingress(`${name}-ingress`, buildIngress(m, args.namespace, host, args.traffic) as never, k8s);
    new NetworkPolicy(`${name}-netpol`, buildNetworkPolicy({ model: m, namespace: args.namespace, albSourceCidrs: args.albSourceCidrs, monitoring: args.monitoring }) as never, k8s);
    if (args.monitoring) new CustomResource(`${name}-monitor`, custom(buildPodMonitor(m, args.namespace)), k8s);
    this.url = host ? `${hasTls(args.traffic) ? "https" : "http"}://${host}/v1` : `http://${m.name}.${args.namespace}.svc.cluster.local:8000/v1`;
    this.registerOutputs({ url: this.url });
  }
}
