/**
 * `omk plan` as a library: validate a stack config, run the kit offline, and describe what `pulumi up`
 * would create. Tests call `planStack` directly; the CLI only formats its result.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import type { RawStackConfig } from "../../components/config/validate";
import { resolveStack } from "../../components/config/validate";
import type { ConfigError } from "../../components/config/errors";
import { buildKit } from "../../components/kit";
import type { PlacementSummary } from "../../components/serving/placement-summary";
import { recordProgram, valueOf, type RecordedResource } from "./record";

export interface Plan {
  readonly stack: string;
  readonly environment: string;
  readonly region: string;
  readonly models: readonly (PlacementSummary & { readonly alternatives: readonly AlternativeSummary[] })[];
  readonly resources: readonly RecordedResource[];
  /** Resource count per type token. */
  readonly counts: Readonly<Record<string, number>>;
  readonly hourlyUsd: { readonly min: number; readonly max: number };
  /** True when any price in the plan is a regional estimate rather than a published price. */
  readonly priceEstimate: boolean;
}

export interface AlternativeSummary {
  readonly instanceType: string;
  readonly nodes: number;
  readonly tensorParallelSize: number;
  readonly pipelineParallelSize: number;
  readonly hourlyUsd: number | null;
  readonly fits: boolean;
  readonly reason: string;
}

export type PlanResult = { readonly ok: true; readonly plan: Plan } | { readonly ok: false; readonly error: ConfigError };

/** Config as the Pulumi engine hands it to a program: every value a string, objects as JSON. */
export function toEngineConfig(raw: RawStackConfig): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

export async function planStack(raw: RawStackConfig, options: { stack: string; source: string }): Promise<PlanResult> {
  const resolved = resolveStack(raw, options.source);
  if (!resolved.ok) return resolved;
  const rec = await recordProgram(() => buildKit(resolved.stack), { stack: options.stack, config: toEngineConfig(raw) });
  const summaries = await valueOf(rec.result.models);
  const models = summaries.map((s) => {
    const m = resolved.stack.models.find((x) => x.name === s.name)!;
    return {
      ...s,
      alternatives: m.alternatives.map((a) => ({
        instanceType: a.instanceType, nodes: a.nodes, tensorParallelSize: a.tensorParallelSize, pipelineParallelSize: a.pipelineParallelSize,
        hourlyUsd: a.hourlyUsd, fits: a.fits, reason: a.reason,
      })),
    };
  });
  const counts: Record<string, number> = {};
  for (const r of rec.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  const sum = (f: (m: PlacementSummary) => number) => Math.round(models.reduce((t, m) => t + f(m), 0) * 100) / 100;
  return {
    ok: true,
    plan: {
      stack: options.stack, environment: resolved.stack.environment, region: resolved.stack.region, models, resources: rec.resources, counts,
      hourlyUsd: { min: sum((m) => m.hourlyUsd.min), max: sum((m) => m.hourlyUsd.max) },
      priceEstimate: models.some((m) => m.priceEstimate),
    },
  };
}

/** Kubernetes objects in the plan, as the manifests `kubectl` would receive. */
export function kubernetesManifests(plan: Plan): { file: string; object: Record<string, unknown> }[] {
  return plan.resources
    .filter((r) => r.custom && r.type.startsWith("kubernetes:") && typeof r.inputs.kind === "string")
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
  if (manifests.length) {
    const dir = path.join(outDir, "manifests");
    mkdirSync(dir, { recursive: true });
    for (const m of manifests) {
      const file = path.join(dir, m.file);
      writeFileSync(file, stringify(m.object));
      written.push(file);
    }
  }
  return written;
}
