/** `omk plan --format markdown`: the plan as a reviewer reads it in a pull-request comment. */
import type { Plan } from "../engine/plan";
import { memoryBar, monthly } from "../../components/sizing/cost";
import { availabilityNote, duration, int, layoutOf, markdownTable, usd } from "../format";
import { unmeasuredNote } from "../../components/sizing/perf/accuracy";

export { availabilityNote };

const mins = (s: number) => duration(s, " ");

export function planMarkdown(plan: Plan): string {
  const lines: string[] = [];
  const mandatory = plan.policy.violations.filter((v) => v.level === "mandatory");
  lines.push(`### omk plan — \`${plan.stack}\` (${plan.environment}, ${plan.region})`);
  lines.push("");
  lines.push(`**${usd(plan.hourlyUsd.min)}–${usd(plan.hourlyUsd.max)}/h** for GPU nodes, **~$${int(plan.monthlyUsd.min)}–$${int(plan.monthlyUsd.max)}/month** with fixed costs (on-demand${plan.cluster.capacityType !== "on-demand" ? ` — an upper bound: this stack buys ${plan.cluster.capacityType} capacity` : ""}${plan.priceEstimate || plan.fixedCost.estimate ? "; includes estimated regional prices" : ""}). Policies: ${mandatory.length ? `❌ ${mandatory.length} mandatory violation(s)` : "✅ pass"}${plan.policy.violations.length - mandatory.length ? `, ⚠️ ${plan.policy.violations.length - mandatory.length} advisory` : ""}.`);
  lines.push("");
  lines.push(markdownTable(["model", "placement", "GPUs", "context × concurrency (holds)", "replicas", "$/h (min–max)", "$/month (min–max)", "cold start", "exposure", "routing", "from zero", "endpoint (models)"], plan.models.map((m) => {
    const placement = m.instanceType === "cpu" ? "cluster CPUs" : `${m.instanceType}${m.nodes > 1 ? ` × ${m.nodes}` : ""}, ${layoutOf(m)}${availabilityNote(m.availability)}`;
    const atZero = !m.autoscaling.warmWindows ? " (at min: idle at zero)" : m.monthlyUsd.windowsCounted ? " (warm windows)" : " (windows not estimated)";
    const month = `~$${int(m.monthlyUsd.min)}–$${int(m.monthlyUsd.max)}${m.replicas.min === 0 ? atZero : ""}`;
    return [`\`${m.name}\` (${m.model}, ${m.precision})`, placement, `${m.gpusPerReplica * m.replicas.min}–${m.gpusPerReplica * m.replicas.max}`, `${int(m.maxModelLen)} × ${m.concurrency} (${m.maxConcurrency})`,
      `${m.replicas.min}–${m.replicas.max}`, `${usd(m.hourlyUsd.min)}–${usd(m.hourlyUsd.max)}${m.priceEstimate ? " (ESTIMATED price)" : ""}`, month, `~${mins(m.coldStart.scaleUpSeconds)} (est.)`, m.exposure,
      m.routing.component === "service" ? "round-robin" : `${m.routing.policy} (vLLM router)`,
      m.autoscaling.fromZero === "on-request" ? `on request, first response ≤ ~${mins(m.firstRequestSeconds ?? 0)} (est.)` : m.autoscaling.fromZero,
      `${plan.endpoints[m.name] ?? "-"} (${m.servedModels.join(", ")})`];
  })));
  lines.push("");
  for (const m of plan.models.filter((x) => x.load)) {
    const l = m.load!;
    lines.push(`\`${m.name}\` for ${l.requestsPerSecond} req/s × (${int(l.inputTokens)} in + ${int(l.outputTokens)} out): **${l.replicas} replica(s)** with ${Math.round(l.headroom * 100)} % headroom, each within the targets up to ${l.concurrencyPerReplica} requests in flight (~${int(l.outputTokensPerSecond)} output tok/s, TTFT ~${int(l.ttftMs)} ms, TPOT ~${l.tpotMs} ms), **~$${l.usdPerMillionOutputTokens} per million output tokens** (ESTIMATES${unmeasuredNote(m.instanceType)}).`, "");
  }
  lines.push("<details><summary>GPU memory per model</summary>", "", "```");
  for (const m of plan.models.filter((x) => x.instanceType !== "cpu")) {
    lines.push(`${m.name.padEnd(24)} ${memoryBar(m)}  weights ${m.weightsGiBPerGpu} GiB, KV ${m.kvCacheGiBPerGpu} GiB of ${m.gpuMemoryGiB} GiB/GPU`);
  }
  lines.push("W weights · A activation+overhead · K KV cache · . headroom", "```", "</details>", "");
  if (plan.fixedCost.items.length) lines.push(`Fixed costs: ${plan.fixedCost.items.map((i) => `${i.item} $${Number(i.hourlyUsd.toFixed(4))}/h`).join(", ")} (~$${int(monthly(plan.fixedCost.hourlyUsd))}/month).`, "");
  if (plan.policy.violations.length) {
    lines.push(markdownTable(["policy", "level", "resource", "message"], plan.policy.violations.map((v) => [v.policy, v.level, v.urn ? `\`${v.urn.split("::").pop()}\`` : "stack", v.message.replace(/\|/g, "\\|")])), "");
  }
  if (plan.warnings.length) lines.push("<details><summary>Notes</summary>", "", ...plan.warnings.map((w) => `- ${w}`), "", "</details>");
  return lines.join("\n");
}
