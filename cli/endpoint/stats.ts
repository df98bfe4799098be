/**
 * Percentiles and summaries of per-request measurements (pure).
 *
 * Method: linear interpolation between the two nearest ranks, numpy's default (`np.percentile(..., method="linear")`,
 * also what vLLM's `vllm bench serve` reports through numpy): for sorted values x₀ … xₙ₋₁ the p-th percentile sits at
 * rank r = p/100 × (n − 1) and is x⌊r⌋ + (r − ⌊r⌋) × (x⌈r⌉ − x⌊r⌋). The median is the 50th percentile, so an even count
 * gives the mean of the two middle values.
 */

/** The p-th percentile (0–100) of `values` by linear interpolation; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile: p must be between 0 and 100, got ${p}`);
  if (!values.length) return Number.NaN;
  return ofSorted([...values].sort((a, b) => a - b), p);
}

function ofSorted(sorted: readonly number[], p: number): number {
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (rank - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface Distribution {
  readonly count: number;
  readonly mean: number;
  readonly median: number;
  readonly p90: number;
  readonly p99: number;
}

/** Count, mean, median, p90 and p99 (null when there is nothing to summarise). */
export function distribution(values: readonly number[]): Distribution | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: values.length,
    mean: values.reduce((s, v) => s + v, 0) / values.length,
    median: ofSorted(sorted, 50), p90: ofSorted(sorted, 90), p99: ofSorted(sorted, 99),
  };
}

/** Rounded for reports: `digits` decimals. */
export function rounded<T extends Distribution | null>(d: T, digits = 1): T {
  if (!d) return d;
  const r = (v: number) => Math.round(v * 10 ** digits) / 10 ** digits;
  return { count: d.count, mean: r(d.mean), median: r(d.median), p90: r(d.p90), p99: r(d.p99) } as T;
}
