/**
 * How far the serving-performance model lands from published measurements (data/measurements.json): the error
 * distribution per split and metric. `npm run calibrate` prints it after a fit, `npm run bench` with the other
 * benchmarks, and `npx omk sync` writes it into the README, so the reported numbers always come from a fresh run.
 */
import { findInstance } from "../../catalog/instances";
import { EFFICIENCY, type Efficiency } from "./calibration";
import { loadMeasurements, preparePoint, relativeErrors, type Metric, type PreparedPoint } from "./measurements";

export type Split = "calibrate" | "validate";

/**
 * Which points a row covers: the steady-load points the factors are fitted on, the steady-load configurations
 * held out of the fit, and the all-at-once runs of either split, which the fit never uses.
 */
export type AccuracyGroup = "fitted" | "held-out" | "burst";

export interface Accuracy {
  readonly group: AccuracyGroup;
  readonly metric: Metric;
  readonly n: number;
  /** Signed relative error (predicted / measured − 1) at the 25th, 50th and 75th percentile. */
  readonly p25: number;
  readonly median: number;
  readonly p75: number;
  /** Share of points predicted within ±30 % of the measurement. */
  readonly within30: number;
}

/**
 * The points of one split, each sized once; a point the catalog cannot size is left out (a test keeps it at none).
 * `regime` "steady" keeps only steady-load runs: the model is a steady-state one, so the fit uses only those, and
 * all-at-once runs (with their start-up transient) are reported beside it.
 */
export function prepared(split: Split | "all", regime?: "steady" | "burst"): PreparedPoint[] {
  return loadMeasurements().filter((p) => (split === "all" || p.split === split) && (!regime || p.regime === regime)).map(preparePoint).filter((p): p is PreparedPoint => typeof p !== "string");
}

const GROUPS: Record<AccuracyGroup, () => PreparedPoint[]> = {
  fitted: () => prepared("calibrate", "steady"),
  "held-out": () => prepared("validate", "steady"),
  burst: () => prepared("all", "burst"),
};

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function accuracy(efficiency: Efficiency = EFFICIENCY): Accuracy[] {
  const rows: Accuracy[] = [];
  for (const group of Object.keys(GROUPS) as AccuracyGroup[]) {
    const errors = GROUPS[group]().flatMap((p) => relativeErrors(p, efficiency));
    for (const metric of ["outputTokensPerSecond", "tpotMs", "medianItlMs", "ttftMs"] as const) {
      const xs = errors.filter((e) => e.metric === metric).map((e) => e.error).sort((a, b) => a - b);
      if (!xs.length) continue;
      rows.push({ group, metric, n: xs.length, p25: quantile(xs, 0.25), median: quantile(xs, 0.5), p75: quantile(xs, 0.75), within30: xs.filter((x) => Math.abs(x) <= 0.3).length / xs.length });
    }
  }
  return rows;
}

/** Mean |log(predicted / measured)| over every compared metric of the points: over- and under-estimates weigh alike. */
export function meanAbsLogError(points: readonly PreparedPoint[], efficiency: Efficiency = EFFICIENCY): number {
  const errors = points.flatMap((p) => relativeErrors(p, efficiency).map((e) => Math.abs(Math.log(1 + e.error))));
  return errors.reduce((a, b) => a + b, 0) / errors.length;
}

const METRIC_NAMES: Record<Metric, string> = { outputTokensPerSecond: "output tokens/s", tpotMs: "TPOT", ttftMs: "TTFT", medianItlMs: "median inter-token latency" };

const GROUP_NAMES: Record<AccuracyGroup, string> = { fitted: "fitted on", "held-out": "held out", burst: "never fitted (all-at-once runs)" };

/** The README's table: the shipped factors' error per group of points and metric, in Markdown. */
export function accuracyMarkdown(efficiency: Efficiency = EFFICIENCY): string {
  const pct = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(0)} %`;
  const factor = (group: AccuracyGroup) => Math.exp(meanAbsLogError(GROUPS[group](), efficiency)).toFixed(2);
  return [
    `Mean error factor (the geometric mean of predicted/measured or its inverse): ×${factor("fitted")} on the steady-load points fitted on, ×${factor("held-out")} on held-out steady-load configurations, ×${factor("burst")} on all-at-once runs (never fitted on).`,
    "",
    "| points | metric | n | median error | middle half (p25 … p75) | within ±30 % |",
    "|---|---|---|---|---|---|",
    ...accuracy(efficiency).map((a) => `| ${GROUP_NAMES[a.group]} | ${METRIC_NAMES[a.metric]} | ${a.n} | ${pct(a.median)} | ${pct(a.p25)} … ${pct(a.p75)} | ${(a.within30 * 100).toFixed(0)} % |`),
  ].join("\n");
}

let measuredGpus: Set<string> | undefined;

/** Whether a published measurement exists on this instance's GPU; without one its estimate rests on the datasheet alone. */
export function measuredOn(instanceType: string): boolean {
  measuredGpus ??= new Set(loadMeasurements().map((m) => findInstance(m.instanceType)?.gpu.model).filter((g): g is string => Boolean(g)));
  const gpu = findInstance(instanceType)?.gpu.model;
  return gpu !== undefined && measuredGpus.has(gpu);
}

/** What an output adds after an estimate on a GPU no measurement covers. */
export function unmeasuredNote(instanceType: string): string {
  return measuredOn(instanceType) ? "" : `; no published measurement on ${findInstance(instanceType)?.gpu.model ?? instanceType}: datasheet-only`;
}
