/**
 * Stack config for serving: `omk:serving` (stack-wide) and the `weights` / `extraArgs` keys of each model.
 */
import { z } from "zod";
import { dnsLabel } from "./infra-schema";
import { NGINX_IMAGE } from "../serving/api-guard-spec";

/**
 * vLLM release the kit pins by default (Docker Hub `vllm/vllm-openai`; v0.32.0 images were in public use
 * by October 2026). Bump it deliberately: flags and metric names follow it.
 */
export const DEFAULT_VLLM_IMAGE = "vllm/vllm-openai:v0.32.0";
/** vLLM's x86 CPU image of the same release (vLLM docs: `vllm/vllm-openai-cpu:v<version>-x86_64`). */
export const DEFAULT_VLLM_CPU_IMAGE = "vllm/vllm-openai-cpu:v0.32.0-x86_64";

/**
 * The vLLM production-stack router (components/traffic/router-spec.ts): its versioned tag of the vllm-stack-0.1.13
 * release (2026-09); the chart's default `:latest` would change the router under a running stack.
 */
export const DEFAULT_ROUTER_IMAGE = "lmcache/lmstack-router:v0.1.13";

const pinnedImage = z.string().regex(/^[\w.\-/:]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/, "must name a tag or digest, e.g. vllm/vllm-openai:v0.32.0").refine((s) => !/:latest$/.test(s), "must not be :latest (pin a version)");

export const servingSchema = z.strictObject({
  /** Namespace for every model server. @default "omk" */
  namespace: z.string().max(63).regex(dnsLabel, "must be a DNS label").default("omk"),
  /** vLLM image for GPU servers, pinned by tag or digest (never latest). @default DEFAULT_VLLM_IMAGE */
  image: pinnedImage.default(DEFAULT_VLLM_IMAGE),
  /** vLLM image for models whose replica spans nodes: one with the aws-ofi-nccl plugin, so NCCL uses EFA. @default image */
  multiNodeImage: pinnedImage.optional(),
  /** Router for prefix-aware and session routing, pinned by tag or digest. @default DEFAULT_ROUTER_IMAGE */
  routerImage: pinnedImage.default(DEFAULT_ROUTER_IMAGE),
  /**
   * nginx for the API guard in every server pod and the cold-start responder (an unprivileged nginx image), pinned
   * by tag or digest; pin a digest to fix what checks your API keys. Another image needs nginx, /bin/sh, md5sum,
   * cat and sleep (the guard's key-reload loop), and must run as a non-root user. @default NGINX_IMAGE
   */
  guardImage: pinnedImage.default(NGINX_IMAGE),
  /** vLLM image for CPU serving (capacity.mode: cpu; an x86_64 build — use an arm64 one on Apple Silicon). @default DEFAULT_VLLM_CPU_IMAGE */
  cpuImage: pinnedImage.default(DEFAULT_VLLM_CPU_IMAGE),
  /**
   * When GPU servers restart surge-first onto fresh nodes (cron, UTC), so Karpenter's forceful node expiry
   * (the kit's Auto Mode NodePools: 20 days) never takes a serving replica down; "off" to disable (then expiry restarts them
   * with an outage of one cold start). Keep it more frequent than the node expiry. @default "0 4 * * 0" (Sundays 04:00 UTC)
   */
  /**
   * Pull the Docker Hub images the kit runs (vLLM, aws-cli) through an ECR pull-through cache in this account
   * and region: one authenticated Docker Hub pull per image instead of anonymous pulls from every node behind
   * one NAT address (Docker Hub limits those per IP). @default none (pull from Docker Hub directly)
   */
  imageCache: z.strictObject({
    /** Secrets Manager secret with Docker Hub `username` and `accessToken`, its name starting with `ecr-pullthroughcache/` (ECR requires the prefix). */
    dockerHubCredentialArn: z.string().regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:ecr-pullthroughcache\/[\w/+=.@-]+$/, "must be the ARN of a Secrets Manager secret whose name starts with ecr-pullthroughcache/, e.g. arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf"),
  }).optional(),
  /**
   * The S3 model store when the stack is destroyed (once unprotected: omk:cluster.protect false, then `pulumi up`):
   * retain leaves the bucket and its weights in the account (still billed for storage; a new stack mirrors again),
   * empty deletes every object and version with it. @default "retain"
   */
  modelStore: z.strictObject({ onDestroy: z.enum(["retain", "empty"]).default("retain") }).prefault({}),
  refreshSchedule: z.union([z.literal("off"), z.string().regex(/^(\S+\s+){4}\S+$/, "must be a 5-field cron expression like \"0 4 * * 0\", or off")]).default("0 4 * * 0"),
});

export const weightsSchema = z.strictObject({
  /**
   * huggingface: each pod downloads from the Hub into a node-local cache. s3: a one-time mirror Job copies the
   * weights to an S3 model store and vLLM streams them from there (Run:ai streamer).
   * @default "s3" for models of 30B parameters or more, else "huggingface"
   */
  source: z.enum(["huggingface", "s3"]).optional(),
  /** Hub revision to serve: a commit hash pins the weights (a branch like `main` may change under you). */
  revision: z.string().regex(/^[\w.-]{1,64}$/, "must be a commit hash, tag or branch name, e.g. 0123456789abcdef0123456789abcdef01234567").optional(),
});

/** Flags the kit derives from the stack config; `extraArgs` may not set them. */
export const OWNED_FLAGS: Readonly<Record<string, string>> = {
  "--model": "id", "--served-model-name": "name", "--tensor-parallel-size": "tensorParallelSize (with instanceType)", "--pipeline-parallel-size": "pipelineParallelSize (with instanceType)",
  "--max-model-len": "maxModelLen", "--gpu-memory-utilization": "gpuMemoryUtilization", "--max-num-seqs": "concurrency (the sequences each replica must hold; the kit derives --max-num-seqs from it and the memory)",
  "--kv-cache-dtype": "kvCacheDtype", "--quantization": "precision", "--dtype": "precision", "--trust-remote-code": "(catalog)",
  "--reasoning-parser": "(catalog)", "--tool-call-parser": "(catalog)", "--enable-auto-tool-choice": "(catalog)",
  "--revision": "weights.revision", "--load-format": "weights.source", "--download-dir": "weights.source",
  "--port": "(guard)", "--host": "(guard)", "--api-key": "(guard)", "--uds": "(guard)", "--ssl-keyfile": "(guard)", "--ssl-certfile": "(guard)",
  "--ssl-ca-certs": "(guard)", "--root-path": "(guard)", "--distributed-executor-backend": "(sizing)",
  "--max-num-batched-tokens": "(sizing)", "--shutdown-timeout": "(kit)", "--data-parallel-size": "(sizing)", "--enable-expert-parallel": "(sizing)",
  "--enable-lora": "adapters", "--lora-modules": "adapters", "--max-loras": "maxLoras", "--max-lora-rank": "adapters (each adapter's rank)", "--max-cpu-loras": "adapters",
};

export const extraArgsSchema = z.array(z.string().regex(/^--?[a-z0-9][\w-]*(=.*)?$|^[^-].*$/i, "must be a flag or a value, e.g. --enable-chunked-prefill")).max(50);

export type ServingSettings = z.output<typeof servingSchema>;
