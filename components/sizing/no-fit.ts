/**
 * When nothing fits: the largest option's capacity and concrete changes that would make the model fit
 * (a smaller context or concurrency, another precision, an FP8 KV cache, another region). Pure.
 */
import { weightsFor } from "../catalog/models";
import { KNOWN_REGIONS } from "../catalog/regions";
import { layoutName } from "./parallel";
import type { Candidate, SizingRequest, SizingResult } from "./sizing-request";

const int = (n: number) => Math.round(n).toLocaleString("en-US");

type Sizer = (req: SizingRequest, options: { explain?: boolean }) => SizingResult;

export function explainNoFit(req: SizingRequest, all: readonly Candidate[], size: Sizer): string {
  const where = req.instanceType ? `${req.instanceType} in ${req.region}` : `any GPU instance in ${req.region}`;
  const head = `${req.model.id} (${req.precision}) at maxModelLen ${int(req.maxModelLen)} × concurrency ${req.concurrency} does not fit ${where}.`;
  const largest = all.filter((c) => c.memory).sort((a, b) => (b.memory!.maxConcurrency - a.memory!.maxConcurrency) || (b.memory!.kvCacheGiBPerGpu - a.memory!.kvCacheGiBPerGpu))[0];
  const parts = [head];
  if (largest?.memory && largest.memory.kvCacheGiBPerGpu > 0) {
    const m = largest.memory;
    parts.push(`The largest option, ${largest.instanceType} × ${largest.nodes} node(s) (${layoutName({ tensorParallel: largest.tensorParallelSize, pipelineParallel: largest.pipelineParallelSize, dataParallel: largest.dataParallelSize, expertParallel: largest.expertParallel, nodes: largest.nodes })}), holds ${m.maxConcurrency} sequence(s) at ${int(req.maxModelLen)}.`);
    // Tokens one GPU's KV memory holds, per the growing layers: what a shorter context could use.
    const kvBytes = m.kvCacheGiBPerGpu * 1024 ** 3 - req.concurrency * (m.stateBytesPerSequencePerGpu + m.windowBytesPerSequencePerGpu);
    const perRankConcurrency = Math.max(1, Math.ceil(req.concurrency / Math.max(1, largest.dataParallelSize)));
    const len = m.kvBytesPerTokenPerGpu > 0 ? Math.floor(kvBytes / m.kvBytesPerTokenPerGpu / perRankConcurrency / 1024) * 1024 : 0;
    const fewer = m.maxConcurrency >= 1 && m.maxConcurrency < req.concurrency ? ` or concurrency to ≤ ${m.maxConcurrency}` : "";
    if (len >= 1024) parts.push(`Lower maxModelLen to ≤ ${int(len)}${fewer}.`);
    else if (fewer) parts.push(`Lower concurrency to ≤ ${m.maxConcurrency}.`);
  } else if (largest) {
    parts.push(`Even the largest option is short: ${largest.instanceType} — ${largest.reason}.`);
  } else {
    const offered = all.filter((c) => c.availability !== "not-offered");
    if (offered.length === 0) parts.push(`No catalog GPU type is offered in ${req.region}${req.instanceType ? "" : " at all"}.`);
    for (const [reason, types] of groupByReason(offered).slice(0, 2)) {
      parts.push(`${types.length} offered type(s) (${types.slice(0, 3).join(", ")}${types.length > 3 ? ", …" : ""}) were rejected: ${reason}.`);
    }
  }
  parts.push(...fixesElsewhere(req, size));
  return parts.join(" ");
}

/** Rejections grouped by their reason with the GPU-specific tail removed, largest group first. */
function groupByReason(cands: readonly Candidate[]): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const c of cands) {
    const key = c.reason.split("; ")[0]!;
    groups.set(key, [...(groups.get(key) ?? []), c.instanceType]);
  }
  return [...groups].sort((a, b) => b[1].length - a[1].length);
}

function fixesElsewhere(req: SizingRequest, size: Sizer): string[] {
  const fixes: string[] = [];
  for (const p of ["fp8", "int4"] as const) {
    if (p === req.precision || !weightsFor(req.model, p)) continue;
    const r = size({ ...req, precision: p }, { explain: false });
    if (r.ok) fixes.push(`precision ${p} fits on ${r.placement.instanceType} ($${r.placement.hourlyUsd}/h)`);
  }
  if (req.kvCacheDtype !== "fp8") {
    const r = size({ ...req, kvCacheDtype: "fp8" }, { explain: false });
    if (r.ok) fixes.push(`kvCacheDtype fp8 fits on ${r.placement.instanceType} ($${r.placement.hourlyUsd}/h)`);
  }
  const pinnedLayout = req.tensorParallel !== undefined || req.pipelineParallel !== undefined || req.dataParallel !== undefined;
  if (req.instanceType && pinnedLayout) {
    const sameType = size({ ...req, tensorParallel: undefined, pipelineParallel: undefined, dataParallel: undefined, expertParallel: undefined }, { explain: false });
    if (sameType.ok) fixes.push(`the layout the kit chooses on ${req.instanceType} fits (${layoutName({ tensorParallel: sameType.placement.tensorParallelSize, pipelineParallel: sameType.placement.pipelineParallelSize, dataParallel: sameType.placement.dataParallelSize, expertParallel: sameType.placement.expertParallel, nodes: sameType.placement.nodes })}, $${sameType.placement.hourlyUsd}/h): drop the pinned tensor/pipeline-parallel size`);
  }
  if (req.instanceType) {
    const free = size({ ...req, instanceType: undefined, tensorParallel: undefined, pipelineParallel: undefined, dataParallel: undefined, expertParallel: undefined }, { explain: false });
    if (free.ok) fixes.push(`without the pinned instance type, ${free.placement.instanceType} × ${free.placement.nodes} fits ($${free.placement.hourlyUsd}/h)`);
  }
  const elsewhere = KNOWN_REGIONS.filter((r) => r !== req.region)
    .map((region) => ({ region, r: size({ ...req, region }, { explain: false }) }))
    .flatMap(({ region, r }) => (r.ok ? [{ region, p: r.placement }] : []))
    .sort((a, b) => a.p.hourlyUsd - b.p.hourlyUsd)[0];
  if (elsewhere) fixes.push(`region ${elsewhere.region} fits on ${elsewhere.p.instanceType} ($${elsewhere.p.hourlyUsd}/h${elsewhere.p.priceEstimate ? ", estimated price" : ""})`);
  return fixes.length ? [`Would fit with: ${fixes.join("; ")}.`] : [];
}
