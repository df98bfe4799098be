/**
 * Where alerts go (pure): an AlertmanagerConfig with one receiver holding every integration the stack
 * configures (Slack, a generic webhook, an SNS topic), and the notes a plan prints when alerts have nowhere
 * to go. The Slack and webhook URLs are Pulumi secrets: they reach Alertmanager through a Kubernetes Secret
 * the AlertmanagerConfig references by key, never in the config itself.
 *
 * Prometheus-operator AlertmanagerConfig (monitoring.coreos.com/v1alpha1): the operator merges its route under
 * the Alertmanager's root route. kube-prometheus-stack's values select it by the omk.dev/alerting label and
 * use matcher strategy None, so the route also matches alerts from the serving namespace and the cluster's
 * default rules (charts/kube-prometheus-stack/values.yaml).
 */
import type { ResolvedStack } from "../config/validate";
import { MONITORING_NAMESPACE } from "../traffic/traffic-spec";
import { KIT_ALERT_LABEL } from "./monitoring-spec";

type Obj = Record<string, unknown>;

/** Secret (monitoring namespace) holding the receiver URLs under the keys below. */
export const ALERT_RECEIVERS_SECRET = "omk-alert-receivers";
export const SLACK_KEY = "slack-webhook-url";
export const WEBHOOK_KEY = "webhook-url";
/** Selected by kube-prometheus-stack's alertmanagerConfigSelector (charts/kube-prometheus-stack/values.yaml). */
export const ALERTING_LABEL = { "omk.dev/alerting": "true" } as const;
/** kube-prometheus-stack names Alertmanager's service account `<fullnameOverride>-alertmanager`. */
export const ALERTMANAGER_SERVICE_ACCOUNT = "kube-prometheus-stack-alertmanager";

export interface AlertReceivers {
  readonly slack: boolean;
  readonly webhook: boolean;
  /** SNS topic; Alertmanager signs with the pod's Pod Identity credentials (sns:Publish on it only). */
  readonly snsTopicArn?: string;
}

export function alertReceiversOf(stack: Pick<ResolvedStack, "alertSlackWebhookUrl" | "alertWebhookUrl" | "observability">): AlertReceivers {
  return { slack: stack.alertSlackWebhookUrl !== undefined, webhook: stack.alertWebhookUrl !== undefined, snsTopicArn: stack.observability.alertSnsTopicArn };
}

export function hasReceivers(r: AlertReceivers): boolean {
  return r.slack || r.webhook || r.snsTopicArn !== undefined;
}

/** The topic's region (ARN field 4): SNS must be called there, whatever region the cluster is in. */
export function snsTopicRegion(arn: string): string {
  return arn.split(":")[3]!;
}

/**
 * The AlertmanagerConfig routing the kit's warning and critical alerts to one receiver. Null when the stack configures no receiver.
 */
export function buildAlertmanagerConfig(r: AlertReceivers): Obj | null {
  if (!hasReceivers(r)) return null;
  const secret = (key: string) => ({ name: ALERT_RECEIVERS_SECRET, key });
  const text = "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}";
  return {
    apiVersion: "monitoring.coreos.com/v1alpha1",
    kind: "AlertmanagerConfig",
    metadata: { name: "open-model-kit", namespace: MONITORING_NAMESPACE, labels: { ...ALERTING_LABEL, "app.kubernetes.io/managed-by": "open-model-kit" } },
    spec: {
      route: {
        receiver: "open-model-kit",
        // Only the kit's own alerts: with matcher strategy None this route would otherwise also page on every
        // default kube-prometheus-stack rule, which the kit's scheduled cold starts trip every week.
        matchers: [{ name: "severity", matchType: "=~", value: "warning|critical" }, { name: "source", matchType: "=", value: KIT_ALERT_LABEL.source }],
        groupBy: ["alertname", "namespace", "model_name"],
        groupWait: "30s", groupInterval: "5m", repeatInterval: "4h",
      },
      receivers: [{
        name: "open-model-kit",
        ...(r.slack ? { slackConfigs: [{ apiURL: secret(SLACK_KEY), sendResolved: true, title: "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}", text }] } : {}),
        ...(r.webhook ? { webhookConfigs: [{ urlSecret: secret(WEBHOOK_KEY), sendResolved: true }] } : {}),
        // SNS subjects are limited to 100 ASCII characters: keep it to the status and alert name.
        ...(r.snsTopicArn ? { snsConfigs: [{ topicARN: r.snsTopicArn, sigv4: { region: snsTopicRegion(r.snsTopicArn) }, sendResolved: true, subject: "[omk {{ .Status }}] {{ .CommonLabels.alertname }}", message: text }] } : {}),
      }],
    },
  };
}

/** The IAM policy Alertmanager's Pod Identity role gets: publish to the one topic. */
export function snsPublishPolicy(topicArn: string): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sns:Publish", Resource: topicArn }] });
}

/** Plan notes: alerts with no receiver are only visible in Alertmanager's UI. */
export function alertingWarnings(r: AlertReceivers, prometheusInstalled: boolean): string[] {
  if (!prometheusInstalled || hasReceivers(r)) return [];
  return ["Alerts (queueing, KV cache full, restarts, 5xx, GPU XID errors) reach Alertmanager but no receiver: set omk:alertSlackWebhookUrl or omk:alertWebhookUrl (`pulumi config set --secret …`), or omk:observability.alertSnsTopicArn."];
}
