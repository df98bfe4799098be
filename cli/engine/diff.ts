/**
 * What a change does, from two offline plans (pure): per model, what a reviewer decides on (model, precision,
 * instance, GPUs, $/hour and $/month, exposure, endpoint, vLLM flags by name); per stack, resources added,
 * removed, changed (with the changed inputs) and replaced — replacements of clusters, node pools and buckets
 * are what a reviewer must not miss, and a protected one blocks `pulumi up` — and the policy verdict.
 */
import type { Plan } from "./plan";
import type { Violation } from "./policy-runner";
import type { RecordedResource } from "./record";
import { disruptionOf, keyProblems, networkProblems, upgradeProblems } from "./disruption";
import { cascade } from "./replacement-cascade";
import { CRITICAL, replaceReason, within } from "./replace-rules";

export { CRITICAL } from "./replace-rules";

export interface InputChange {
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface ResourceChange {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly changes: readonly InputChange[];
  /** Why Pulumi would delete and recreate it, when it would. */
  readonly replaceReason: string | null;
  /** A replacement that loses state or capacity (cluster, node pool, bucket, network). */
  readonly critical: boolean;
  /** Pulumi refuses to replace it (`protect`). */
  readonly protected: boolean;
  /** How an in-place change reaches running traffic (a rollout, node drift, an upgrade); null when it does not. */
  readonly disruption: string | null;
}

/** What a reviewer reads per model. */
export interface ModelView {
  readonly name: string;
  readonly model: string;
  readonly precision: string;
  /** `g6e.xlarge`, or `p5.48xlarge × 2` for a replica across nodes. */
  readonly instance: string;
  readonly gpus: { readonly min: number; readonly max: number };
  readonly hourlyUsd: { readonly min: number; readonly max: number };
  /** On-demand $/month at min replicas (a scale-to-zero model: its warm windows) and at max replicas. */
  readonly monthlyUsd: { readonly min: number; readonly max: number };
  /** At the stated load (null without one): $ per million output tokens, an ESTIMATE. */
  readonly usdPerMillionOutputTokens: number | null;
  /** The stated load and the replicas the kit sized for it (null without one). */
  readonly load: { readonly requestsPerSecond: number; readonly inputTokens: number; readonly outputTokens: number; readonly replicas: number } | null;
  /** The price is a regional estimate, not a published one. */
  readonly priceEstimate: boolean;
  /** Whether the region is known to sell the type: listed, priced-only (not confirmed) or assumed. */
  readonly availability: string;
  readonly exposure: string;
  readonly endpoint: string;
  /** Every model name the endpoint serves (the model's, then its LoRA adapters'). */
  readonly servedModels: readonly string[];
  /** `prefix-aware (vLLM router)`, `session (vLLM router)` or `round-robin`. */
  readonly routing: string;
  /** How the model comes back from zero: on-request, warm-windows or never. */
  readonly fromZero: string;
  readonly maxModelLen: number;
  /** vLLM's command line by flag (the model URI under "model"). */
  readonly flags: Readonly<Record<string, string>>;
}

export interface FlagChange {
  readonly flag: string;
  readonly before: string | null;
  readonly after: string | null;
}

export interface ModelDiff {
  readonly name: string;
  readonly change: "added" | "removed" | "changed" | "unchanged";
  readonly before: ModelView | null;
  readonly after: ModelView | null;
  /** Fields of the view that differ (model, precision, instance, gpus, hourlyUsd, …), flags aside. */
  readonly fields: readonly string[];
  readonly flags: readonly FlagChange[];
}

export interface StackDiff {
  readonly stack: string;
  readonly before: Summary | null;
  readonly after: Summary | null;
  readonly models: readonly ModelDiff[];
  readonly added: readonly RecordedResource[];
  readonly removed: readonly RecordedResource[];
  readonly changed: readonly ResourceChange[];
  readonly regionChanged: boolean;
  /** The changed tree's policy verdict (every violation, with its policy and level). */
  readonly violations: readonly Violation[];
  /** The policy config the verdict used (null: the pack's defaults). */
  readonly policyConfig: string | null;
  /** What stops `pulumi up` as planned (protected resources it would replace or delete), each with the step to take. */
  readonly blocking: readonly string[];
}

export interface Summary {
  readonly region: string;
  readonly gpus: { readonly min: number; readonly max: number };
  readonly hourlyUsd: { readonly min: number; readonly max: number };
  readonly mandatoryViolations: number;
}

function flatten(value: unknown, prefix = "", out: Map<string, unknown> = new Map()): Map<string, unknown> {
  if (Array.isArray(value)) value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  else out.set(prefix, value);
  return out;
}

export function inputChanges(before: Record<string, unknown>, after: Record<string, unknown>): InputChange[] {
  const a = flatten(before);
  const b = flatten(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  return paths.filter((p) => JSON.stringify(a.get(p)) !== JSON.stringify(b.get(p))).map((p) => ({ path: p, before: a.get(p), after: b.get(p) }));
}

export function summarize(plan: Plan): Summary {
  const gpus = (f: (m: Plan["models"][number]) => number) => plan.models.reduce((n, m) => n + m.gpusPerReplica * f(m), 0);
  return {
    region: plan.region, gpus: { min: gpus((m) => m.replicas.min), max: gpus((m) => m.replicas.max) }, hourlyUsd: plan.hourlyUsd,
    mandatoryViolations: plan.policy.violations.filter((v) => v.level === "mandatory").length,
  };
}

export function diffPlans(stack: string, before: Plan | null, after: Plan | null): StackDiff {
  const b = new Map((before?.resources ?? []).map((r) => [r.urn, r]));
  const a = new Map((after?.resources ?? []).map((r) => [r.urn, r]));
  const regionChanged = Boolean(before && after && before.region !== after.region);
  // A Kubernetes provider pointed at another cluster (new kubeconfig) recreates everything it manages.
  const providerMoved = [...a.values()].some((r) => r.type === "pulumi:providers:kubernetes" && b.has(r.urn) && JSON.stringify(b.get(r.urn)!.inputs.kubeconfig) !== JSON.stringify(r.inputs.kubeconfig));
  const changed: ResourceChange[] = [];
  // A resource registered under a new name with an alias to its old URN is the same resource to Pulumi (adopted,
  // not replaced); paths under ignoreChanges keep their state value.
  const adopted = new Map<string, string>();
  // The engine takes the first alias found in the old state.
  for (const [urn, r] of a) {
    if (b.has(urn)) continue;
    const alias = (r.aliases ?? []).find((x) => b.has(x) && !a.has(x));
    if (alias) adopted.set(urn, alias);
  }
  const previous = (urn: string) => b.get(urn) ?? b.get(adopted.get(urn) ?? "");
  const entry = (r: RecordedResource, old: RecordedResource, changes: InputChange[], reason: string | null): ResourceChange => ({
    urn: r.urn, type: r.type, name: r.name, changes, replaceReason: reason, critical: reason !== null && CRITICAL.test(r.type), protected: old.protect, disruption: reason ? null : disruptionOf(r, changes),
  });
  for (const r of a.values()) {
    const old = previous(r.urn);
    if (!old) continue;
    const ignored = r.ignoreChanges ?? [];
    const changes = inputChanges(old.inputs, r.inputs).filter((c) => !ignored.some((p) => within(c.path, p)));
    const reason = providerMoved && r.type.startsWith("kubernetes:") ? "its Kubernetes provider now targets another cluster" : replaceReason(r.type, changes, regionChanged);
    if (changes.length || reason) changed.push(entry(r, old, changes, reason));
  }
  // Replacements change ids: the inputs that held them change too, and may replace their holders (a cluster in
  // replaced subnets).
  const byUrn = new Map(changed.map((c) => [c.urn, c]));
  const extra = cascade([...a.values()], new Set(changed.filter((c) => c.replaceReason).map((c) => c.urn)), (r, found) => replaceReason(r.type, [...(byUrn.get(r.urn)?.changes ?? []), ...found], false) !== null);
  for (const urn of new Set(extra.map((c) => c.urn))) {
    const r = a.get(urn)!;
    const old = previous(urn);
    if (!old) continue;
    const prior = byUrn.get(urn);
    const changes = [...(prior?.changes ?? []), ...extra.filter((c) => c.urn === urn).map(({ path, before, after }) => ({ path, before, after }))];
    const updated = entry(r, old, changes, prior?.replaceReason ?? replaceReason(r.type, changes, regionChanged));
    if (prior) changed[changed.indexOf(prior)] = updated;
    else changed.push(updated);
  }
  const adoptedOld = new Set(adopted.values());
  const removed = [...b.values()].filter((r) => !a.has(r.urn) && !adoptedOld.has(r.urn));
  const added = [...a.values()].filter((r) => !b.has(r.urn) && !adopted.has(r.urn));
  // A Kubernetes object that moves to another Pulumi resource under the same namespace/name: Pulumi creates the new
  // resource before deleting the old one, and since pulumi-kubernetes 4.29 the create fails with AlreadyExists.
  const objectKey = (r: { type: string; inputs: Record<string, unknown> }) => {
    const meta = r.inputs.metadata as { name?: string; namespace?: string } | undefined;
    return r.type.startsWith("kubernetes:") && meta?.name ? `${r.type} ${meta.namespace ?? ""}/${meta.name}` : null;
  };
  const goneObjects = new Set(removed.map(objectKey).filter(Boolean));
  const collisions = added.filter((r) => goneObjects.has(objectKey(r)));
  const blocking = [
    ...collisions.map((r) => `${r.type.split(":").pop()} ${(r.inputs.metadata as { namespace?: string; name: string }).namespace ?? ""}/${(r.inputs.metadata as { name: string }).name} moves to another Pulumi resource (${r.name}): \`pulumi up\` would create it while the old one still exists and fail with AlreadyExists. Delete the old object first (\`pulumi state\` alias, or two separate updates), or keep the Kubernetes name.`),
    ...changed.filter((c) => c.replaceReason && c.protected).map((c) => `${c.type.split(":").pop()} ${c.name} would be replaced (${c.replaceReason}), but it is protected: \`pulumi up\` refuses. Revert this, or plan the migration: back up what it holds, set omk:cluster.protect: false in a change of its own, \`pulumi up\`, then apply this change.`),
    ...upgradeProblems(changed),
    ...networkProblems(changed),
    ...(before && after ? keyProblems(after.resources, changed, (urn) => b.has(urn) || adopted.has(urn)) : []),
    ...(after ? removed.filter((r) => r.protect).map((r) => `${r.type.split(":").pop()} ${r.name} would be deleted, but it is protected: \`pulumi up\` refuses. Revert this, or unprotect it first (omk:cluster.protect: false) in a change of its own.`) : []),
  ];
  return {
    stack, before: before && summarize(before), after: after && summarize(after), models: diffModels(before, after),
    added, removed,
    changed, regionChanged, violations: after?.policy.violations ?? [], policyConfig: after?.policy.config ?? null, blocking,
  };
}

/** vLLM's arguments by flag, from a server's command line (the first positional argument is the model). */
export function flagsOf(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("--")) {
      if (i === 0) out.model = a;
      continue;
    }
    const eq = a.indexOf("=");
    if (eq > 0) out[a.slice(0, eq)] = a.slice(eq + 1);
    else if (i + 1 < args.length && !args[i + 1]!.startsWith("--")) out[a] = args[++i]!;
    else out[a] = "true";
  }
  return out;
}

/** The server's vLLM arguments: a Deployment's container args, or what a LeaderWorkerSet leader execs after `vllm serve`. */
export function serverArgs(plan: Pick<Plan, "resources">, name: string): string[] {
  for (const r of plan.resources) {
    const o = r.inputs as { kind?: string; metadata?: { name?: string }; spec?: any };
    if (o.metadata?.name !== name) continue;
    if (o.kind === "Deployment") return o.spec?.template?.spec?.containers?.[0]?.args ?? [];
    if (o.kind === "LeaderWorkerSet") {
      const line = String(o.spec?.leaderWorkerTemplate?.leaderTemplate?.spec?.containers?.[0]?.args?.[0] ?? "");
      const serve = line.split("exec vllm serve ")[1] ?? "";
      return (serve.match(/'[^']*'|\S+/g) ?? []).map((t) => t.replace(/^'|'$/g, ""));
    }
  }
  return [];
}

export function modelViews(plan: Plan | null): ModelView[] {
  if (!plan) return [];
  return plan.models.map((m) => {
    const gpus = { min: m.gpusPerReplica * m.replicas.min, max: m.gpusPerReplica * m.replicas.max };
    return {
      name: m.name, model: m.model, precision: m.precision, instance: `${m.instanceType}${m.nodes > 1 ? ` × ${m.nodes}` : ""}`, gpus,
      hourlyUsd: m.hourlyUsd,
      // Older plans (a base ref before per-model monthly costs) fall back to 730 h at min and max.
      monthlyUsd: m.monthlyUsd ? { min: m.monthlyUsd.min, max: m.monthlyUsd.max } : { min: Math.round(m.hourlyUsd.min * 730), max: Math.round(m.hourlyUsd.max * 730) },
      priceEstimate: Boolean(m.priceEstimate), availability: m.availability ?? "listed", usdPerMillionOutputTokens: m.load?.usdPerMillionOutputTokens ?? null,
      load: m.load ? { requestsPerSecond: m.load.requestsPerSecond, inputTokens: m.load.inputTokens, outputTokens: m.load.outputTokens, replicas: m.load.replicas } : null,
      exposure: m.exposure ?? "internal", endpoint: plan.endpoints?.[m.name] ?? m.endpoint ?? "", maxModelLen: m.maxModelLen,
      // Plans from before routing, adapters and wake-on-request existed: what those versions did.
      servedModels: m.servedModels ?? [m.name],
      routing: m.routing ? (m.routing.component === "vllm-router" ? `${m.routing.policy}${m.routing.sessionHeader ? ` on ${m.routing.sessionHeader}` : ""} (vLLM router)` : "round-robin") : "round-robin",
      fromZero: m.autoscaling?.fromZero ?? (m.replicas.min === 0 ? "warm-windows" : "never"),
      flags: flagsOf(serverArgs(plan, m.name)),
    };
  });
}

const VIEW_FIELDS = ["model", "precision", "instance", "gpus", "hourlyUsd", "monthlyUsd", "load", "usdPerMillionOutputTokens", "exposure", "endpoint", "servedModels", "routing", "fromZero", "maxModelLen"] as const;

export function diffModels(before: Plan | null, after: Plan | null): ModelDiff[] {
  const b = new Map(modelViews(before).map((v) => [v.name, v]));
  const a = new Map(modelViews(after).map((v) => [v.name, v]));
  return [...new Set([...b.keys(), ...a.keys()])].sort().map((name) => compareViews(name, b.get(name) ?? null, a.get(name) ?? null));
}

/** One model before and after (either may be absent): what differs, flags by name. */
export function compareViews(name: string, x: ModelView | null, y: ModelView | null): ModelDiff {
  const fields = x && y ? VIEW_FIELDS.filter((f) => JSON.stringify(x[f]) !== JSON.stringify(y[f])) : [];
  const flags = x && y
    ? [...new Set([...Object.keys(x.flags), ...Object.keys(y.flags)])].sort().filter((f) => x.flags[f] !== y.flags[f]).map((flag) => ({ flag, before: x.flags[flag] ?? null, after: y.flags[flag] ?? null }))
    : [];
  const change = !x ? "added" : !y ? "removed" : fields.length || flags.length ? "changed" : "unchanged";
  return { name, change, before: x, after: y, fields, flags };
}

export function hasChanges(d: StackDiff): boolean {
  return d.added.length + d.removed.length + d.changed.length > 0 || JSON.stringify(d.before) !== JSON.stringify(d.after) || d.models.some((m) => m.change !== "unchanged");
}

/** Exit code of a diff: 2 when the changed tree fails a mandatory policy or `pulumi up` would refuse it. */
export function diffExitCode(diffs: readonly StackDiff[]): 0 | 2 {
  return diffs.some((d) => d.blocking.length || d.violations.some((v) => v.level === "mandatory")) ? 2 : 0;
}
