/** Stack-wide observability: alert rules and the Grafana dashboard (PodMonitors belong to each model). */
import * as pulumi from "@pulumi/pulumi";
import { CustomResource } from "@pulumi/kubernetes/apiextensions/customResource";
import { ConfigMap } from "@pulumi/kubernetes/core/v1/configMap";
import type { Provider } from "@pulumi/kubernetes/provider";
import { buildDashboardConfigMap, buildPrometheusRule } from "./monitoring-spec";

export interface ObservabilityArgs {
  readonly namespace: string;
  readonly provider: Provider;
  readonly dependsOn: readonly pulumi.Resource[];
}

export class Observability extends pulumi.ComponentResource {
  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:observability:Monitoring", name, {}, opts);
    const k8s = { parent: this, provider: args.provider, dependsOn: [...args.dependsOn] };
    new CustomResource(`${name}-rules`, buildPrometheusRule(args.namespace) as never, k8s);
    new ConfigMap(`${name}-dashboard`, buildDashboardConfigMap(args.namespace) as never, k8s);
    this.registerOutputs({});
  }
}
