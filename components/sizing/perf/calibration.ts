/**
 * Efficiency factors of the roofline step model (step.ts), fitted on published vLLM measurements
 * (data/measurements.json: every point with its source; `npm run calibrate` refits; `npm run bench` prints the error on the points
 * held out of the fit). They absorb what a first-principles count leaves out: kernels that reach a share of
 * peak bandwidth and FLOPS, the engine's per-step CPU work, collective latency.
 */
export interface Efficiency {
  readonly memoryBandwidth: number;
  readonly compute: number;
  readonly stepOverheadSeconds: number;
  readonly nvlinkLatencySeconds: number;
  readonly pcieLatencySeconds: number;
  /** Share of `memoryBandwidth` that routed-expert reads reach (scattered, smaller grouped GEMMs than dense layers). */
  readonly moeEfficiency: number;
  /** Per request before its first prefill step: HTTP, chat template and tokenization, scheduling, detokenizing. */
  readonly requestOverheadSeconds: number;
}

/**
 * Fitted by `npm run calibrate` (bench/calibrate.ts, a multi-start coordinate descent) on the 36 steady-load
 * "calibrate" points, 2026-12-02: mean |log(predicted / measured)| 0.260 on them, 0.296 on the held-out
 * steady-load configurations (the README has the distribution, all-at-once runs apart). TTFT is fitted on its
 * only 6 points (none held out), which is what sets requestOverheadSeconds.
 */
export const EFFICIENCY: Efficiency = {
  /** Share of the datasheet memory bandwidth decode kernels reach. */
  memoryBandwidth: 0.9,
  /** Share of dense tensor-core peak that prefill matmuls reach. */
  compute: 0.5,
  /** Per engine step outside the GPU kernels (scheduling, sampling, launches between CUDA graphs). */
  stepOverheadSeconds: 0.003,
  /** One all-reduce or all-to-all round over NVLink / over PCIe, before its bytes. */
  nvlinkLatencySeconds: 0.00004,
  pcieLatencySeconds: 0.00012,
  moeEfficiency: 0.5,
  requestOverheadSeconds: 0.04,
};
