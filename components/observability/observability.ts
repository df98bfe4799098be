/**
 * Stack-wide observability: alert rules, the Grafana dashboard and where alerts go (PodMonitors belong to
 * each model). The receivers' URLs are Pulumi secrets and go into a Secret the AlertmanagerConfig names.
 */
import * as pulumi from "@pulumi/pulumi";
import { CustomResource } from "@pulumi/kubernetes/apiextensions/customResource";
import { ConfigMap } from "@pulumi/kubernetes/core/v1/configMap";
import { Secret } from "@pulumi/kubernetes/core/v1/secret";
import type { Provider } from "@pulumi/kubernetes/provider";
import { MONITORING_NAMESPACE } from "../traffic/traffic-spec";
import { ALERT_RECEIVERS_SECRET, SLACK_KEY, WEBHOOK_KEY, buildAlertmanagerConfig, type AlertReceivers } from "./alerting-spec";
import { buildDashboardConfigMap, buildPrometheusRule } from "./monitoring-spec";

export interface ObservabilityArgs {
  readonly namespace: string;
  readonly provider: Provider;
  readonly dependsOn: readonly pulumi.Resource[];
  /** GPU panels and XID/temperature alerts, when the DCGM exporter is installed. @default false */
  readonly gpuMetrics?: boolean;
  readonly receivers: AlertReceivers;
  /** The Slack and webhook URLs (secrets), when configured. */
  readonly slackWebhookUrl?: pulumi.Output<string>;
  readonly webhookUrl?: pulumi.Output<string>;
}

export class Observability extends pulumi.ComponentResource {
  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:observability:Monitoring", name, {}, opts);
    const k8s = { parent: this, provider: args.provider, dependsOn: [...args.dependsOn] };
    const gpuMetrics = args.gpuMetrics ?? false;
    new CustomResource(`${name}-rules`, buildPrometheusRule(args.namespace, { gpuMetrics }) as never, k8s);
    new ConfigMap(`${name}-dashboard`, buildDashboardConfigMap(args.namespace, { gpuMetrics }) as never, k8s);
    const config = buildAlertmanagerConfig(args.receivers);
    if (config) {
      const urls: Record<string, pulumi.Output<string>> = {};
      if (args.slackWebhookUrl) urls[SLACK_KEY] = args.slackWebhookUrl;
      if (args.webhookUrl) urls[WEBHOOK_KEY] = args.webhookUrl;
      const secret = Object.keys(urls).length ? new Secret(`${name}-alert-receivers`, {
        metadata: { name: ALERT_RECEIVERS_SECRET, namespace: MONITORING_NAMESPACE, labels: { "app.kubernetes.io/managed-by": "open-model-kit" } },
        type: "Opaque", stringData: pulumi.secret(pulumi.all(urls)),
      }, k8s) : undefined;
      new CustomResource(`${name}-alertmanager-config`, config as never, { ...k8s, dependsOn: [...args.dependsOn, ...(secret ? [secret] : [])] });
    }
    this.registerOutputs({});
  }
}
