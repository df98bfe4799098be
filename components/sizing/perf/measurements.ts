/**
 * Published vLLM measurements (data/measurements.json, every point with its source and quote) and the model's
 * prediction for each: what `npm run bench` fits the efficiency factors on and reports the held-out error of.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { findModel } from "../../catalog/models";
import type { Precision } from "../../catalog/precision";
import { sizeModel } from "../placement";
import type { Efficiency } from "./calibration";
import { predictFor } from "./load";

export interface Measurement {
  readonly id: string;
  readonly model: string;
  readonly precision: Precision;
  readonly instanceType: string;
  readonly tp: number;
  readonly pp: number;
  readonly dp: number;
  readonly expertParallel: boolean;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly concurrency: number;
  readonly maxNumSeqs: number | null;
  readonly measured: { readonly outputTokensPerSecond?: number | null; readonly tpotMs?: number | null; readonly ttftMs?: number | null; readonly medianItlMs?: number | null };
  readonly split: "calibrate" | "validate";
  /** steady: a fixed number of requests in flight; burst: every request sent at once (steps full of queued prompts). */
  readonly regime: "steady" | "burst";
  /** The source did not publish prompt lengths: only the median inter-token latency is compared. */
  readonly inputAssumed?: boolean;
  readonly source: string;
}

export function loadMeasurements(): Measurement[] {
  return (JSON.parse(readFileSync(path.join(__dirname, "data", "measurements.json"), "utf8")) as { points: Measurement[] }).points;
}

export type Metric = "outputTokensPerSecond" | "tpotMs" | "ttftMs" | "medianItlMs";

/** A point ready to predict: its placement sized once (memory, batch limits), or why it cannot be. */
export interface PreparedPoint {
  readonly point: Measurement;
  predict(efficiency?: Efficiency): Partial<Record<Metric, number>> | null;
}

export function preparePoint(point: Measurement): PreparedPoint | string {
  const model = findModel(point.model);
  if (!model) return `${point.model} is not in the catalog`;
  const maxModelLen = Math.max(1024, point.inputTokens + point.outputTokens);
  const sized = sizeModel({
    model, region: "us-east-1", precision: point.precision, maxModelLen, concurrency: 1, gpuMemoryUtilization: 0.9, kvCacheDtype: model.kvCacheDtypeDefault,
    instanceType: point.instanceType, tensorParallel: point.tp, pipelineParallel: point.pp, dataParallel: point.dp > 1 ? point.dp : undefined, expertParallel: point.expertParallel,
  }, { explain: false });
  if (!sized.ok) return `does not size on ${point.instanceType} at TP ${point.tp}`;
  const p = sized.placement;
  // The measured server's batch limit when the source states it; else vLLM's default for the GPU.
  const memory = point.maxNumSeqs ? { ...p.memory, batch: { ...p.memory.batch, maxNumSeqs: point.maxNumSeqs } } : p.memory;
  return {
    point,
    predict: (efficiency) => {
      const r = predictFor(
        { instanceType: p.instanceType, layout: { tensorParallel: p.tensorParallelSize, pipelineParallel: p.pipelineParallelSize, dataParallel: p.dataParallelSize, expertParallel: p.expertParallel, nodes: p.nodes }, memory, replicaHourlyUsd: p.hourlyUsd },
        { model, precision: point.precision, kvCacheDtype: model.kvCacheDtypeDefault, maxModelLen, efficiency },
        { inputTokens: point.inputTokens, outputTokens: point.outputTokens }, point.concurrency,
      );
      if (!r) return null;
      // Without prompt lengths, only the median gap. A burst past the server's capacity runs like a steady load at
      // that capacity: each finished request's slot goes to the next queued prompt.
      if (point.inputAssumed) return { medianItlMs: r.medianItlMs };
      if (point.regime === "burst") return { tpotMs: r.tpotMs };
      return { outputTokensPerSecond: r.outputTokensPerSecond, tpotMs: r.tpotMs, ttftMs: r.ttftMs, medianItlMs: r.medianItlMs };
    },
  };
}

/** Signed relative errors (predicted / measured − 1) of every measured metric of a point. */
export function relativeErrors(prepared: PreparedPoint, efficiency?: Efficiency): { metric: Metric; error: number }[] {
  const predicted = prepared.predict(efficiency);
  if (!predicted) return [];
  return (Object.entries(prepared.point.measured) as [Metric, number | null | undefined][])
    .filter(([metric, value]) => typeof value === "number" && value > 0 && predicted[metric] !== undefined)
    .map(([metric, value]) => ({ metric, error: predicted[metric]! / value! - 1 }));
}
