/**
 * `omk diff` as a pull-request comment (pure): per stack the GPU and cost change, what blocks `pulumi up`, each
 * model before → after with its vLLM flags by name, the policy verdict, then the resource changes folded away.
 */
import { availabilityNote } from "../format";
import { CRITICAL, compareViews, hasChanges, type ModelDiff, type ModelView, type StackDiff } from "./diff";

const text = (v: unknown) => (v === undefined || v === null ? "—" : typeof v === "string" ? v : JSON.stringify(v));
const show = (v: unknown) => {
  const t = text(v);
  return t.length > 60 ? `${t.slice(0, 57)}…` : t;
};
/** Before → after, long values cut where they start to differ (two S3 URIs of one bucket stay telling apart). */
export function showChange(before: unknown, after: unknown): string {
  const [a, b] = [text(before), text(after)];
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  const from = a.length > 60 || b.length > 60 ? Math.max(0, common - 12) : 0;
  const cut = (t: string) => show(from ? `…${t.slice(from)}` : t);
  return `${cut(a)} → ${cut(b)}`;
}
/** The changes a reviewer reads first: images, then the rest in path order. */
const firstImages = <T extends { readonly path: string }>(changes: readonly T[]) => [...changes].sort((x, y) => Number(/(^|\.)image$/.test(y.path)) - Number(/(^|\.)image$/.test(x.path)));
const usd = (x: number) => `$${x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const money = (x: { min: number; max: number } | undefined) => (x ? `${usd(x.min)}–${usd(x.max)}/h` : "—");
const monthly = (x: { min: number; max: number } | undefined) => (x ? `~$${Math.round(x.min * 730).toLocaleString("en-US")}–$${Math.round(x.max * 730).toLocaleString("en-US")}/month` : "—");
const range = (x: { min: number; max: number } | undefined) => (x ? `${x.min}–${x.max}` : "—");
const cell = (s: string) => s.replace(/\|/g, "\\|");

const ROWS: readonly [string, (v: ModelView) => string][] = [
  ["model", (v) => v.model], ["precision", (v) => v.precision], ["instance", (v) => `${v.instance}${availabilityNote(v.availability)}`], ["GPUs (min–max)", (v) => range(v.gpus)],
  ["$/hour (min–max)", (v) => `${money(v.hourlyUsd)}${v.priceEstimate ? " (ESTIMATED price)" : ""}`], ["$/month (730 h)", (v) => `~$${v.monthlyUsd.min.toLocaleString("en-US")}–$${v.monthlyUsd.max.toLocaleString("en-US")}${v.priceEstimate ? " (ESTIMATED price)" : ""}`],
  ["load → replicas", (v) => (v.load ? `${v.load.requestsPerSecond} req/s × (${v.load.inputTokens.toLocaleString("en-US")} in + ${v.load.outputTokens.toLocaleString("en-US")} out) → ${v.load.replicas}` : "—")],
  ["$/Mtok out (at the load)", (v) => (v.usdPerMillionOutputTokens === null ? "—" : `~$${v.usdPerMillionOutputTokens} (ESTIMATE)`)],
  ["context", (v) => v.maxModelLen.toLocaleString("en-US")], ["exposure", (v) => v.exposure], ["endpoint", (v) => v.endpoint],
  ["models served", (v) => v.servedModels.join(", ")], ["routing", (v) => v.routing], ["from zero", (v) => v.fromZero],
];

function modelSection(m: ModelDiff, replaces?: string): string[] {
  const label = replaces ? `replaces \`${replaces}\`` : { added: "added", removed: "removed", changed: "changed", unchanged: "unchanged" }[m.change];
  const lines = [`**\`${m.name}\`** ${label}`, "", "| | before | after |", "|---|---|---|"];
  for (const [title, get] of ROWS) {
    const before = m.before ? get(m.before) : "—";
    const after = m.after ? get(m.after) : "—";
    lines.push(`| ${title} | ${cell(before)} | ${before === after ? cell(after) : `**${cell(after)}**`} |`);
  }
  if (m.flags.length) lines.push("", `vLLM flags: ${m.flags.map((f) => `\`${f.flag}\` ${show(f.before)} → **${show(f.after)}**`).join("; ")}`);
  // A new model has nothing to compare with: its whole command line, folded.
  if (m.change === "added" && m.after) {
    const flags = Object.entries(m.after.flags).filter(([flag]) => flag.startsWith("--")).map(([flag, value]) => (value === "true" ? flag : `${flag} ${value}`));
    lines.push("", `<details><summary>vLLM flags (${flags.length})</summary>`, "", `\`vllm serve ${m.after.flags.model ?? ""} ${flags.join(" ")}\``, "", "</details>");
  }
  return [...lines, ""];
}

/** The stack's model sections; one model removed and one added reads as a replacement, flags compared by name. */
function modelSections(models: readonly ModelDiff[]): string[] {
  const changed = models.filter((x) => x.change !== "unchanged");
  const added = changed.filter((x) => x.change === "added");
  const removed = changed.filter((x) => x.change === "removed");
  if (added.length === 1 && removed.length === 1) {
    const pair = compareViews(added[0]!.name, removed[0]!.before, added[0]!.after);
    return [...changed.filter((x) => x.change === "changed"), pair].flatMap((m) => (m === pair ? modelSection(m, removed[0]!.name) : modelSection(m)));
  }
  return changed.flatMap((m) => modelSection(m));
}

export function diffMarkdown(diffs: readonly StackDiff[], base: string, broken: readonly { stack: string; error: string }[] = []): string {
  const lines = [`### omk diff against \`${base}\``, ""];
  for (const b of broken) lines.push(`#### \`${b.stack}\` — ❌ no longer plans`, "", "```", b.error, "```", "");
  const changedStacks = diffs.filter(hasChanges);
  if (!changedStacks.length && !broken.length) return [...lines, "No stack changes."].join("\n");
  for (const d of changedStacks) {
    const replaced = d.changed.filter((c) => c.replaceReason);
    lines.push(`#### \`${d.stack}\`${!d.before ? " (new stack)" : !d.after ? " (removed stack)" : ""}`, "");
    const arrow = (x: string, y: string) => `${x} → ${x === y ? y : `**${y}**`}`;
    lines.push(`GPUs ${arrow(range(d.before?.gpus), range(d.after?.gpus))}, GPU nodes ${arrow(money(d.before?.hourlyUsd), money(d.after?.hourlyUsd))} (${arrow(monthly(d.before?.hourlyUsd), monthly(d.after?.hourlyUsd))}, on-demand).`);
    if (!d.after) lines.push("", `> ⚠️ **Deleting the stack file destroys nothing.** The stack keeps running and costing ${money(d.before?.hourlyUsd)}/h, no longer managed by CI, until someone runs \`pulumi destroy -s ${d.stack}\` (a protected cluster first needs \`omk:cluster.protect: false\` and a \`pulumi up\`).`);
    for (const b of d.blocking) lines.push("", `> ⛔ **Blocks \`pulumi up\`:** ${b}`);
    if (d.regionChanged) lines.push("", `> **Region changed (${d.before!.region} → ${d.after!.region}): every AWS resource is replaced, and every Kubernetes object with its cluster.**`);
    const critical = replaced.filter((c) => c.critical);
    if (critical.length) lines.push("", `> ⚠️ **Replaces ${critical.length} critical resource(s):** ${critical.map((c) => `\`${c.type.split(":").pop()} ${c.name}\``).join(", ")}`);
    const deleted = d.removed.filter((r) => CRITICAL.test(r.type));
    if (deleted.length && d.after) lines.push("", `> ⚠️ **Deletes ${deleted.length} critical resource(s):** ${deleted.map((r) => `\`${r.type.split(":").pop()} ${r.name}\``).join(", ")}`);
    lines.push("");
    lines.push(...modelSections(d.models));
    if (d.after) {
      const config = d.policyConfig ? ` (\`${d.policyConfig}\`)` : " (the pack's defaults: no policy config for this environment)";
      lines.push(d.violations.length ? `**Policies**${config}:` : `**Policies**${config}: ✅ pass`);
      for (const v of d.violations) lines.push(`- ${v.level === "mandatory" ? "❌ mandatory" : "⚠️ advisory"} \`${v.policy}\`: ${v.message}`);
      lines.push("");
    }
    const total = d.added.length + d.removed.length + d.changed.length;
    if (total) {
      lines.push(`<details><summary>Resources: ${d.added.length} added, ${d.removed.length} removed, ${d.changed.length - replaced.length} changed, ${replaced.length} replaced</summary>`, "");
      lines.push("| | resource | details |", "|---|---|---|");
      for (const r of d.added) lines.push(`| + | \`${r.type}\` ${r.name} | |`);
      for (const r of d.removed) lines.push(`| − | \`${r.type}\` ${r.name} | |`);
      for (const c of d.changed) {
        const details = firstImages(c.changes).slice(0, 6).map((x) => `\`${x.path}\`: ${showChange(x.before, x.after)}`).join("<br>") + (c.changes.length > 6 ? `<br>… ${c.changes.length - 6} more` : "");
        lines.push(`| ${c.replaceReason ? "±" : "~"} | \`${c.type}\` ${c.name}${c.replaceReason ? ` — **replaced** (${c.replaceReason})${c.protected ? " ⛔ protected" : ""}` : ""}${c.disruption ? ` — ${c.disruption}` : ""} | ${cell(details)} |`);
      }
      lines.push("", "</details>", "");
    }
  }
  return lines.join("\n");
}
