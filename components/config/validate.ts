/**
 * Turns a raw stack config map (`{"omk:models": [...], "aws:region": "..."}`) into a resolved stack:
 * structural checks (zod), catalog checks and sizing, with every problem collected before anything runs.
 */
import type { YarnSetting } from "../catalog/context";
import { findModel, weightsFor, type ModelSpec, type WeightVariant } from "../catalog/models";
import type { Precision } from "../catalog/precision";
import { checkEntry, extraArgsProblems } from "./validate-model";
import { KNOWN_REGIONS, isKnownRegion } from "../catalog/regions";
import { sizeOnCpu } from "../sizing/cpu";
import { effectiveKvCacheDtype } from "../sizing/attention/mla";
import { sizeModel, type Candidate, type Placement } from "../sizing/placement";
import type { LoadTarget } from "../sizing/perf/load";
import { ConfigError, nearest, type ConfigProblem } from "./errors";
import { nameLengthProblems } from "./name-limits";
import { checkKeyRotation } from "./validate-keys";
import { fromZod, namedThingsExist } from "./zod-problems";
import type { AddonsSettings, CapacitySettings, ClusterSettings, ObservabilitySettings } from "./infra-schema";
import { checkInfra } from "./validate-infra";
import type { ServingSettings } from "./serving-schema";
import type { AutoscalingSettings, TrafficSettings } from "./traffic-schema";
import { checkTraffic } from "./validate-traffic";
import { checkRouting, loraSlotsOf, routingOf } from "./validate-routing";
import type { AdapterSettings, RoutingPolicy } from "./routing-schema";
import type { LoraSlots } from "../sizing/lora";
import { plaintextSecrets, redact } from "./secrets";
import { PRESETS, applyPresets } from "./presets";

/** Weights of this size or more default to the S3 model store (a 30B BF16 checkpoint is ~60 GB). */
export const S3_DEFAULT_MIN_PARAMS_B = 30;
import { z as zod } from "zod";
import { MAX_REPLICAS, NAMESPACE, modelEntrySchema, replicasSchema, stackSchema } from "./schema";
import { round } from "../round";

const lenientEntrySchema = zod.object({ ...modelEntrySchema.shape, replicas: zod.object(replicasSchema.shape).default({ min: 1, max: 1 }) });

export type RawStackConfig = Readonly<Record<string, unknown>>;

export interface ResolvedModel {
  /** Served model name and Kubernetes base name. */
  readonly name: string;
  readonly spec: ModelSpec;
  readonly precision: Precision;
  readonly weights: WeightVariant;
  readonly maxModelLen: number;
  /** YaRN turned on for a context beyond vLLM's derived maximum (null: none needed). */
  readonly yarn: YarnSetting | null;
  readonly concurrency: number;
  readonly gpuMemoryUtilization: number;
  readonly kvCacheDtype: "auto" | "fp8";
  readonly replicas: { readonly min: number; readonly max: number };
  /** The load the model was sized for, when the stack states one. */
  readonly load: LoadTarget | null;
  readonly placement: Placement;
  readonly alternatives: readonly Candidate[];
  /** Hourly cost at min and max replicas. */
  readonly hourlyUsd: { readonly min: number; readonly max: number };
  readonly weightSource: "huggingface" | "s3";
  /** Hub revision; undefined serves the repo's default branch (the plan warns). */
  readonly revision: string | undefined;
  readonly extraArgs: readonly string[];
  /** gpu, or cpu for the laptop path (capacity.mode: cpu). */
  readonly device: "gpu" | "cpu";
  /** CPU only: host memory for the KV cache (VLLM_CPU_KVCACHE_SPACE, GiB). */
  readonly cpuKvSpaceGiB: number;
  readonly autoscaling: AutoscalingSettings;
  readonly exposure: "internal" | "private" | "public";
  readonly host: string | undefined;
  readonly auth: boolean;
  /** How requests reach the replicas (components/traffic/router-spec.ts). */
  readonly routing: { readonly policy: RoutingPolicy; readonly sessionHeader: string };
  /** LoRA adapters served beside the base model, each under its own model name. */
  readonly adapters: readonly AdapterSettings[];
  /** The GPU slots reserved for them (null without adapters). */
  readonly lora: LoraSlots | null;
}

/** GPUs one replica of the model requests (TP × PP × DP; none on CPU). */
export function gpusPerReplica(m: ResolvedModel): number {
  return m.device === "cpu" ? 0 : m.placement.tensorParallelSize * m.placement.pipelineParallelSize * m.placement.dataParallelSize;
}

export interface ResolvedStack {
  readonly environment: string;
  readonly region: string;
  readonly models: readonly ResolvedModel[];
  readonly cluster: ClusterSettings;
  readonly capacity: CapacitySettings;
  readonly addons: AddonsSettings;
  readonly serving: ServingSettings;
  /** The HF token as configured: plaintext from the Pulumi engine (a secret), or `{secure}` ciphertext offline. */
  readonly hfToken: string | { readonly secure: string } | undefined;
  readonly traffic: TrafficSettings;
  /** One API key for every model (a secret), or undefined to generate one per model. */
  readonly apiKey: string | { readonly secure: string } | undefined;
  /** Raised to rotate the API keys (new generated keys, servers rolled onto the current key). */
  readonly apiKeyVersion: number;
  /** Accept the previous generated key too (omk:apiKeyKeepPrevious). */
  readonly apiKeyKeepPrevious: boolean;
  /** The user's previous key, still accepted (omk:apiKeyPrevious). */
  readonly apiKeyPrevious: string | { readonly secure: string } | undefined;
  readonly observability: ObservabilitySettings;
  /** Alert receivers (secrets): a Slack incoming webhook and/or any HTTPS webhook. */
  readonly alertSlackWebhookUrl: string | { readonly secure: string } | undefined;
  readonly alertWebhookUrl: string | { readonly secure: string } | undefined;
}

export type ResolveResult = { readonly ok: true; readonly stack: ResolvedStack } | { readonly ok: false; readonly error: ConfigError };

/** Default served name: `Qwen/Qwen3-8B` → `qwen3-8b`. */
export function defaultServedName(id: string): string {
  const tail = id.split("/").pop() ?? id;
  return tail.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "");
}

/** Whether the stack file (after presets) sets this key on model i itself, rather than taking the default. */
function rawModelKey(settings: Record<string, unknown>, i: number, key: string): boolean {
  const models = settings.models;
  return Array.isArray(models) && typeof models[i] === "object" && models[i] !== null && key in (models[i] as object);
}

function regionProblems(raw: RawStackConfig): ConfigProblem[] {
  const region = raw["aws:region"];
  if (typeof region === "string" && isKnownRegion(region)) return [];
  const guesses = typeof region === "string" ? nearest(region, KNOWN_REGIONS, 3) : [];
  return [{
    path: "aws:region", value: region,
    message: region === undefined ? "is required: prices and GPU availability depend on the region." : "is not a region the kit knows (no prices or GPU availability for it).",
    fix: `set aws:region to a known region${guesses.length ? `, e.g. ${guesses.join(" or ")} (closest)` : ""}. Known: ${KNOWN_REGIONS.join(", ")}.`,
  }];
}

export interface ResolveOptions {
  /**
   * deploy: the stack will pull weights, so gated models need `omk:hfToken`. sizing: arithmetic only
   * (`omk size`), which needs no credentials. @default "deploy"
   */
  readonly purpose?: "deploy" | "sizing";
}

export function resolveStack(input: RawStackConfig, source: string, secretKeys: ReadonlySet<string> = new Set(), options: ResolveOptions = {}): ResolveResult {
  const raw = applyPresets(input);
  const result = resolveUnredacted(raw, source, options.purpose ?? "deploy");
  const plaintext = plaintextSecrets(raw, secretKeys);
  if (result.ok && !plaintext.length) return result;
  const problems = [...plaintext, ...(result.ok ? [] : result.error.problems)];
  return { ok: false, error: new ConfigError(source, redact(problems, raw, secretKeys)) };
}

function resolveUnredacted(raw: RawStackConfig, source: string, purpose: "deploy" | "sizing"): ResolveResult {
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith(`${NAMESPACE}:`) && key !== "omk:preset" && key !== "omk:modelDefaults") settings[key.slice(NAMESPACE.length + 1)] = value;
  }
  const problems: ConfigProblem[] = regionProblems(raw);
  if (raw["omk:preset"] !== undefined) {
    problems.push({ path: "omk:preset", value: raw["omk:preset"], message: "is not a preset the kit knows.", fix: `${typeof raw["omk:preset"] === "string" && nearest(raw["omk:preset"], Object.keys(PRESETS), 1).length ? `did you mean ${nearest(raw["omk:preset"], Object.keys(PRESETS), 1)[0]}? ` : ""}use one of: ${Object.entries(PRESETS).map(([k, p]) => `${k} (${p.description})`).join("; ")}.` });
  }
  if (raw["omk:modelDefaults"] !== undefined) {
    problems.push({ path: "omk:modelDefaults", value: raw["omk:modelDefaults"], message: "must be a map of model keys.", fix: "write it like a model entry, e.g. {maxModelLen: 8192}." });
  }
  const region = problems.length === 0 ? (raw["aws:region"] as string) : null;
  const parsed = stackSchema.safeParse(settings);
  if (!parsed.success) {
    // An unknown preset already explains the missing models it would have supplied.
    const presetFailed = raw["omk:preset"] !== undefined && settings.models === undefined;
    problems.push(...fromZod(parsed.error.issues, settings).filter((p) => !(presetFailed && p.path === `${NAMESPACE}:models`)));
    // Still check the entries that parsed on their own, so one run reports everything.
    const rawModels = Array.isArray(settings.models) ? settings.models : [];
    rawModels.forEach((m, i) => {
      // Unknown keys are already reported; strip them here so the entry's other values still get checked.
      const one = lenientEntrySchema.safeParse(m);
      if (one.success) return void problems.push(...checkEntry(one.data, i, region).problems);
      // Drop the keys already reported as malformed (they take their defaults) and check the rest; the flags in
      // a malformed extraArgs list are still checked one by one.
      const bad = new Set(one.error.issues.map((x) => x.path[0]).filter((k): k is string => typeof k === "string"));
      const rest = m && typeof m === "object" ? Object.fromEntries(Object.entries(m as object).filter(([k]) => !bad.has(k))) : m;
      const retry = lenientEntrySchema.safeParse(rest);
      if (retry.success) problems.push(...checkEntry(retry.data, i, region).problems);
      else problems.push(...namedThingsExist(m, i));
      const rawArgs = (m as { extraArgs?: unknown } | null)?.extraArgs;
      if (bad.has("extraArgs") && Array.isArray(rawArgs)) {
        const id = (m as { id?: unknown }).id;
        problems.push(...extraArgsProblems(rawArgs, typeof id === "string" ? findModel(id) ?? null : null, (key) => `${NAMESPACE}:models[${i}].${key}`));
      }
    });
    return { ok: false, error: new ConfigError(source, problems) };
  }
  const { cluster, capacity, addons } = parsed.data;
  problems.push(...checkInfra(cluster, capacity, addons, region));
  const models: ResolvedModel[] = [];
  const names = new Map<string, number>();
  parsed.data.models.forEach((entry, i) => {
    const checked = checkEntry(entry, i, region);
    problems.push(...checked.problems);
    const name = entry.name ?? defaultServedName(entry.id);
    const clash = names.get(name);
    if (clash !== undefined) {
      problems.push({ path: `${NAMESPACE}:models[${i}].name`, value: name, message: `is already used by omk:models[${clash}].`, fix: "give each model a distinct name." });
    }
    names.set(name, i);
    if (checked.problems.length || !region || !checked.spec || !checked.precision || !checked.maxModelLen) return;
    if (capacity.mode === "cpu" && entry.load) {
      problems.push({ path: `${NAMESPACE}:models[${i}].load`, value: entry.load, message: "sizes GPU placements for a load; CPU mode (a laptop's kind cluster) has no performance model.", fix: "remove load here, or use it in a stack with GPU capacity." });
      return;
    }
    if (capacity.mode === "cpu") {
      const cpu = sizeOnCpu(checked.spec, checked.maxModelLen, entry.concurrency);
      if (!cpu.ok || checked.precision !== "bf16") {
        problems.push({ path: `${NAMESPACE}:models[${i}]${cpu.ok ? ".precision" : ".id"}`, value: cpu.ok ? checked.precision : entry.id, message: cpu.ok ? "CPU serving runs BF16 weights only." : cpu.error, fix: cpu.ok ? "remove precision or set it to bf16." : "choose a model of at most 4B parameters." });
        return;
      }
      models.push({
        name, spec: checked.spec, precision: "bf16", weights: weightsFor(checked.spec, "bf16")!, maxModelLen: checked.maxModelLen, yarn: checked.yarn ?? null, concurrency: entry.concurrency,
        gpuMemoryUtilization: entry.gpuMemoryUtilization, kvCacheDtype: "auto", replicas: entry.replicas, load: null, placement: cpu.placement, alternatives: [],
        hourlyUsd: { min: 0, max: 0 }, weightSource: "huggingface", revision: entry.weights.revision, extraArgs: entry.extraArgs, device: "cpu", cpuKvSpaceGiB: cpu.kvSpaceGiB,
        autoscaling: entry.autoscaling, exposure: entry.exposure, host: entry.host, auth: entry.auth,
        routing: routingOf(entry, entry.replicas), adapters: entry.adapters, lora: loraSlotsOf(entry),
      });
      return;
    }
    const kvCacheDtype = effectiveKvCacheDtype(checked.spec.attention, entry.kvCacheDtype ?? checked.spec.kvCacheDtypeDefault);
    const load = entry.load ?? null;
    if (load && load.inputTokens + load.outputTokens > checked.maxModelLen) {
      problems.push({ path: `${NAMESPACE}:models[${i}].load`, value: load, message: `asks for ${load.inputTokens} + ${load.outputTokens} tokens per request, more than maxModelLen ${checked.maxModelLen}.`, fix: `raise maxModelLen to at least ${load.inputTokens + load.outputTokens}, or shorten the request.` });
      return;
    }
    const sized = sizeModel({
      model: checked.spec, region, precision: checked.precision, maxModelLen: checked.maxModelLen, concurrency: entry.concurrency,
      gpuMemoryUtilization: entry.gpuMemoryUtilization, kvCacheDtype, instanceType: entry.instanceType,
      tensorParallel: entry.tensorParallelSize, pipelineParallel: entry.pipelineParallelSize, multiNode: entry.multiNode,
      lora: loraSlotsOf(entry), ...(load ? { load } : {}),
    });
    if (!sized.ok) {
      problems.push({ path: `${NAMESPACE}:models[${i}]${entry.instanceType ? ".instanceType" : load ? ".load" : ""}`, value: entry.instanceType ?? (load ?? entry.id), message: sized.error, fix: /LoRA adapters/.test(sized.error) ? "lower maxLoras or the adapters' rank (each slot reserves memory on every layer), remove instanceType, or serve a lower-precision checkpoint." : /latency targets/.test(sized.error) ? `relax load.ttftMs or load.tpotMs${entry.instanceType ? ", or allow more GPU types (remove instanceType)" : ""}.` : /Would fit with:|Lower maxModelLen/.test(sized.error) ? "apply one of the changes named above." : "serve a smaller model or a lower-precision checkpoint, or lower maxModelLen/concurrency." });
      return;
    }
    // A load decides the replicas unless the stack set them; then they must hold it.
    const needed = sized.placement.load?.replicas;
    const explicitReplicas = rawModelKey(settings, i, "replicas");
    const replicas = needed !== undefined && !explicitReplicas ? { min: needed, max: needed } : entry.replicas;
    if (needed !== undefined && needed > MAX_REPLICAS) {
      problems.push({ path: `${NAMESPACE}:models[${i}].load.requestsPerSecond`, value: load?.requestsPerSecond, message: `needs ${needed} replicas of ${sized.placement.instanceType} (ESTIMATE); the kit manages at most ${MAX_REPLICAS} per model.`, fix: "split the load across models, stacks or regions, or lower requestsPerSecond." });
      return;
    }
    if (needed !== undefined && explicitReplicas && entry.replicas.max < needed) {
      problems.push({ path: `${NAMESPACE}:models[${i}].replicas.max`, value: entry.replicas.max, message: `cannot serve the load: it needs ${needed} replica(s) of ${sized.placement.instanceType} (ESTIMATE).`, fix: `set replicas.max to at least ${needed}, or remove replicas so the load decides them.` });
      return;
    }
    models.push({
      name, spec: checked.spec, precision: checked.precision, weights: weightsFor(checked.spec, checked.precision)!,
      maxModelLen: checked.maxModelLen, yarn: checked.yarn ?? null, concurrency: entry.concurrency, gpuMemoryUtilization: entry.gpuMemoryUtilization,
      kvCacheDtype, replicas, load, placement: sized.placement, alternatives: sized.alternatives,
      hourlyUsd: { min: round(sized.placement.hourlyUsd * replicas.min), max: round(sized.placement.hourlyUsd * replicas.max) },
      weightSource: entry.weights.source ?? (checked.spec.totalParamsB >= S3_DEFAULT_MIN_PARAMS_B ? "s3" : "huggingface"),
      revision: entry.weights.revision, extraArgs: entry.extraArgs, device: "gpu", cpuKvSpaceGiB: 0,
      autoscaling: entry.autoscaling, exposure: entry.exposure, host: entry.host, auth: entry.auth,
      routing: routingOf(entry, replicas), adapters: entry.adapters, lora: loraSlotsOf(entry),
    });
    if (purpose === "deploy" && checked.spec.gated && parsed.data.hfToken === undefined) {
      problems.push({ path: `${NAMESPACE}:hfToken`, value: undefined, message: `is required: ${checked.spec.id} is a gated repository on the Hugging Face Hub.`, fix: "accept the model's license on huggingface.co, then `pulumi config set --secret omk:hfToken hf_…`." });
    }
  });
  problems.push(...checkRouting(models, (n) => names.get(n) ?? 0, parsed.data.models));
  problems.push(...checkTraffic({ models, indexOf: (n) => names.get(n) ?? 0, traffic: parsed.data.traffic, capacity, cluster, addons }));
  const cacheArn = parsed.data.serving.imageCache?.dockerHubCredentialArn;
  if (cacheArn && region && cacheArn.split(":")[3] !== region) {
    problems.push({ path: `${NAMESPACE}:serving.imageCache.dockerHubCredentialArn`, value: cacheArn, message: `is in ${cacheArn.split(":")[3]}, but the stack runs in ${region}: ECR's pull-through cache reads its credentials from its own region.`, fix: `create the ecr-pullthroughcache/ secret in ${region} and use its ARN.` });
  }
  const receivers = [parsed.data.alertSlackWebhookUrl && `${NAMESPACE}:alertSlackWebhookUrl`, parsed.data.alertWebhookUrl && `${NAMESPACE}:alertWebhookUrl`, parsed.data.observability.alertSnsTopicArn && `${NAMESPACE}:observability.alertSnsTopicArn`].filter(Boolean);
  if (receivers.length && addons.prometheus === "off") {
    problems.push({ path: `${NAMESPACE}:addons.prometheus`, value: "off", message: `is off, but ${receivers.join(" and ")} tell Alertmanager (part of kube-prometheus-stack) where to send alerts.`, fix: "set addons.prometheus to auto, or remove the alert receivers." });
  }
  problems.push(...checkKeyRotation(parsed.data));
  problems.push(...nameLengthProblems(parsed.data.environment, parsed.data.models.map((e, index) => ({ name: e.name ?? defaultServedName(e.id), index, explicit: e.name !== undefined }))));
  if (problems.length) return { ok: false, error: new ConfigError(source, problems) };
  return { ok: true, stack: { environment: parsed.data.environment, region: region!, models, cluster, capacity, addons, serving: parsed.data.serving, hfToken: parsed.data.hfToken, traffic: parsed.data.traffic, apiKey: parsed.data.apiKey, apiKeyVersion: parsed.data.apiKeyVersion,
    apiKeyKeepPrevious: parsed.data.apiKeyKeepPrevious, apiKeyPrevious: parsed.data.apiKeyPrevious,
    observability: parsed.data.observability, alertSlackWebhookUrl: parsed.data.alertSlackWebhookUrl, alertWebhookUrl: parsed.data.alertWebhookUrl } };
}

