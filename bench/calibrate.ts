/**
 * Fits the serving-performance model's efficiency factors (components/sizing/perf/calibration.ts) on the
 * "calibrate" points of components/sizing/perf/data/measurements.json: a coordinate-descent search over a grid, from five starts, minimizing the mean
 * absolute log-error over every measured metric (output tokens/s, TPOT, TTFT). Prints the best factors to copy
 * into calibration.ts, then the error distribution of the shipped factors on both splits (the README's table, which `npx omk sync` rebuilds). Run by hand: `npm run calibrate`.
 */
import { EFFICIENCY, type Efficiency } from "../components/sizing/perf/calibration";
import { accuracyMarkdown, meanAbsLogError, prepared } from "../components/sizing/perf/accuracy";
import type { PreparedPoint } from "../components/sizing/perf/measurements";

/** The fit's objective: mean |log(predicted / measured)| (accuracy.ts). */
export function score(points: readonly PreparedPoint[], efficiency: Efficiency): number {
  return meanAbsLogError(points, efficiency);
}

/** The values each factor may take; the search walks them one factor at a time. */
const GRID: { readonly [K in keyof Efficiency]: readonly number[] } = {
  memoryBandwidth: [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9],
  compute: [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7],
  stepOverheadSeconds: [0, 0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.006],
  nvlinkLatencySeconds: [0.000005, 0.00001, 0.00002, 0.00004],
  pcieLatencySeconds: [0.000015, 0.00003, 0.00006, 0.00012],
  moeEfficiency: [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
  requestOverheadSeconds: [0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08],
};

/** Coordinate descent over GRID from one start until no single change lowers the score. */
function descend(points: readonly PreparedPoint[], start: Efficiency): { eff: Efficiency; score: number } {
  let best = { eff: start, score: score(points, start) };
  for (let improved = true; improved; ) {
    improved = false;
    for (const key of Object.keys(GRID) as (keyof Efficiency)[]) {
      for (const value of GRID[key]) {
        const eff = { ...best.eff, [key]: value };
        const s = score(points, eff);
        if (s < best.score - 1e-9) { best = { eff, score: s }; improved = true; }
      }
    }
  }
  return best;
}

/** Starts independent of the shipped factors: every grid's low, middle and high values. */
function starts(): Efficiency[] {
  const at = (q: number) => Object.fromEntries((Object.keys(GRID) as (keyof Efficiency)[]).map((k) => [k, GRID[k][Math.round(q * (GRID[k].length - 1))]!])) as unknown as Efficiency;
  return [at(0.5), at(0.25), at(0.75), at(0), at(1)];
}

/** The best of a coordinate descent from each start (deterministic: the shipped factors must be what it returns). */
export function fit(points: readonly PreparedPoint[]): { eff: Efficiency; score: number } {
  return starts().map((s) => descend(points, s)).reduce((a, b) => (b.score < a.score - 1e-9 ? b : a));
}

function main() {
  const calibrate = prepared("calibrate", "steady");
  const best = fit(calibrate);
  console.log(`Points: ${calibrate.length} to calibrate on.`);
  console.log(`Shipped factors: mean |log error| ${score(calibrate, EFFICIENCY).toFixed(3)}`);
  console.log(`Best factors: ${JSON.stringify(best.eff)} (mean |log error| ${best.score.toFixed(3)}, i.e. ±${((Math.exp(best.score) - 1) * 100).toFixed(0)} %)`);
  console.log(`Held-out steady-load points: shipped ${score(prepared("validate", "steady"), EFFICIENCY).toFixed(3)}, best ${score(prepared("validate", "steady"), best.eff).toFixed(3)}`);
  console.log("\nError of the shipped factors (predicted / measured − 1; negative = an estimate below the measurement):\n");
  console.log(accuracyMarkdown());
}

if (require.main === module) main();
