/**
 * The one-time mirror of a model's weights from the Hugging Face Hub to the S3 model store (pure).
 * Idempotent and resumable: a marker object ends re-runs at once; a restarted container resumes the
 * Hub download in the same volume; `aws s3 sync` uploads only what is missing.
 */
import { EGRESS_LABEL } from "../egress";
import type { ResolvedModel } from "../config/validate";
import { RESTRICTED_CONTAINER, nonRootEnv, restrictedPod } from "../pod-security";

/** AWS CLI v2 image for the upload step, pinned. */
export const AWS_CLI_IMAGE = "amazon/aws-cli:2.17.0";
export const MIRROR_MARKER = ".omk-complete";

export interface MirrorInput {
  readonly model: ResolvedModel;
  readonly namespace: string;
  readonly bucket: string;
  /** Key prefix, e.g. `Qwen/Qwen3-32B/main`. */
  readonly prefix: string;
  /** vLLM image (it carries huggingface_hub, so no extra image is pulled for the download). */
  readonly vllmImage: string;
  /** Image with the AWS CLI for the S3 steps (a pull-through-cache copy when the stack has one). @default AWS_CLI_IMAGE */
  readonly awsCliImage?: string;
  readonly serviceAccountName: string;
  readonly hfTokenSecret?: string;
  readonly storageClassName: string;
  readonly volumeGiB: number;
}

export function mirrorJobName(model: ResolvedModel): string {
  return `${model.name}-mirror`.slice(0, 52);
}

/** `s3://bucket/<repo>/<revision>`: a new revision is a new prefix, so the old one stays servable. */
export function storePrefix(model: ResolvedModel): string {
  return `${model.weights.repo}/${model.revision ?? "main"}`;
}

/**
 * Where a placement's compile cache is shared: per model, instance type and layout (compile output depends on
 * the GPU and the parallel layout), so replicas of the same placement reuse it. Outside the weights' prefix:
 * vLLM copies every non-weight file under the model's S3 prefix before loading.
 */
export function compileCachePrefix(model: ResolvedModel): string {
  const p = model.placement;
  return `.omk-compile-cache/${storePrefix(model)}/${p.instanceType}-tp${p.tensorParallelSize}-pp${p.pipelineParallelSize}-dp${p.dataParallelSize}`;
}

export function buildMirrorJob(input: MirrorInput): Record<string, unknown> {
  const target = `s3://${input.bucket}/${input.prefix}`;
  const download = [
    "test -f /work/done && exit 0;",
    "python3 -c 'import sys; from huggingface_hub import snapshot_download;",
    "snapshot_download(repo_id=sys.argv[1], revision=sys.argv[2], local_dir=\"/work/model\", ignore_patterns=[\"original/*\", \"*.pth\"])'",
    `${input.model.weights.repo} ${input.model.revision ?? "main"}`,
  ].join(" ");
  const labels = { "app.kubernetes.io/name": "model-mirror", "app.kubernetes.io/instance": input.model.name, "app.kubernetes.io/managed-by": "open-model-kit" };
  const token = input.hfTokenSecret ? [{ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: input.hfTokenSecret, key: "HF_TOKEN" } } }] : [];
  const work = [{ name: "work", mountPath: "/work" }];
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: mirrorJobName(input.model), namespace: input.namespace, labels },
    spec: {
      backoffLimit: 6,
      // Frees the (large) download volume an hour after success. If Pulumi later recreates the Job, it
      // finds the marker object and exits at once.
      ttlSecondsAfterFinished: 3600,
      template: {
        // It downloads from the Hub: HTTPS anywhere (components/egress.ts).
        metadata: { labels: { ...labels, [EGRESS_LABEL]: "internet" } },
        spec: {
          serviceAccountName: input.serviceAccountName,
          // Pod Security "restricted"; fsGroup makes the EBS work volume writable for the non-root user.
          securityContext: restrictedPod(),
          // OnFailure keeps the pod and its volume, so a retry resumes instead of starting over.
          restartPolicy: "OnFailure",
          initContainers: [
            { name: "check", image: input.awsCliImage ?? AWS_CLI_IMAGE, command: ["/bin/sh", "-c"], args: [`aws s3 ls ${target}/${MIRROR_MARKER} && touch /work/done || true`], volumeMounts: work, env: nonRootEnv("/work/home"), securityContext: RESTRICTED_CONTAINER },
            { name: "download", image: input.vllmImage, command: ["/bin/sh", "-c"], args: [download], env: [{ name: "HF_HOME", value: "/work/hf-home" }, ...nonRootEnv("/work/home"), ...token], volumeMounts: work, resources: { requests: { cpu: "2", memory: "8Gi" } }, securityContext: RESTRICTED_CONTAINER },
          ],
          containers: [{
            name: "upload", image: input.awsCliImage ?? AWS_CLI_IMAGE, command: ["/bin/sh", "-c"],
            args: [`test -f /work/done && exit 0; aws s3 sync /work/model ${target} --exclude '.cache/*' --only-show-errors && echo done | aws s3 cp - ${target}/${MIRROR_MARKER}`],
            volumeMounts: work, resources: { requests: { cpu: "1", memory: "2Gi" } }, env: nonRootEnv("/work/home"), securityContext: RESTRICTED_CONTAINER,
          }],
          volumes: [{
            name: "work",
            ephemeral: { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], storageClassName: input.storageClassName, resources: { requests: { storage: `${input.volumeGiB}Gi` } } } } },
          }],
        },
      },
    },
  };
}
