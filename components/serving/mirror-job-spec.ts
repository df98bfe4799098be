/**
 * The one-time mirror of a model's weights from the Hugging Face Hub to the S3 model store (pure). One container
 * streams the repository into S3 (mirror-script.ts): no volume, so the finished Job holds nothing and can stay,
 * and nothing deletes it behind Pulumi's back (no `ttlSecondsAfterFinished`), so `pulumi refresh` keeps it.
 */
import { EGRESS_LABEL } from "../egress";
import type { ResolvedModel } from "../config/validate";
import { RESTRICTED_CONTAINER, nonRootEnv, restrictedPod } from "../pod-security";
import { MIRROR_SCRIPT } from "./mirror-script";

/** AWS CLI v2 image (servers' compile-cache steps), pinned. */
export const AWS_CLI_IMAGE = "amazon/aws-cli:2.17.0";
export const MIRROR_MARKER = ".omk-complete";

export interface MirrorInput {
  readonly model: ResolvedModel;
  readonly namespace: string;
  readonly bucket: string;
  /** Key prefix, e.g. `Qwen/Qwen3-32B/main`. */
  readonly prefix: string;
  /** vLLM image: it carries huggingface_hub and boto3, so the mirror pulls no image of its own. */
  readonly vllmImage: string;
  /** Region of the bucket (boto3 needs one; EKS Pod Identity injects credentials, not a region). */
  readonly region: string;
  readonly serviceAccountName: string;
  readonly hfTokenSecret?: string;
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
  const labels = { "app.kubernetes.io/name": "model-mirror", "app.kubernetes.io/instance": input.model.name, "app.kubernetes.io/managed-by": "open-model-kit" };
  const token = input.hfTokenSecret ? [{ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: input.hfTokenSecret, key: "HF_TOKEN" } } }] : [];
  const env = [
    { name: "AWS_REGION", value: input.region }, { name: "HF_HOME", value: "/work/hf-home" }, { name: "HF_HUB_DISABLE_TELEMETRY", value: "1" },
    ...nonRootEnv("/work/home"), ...token,
  ];
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: mirrorJobName(input.model), namespace: input.namespace, labels },
    spec: {
      backoffLimit: 6,
      template: {
        // It downloads from the Hub: HTTPS anywhere (components/egress.ts).
        metadata: { labels: { ...labels, [EGRESS_LABEL]: "internet" } },
        spec: {
          serviceAccountName: input.serviceAccountName,
          securityContext: restrictedPod(),
          // A retry resumes: files already in S3 at the Hub's size are kept (mirror-script.ts).
          restartPolicy: "OnFailure",
          containers: [{
            name: "mirror", image: input.vllmImage, command: ["python3", "-c", MIRROR_SCRIPT],
            args: [input.model.weights.repo, input.model.revision ?? "main", input.bucket, input.prefix],
            env, volumeMounts: [{ name: "work", mountPath: "/work" }], securityContext: RESTRICTED_CONTAINER,
            // Four files in flight, each with four 64 MiB parts buffered: ~1 GiB at most.
            resources: { requests: { cpu: "2", memory: "2Gi", "ephemeral-storage": "1Gi" }, limits: { memory: "4Gi", "ephemeral-storage": "2Gi" } },
          }],
          // HOME and the Hub client's small cache only; the weights never touch the disk.
          volumes: [{ name: "work", emptyDir: { sizeLimit: "2Gi" } }],
        },
      },
    },
  };
}
