/**
 * What every model server in a stack shares: the namespace, the Hugging Face token Secret, and (when a
 * model streams from S3) the model store and a gp3 StorageClass for mirror volumes.
 */
import * as pulumi from "@pulumi/pulumi";
import { Namespace } from "@pulumi/kubernetes/core/v1/namespace";
import { Secret } from "@pulumi/kubernetes/core/v1/secret";
import type { Provider } from "@pulumi/kubernetes/provider";
import { StorageClass } from "@pulumi/kubernetes/storage/v1/storageClass";
import { ModelStore } from "./model-store";

export interface ServingBaseArgs {
  readonly namespace: string;
  /** HF token as a Pulumi secret; omitted when the stack has none. */
  readonly hfToken?: pulumi.Output<string>;
  readonly needsModelStore: boolean;
  /** EBS CSI provisioner: EKS Auto Mode's built-in one, or the EBS CSI driver add-on. */
  readonly ebsProvisioner: string;
  readonly provider: Provider;
  readonly tags: Readonly<Record<string, string>>;
}

export const HF_TOKEN_SECRET = "hf-token";
export const MIRROR_STORAGE_CLASS = "omk-gp3";

export class ServingBase extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly hfTokenSecret: string | undefined;
  public readonly store: ModelStore | undefined;
  public readonly dependencies: pulumi.Resource[];

  constructor(name: string, args: ServingBaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:serving:Base", name, {}, opts);
    const k8s = { parent: this, provider: args.provider };
    const ns = new Namespace(`${name}-ns`, {
      metadata: { name: args.namespace, labels: { "app.kubernetes.io/managed-by": "open-model-kit", "pod-security.kubernetes.io/enforce": "baseline" } },
    }, k8s);
    this.namespace = ns.metadata.name;
    this.dependencies = [ns];
    if (args.hfToken) {
      // The token lives only here: pods read it through secretKeyRef; Pulumi keeps it encrypted in state.
      this.dependencies.push(new Secret(`${name}-hf-token`, {
        metadata: { name: HF_TOKEN_SECRET, namespace: args.namespace },
        type: "Opaque",
        stringData: { HF_TOKEN: args.hfToken },
      }, { ...k8s, dependsOn: [ns] }));
      this.hfTokenSecret = HF_TOKEN_SECRET;
    }
    if (args.needsModelStore) {
      this.store = new ModelStore(`${name}-store`, { tags: args.tags }, { parent: this });
      this.dependencies.push(new StorageClass(`${name}-gp3`, {
        metadata: { name: MIRROR_STORAGE_CLASS },
        provisioner: args.ebsProvisioner,
        parameters: { type: "gp3", encrypted: "true", throughput: "500", iops: "6000" },
        volumeBindingMode: "WaitForFirstConsumer",
        reclaimPolicy: "Delete",
      }, k8s));
    }
    this.registerOutputs({ namespace: this.namespace });
  }
}
