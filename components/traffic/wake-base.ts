/**
 * Stack-wide pieces of scale-from-zero on request: the responder a model's cold-start fallback points to, which
 * answers 503 with Retry-After and a JSON error naming the model and its cold start (wake-spec.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { Deployment } from "@pulumi/kubernetes/apps/v1/deployment";
import { ConfigMap } from "@pulumi/kubernetes/core/v1/configMap";
import { Service } from "@pulumi/kubernetes/core/v1/service";
import type { Provider } from "@pulumi/kubernetes/provider";
import { buildUnavailableResponder, unavailableConfig } from "./wake-spec";

export interface WakeBaseArgs {
  readonly namespace: string;
  /** Each model woken on request: its name, the hosts it answers to and its cold start (minutes, ESTIMATE). */
  readonly models: readonly { readonly name: string; readonly hosts: readonly string[]; readonly coldStartMinutes: number }[];
  readonly image: string;
  readonly provider: Provider;
  readonly dependsOn: readonly pulumi.Resource[];
}

export class WakeBase extends pulumi.ComponentResource {
  constructor(name: string, args: WakeBaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:traffic:WakeBase", name, {}, opts);
    const k8s = { parent: this, provider: args.provider, dependsOn: [...args.dependsOn] };
    const [config, deployment, service] = buildUnavailableResponder(args.namespace, unavailableConfig(args.models), args.image);
    const cm = new ConfigMap(`${name}-config`, config as never, k8s);
    new Deployment(`${name}-responder`, deployment as never, { ...k8s, dependsOn: [...k8s.dependsOn, cm] });
    new Service(`${name}-svc`, service as never, k8s);
    this.registerOutputs({});
  }
}
