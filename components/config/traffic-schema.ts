/**
 * Stack config for traffic: `omk:traffic` (stack-wide ingress settings) and each model's `autoscaling`,
 * `exposure`, `host` and `auth` keys.
 */
import { z } from "zod";

const hostname = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** Five-field cron, as KEDA's cron scaler reads it. */
const cron = /^(\S+\s+){4}\S+$/;

export const warmWindowSchema = z.strictObject({
  /** Cron expression when the window opens, e.g. "0 8 * * 1-5". */
  start: z.string().regex(cron, "must be a 5-field cron expression like \"0 8 * * 1-5\""),
  /** Cron expression when it closes, e.g. "0 18 * * 1-5". */
  end: z.string().regex(cron, "must be a 5-field cron expression like \"0 18 * * 1-5\""),
  /** IANA time zone. @default "UTC" */
  timezone: z.string().regex(/^[A-Za-z_]+(\/[A-Za-z_+-]+)*$/, "must be an IANA time zone like Europe/Berlin").default("UTC"),
  /** Replicas kept warm during the window. @default 1 */
  replicas: z.number().int().min(1).default(1),
});

export const autoscalingSchema = z.strictObject({
  /** Waiting requests per replica (vllm:num_requests_waiting) above which KEDA adds a replica. @default 4 */
  targetQueueLength: z.number().min(1).max(1000).default(4),
  /** Average KV-cache usage (vllm:kv_cache_usage_perc) above which KEDA adds a replica. @default 0.85 */
  kvCacheUtilization: z.number().min(0.3).max(0.99).default(0.85),
  /** Waiting requests above which KEDA wakes a model scaled to zero (its activation threshold). @default 0 */
  activationQueueLength: z.number().min(0).max(1000).default(0),
  /** Seconds without load before scaling to zero (replicas.min: 0 only). @default 900 */
  cooldownSeconds: z.number().int().min(60).max(86_400).default(900),
  /** Seconds a replica count must be stable before scaling down (avoids flapping GPU nodes). @default 600 */
  scaleDownStabilizationSeconds: z.number().int().min(0).max(3600).default(600),
  /**
   * replicas.min 0: hold the first request while a replica starts (KEDA HTTP add-on), instead of waking only in
   * warmWindows. @default true
   */
  wakeOnRequest: z.boolean().default(true),
  /** Windows (e.g. office hours) with a minimum number of warm replicas; the wake-up signal for scale-to-zero. @default [] */
  warmWindows: z.array(warmWindowSchema).max(10).default([]),
});

export const trafficSchema = z.strictObject({
  /** Parent domain: a model exposed by ALB is served at https://<name>.<domain>/v1 unless it sets `host`. */
  domain: z.string().regex(hostname, "must be a DNS name like llm.example.com").optional(),
  /** ACM certificate for the ALB listeners (a wildcard for `*.<domain>` covers every model). */
  certificateArn: z.string().regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/, "must be an ACM certificate ARN, e.g. arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-4567-89ab-cdef-0123456789ab").optional(),
  /** Route 53 hosted zone of `domain`: with it (and no certificateArn) the kit requests a validated `*.<domain>` certificate. */
  hostedZoneId: z.string().regex(/^Z[A-Z0-9]{4,31}$/, "must be a Route 53 hosted zone id like Z0123456789ABC").optional(),
  /**
   * ALB idle timeout: how long a connection may carry no bytes — a non-streamed request waits for its whole
   * generation. @default the longest exposed model's full-length generation (≥ 900 s, ≤ 4000 s, ALB's maximum)
   */
  idleTimeoutSeconds: z.number().int().min(60).max(4000).optional(),
  /**
   * Existing clusters: the CIDRs of the subnets their ALBs run in, the only sources a NetworkPolicy admits for
   * exposed models. @default new clusters: the kit's own load-balancer subnets; existing: the private address ranges
   */
  loadBalancerSourceCidrs: z.array(z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, "must be an IPv4 CIDR")).min(1).optional(),
  /**
   * Serve private (internal-ALB) endpoints over plain HTTP. An explicit opt-out: API keys then cross the VPC in clear
   * text, and the prod policy config refuses it (private-endpoints-tls-auth). @default false
   */
  plainHttpInVpc: z.boolean().default(false),
  /** A WAF v2 web ACL (regional) in front of every ALB of the stack, e.g. rate limits and managed rule groups. @default none */
  wafAclArn: z.string().regex(/^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/[\w-]+\/[0-9a-f-]+$/, "must be a regional WAF v2 web ACL ARN, e.g. arn:aws:wafv2:us-east-1:123456789012:regional/webacl/llm-api/0123abcd-4567-89ab-cdef-0123456789ab").optional(),
  /** ALB access logs: an S3 bucket in the stack's region whose policy lets ELB log delivery write. @default none */
  accessLogs: z.strictObject({
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name, e.g. my-alb-logs"),
    prefix: z.string().regex(/^[\w.\/-]{1,200}$/, "must be a key prefix, e.g. omk/prod").optional(),
  }).optional(),
  /** CIDRs allowed to reach a public ALB. @default ["0.0.0.0/0"] */
  allowedCidrs: z.array(z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, "must be an IPv4 CIDR")).min(1).default(["0.0.0.0/0"]),
});

export const exposureSchema = z.enum(["internal", "private", "public"]);

export type TrafficSettings = z.output<typeof trafficSchema>;
export type AutoscalingSettings = z.output<typeof autoscalingSchema>;
export { hostname as HOSTNAME_PATTERN };
