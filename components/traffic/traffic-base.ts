/**
 * Stack-wide traffic objects: the ALB IngressClasses (one per scheme in use) and, on EKS Auto Mode, the
 * switch that makes its CNI enforce NetworkPolicies. Observability objects live in observability/.
 */
import * as pulumi from "@pulumi/pulumi";
import { CustomResource } from "@pulumi/kubernetes/apiextensions/customResource";
import { ConfigMap } from "@pulumi/kubernetes/core/v1/configMap";
import { IngressClass } from "@pulumi/kubernetes/networking/v1/ingressClass";
import type { Provider } from "@pulumi/kubernetes/provider";
import type { TrafficSettings } from "../config/traffic-schema";
import { injectOutput } from "../inject";
import { buildIngressClass, type IngressFlavor, type Scheme } from "./traffic-spec";

export interface TrafficBaseArgs {
  readonly schemes: readonly Scheme[];
  readonly flavor: IngressFlavor;
  readonly traffic: TrafficSettings;
  /** ALB idle timeout (seconds). */
  readonly idleTimeoutSeconds: number;
  /** The only namespaces whose Ingresses may use the kit's IngressClasses (the serving one; keda for models woken on request). */
  readonly namespaces: readonly string[];
  /** ALB group prefix, so one ALB per scheme serves every model of the stack. */
  readonly group: string;
  /** Turn on NetworkPolicy enforcement in EKS Auto Mode's VPC CNI (new clusters only). */
  readonly enableAutoModeNetworkPolicy: boolean;
  /** Certificate for the HTTPS listeners (given, or requested by the kit). */
  readonly certificateArn: pulumi.Input<string> | undefined;
  readonly provider: Provider;
  readonly dependsOn: readonly pulumi.Resource[];
}

export class TrafficBase extends pulumi.ComponentResource {
  public readonly dependencies: pulumi.Resource[] = [];

  constructor(name: string, args: TrafficBaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:traffic:Base", name, {}, opts);
    const k8s = { parent: this, provider: args.provider, dependsOn: [...args.dependsOn] };
    for (const scheme of args.schemes) {
      // Only the certificate ARN may be unknown at preview (a certificate the kit requests): keep the rest known.
      const ARN = "@@omk-certificate@@";
      const [cls, params] = buildIngressClass(args.flavor, scheme, args.idleTimeoutSeconds, args.group, args.certificateArn === undefined ? undefined : ARN, { namespaces: args.namespaces, accessLogs: args.traffic.accessLogs });
      const p = new CustomResource(`${name}-${scheme}-params`, injectOutput(params, ARN, args.certificateArn ?? "") as never, k8s);
      this.dependencies.push(p, new IngressClass(`${name}-${scheme}`, cls as never, { ...k8s, dependsOn: [...k8s.dependsOn, p] }));
    }
    if (args.enableAutoModeNetworkPolicy) {
      // EKS user guide, "Use Network Policies with EKS Auto Mode": the CNI enforces policies once this is set.
      this.dependencies.push(new ConfigMap(`${name}-netpol`, { metadata: { name: "amazon-vpc-cni", namespace: "kube-system" }, data: { "enable-network-policy-controller": "true" } }, k8s));
    }
    this.registerOutputs({});
  }
}
