/**
 * LoRA adapters of one model as vLLM flags and pod pieces (pure). Each adapter is fetched before vLLM starts into
 * a pod-local directory — Hub adapters with huggingface_hub (the vLLM image carries it), S3 adapters with the AWS
 * CLI under the server's Pod Identity role, read-only on exactly their prefixes, the way the weights are read from
 * the model store — and registered with `--lora-modules` in vLLM's JSON form, each served under its own model
 * name (docs.vllm.ai features/lora, "Serving LoRA Adapters"; `name=path` would split paths containing "=").
 * vLLM cannot read `s3://` for adapters itself, and a Hub id passed straight to --lora-modules is downloaded at
 * startup without the revision pin, so both go through the init container.
 */
import type { ResolvedModel } from "../config/validate";
import type { AdapterSettings } from "../config/routing-schema";
import { GiB } from "../sizing/memory";
import { loraBytesPerGpu } from "../sizing/lora";
import { partitionOf } from "../catalog/regions";
import { RESTRICTED_CONTAINER, nonRootEnv } from "../pod-security";

/** Where the adapters are unpacked in the server pod. */
export const ADAPTERS_DIR = "/adapters";

type Obj = Record<string, unknown>;

/** `vllm serve` flags for the model's adapters (none without). */
export function loraArgs(m: Pick<ResolvedModel, "name" | "adapters" | "lora">): string[] {
  if (!m.lora || !m.adapters.length) return [];
  return [
    "--enable-lora",
    "--max-loras", String(m.lora.maxLoras),
    "--max-lora-rank", String(m.lora.maxRank),
    // Host-memory LRU of loaded adapters (vLLM requires ≥ --max-loras): all of them stay loaded.
    "--max-cpu-loras", String(Math.max(m.lora.maxLoras, m.adapters.length)),
    "--lora-modules", ...m.adapters.map((a) => JSON.stringify({ name: a.name, path: `${ADAPTERS_DIR}/${a.name}`, base_model_name: m.name })),
  ];
}

/** An S3 adapter's bucket and key prefix (no trailing slash). */
export function s3Location(repo: string): { bucket: string; prefix: string } {
  const [bucket = "", ...rest] = repo.replace(/^s3:\/\//, "").split("/");
  return { bucket, prefix: rest.join("/").replace(/\/+$/, "") };
}

export function s3Adapters(m: Pick<ResolvedModel, "adapters">): AdapterSettings[] {
  return m.adapters.filter((a) => a.repo.startsWith("s3://"));
}

/** Read-only access to the S3 adapters' prefixes: GetObject under each, ListBucket limited to it (aws s3 sync lists first). */
export function adapterAccessPolicy(m: Pick<ResolvedModel, "adapters">, region: string): string | null {
  const locations = s3Adapters(m).map((a) => s3Location(a.repo));
  if (!locations.length) return null;
  const p = partitionOf(region);
  const buckets = [...new Set(locations.map((l) => l.bucket))];
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: ["s3:GetObject"], Resource: locations.map((l) => `arn:${p}:s3:::${l.bucket}/${l.prefix}/*`) },
      ...buckets.map((b) => ({
        Effect: "Allow", Action: ["s3:ListBucket"], Resource: `arn:${p}:s3:::${b}`,
        Condition: { StringLike: { "s3:prefix": locations.filter((l) => l.bucket === b).flatMap((l) => [l.prefix, `${l.prefix}/*`]) } },
      })),
    ],
  });
}

/** Disk for the adapters: each one's A/B matrices at its own rank, stored as fp32 at worst, plus 1 GiB. */
export function adaptersVolumeGiB(m: Pick<ResolvedModel, "spec" | "adapters">): number {
  const bytes = m.adapters.reduce((n, a) => n + loraBytesPerGpu(m.spec, { maxLoras: 1, maxRank: a.rank }, 1) * 2, 0);
  return Math.ceil(bytes / GiB) + 1;
}

export interface AdapterFetchInput {
  readonly model: Pick<ResolvedModel, "adapters">;
  readonly vllmImage: string;
  readonly awsCliImage: string;
  /** Secret with key HF_TOKEN (gated or private Hub adapters). */
  readonly hfTokenSecret?: string;
  readonly region: string;
}

const HUB_FETCH = [
  "import sys; from huggingface_hub import snapshot_download",
  "for spec in sys.argv[1:]:",
  "    name, repo, rev = spec.split('|')",
  // Only what vLLM loads (vllm/lora: adapter_config.json and adapter_model.*, plus tokenizer files some adapters carry):
  // training checkpoints and optimizer states in the repo would fill the volume.
  `    snapshot_download(repo_id=repo, revision=rev or None, local_dir='${ADAPTERS_DIR}/' + name, allow_patterns=['adapter_config.json', 'adapter_model.safetensors', 'adapter_model.bin', '*.json', '*.model', '*.txt'], ignore_patterns=['checkpoint-*/*', 'optimizer*', 'training_args*'])`,
].join("\n");

/** Init containers that fetch the adapters before vLLM starts (it refuses to start on a missing one). */
export function adapterFetchContainers(input: AdapterFetchInput): Obj[] {
  const mount = [{ name: "adapters", mountPath: ADAPTERS_DIR }];
  const hub = input.model.adapters.filter((a) => !a.repo.startsWith("s3://"));
  const s3 = s3Adapters(input.model);
  const out: Obj[] = [];
  if (hub.length) {
    out.push({
      name: "fetch-hub-adapters", image: input.vllmImage, command: ["python3", "-c", HUB_FETCH], args: hub.map((a) => `${a.name}|${a.repo}|${a.revision ?? ""}`),
      env: [{ name: "HF_HOME", value: `${ADAPTERS_DIR}/.hf-home` }, ...nonRootEnv("/tmp"), ...(input.hfTokenSecret ? [{ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: input.hfTokenSecret, key: "HF_TOKEN" } } }] : [])],
      volumeMounts: mount, securityContext: RESTRICTED_CONTAINER,
    });
  }
  if (s3.length) {
    out.push({
      name: "fetch-s3-adapters", image: input.awsCliImage, command: ["/bin/sh", "-c"],
      args: [s3.map((a) => `aws s3 sync ${a.repo.replace(/\/+$/, "")} ${ADAPTERS_DIR}/${a.name} --exclude 'checkpoint-*' --exclude 'optimizer*' --only-show-errors`).join(" && ")],
      env: [{ name: "AWS_REGION", value: input.region }, ...nonRootEnv("/tmp")], volumeMounts: mount, securityContext: RESTRICTED_CONTAINER,
    });
  }
  return out;
}
