/** `omk plan`: validate a stack, run the kit offline, summarise what `pulumi up` would create. */
import { teardownText } from "../engine/teardown";
import { existsSync, statSync } from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../../components/config/errors";
import { defaultStack, readStackFile, stackFilePath, stackNameOf } from "../../components/config/load";
import { planStack, writePlan, type Plan } from "../engine/plan";
import { memoryBar } from "../../components/sizing/cost";
import { alternativesTable, availabilityNote, duration as mins, gib, int, layoutOf, table, usd } from "../format";
import { planMarkdown } from "./plan-markdown";
import { unmeasuredNote } from "../../components/sizing/perf/accuracy";
import { serverArgs } from "../engine/diff";
import { ROUTER_REPLICAS } from "../../components/traffic/router-spec";

export interface PlanOptions {
  readonly stack?: string;
  readonly config?: string;
  readonly json?: boolean;
  /** text (default), markdown (for PR comments) or json. */
  readonly format?: string;
  readonly out?: string;
  readonly policyConfig?: string;
}

type PlannedModel = Plan["models"][number];

export function routingText(r: PlannedModel["routing"], exposure = "internal"): string {
  if (r.component === "service") return `round-robin through the Service${exposure === "internal" ? "" : " (and the ALB's least outstanding requests)"}: no router`;
  const how = r.policy === "session" ? `keeps each ${r.sessionHeader} value on one replica` : "sends each prompt to the replica that served its longest prefix";
  return `${r.policy} through the vLLM router (production-stack, ${ROUTER_REPLICAS} replicas): it ${how}`;
}

export function fromZeroText(m: PlannedModel): string {
  if (m.autoscaling.fromZero === "on-request") {
    return `wakes on the first request (the KEDA HTTP add-on holds it): worst-case first response ~${mins(m.firstRequestSeconds ?? m.coldStart.scaleUpSeconds)} (ESTIMATE, an uncached cold start); held up to ${mins(m.wakeTimeoutSeconds ?? 0)}, then 503 with Retry-After — give clients a longer timeout (the OpenAI SDK's default is 10 min) or retry on 503; back to zero after ${mins(m.autoscaling.cooldownSeconds)} without requests`;
  }
  return `wakes only in its ${m.autoscaling.warmWindows} warm window(s): requests outside them fail until then (autoscaling.wakeOnRequest is false)`;
}

export function planText(plan: Plan): string {
  const lines: string[] = [];
  lines.push(`omk plan: stack "${plan.stack}" (environment ${plan.environment}, region ${plan.region}). Offline: no cloud API was called.`);
  lines.push("", "Models");
  for (const m of plan.models) {
    lines.push(`  ${m.name}: ${m.model} ${m.precision} (${m.weightsRepo})`);
    if (m.instanceType === "cpu") {
      lines.push(`    placement  the cluster's CPUs (no GPU), replicas ${m.replicas.min}–${m.replicas.max}; KV cache ${gib(m.kvCacheGiBPerGpu)} of host memory`);
    } else {
      lines.push(`    placement  ${m.instanceType} × ${m.nodes} node${m.nodes > 1 ? "s" : ""}, ${m.gpusPerReplica} × ${m.gpu}, ${layoutOf(m)}, replicas ${m.replicas.min}–${m.replicas.max}${availabilityNote(m.availability)}`);
      lines.push(`    layout     ${m.layoutReason}`);
      lines.push(`    GPUs       ${m.gpusPerReplica * m.replicas.min}–${m.gpusPerReplica * m.replicas.max} in total`);
    }
    const warm = m.replicas.min === 0 && m.autoscaling.warmWindows ? (m.monthlyUsd.windowsCounted ? " (min: its warm windows)" : " (min: warm windows not estimated)") : "";
    lines.push(`    cost       ${usd(m.hourlyUsdPerReplica)}/h per replica, ${usd(m.hourlyUsd.min)}–${usd(m.hourlyUsd.max)}/h, ~$${int(m.monthlyUsd.min)}–$${int(m.monthlyUsd.max)}/month${warm}${m.priceEstimate ? " (ESTIMATED regional price)" : ""}`);
    if (m.load) {
      const l = m.load;
      lines.push(`    load       ${l.requestsPerSecond} req/s × (${int(l.inputTokens)} in + ${int(l.outputTokens)} out)${l.ttftTargetMs ? `, TTFT ≤ ${l.ttftTargetMs} ms` : ""}${l.tpotTargetMs ? `, TPOT ≤ ${l.tpotTargetMs} ms` : ""}: ${l.replicas} replica(s) with ${Math.round(l.headroom * 100)} % headroom; each within the targets up to ${l.concurrencyPerReplica} requests in flight (there ~${int(l.outputTokensPerSecond)} output tok/s, TTFT ~${int(l.ttftMs)} ms, TPOT ~${l.tpotMs} ms, means) (ESTIMATE${unmeasuredNote(m.instanceType)})`);
      lines.push(`    $/Mtok     ~$${l.usdPerMillionOutputTokens} per million output tokens, ~$${l.usdPerMillionTotalTokens} per million tokens in and out, at that load (ESTIMATE)`);
    }
    if (m.instanceType !== "cpu") lines.push(`    GPU memory ${memoryBar(m)} W weights,${m.loraGiBPerGpu ? " L LoRA adapters," : ""} A activation+overhead, K KV cache, . headroom`);
    if (m.instanceType !== "cpu") lines.push(`    memory/GPU weights ${gib(m.weightsGiBPerGpu)}${m.loraGiBPerGpu ? ` + LoRA adapters ${gib(m.loraGiBPerGpu)}` : ""} + activation ${gib(m.activationGiB)} + overhead ${gib(m.overheadGiB)} + KV cache ${gib(m.kvCacheGiBPerGpu)} of ${gib(m.gpuMemoryGiB)} × ${m.gpuMemoryUtilization}`);
    if (m.lora) {
      const each = m.lora.adapters.map((a) => `${a.name} (rank ${a.rank}, ${a.repo}${a.revision ? `@${a.revision.slice(0, 12)}` : ""})`).join(", ");
      const experts = m.lora.perExpert ? `; an MoE model holds buffers per expert (${m.model}: most of it)` : "";
      lines.push(`    adapters   ${each}; --max-loras ${m.lora.maxLoras} × --max-lora-rank ${m.lora.maxLoraRank} reserve ${gib(m.loraGiBPerGpu)}/GPU (ESTIMATE${experts})`);
    }
    lines.push(`    KV cache   ${int(m.kvCacheTokens)} tokens = ${m.maxConcurrency} × maxModelLen ${int(m.maxModelLen)} (asked for ≥ ${m.concurrency})${m.kvHeadroom === null ? "" : `, ${Math.round(m.kvHeadroom * 100)} % headroom`}; --max-num-seqs ${m.maxNumSeqs}${m.stateBlocks === null ? "" : ` (≤ 80 % of ${int(m.stateBlocks)} state blocks)`}`);
    if (m.stateBytesPerSequencePerGpu || m.windowBytesPerSequencePerGpu) {
      lines.push(`    KV layout  ${int(m.kvBytesPerTokenPerGpu)} B/token/GPU${m.stateBytesPerSequencePerGpu ? ` + linear-attention state ${gib(m.stateBytesPerSequencePerGpu / 1024 ** 3)}/sequence/GPU` : ""}${m.windowBytesPerSequencePerGpu ? ` + windowed layers ${gib(m.windowBytesPerSequencePerGpu / 1024 ** 3)}/sequence/GPU` : ""}`);
    }
    if (m.yarnFactor) lines.push(`    context    YaRN factor ${m.yarnFactor} (--hf-overrides): static YaRN also applies to short prompts and can cost quality there`);
    const cs = m.coldStart;
    const args = serverArgs(plan, m.name);
    if (args.length) lines.push(`    vllm serve ${args.map((a) => (/\s|^$/.test(a) ? `'${a}'` : a)).join(" ")}`);
    lines.push(`    server     ${m.workload}${m.nodes > 1 ? ` of ${m.nodes} pods per replica` : ""}, weights from ${m.weightSource === "s3" ? "the S3 model store (Run:ai streamer)" : "the Hugging Face Hub"}`);
    lines.push(`    cold start ~${mins(cs.scaleUpSeconds)} per new replica (ESTIMATE: node ${mins(cs.nodeBootSeconds)}, image ${mins(cs.imagePullSeconds)}, ${cs.downloadSeconds ? `download ${mins(cs.downloadSeconds)}, ` : ""}load ${mins(cs.loadSeconds)}, compile ${mins(cs.compileSeconds)} (${mins(cs.compileCachedSeconds)} cached), warm-up ${mins(cs.warmupSeconds)}${cs.adaptersSeconds ? `, adapters ${mins(cs.adaptersSeconds)}` : ""}); startup probe allows ${mins(cs.startupProbe.budgetSeconds)}`);
    lines.push(`    endpoint   ${plan.endpoints[m.name] ?? "-"} (${m.exposure}${m.auth ? ", API key required" : ", no auth"}); models ${m.servedModels.join(", ")}`);
    lines.push(`    routing    ${routingText(m.routing, m.exposure)}`);
    if (m.replicas.max > m.replicas.min || m.autoscaling.warmWindows) {
      lines.push(`    autoscale  KEDA: +1 replica when > ${m.autoscaling.targetQueueLength} requests wait per replica${m.load ? `, > ${m.load.scaleAtInFlight} in flight per replica` : ""} or KV cache > ${Math.round(m.autoscaling.kvCacheUtilization * 100)} %, ${m.replicas.min}–${m.replicas.max} replicas${m.autoscaling.warmWindows ? `, ${m.autoscaling.warmWindows} warm window(s)` : ""}; worst-case scale-up ~${mins(m.coldStart.scaleUpSeconds)}`);
    }
    if (m.replicas.min === 0) lines.push(`    from zero  ${fromZeroText(m)}`);
    const next = m.alternatives.filter((a) => a.fits).slice(0, 3);
    if (next.length) lines.push(`    next best\n${alternativesTable(next, 3).replace(/^ {2}/gm, "      ")}`);
  }
  const c = plan.cluster;
  const capacity = c.capacity === "karpenter" ? "Karpenter NodePools" : c.capacity === "managed" ? "managed node groups" : "the cluster's CPUs (no GPUs)";
  lines.push("", "Cluster");
  lines.push(`  ${c.mode === "create" ? `new EKS cluster ${c.name} (Auto Mode), VPC across ${c.zones.join(", ")}` : `existing cluster (${c.name})`}; capacity: ${capacity}`);
  if (plan.pools.length) {
    lines.push("", "GPU pools (limits bound the bill)");
    lines.push(table(plan.pools.map((p) => [p.name, `${p.instanceType}`, `nodes ${p.minNodes}–${p.maxNodes}`, `GPU limit ${p.gpuLimit}${p.surgeNodes ? ` (incl. ${p.surgeNodes * p.gpusPerNode} surge for rollouts)` : ""}`, `disk ${p.diskGiB} GiB`, `AZs ${p.zones.join(",")}`, `${usd(p.hourlyUsd.min)}–${usd(p.hourlyUsd.max)}/h`, p.models.join(", ")])));
  }
  lines.push("", "Add-ons");
  lines.push(table(plan.addons.map((a) => [a.install ? "install" : "skip", a.name, a.reason])));
  if (plan.quotas.length) {
    lines.push("", "EC2 vCPU quotas at max scale + rollout surge");
    lines.push(table(plan.quotas.map((q) => [q.code, q.name, `needs ${q.vcpus}`, q.available === null ? "not read" : `has ${q.available}${q.short ? `, SHORT by ${q.short}` : ""}`])));
  }
  if (plan.dashboard) lines.push("", `Observability: ${plan.dashboard}.`);
  if (plan.alerts) lines.push(`Alerts: ${plan.alerts.rules.join(", ")} → ${plan.alerts.receivers.length ? plan.alerts.receivers.join(", ") : "no receiver (see notes)"}.`);
  lines.push("", "Teardown", ...teardownText(plan.teardown));
  if (plan.warnings.length) lines.push("", "Notes", ...plan.warnings.map((w) => `  - ${w}`));
  const v = plan.policy.violations;
  lines.push("", `Policies (${plan.policy.config ?? "pack defaults"}): ${v.filter((x) => x.level === "mandatory").length} mandatory, ${v.filter((x) => x.level === "advisory").length} advisory violation(s)`);
  for (const x of v) lines.push(`  ${x.level === "mandatory" ? "FAIL" : "warn"}  ${x.policy}${x.urn ? ` [${x.urn.split("::").pop()}]` : ""}: ${x.message}`);
  lines.push("", `Resources (${plan.resources.length})`);
  lines.push(table(Object.entries(plan.counts).sort().map(([type, n]) => [type, String(n)])));
  lines.push("", `Cost: ${usd(plan.hourlyUsd.min)}–${usd(plan.hourlyUsd.max)} per hour for GPU nodes at min–max replicas, on-demand${plan.priceEstimate ? "; includes ESTIMATED regional prices" : ""}.`);
  if (plan.fixedCost.items.length) lines.push(`Fixed: ${plan.fixedCost.items.map((i) => `${i.item} $${Number(i.hourlyUsd.toFixed(4))}/h`).join(", ")}${plan.fixedCost.estimate ? " (ESTIMATED for this region)" : ""}.`);
  const spot = plan.cluster.capacityType !== "on-demand" ? ` This stack buys ${plan.cluster.capacityType} capacity: the on-demand figures are its upper bound (spot prices vary and are not in the catalog).` : "";
  lines.push(`Monthly (730 h): ~$${int(plan.monthlyUsd.min)}–$${int(plan.monthlyUsd.max)} on-demand. Not included: EKS Auto Mode management fee, data transfer, storage.${spot}`);
  lines.push("Activation and overhead memory are estimates calibrated on published vLLM logs (see components/sizing/memory.ts).");
  return lines.join("\n");
}

export async function planCommand(opts: PlanOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  if (opts.format && !["text", "markdown", "json"].includes(opts.format)) {
    err(`omk plan: --format "${opts.format}" is not one of text, markdown, json.`);
    return 1;
  }
  if (opts.stack && opts.config) {
    err("omk plan: use either --stack <name> or --config <file>, not both.");
    return 1;
  }
  if (opts.out && existsSync(opts.out) && !statSync(opts.out).isDirectory()) {
    err(`omk plan: --out "${opts.out}" is a file. Fix: pass a folder (it is created when missing).`);
    return 1;
  }
  const stack = opts.stack ?? (opts.config ? stackNameOf(opts.config) : defaultStack());
  const file = opts.config ? path.resolve(opts.config) : stackFilePath(stack);
  let result;
  try {
    result = await planStack(readStackFile(file), { stack, source: path.relative(process.cwd(), file) || file, policyConfig: opts.policyConfig ? path.resolve(opts.policyConfig) : undefined });
  } catch (e) {
    if (e instanceof ConfigError) {
      err(e.message);
      return 1;
    }
    throw e;
  }
  if (!result.ok) {
    err(result.error.message);
    return 1;
  }
  if (opts.out) {
    const files = writePlan(result.plan, opts.out);
    if (!opts.json) out(`Wrote ${files.length} file(s) under ${opts.out}: plan.json${files.length > 1 ? ` and ${files.length - 1} manifest(s) in manifests/` : ""}.`);
  }
  const format = opts.json ? "json" : opts.format ?? "text";
  out(format === "json" ? JSON.stringify(result.plan, null, 2) : format === "markdown" ? planMarkdown(result.plan) : planText(result.plan));
  const mandatory = result.plan.policy.violations.filter((v) => v.level === "mandatory");
  if (mandatory.length) {
    err(`omk plan: ${mandatory.length} mandatory policy violation(s); \`pulumi preview --policy-pack policies\` would block this.`);
    return 2;
  }
  if (result.plan.manifestProblems.length) {
    err(`omk plan: ${result.plan.manifestProblems.length} Kubernetes object(s) fail their schema:\n${result.plan.manifestProblems.map((p) => `  - ${p}`).join("\n")}`);
    return 1;
  }
  return 0;
}
