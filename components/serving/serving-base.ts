/**
 * What every model server in a stack shares: the namespace, the Hugging Face token Secret, and (when a
 * model streams from S3) the model store.
 */
import { SERVING_NAMESPACE_LABELS } from "../pod-security";
import { NetworkPolicy } from "@pulumi/kubernetes/networking/v1/networkPolicy";
import { S3_EGRESS_POLICY, buildNamespacePolicies } from "../traffic/namespace-policy-spec";
import * as pulumi from "@pulumi/pulumi";
import { Namespace } from "@pulumi/kubernetes/core/v1/namespace";
import { Secret } from "@pulumi/kubernetes/core/v1/secret";
import type { Provider } from "@pulumi/kubernetes/provider";
import { CronJob } from "@pulumi/kubernetes/batch/v1/cronJob";
import { ServiceAccount } from "@pulumi/kubernetes/core/v1/serviceAccount";
import { Role } from "@pulumi/kubernetes/rbac/v1/role";
import { RoleBinding } from "@pulumi/kubernetes/rbac/v1/roleBinding";
import { buildRefresh, type RefreshTargets } from "./refresh-spec";
import { ModelStore } from "./model-store";

export interface ServingBaseArgs {
  readonly namespace: string;
  /** HF token as a Pulumi secret; omitted when the stack has none. */
  readonly hfToken?: pulumi.Output<string>;
  readonly needsModelStore: boolean;
  readonly provider: Provider;
  readonly tags: Readonly<Record<string, string>>;
  /** The surge-first restart onto fresh nodes: its cron (UTC) and what it restarts; undefined when no server needs it. @see refresh-spec.ts */
  readonly refresh?: { readonly schedule: string; readonly targets: RefreshTargets };
  /** Protect the model store from `pulumi destroy` (omk:cluster.protect). @default true */
  readonly protect?: boolean;
  /** What destroy does with the unprotected model store. @default "retain" */
  readonly storeOnDestroy?: "retain" | "empty";
  /** The region's S3 address ranges, where servers streaming from the model store may connect. @default none */
  readonly s3Cidrs?: pulumi.Input<string[]>;
}

export const HF_TOKEN_SECRET = "hf-token";

export class ServingBase extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly hfTokenSecret: string | undefined;
  public readonly store: ModelStore | undefined;
  public readonly dependencies: pulumi.Resource[];

  constructor(name: string, args: ServingBaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:serving:Base", name, {}, opts);
    const k8s = { parent: this, provider: args.provider };
    const ns = new Namespace(`${name}-ns`, {
      metadata: { name: args.namespace, labels: { "app.kubernetes.io/managed-by": "open-model-kit", ...SERVING_NAMESPACE_LABELS } },
    }, k8s);
    this.namespace = ns.metadata.name;
    this.dependencies = [ns];
    // Deny by default, in and out; each model's policies and these open what is needed (namespace-policy-spec.ts).
    // The S3 ranges are known at deploy time only: that one policy's spec waits for them; the rest is known at preview.
    const s3Egress = pulumi.output(args.s3Cidrs ?? []).apply((cidrs) => buildNamespacePolicies(args.namespace, cidrs).find((p) => (p.metadata as { name: string }).name === S3_EGRESS_POLICY)!.spec);
    for (const p of buildNamespacePolicies(args.namespace, [])) {
      const policyName = (p.metadata as { name: string }).name;
      const spec = policyName === S3_EGRESS_POLICY ? s3Egress : p.spec;
      this.dependencies.push(new NetworkPolicy(`${name}-${policyName}`, { metadata: p.metadata as never, spec: spec as never }, { ...k8s, dependsOn: [ns] }));
    }
    if (args.hfToken) {
      // The token lives only here: pods read it through secretKeyRef; Pulumi keeps it encrypted in state.
      this.dependencies.push(new Secret(`${name}-hf-token`, {
        metadata: { name: HF_TOKEN_SECRET, namespace: args.namespace },
        type: "Opaque",
        stringData: { HF_TOKEN: args.hfToken },
      }, { ...k8s, dependsOn: [ns] }));
      this.hfTokenSecret = HF_TOKEN_SECRET;
    }
    if (args.refresh) {
      const r = buildRefresh(args.namespace, args.refresh.schedule, args.refresh.targets);
      const after = { ...k8s, dependsOn: [ns] };
      const sa = new ServiceAccount(`${name}-refresh`, r.serviceAccount as never, after);
      const role = new Role(`${name}-refresh`, r.role as never, after);
      const binding = new RoleBinding(`${name}-refresh`, r.roleBinding as never, { ...after, dependsOn: [ns, role, sa] });
      new CronJob(`${name}-refresh`, r.cronJob as never, { ...after, dependsOn: [binding] });
    }
    if (args.needsModelStore) this.store = new ModelStore(`${name}-store`, { tags: args.tags, protect: args.protect, onDestroy: args.storeOnDestroy }, { parent: this });
    this.registerOutputs({ namespace: this.namespace });
  }
}
