/**
 * What a change does, from two offline plans (pure): GPUs and $/hour before → after, resources added,
 * removed, changed (with the changed inputs) and replaced — replacements of clusters, node pools and
 * buckets are what a reviewer must not miss.
 */
import type { Plan } from "./plan";
import type { RecordedResource } from "./record";

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
}

export interface StackDiff {
  readonly stack: string;
  readonly before: Summary | null;
  readonly after: Summary | null;
  readonly added: readonly RecordedResource[];
  readonly removed: readonly RecordedResource[];
  readonly changed: readonly ResourceChange[];
  readonly regionChanged: boolean;
}

export interface Summary {
  readonly region: string;
  readonly gpus: { readonly min: number; readonly max: number };
  readonly hourlyUsd: { readonly min: number; readonly max: number };
  readonly mandatoryViolations: number;
}

/**
 * Input paths whose change makes the provider replace the resource (from the providers' schemas: these
 * fields are immutable in the AWS APIs / Kubernetes object identity).
 */
const REPLACE_ON: Readonly<Record<string, readonly string[]>> = {
  "aws:ec2/vpc:Vpc": ["cidrBlock"],
  "aws:ec2/subnet:Subnet": ["cidrBlock", "availabilityZone", "vpcId"],
  "aws:eks/cluster:Cluster": ["name", "roleArn", "encryptionConfig", "vpcConfig.subnetIds"],
  "aws:eks/nodeGroup:NodeGroup": ["clusterName", "nodeRoleArn", "subnetIds", "instanceTypes", "amiType", "capacityType"],
  "aws:kms/key:Key": ["customerMasterKeySpec", "keyUsage"],
  "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix"],
  "aws:ec2/placementGroup:PlacementGroup": ["strategy"],
};
const CRITICAL = /^(aws:ec2\/(vpc|subnet):|aws:eks\/(cluster|nodeGroup):|aws:kms\/key:|aws:s3\/bucket:|kubernetes:karpenter\.sh\/v1:NodePool|kubernetes:eks\.amazonaws\.com\/v1:NodeClass|kubernetes:karpenter\.k8s\.aws\/v1:EC2NodeClass)/;

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

function replaceReason(type: string, changes: readonly InputChange[], regionChanged: boolean): string | null {
  if (regionChanged && type.startsWith("aws:")) return "the AWS region changed";
  const keys = REPLACE_ON[type] ?? [];
  const hit = changes.find((c) => keys.some((k) => c.path === k || c.path.startsWith(`${k}.`) || c.path.startsWith(`${k}[`)));
  if (hit) return `${hit.path} cannot change in place`;
  if (type.startsWith("kubernetes:") && changes.some((c) => c.path === "metadata.name" || c.path === "metadata.namespace")) return "its Kubernetes name changed";
  return null;
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
  for (const [urn, r] of a) {
    const old = b.get(urn);
    if (!old) continue;
    const changes = inputChanges(old.inputs, r.inputs);
    const reason = providerMoved && r.type.startsWith("kubernetes:") ? "its Kubernetes provider now targets another cluster" : replaceReason(r.type, changes, regionChanged);
    if (changes.length || reason) changed.push({ urn, type: r.type, name: r.name, changes, replaceReason: reason, critical: reason !== null && CRITICAL.test(r.type) });
  }
  return {
    stack, before: before && summarize(before), after: after && summarize(after),
    added: [...a.values()].filter((r) => !b.has(r.urn)), removed: [...b.values()].filter((r) => !a.has(r.urn)),
    changed, regionChanged,
  };
}

export function hasChanges(d: StackDiff): boolean {
  return d.added.length + d.removed.length + d.changed.length > 0 || JSON.stringify(d.before) !== JSON.stringify(d.after);
}

const show = (v: unknown) => {
  const t = v === undefined ? "—" : JSON.stringify(v);
  return t.length > 60 ? `${t.slice(0, 57)}…` : t;
};
const money = (x: { min: number; max: number } | undefined) => (x ? `$${x.min.toFixed(2)}–$${x.max.toFixed(2)}/h` : "—");
const range = (x: { min: number; max: number } | undefined) => (x ? `${x.min}–${x.max}` : "—");

export function diffMarkdown(diffs: readonly StackDiff[], base: string): string {
  const lines = [`### omk diff against \`${base}\``, ""];
  const changedStacks = diffs.filter(hasChanges);
  if (!changedStacks.length) return [...lines, "No stack changes."].join("\n");
  for (const d of changedStacks) {
    const replaced = d.changed.filter((c) => c.replaceReason);
    lines.push(`#### \`${d.stack}\`${!d.before ? " (new stack)" : !d.after ? " (removed stack)" : ""}`, "");
    lines.push(`GPUs ${range(d.before?.gpus)} → **${range(d.after?.gpus)}**, GPU nodes ${money(d.before?.hourlyUsd)} → **${money(d.after?.hourlyUsd)}**; policies after: ${d.after ? (d.after.mandatoryViolations ? `❌ ${d.after.mandatoryViolations} mandatory violation(s)` : "✅ pass") : "—"}.`);
    if (d.regionChanged) lines.push("", `> **Region changed (${d.before!.region} → ${d.after!.region}): every AWS resource is replaced, and every Kubernetes object with its cluster.**`);
    const critical = replaced.filter((c) => c.critical);
    if (critical.length) lines.push("", `> ⚠️ **Replaces ${critical.length} critical resource(s):** ${critical.map((c) => `\`${c.type.split(":").pop()} ${c.name}\``).join(", ")}`);
    const deleted = d.removed.filter((r) => CRITICAL.test(r.type));
    if (deleted.length && d.after) lines.push("", `> ⚠️ **Deletes ${deleted.length} critical resource(s):** ${deleted.map((r) => `\`${r.type.split(":").pop()} ${r.name}\``).join(", ")}`);
    lines.push("", `${d.added.length} added, ${d.removed.length} removed, ${d.changed.length - replaced.length} changed, ${replaced.length} replaced.`, "");
    if (d.added.length + d.removed.length + d.changed.length) {
      lines.push("| | resource | details |", "|---|---|---|");
      for (const r of d.added) lines.push(`| + | \`${r.type}\` ${r.name} | |`);
      for (const r of d.removed) lines.push(`| − | \`${r.type}\` ${r.name} | |`);
      for (const c of d.changed) {
        const details = c.changes.slice(0, 6).map((x) => `\`${x.path}\`: ${show(x.before)} → ${show(x.after)}`).join("<br>") + (c.changes.length > 6 ? `<br>… ${c.changes.length - 6} more` : "");
        lines.push(`| ${c.replaceReason ? "±" : "~"} | \`${c.type}\` ${c.name}${c.replaceReason ? ` — **replaced** (${c.replaceReason})` : ""} | ${details.replace(/\|/g, "\\|")} |`);
      }
      lines.push("");
    }
  }
  return lines.join("\n");
}
