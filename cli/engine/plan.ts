/**
 * `omk plan` as a library: validate a stack config, run the kit offline, and describe what `pulumi up`
 * would create. Tests call `planStack` directly; the CLI only formats its result.
 */
import { teardownOf, type Teardown } from "./teardown";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import type { RawStackConfig } from "../../components/config/validate";
import { resolveStack } from "../../components/config/validate";
import type { ConfigError } from "../../components/config/errors";
import { runResolvedKit } from "../../components/kit";
import { secureKeys } from "../../components/config/load";
import { clusterNameFor } from "../../components/aws/platform";
import { quotaMessage } from "../../components/aws/quota";
import { ConfigError as ConfigErrorClass } from "../../components/config/errors";
import { OFFLINE_ASSUMPTIONS, offlineComputed, offlineDefault, offlineInvokes } from "./offline-aws";
import type { InvokeAnswer } from "./record";
import { validateManifests } from "./validate-manifests";
import { fixedCost, monthly, type FixedCost } from "../../components/sizing/cost";
import { regionPriceRatio } from "../../components/catalog/instances";
import { ALL_POLICIES } from "../../policies/all";
import { readPolicyConfig } from "./policy-config";
import { environmentPolicyConfig, policyConfigNames, runPolicies, type Violation } from "./policy-runner";
import type { ServiceSummary } from "../../components/serving/model-service";
import { recordProgram, valueOf, type RecordedResource } from "./record";
import { summarizeAlternative, type AlternativeSummary } from "../../components/sizing/placement";
import { alertReceiversOf, type AlertReceivers } from "../../components/observability/alerting-spec";

export interface Plan {
  readonly stack: string;
  readonly environment: string;
  readonly region: string;
  readonly models: readonly (ServiceSummary & { readonly alternatives: readonly AlternativeSummary[] })[];
  readonly resources: readonly RecordedResource[];
  /** Resource count per type token. */
  readonly counts: Readonly<Record<string, number>>;
  readonly hourlyUsd: { readonly min: number; readonly max: number };
  /** True when any price in the plan is a regional estimate rather than a published price. */
  readonly priceEstimate: boolean;
  readonly cluster: { readonly mode: string; readonly name: string; readonly zones: readonly string[]; readonly capacity: string; readonly capacityType: string };
  readonly pools: readonly PoolSummary[];
  readonly addons: readonly { readonly name: string; readonly install: boolean; readonly reason: string }[];
  readonly quotas: readonly { readonly code: string; readonly name: string; readonly vcpus: number; readonly available: number | null; readonly short: number; readonly message: string }[];
  /** Non-blocking findings, and the assumptions the offline engine made. */
  readonly warnings: readonly string[];
  /** Client URL per served model name. */
  readonly endpoints: Readonly<Record<string, string>>;
  /** Kubernetes objects that fail their schema (empty when every manifest is valid). */
  readonly manifestProblems: readonly string[];
  /** Costs besides GPU nodes (control plane, NAT, load balancers), and monthly totals at min and max. */
  readonly fixedCost: FixedCost;
  readonly monthlyUsd: { readonly min: number; readonly max: number };
  /** The policy pack's verdict, run offline the way CrossGuard runs it. */
  readonly policy: { readonly config: string | null; readonly violations: readonly Violation[] };
  /** Where the Grafana dashboard is, when monitoring is installed. */
  readonly dashboard: string | null;
  /** The alert rules the kit creates and where Alertmanager sends them (null without monitoring). */
  readonly alerts: { readonly rules: readonly string[]; readonly receivers: readonly string[] } | null;
  /** What `pulumi destroy` would stop at, keep and delete (teardown.ts). */
  readonly teardown: Teardown;
}

export interface PoolSummary {
  readonly name: string;
  readonly instanceType: string;
  readonly models: readonly string[];
  readonly zones: readonly string[];
  readonly minNodes: number;
  readonly maxNodes: number;
  /** Nodes reserved in the GPU limit for one surge replica per model during rolling updates. */
  readonly surgeNodes: number;
  readonly gpusPerNode: number;
  readonly gpuLimit: number;
  readonly diskGiB: number;
  readonly multiNode: boolean;
  readonly hourlyUsd: { readonly min: number; readonly max: number };
}

export type PlanResult = { readonly ok: true; readonly plan: Plan } | { readonly ok: false; readonly error: ConfigError };

/** Config as the Pulumi engine hands it to a program: every value a string, objects as JSON. */
export function toEngineConfig(raw: RawStackConfig): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

export interface PlanOptions {
  readonly stack: string;
  readonly source: string;
  /** Replace single offline answers (tests: a quota value, AZ offerings). */
  readonly invokes?: Readonly<Record<string, InvokeAnswer>>;
  /** Policy config file; default policies/config/<environment>.json when it exists. */
  readonly policyConfig?: string;
  /** Where that default is looked up (`omk diff` points it at the base ref's copy). @default the repository root */
  readonly policyRoot?: string;
  /** Keys the engine would mark secret (tests simulate `pulumi config set --secret`). */
  readonly secretKeys?: readonly string[];
}

export async function planStack(raw: RawStackConfig, options: PlanOptions): Promise<PlanResult> {
  const secrets = new Set([...secureKeys(raw), ...(options.secretKeys ?? [])]);
  const resolved = resolveStack(raw, options.source, secrets);
  if (!resolved.ok) return resolved;
  const region = resolved.stack.region;
  // The policy config is checked before anything runs: a typo in it must fail, never weaken a policy.
  const policyFile = options.policyConfig ?? environmentPolicyConfig(resolved.stack.environment, options.policyRoot);
  let policyConfig;
  try {
    policyConfig = readPolicyConfig(policyFile, ALL_POLICIES, options.policyConfig ? "--policy-config" : undefined);
  } catch (err) {
    if (err instanceof ConfigErrorClass) return { ok: false, error: err };
    throw err;
  }
  let rec;
  try {
    // The stack is resolved (and sized) once, above; the program only runs the preflight and builds.
    rec = await recordProgram(() => runResolvedKit(resolved.stack, options.source), {
      stack: options.stack, config: toEngineConfig(raw),
      invokes: { ...offlineInvokes(region), ...options.invokes }, computed: offlineComputed(region), computedDefault: offlineDefault(region),
    });
  } catch (err) {
    if (err instanceof ConfigErrorClass) return { ok: false, error: err };
    throw err;
  }
  const infra = rec.result.infra;
  const summaries = await valueOf(rec.result.models);
  const models = summaries.map((s) => {
    const m = resolved.stack.models.find((x) => x.name === s.name)!;
    return {
      ...s,
      alternatives: m.alternatives.map(summarizeAlternative),
    };
  });
  const counts: Record<string, number> = {};
  for (const r of rec.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  const manifests = rec.resources.filter(isKubernetesObject).map((r) => r.inputs);
  const manifestProblems = await validateManifests(manifests);
  // Policies see secrets in clear, as CrossGuard passes them; their messages never quote values.
  const violations = await runPolicies(rec.forPolicies, ALL_POLICIES, policyConfig);
  const st = resolved.stack;
  const schemes = new Set(st.models.map((m) => m.exposure).filter((e) => e !== "internal"));
  const fixed = fixedCost({
    newCluster: st.cluster.mode === "create",
    natGateways: st.cluster.mode === "create" ? (st.cluster.natGateways === "per-az" ? infra.clusterZones.length : 1) : 0,
    loadBalancers: schemes.size, regionRatio: regionPriceRatio(st.region),
  });
  const sum = (f: (m: ServiceSummary) => number) => Math.round(models.reduce((t, m) => t + f(m), 0) * 100) / 100;
  return {
    ok: true,
    plan: {
      stack: options.stack, environment: resolved.stack.environment, region: resolved.stack.region, models, resources: rec.resources, counts,
      hourlyUsd: { min: sum((m) => m.hourlyUsd.min), max: sum((m) => m.hourlyUsd.max) },
      priceEstimate: models.some((m) => m.priceEstimate),
      cluster: { mode: resolved.stack.cluster.mode, name: clusterNameFor(resolved.stack), zones: infra.clusterZones, capacity: resolved.stack.capacity.mode, capacityType: resolved.stack.capacity.capacityType },
      pools: infra.pools.map(({ pool, zones }) => ({
        name: pool.name, instanceType: pool.instanceType, models: pool.models, zones, minNodes: pool.minNodes, maxNodes: pool.maxNodes,
        surgeNodes: pool.surgeNodes, gpusPerNode: pool.gpusPerNode,
        gpuLimit: pool.gpuLimit, diskGiB: pool.diskGiB, multiNode: pool.multiNode, hourlyUsd: pool.hourlyUsd,
      })),
      addons: infra.addons.map((a) => ({ name: a.name, install: a.install, reason: a.reason })),
      quotas: infra.quotas.map((v) => ({ code: v.need.bucket.code, name: v.need.bucket.name, vcpus: v.need.vcpus, available: v.lookup.ok ? v.lookup.value : null, short: v.short, message: quotaMessage(v, region) })),
      endpoints: rec.result.endpoints, dashboard: rec.result.dashboard, manifestProblems,
      alerts: rec.result.dashboard ? { rules: alertNames(rec.resources), receivers: receiverNames(alertReceiversOf(st)) } : null,
      fixedCost: fixed, teardown: teardownOf(rec.resources),
      // Per model: min replicas all month plus warm windows above them (a scale-to-zero model costs its windows).
      monthlyUsd: { min: Math.round(models.reduce((t, m) => t + m.monthlyUsd.min, 0) + monthly(fixed.hourlyUsd)), max: Math.round(models.reduce((t, m) => t + m.monthlyUsd.max, 0) + monthly(fixed.hourlyUsd)) },
      policy: { config: policyFile ? path.relative(process.cwd(), policyFile) || policyFile : null, violations },
      warnings: [
        ...rec.result.warnings,
        ...(policyFile ? [] : [`No ${policyConfigNames(resolved.stack.environment).map((n) => `policies/config/${n}.json`).join(" or ")}: the policies run with the pack's defaults (16 GPUs, $50/hour); add one for this environment.`]),
        // A type priced in the region but missing from the sources' offering lists may not launch there.
        ...resolved.stack.models.filter((m) => m.placement.availability === "priced-only").map((m) => `${m.name}: ${m.placement.instanceType} is priced in ${region}, but no source lists it as offered there; if nodes never launch (Karpenter logs no offering), pin instanceType to a listed type — \`npx omk instances --region ${region}\` shows which.`),
        ...(resolved.stack.capacity.mode === "cpu" ? [] : OFFLINE_ASSUMPTIONS.map((a) => `Offline assumption: ${a}.`)),
      ],
    },
  };
}

function alertNames(resources: readonly RecordedResource[]): string[] {
  const rules = resources.filter((r) => r.custom && r.inputs.kind === "PrometheusRule");
  return rules.flatMap((r) => ((r.inputs.spec as { groups: { rules: { alert: string }[] }[] }).groups).flatMap((g) => g.rules.map((x) => x.alert)));
}

function receiverNames(r: AlertReceivers): string[] {
  return [...(r.slack ? ["Slack"] : []), ...(r.webhook ? ["webhook"] : []), ...(r.snsTopicArn ? [`SNS ${r.snsTopicArn}`] : [])];
}

/** A Kubernetes object the kit creates itself (Helm releases excluded: Helm renders those). */
export function isKubernetesObject(r: RecordedResource): boolean {
  return r.custom && r.type.startsWith("kubernetes:") && typeof r.inputs.kind === "string";
}

/** Kubernetes objects in the plan, as the manifests `kubectl` would receive. */
export function kubernetesManifests(plan: Plan): { file: string; object: Record<string, unknown> }[] {
  return plan.resources
    .filter(isKubernetesObject)
    .map((r) => {
      const meta = (r.inputs.metadata ?? {}) as { name?: string; namespace?: string };
      const kind = String(r.inputs.kind).toLowerCase();
      const file = `${meta.namespace ? `${meta.namespace}-` : ""}${kind}-${meta.name ?? r.name}.yaml`;
      return { file, object: r.inputs };
    });
}

/** Writes `plan.json` and one YAML file per Kubernetes object under `manifests/`. Returns the files written. */
export function writePlan(plan: Plan, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const written = [path.join(outDir, "plan.json")];
  writeFileSync(written[0]!, `${JSON.stringify(plan, null, 2)}\n`);
  const manifests = kubernetesManifests(plan);
  // A folder reused across stacks would keep another stack's objects: the manifests are rewritten whole.
  rmSync(path.join(outDir, "manifests"), { recursive: true, force: true });
  if (manifests.length) {
    const dir = path.join(outDir, "manifests");
    mkdirSync(dir, { recursive: true });
    for (const m of manifests) {
      const file = path.join(dir, m.file);
      // No line folding: scripts (the mirror's Python, the guard's shell) stay literal blocks a reader can follow.
      writeFileSync(file, stringify(m.object, { lineWidth: 0 }));
      written.push(file);
    }
  }
  return written;
}
