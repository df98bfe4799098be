/**
 * The stack configuration schema (namespace `omk`), the single source of truth for what a stack may say.
 * Structure and ranges live here; checks that need the catalogs (model ids, precisions, context limits,
 * instance types) live in `validate.ts`. Later components add their own top-level section (e.g. `cluster`,
 * `capacity`, `traffic`) as another key of `stackSchema`; unknown keys are errors, so typos never pass.
 */
import { z } from "zod";
import { PRECISIONS } from "../catalog/precision";
import { DEFAULT_GPU_MEMORY_UTILIZATION } from "../sizing/memory";
import { EKS_NODE_ADDONS, addonsSchema, capacitySchema, clusterSchema, createClusterSchema, dnsLabel, existingClusterSchema, observabilitySchema } from "./infra-schema";
import { routingKeys } from "./routing-schema";
import { extraArgsSchema, servingSchema, weightsSchema } from "./serving-schema";
import { HOSTNAME_PATTERN, autoscalingSchema, exposureSchema, trafficSchema, warmWindowSchema } from "./traffic-schema";

/** Config namespace: keys are written `omk:<key>` in `stacks/Pulumi.<stack>.yaml`. */
export const NAMESPACE = "omk";

/**
 * Minimum sequences at full `maxModelLen` each replica's KV cache must hold at once.
 * @default 4 — enough that one long request never blocks the next few, without forcing a bigger GPU;
 * real traffic is mostly shorter than `maxModelLen`, so a replica serves many more requests than this.
 */
export const DEFAULT_CONCURRENCY = 4;

/**
 * Context length used when a model entry sets none: the model's native context, capped here.
 * @default 32768 — holds long reasoning traces (R1, QwQ, Qwen3) while keeping KV needs predictable;
 * longer contexts must be asked for explicitly.
 */
export const DEFAULT_MAX_MODEL_LEN_CAP = 32_768;


/** The most replicas the kit manages per model (one KEDA-scaled workload). */
export const MAX_REPLICAS = 100;

export const replicasSchema = z.strictObject({
  /** Replicas kept running; 0 scales to zero outside `autoscaling.warmWindows`. @default 1 */
  min: z.number().int().min(0).max(MAX_REPLICAS).default(1),
  /** Upper bound for autoscaling; bounds the GPU bill. @default 1 */
  max: z.number().int().min(1).max(MAX_REPLICAS).default(1),
});

/** A load the model must serve: the sizing then picks instance, layout and replicas for it (ESTIMATES). */
export const loadSchema = z.strictObject({
  /** Requests per second the model must sustain. */
  requestsPerSecond: z.number().positive().max(100_000),
  /** Prompt tokens per request. */
  inputTokens: z.number().int().min(1).max(2_000_000),
  /** Generated tokens per request. */
  outputTokens: z.number().int().min(1).max(1_000_000),
  /** Time-to-first-token target, ms. @default none */
  ttftMs: z.number().positive().optional(),
  /** Time-per-output-token target (after the first), ms. @default none */
  tpotMs: z.number().positive().optional(),
  /** Share of each replica's capacity kept free (the estimates' error, uneven arrivals, cold starts). @default 0.25 */
  headroom: z.number().min(0).max(0.9).optional(),
});

export const modelEntrySchema = z.strictObject({
  /** Catalog model id, the Hugging Face repo of the original weights (`npx omk models`); with `modelConfig`, any Hub repo. */
  id: z.string().min(1),
  /**
   * A model the catalog lacks: the path of its Hugging Face `config.json` (relative to the repository root), or
   * `{file, trustRemoteCode, reasoningParser, toolCallParser}`. It is sized from the config exactly like a catalog model.
   */
  modelConfig: z.union([z.string().min(1), z.strictObject({
    file: z.string().min(1),
    /** Run the repo's own model code (`--trust-remote-code`): only for repos you trust. @default false */
    trustRemoteCode: z.boolean().default(false),
    reasoningParser: z.string().regex(/^[\w-]+$/, "must be a parser name, e.g. deepseek_r1").optional(),
    toolCallParser: z.string().regex(/^[\w-]+$/, "must be a parser name, e.g. hermes").optional(),
  })]).optional(),
  /**
   * Served model name clients send as `model`, also the base of Kubernetes names (DNS label, ≤ 40 chars).
   * @default the id's last segment, lower-cased, dots as dashes (`Qwen/Qwen3-8B` → `qwen3-8b`)
   */
  name: z.string().max(40).regex(dnsLabel, "must be a DNS label: lower-case letters, digits and '-', starting with a letter").optional(),
  /** Weight precision. @default the model's native precision (bf16; fp8 for DeepSeek-V3/R1; mxfp4 for gpt-oss) */
  precision: z.enum(PRECISIONS).optional(),
  /**
   * vLLM `--max-model-len`. Up to vLLM's maximum for the model (from its config); beyond it, within the model's
   * documented YaRN extension, the kit turns YaRN on. @default min(vLLM's maximum, 32768)
   */
  maxModelLen: z.number().int().min(256).optional(),
  /** Sequences at `maxModelLen` each replica must hold at once. @default 4 */
  concurrency: z.number().int().min(1).max(1024).default(DEFAULT_CONCURRENCY),
  /** vLLM `--gpu-memory-utilization`, always passed explicitly. @default 0.9 */
  gpuMemoryUtilization: z.number().min(0.5).max(0.98).default(DEFAULT_GPU_MEMORY_UTILIZATION),
  /**
   * vLLM `--kv-cache-dtype`: `fp8` halves KV memory at a small accuracy cost.
   * @default the model's own default in vLLM: "fp8" for DeepSeek-V3.2 (stored as fp8_ds_mla), else "auto" (the model dtype)
   */
  kvCacheDtype: z.enum(["auto", "fp8"]).optional(),
  /** @default {min: 1, max: 1}; with `load`, the replicas the load needs (min = max) */
  replicas: replicasSchema.default({ min: 1, max: 1 }),
  /** A load to size for: {requestsPerSecond, inputTokens, outputTokens, ttftMs?, tpotMs?}. */
  load: loadSchema.optional(),
  /** Pin an EC2 instance type; the sizing then evaluates only it (and says why it does not fit). */
  instanceType: z.string().min(1).optional(),
  /** With `instanceType`: fix vLLM `--tensor-parallel-size`. */
  tensorParallelSize: z.number().int().min(1).max(64).optional(),
  /** With `instanceType`: fix vLLM `--pipeline-parallel-size`. */
  pipelineParallelSize: z.number().int().min(1).max(64).optional(),
  /** when-needed: span nodes only if no single node fits; allow: cheapest placement wins. @default "when-needed" */
  multiNode: z.enum(["when-needed", "allow"]).default("when-needed"),
  /** Where the weights come from and which revision. */
  weights: weightsSchema.prefault({}),
  /** Extra `vllm serve` flags, e.g. ["--enable-chunked-prefill"]; flags the kit sets are rejected. @default [] */
  extraArgs: extraArgsSchema.default([]),
  /** Queue- and KV-cache-based autoscaling between replicas.min and replicas.max (KEDA). */
  autoscaling: autoscalingSchema.prefault({}),
  /** internal: ClusterIP only; private: internal ALB; public: internet-facing ALB (TLS and auth required). @default "internal" */
  exposure: exposureSchema.default("internal"),
  /** Hostname for the ALB rule. @default "<name>.<omk:traffic.domain>" */
  host: z.string().regex(HOSTNAME_PATTERN, "must be a DNS name like qwen.llm.example.com").optional(),
  /** Require an API key (vLLM --api-key). Public models always require one. @default true */
  auth: z.boolean().default(true),
  ...routingKeys,
});

export const stackSchema = z.strictObject({
  /** Environment name, used in resource names and tags (DNS label, ≤ 20 chars). */
  environment: z.string().max(20).regex(dnsLabel, "must be a DNS label: lower-case letters, digits and '-', starting with a letter"),
  /** Models to serve; each gets its own placement, GPU pool and server. */
  models: z.array(modelEntrySchema).min(1, "list at least one model"),
  /** Where the kit runs: a new VPC + EKS cluster (default) or an existing cluster. */
  cluster: clusterSchema,
  /** How GPU nodes are provisioned and bounded. */
  capacity: capacitySchema.prefault({}),
  /** Cluster add-ons, installed only where the stack needs them. */
  addons: addonsSchema.prefault({}),
  /** Model server settings shared by every model. */
  serving: servingSchema.prefault({}),
  /** Ingress settings shared by exposed models. */
  traffic: trafficSchema.prefault({}),
  /** Prometheus storage and retention, and the SNS topic alerts go to. */
  observability: observabilitySchema.prefault({}),
  /** Slack incoming-webhook URL Alertmanager posts alerts to (a Pulumi secret: `pulumi config set --secret omk:alertSlackWebhookUrl …`). */
  alertSlackWebhookUrl: z.union([z.string().url().startsWith("https://"), z.strictObject({ secure: z.string() })]).optional(),
  /** Any HTTPS webhook Alertmanager posts alerts to, in its JSON format (a Pulumi secret). */
  alertWebhookUrl: z.union([z.string().url().startsWith("https://"), z.strictObject({ secure: z.string() })]).optional(),
  /**
   * API key for every model (a Pulumi secret). When absent, the kit generates one key per model and exports
   * it as a secret stack output.
   */
  apiKey: z.union([z.string().min(16, "use at least 16 characters"), z.strictObject({ secure: z.string() })]).optional(),
  /**
   * Rotate the API keys: raising it generates new keys (the kit's own); the servers' API guards reload their keys in
   * place, and the routers roll onto the current key (the kit's or omk:apiKey). @default 1
   */
  apiKeyVersion: z.number().int().min(1).max(1_000_000).default(1),
  /**
   * Keep accepting the previous version's generated key (omk:apiKeyVersion − 1) next to the new one, so clients
   * move without an outage; remove it once they have, and the old key is refused. @default false
   */
  apiKeyKeepPrevious: z.boolean().default(false),
  /** With your own omk:apiKey: the key it replaces, still accepted until you remove this (a Pulumi secret). */
  apiKeyPrevious: z.union([z.string().min(16, "use at least 16 characters"), z.strictObject({ secure: z.string() })]).optional(),
  /**
   * Hugging Face token (a Pulumi secret: `pulumi config set --secret omk:hfToken hf_…`) for gated models
   * and the mirror Job. Stored only in a Kubernetes Secret, never in a manifest or output.
   */
  hfToken: z.union([z.string().min(1), z.strictObject({ secure: z.string() })]).optional(),
});

export type ModelEntryInput = z.input<typeof modelEntrySchema>;
export type ModelEntry = z.output<typeof modelEntrySchema>;
export type StackSettings = z.output<typeof stackSchema>;

/** Known keys per object, for "did you mean" on unknown keys. */
export const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  root: [...Object.keys(stackSchema.shape), "preset", "modelDefaults"],
  model: Object.keys(modelEntrySchema.shape),
  modelConfig: ["file", "trustRemoteCode", "reasoningParser", "toolCallParser"],
  replicas: Object.keys(replicasSchema.shape),
  load: Object.keys(loadSchema.shape),
  cluster: [...new Set([...Object.keys(createClusterSchema.shape), ...Object.keys(existingClusterSchema.shape)])],
  endpoint: Object.keys(createClusterSchema.shape.endpoint.unwrap().shape),
  addonVersions: [...EKS_NODE_ADDONS],
  capacity: Object.keys(capacitySchema.shape),
  reservations: ["id"],
  addons: Object.keys(addonsSchema.shape),
  serving: Object.keys(servingSchema.shape),
  weights: Object.keys(weightsSchema.shape),
  traffic: Object.keys(trafficSchema.shape),
  observability: Object.keys(observabilitySchema.shape),
  autoscaling: Object.keys(autoscalingSchema.shape),
  warmWindows: Object.keys(warmWindowSchema.shape),
};
