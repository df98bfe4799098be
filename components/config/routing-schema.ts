/**
 * Stack config for how requests reach a model's replicas (`routing`, `sessionHeader`) and the LoRA adapters it
 * serves beside the base model (`adapters`, `maxLoras`).
 */
import { z } from "zod";

/**
 * prefix-aware: the vLLM router sends a prompt to the replica that served its longest prefix (shared system
 * prompts, multi-turn chats hit a warm prefix cache); session: one replica per session header value;
 * round-robin: no router, the Service (and the ALB's least-outstanding-requests) spreads requests.
 */
export const ROUTING_POLICIES = ["prefix-aware", "session", "round-robin"] as const;
export type RoutingPolicy = (typeof ROUTING_POLICIES)[number];

/** Adapter names become `model` values clients send: the served-name alphabet, never a path. */
const ADAPTER_NAME = /^[a-z0-9]([a-z0-9._-]{0,62})$/;
/** A Hugging Face repo id (`org/name`) or an S3 prefix (`s3://bucket/prefix`). */
const ADAPTER_REPO = /^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[^\s]+|[A-Za-z0-9][\w.-]*\/[\w.-]+)$/;

export const adapterSchema = z.strictObject({
  /** The model name clients send for this adapter (`"model": "<name>"`), listed by /v1/models. */
  name: z.string().regex(ADAPTER_NAME, "must be lower-case letters, digits, '.', '_' or '-' (≤ 63), e.g. sql-lora"),
  /** Hugging Face repo id of the PEFT adapter, or s3://bucket/prefix holding adapter_config.json and the weights. */
  repo: z.string().regex(ADAPTER_REPO, "must be a Hugging Face repo id or an S3 prefix (not a bucket's root; no spaces), e.g. my-org/qwen3-8b-sql-lora or s3://my-bucket/adapters/sql-lora"),
  /** The adapter's LoRA rank (`r` in its adapter_config.json): sets --max-lora-rank and the GPU memory reserved. */
  rank: z.number().int().min(1).max(512),
  /** Hub revision (a commit hash pins it); Hub adapters only. @default the repo's default branch */
  revision: z.string().regex(/^[\w.-]+$/, "must be a commit hash or branch, e.g. 0123456789abcdef0123456789abcdef01234567").optional(),
}).superRefine((a, ctx) => {
  // Checked here rather than after parsing, so it is reported with the entry's other problems.
  if (a.revision && a.repo.startsWith("s3://")) ctx.addIssue({ code: "custom", path: ["revision"], message: "pins a Hugging Face revision, but the adapter comes from S3: remove revision (version the S3 prefix instead)" });
});

export const routingKeys = {
  /** How requests pick a replica. @default "prefix-aware" when replicas.max > 1, else "round-robin" */
  routing: z.enum(ROUTING_POLICIES).optional(),
  /** With routing: session, the request header that names the session. @default "x-session-id" */
  sessionHeader: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "must be an HTTP header name, e.g. x-session-id").optional(),
  /** LoRA adapters served beside the base model, each under its own model name. @default [] */
  adapters: z.array(adapterSchema).max(32).default([]),
  /** Adapters one engine step may mix (vLLM --max-loras; each slot reserves GPU memory). @default the number of adapters, at most 8 */
  maxLoras: z.number().int().min(1).max(32).optional(),
};

export type AdapterSettings = z.output<typeof adapterSchema>;
/** Default session header for `routing: session`. */
export const DEFAULT_SESSION_HEADER = "x-session-id";
/** Default `--max-loras` cap: more slots reserve more memory than most adapter mixes use at once. */
export const DEFAULT_MAX_LORAS_CAP = 8;
