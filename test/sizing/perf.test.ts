/**
 * The serving-performance model's properties, as a reviewer would check them: faster memory is never slower,
 * more clients never lower throughput until the server saturates, tensor parallelism splits weight reads, a
 * load is met by enough replicas within its latency targets, and the shipped factors are the fit of the
 * calibration points with most held-out predictions within ±30 % (the distribution: `npm run calibrate`).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gpuPerf, type GpuPerf } from "../../components/catalog/gpus";
import { findInstance, INSTANCES } from "../../components/catalog/instances";
import { findModel } from "../../components/catalog/models";
import { kvCacheSpec } from "../../components/sizing/kv-cache";
import { planForLoad } from "../../components/sizing/perf/load";
import { predictServing, type ServingInput } from "../../components/sizing/perf/serving";
import { stepTime } from "../../components/sizing/perf/step";
import { sizeModel } from "../../components/sizing/placement";
import { main } from "../../cli/omk";
import { EFFICIENCY } from "../../components/sizing/perf/calibration";
import { loadMeasurements, preparePoint, relativeErrors } from "../../components/sizing/perf/measurements";
import { fit } from "../../bench/calibrate";
import { prepared } from "../../components/sizing/perf/accuracy";
import { planText } from "../../cli/commands/plan";
import { resolveStack } from "../../components/config/validate";
import { plan, stackConfig } from "../harness/stack";

const qwen = findModel("Qwen/Qwen3-8B")!;
const h100 = gpuPerf(findInstance("p5.48xlarge")!)!;
const base: ServingInput = {
  model: qwen, precision: "bf16", layout: { tensorParallel: 1, pipelineParallel: 1, nodes: 1 }, gpu: h100, kvCacheDtype: "auto",
  kvCacheGiBPerGpu: 40, batch: { maxNumSeqs: 256, maxNumBatchedTokens: 8192 }, stateBlocks: null, maxModelLen: 8192,
  inputTokens: 1000, outputTokens: 500, concurrency: 1,
};
const faster = (g: GpuPerf, k: number): GpuPerf => ({ ...g, memoryBandwidthGBps: g.memoryBandwidthGBps * k });

describe("serving-performance model", () => {
  it("has specs, with sources, for every GPU the instance catalog sells", () => {
    expect(INSTANCES.length).toBeGreaterThan(0);
    for (const instance of INSTANCES) {
      const g = gpuPerf(instance);
      expect(g, `${instance.type} (${instance.gpu.model}) has no entry in components/catalog/data/gpus.json`).toBeDefined();
      expect(g!.sources.memoryBandwidthGBps, instance.type).toBeTruthy();
    }
  });

  it("more memory bandwidth never makes a step slower", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 256 }), fc.integer({ min: 1, max: 8000 }), fc.double({ min: 1, max: 4, noNaN: true }), (c, len, k) => {
      const slow = predictServing({ ...base, concurrency: c, inputTokens: len });
      const quick = predictServing({ ...base, gpu: faster(h100, k), concurrency: c, inputTokens: len });
      expect(quick.tpotMs).toBeLessThanOrEqual(slow.tpotMs + 1e-9);
      expect(quick.outputTokensPerSecond).toBeGreaterThanOrEqual(slow.outputTokensPerSecond - 1e-9);
    }), { numRuns: 60 });
  });

  it("more concurrent clients never lower throughput, until the server saturates and says so", () => {
    let last = 0;
    let saturation: number | null = null;
    for (let c = 1; c <= 600; c += 7) {
      const p = predictServing({ ...base, concurrency: c });
      expect(p.outputTokensPerSecond).toBeGreaterThanOrEqual(last - 1e-6);
      last = p.outputTokensPerSecond;
      if (p.cappedBy) {
        // Past saturation the server runs a fixed number and says why; the rest wait (TTFT grows).
        saturation ??= p.runningSequences;
        expect(p.runningSequences).toBe(saturation);
        expect(p.runningSequences).toBeLessThanOrEqual(256);
      }
    }
    expect(saturation).not.toBeNull();
    expect(predictServing({ ...base, kvCacheGiBPerGpu: 200, concurrency: 600 })).toMatchObject({ cappedBy: "max-num-seqs", runningSequences: 256 });
    // The KV cache caps it first when it is small.
    expect(predictServing({ ...base, kvCacheGiBPerGpu: 1, concurrency: 200 }).cappedBy).toBe("kv-cache");
  });

  it("tensor parallelism splits the weight reads of a decode step", () => {
    const l70 = findModel("meta-llama/Llama-3.1-70B-Instruct")!;
    const at = (tp: number) => stepTime({
      model: l70, precision: "bf16", layout: { tensorParallel: tp, pipelineParallel: 1, nodes: 1 }, gpu: h100,
      kv: kvCacheSpec({ model: l70, tensorParallel: tp, pipelineParallel: 1, kvCacheDtype: "auto", maxModelLen: 8192, maxNumBatchedTokens: 8192, prefixCaching: true }),
      decodeSequences: 1, meanContext: 16, prefillTokens: 0,
    });
    expect(at(2).memorySeconds / at(1).memorySeconds).toBeCloseTo(0.5, 1);
    expect(at(8).memorySeconds / at(1).memorySeconds).toBeCloseTo(0.125, 1);
    // …and pays for it in all-reduces.
    expect(at(8).communicationSeconds).toBeGreaterThan(0);
    expect(at(1).communicationSeconds).toBe(0);
  });

  it("an MoE step reads only the experts its tokens route to", () => {
    const moe = findModel("Qwen/Qwen3-30B-A3B")!;
    const step = (decode: number) => stepTime({
      model: moe, precision: "bf16", layout: { tensorParallel: 1, pipelineParallel: 1, nodes: 1 }, gpu: h100,
      kv: kvCacheSpec({ model: moe, tensorParallel: 1, pipelineParallel: 1, kvCacheDtype: "auto", maxModelLen: 8192, maxNumBatchedTokens: 8192, prefixCaching: true }),
      decodeSequences: decode, meanContext: 16, prefillTokens: 0,
    });
    expect(step(1).memorySeconds).toBeLessThan(step(64).memorySeconds);
  });
});

describe("sizing for a load", () => {
  const load = { requestsPerSecond: 5, inputTokens: 2000, outputTokens: 500, ttftMs: 2000, tpotMs: 40 };
  const sized = sizeModel({ model: findModel("Qwen/Qwen3-32B")!, region: "us-east-1", precision: "bf16", maxModelLen: 4096, concurrency: 1, gpuMemoryUtilization: 0.9, kvCacheDtype: "auto", load });

  it("picks replicas that carry the load within the latency targets, and prices it per token", () => {
    expect(sized.ok).toBe(true);
    if (!sized.ok) return;
    const l = sized.placement.load!;
    expect(l.perReplica.ttftMs).toBeLessThanOrEqual(2000);
    expect(l.perReplica.tpotMs).toBeLessThanOrEqual(40);
    // Replicas carry the load with the headroom kept free.
    expect(l.replicas * l.perReplica.requestsPerSecond * (1 - l.headroom)).toBeGreaterThanOrEqual(5);
    expect((l.replicas - 1) * l.perReplica.requestsPerSecond * (1 - l.headroom)).toBeLessThan(5);
    expect(l.hourlyUsd).toBeCloseTo(l.replicas * sized.placement.hourlyUsd, 1);
    expect(l.usdPerMillionOutputTokens).toBeCloseTo((l.hourlyUsd / (5 * 500 * 3600)) * 1e6, 6);
    // The cheapest for the load: no fitting alternative serves it for less.
    for (const a of sized.alternatives.filter((x) => x.fits && x.load)) expect(a.load!.hourlyUsd).toBeGreaterThanOrEqual(l.hourlyUsd);
  });

  it("a heavier load never needs fewer replicas on the same option", () => {
    if (!sized.ok) return;
    const option = { instanceType: sized.placement.instanceType, layout: { tensorParallel: sized.placement.tensorParallelSize, pipelineParallel: sized.placement.pipelineParallelSize, dataParallel: sized.placement.dataParallelSize, expertParallel: sized.placement.expertParallel, nodes: sized.placement.nodes }, memory: sized.placement.memory, replicaHourlyUsd: sized.placement.hourlyUsd };
    const ctx = { model: findModel("Qwen/Qwen3-32B")!, precision: "bf16" as const, kvCacheDtype: "auto" as const, maxModelLen: 4096 };
    let last = 0;
    for (const r of [1, 2, 5, 10, 20, 40]) {
      const p = planForLoad(option, ctx, { ...load, requestsPerSecond: r });
      expect(p.ok).toBe(true);
      if (p.ok) {
        expect(p.plan.replicas).toBeGreaterThanOrEqual(last);
        last = p.plan.replicas;
      }
    }
  });

  it("a latency target no option meets is a clear error", () => {
    const r = sizeModel({ model: findModel("Qwen/Qwen3-32B")!, region: "us-east-1", precision: "bf16", maxModelLen: 4096, concurrency: 1, gpuMemoryUtilization: 0.9, kvCacheDtype: "auto", load: { ...load, tpotMs: 0.5 } });
    expect(r.ok).toBe(false);
    expect(r.alternatives.some((a) => /fits in memory, but misses the latency target even with one request \(TTFT \d+ ms, TPOT [\d.]+ ms, ESTIMATED\)/.test(a.reason))).toBe(true);
  });
});

describe("accuracy against published measurements", () => {
  it("sizes every measured configuration, and ships the factors `npm run calibrate` fits", () => {
    const skipped = loadMeasurements().map((m) => [m.id, preparePoint(m)] as const).filter(([, p]) => typeof p === "string");
    expect(skipped).toEqual([]);
    expect(fit(prepared("calibrate", "steady")).eff).toEqual(EFFICIENCY);
  });

  it("lands most held-out predictions within ±30 % of the measurement (the issue's bar, reported in the README)", () => {
    // Steady-regime points only: all-at-once (burst) runs are reported apart in the README as optimistic.
    const errors = prepared("validate", "steady").flatMap((p) => relativeErrors(p));
    expect(errors.length).toBeGreaterThan(15);
    expect(errors.filter((e) => Math.abs(e.error) <= 0.3).length / errors.length).toBeGreaterThan(0.5);
  });
});

describe("omk size with a load", () => {
  it("prices the choice and every fitting alternative per million tokens, and needs the whole load", async () => {
    const out: string[] = [];
    const args = ["size", "--model", "Qwen/Qwen3-32B", "--requests-per-second", "5", "--input-tokens", "2000", "--output-tokens", "500", "--tpot-ms", "40"];
    expect(await main([...args, "--json"], { out: (s) => out.push(s), err: (s) => out.push(s) })).toBe(0);
    const j = JSON.parse(out.join("\n"));
    expect(j.load).toMatchObject({ requestsPerSecond: 5, replicas: expect.any(Number), usdPerMillionOutputTokens: expect.any(Number), usdPerMillionTotalTokens: expect.any(Number) });
    const priced = j.alternatives.filter((a: { load: unknown }) => a.load);
    expect(priced.length).toBeGreaterThan(0);
    for (const a of priced) expect(a.load.hourlyUsd).toBeGreaterThanOrEqual(j.hourlyUsd * j.load.replicas - 0.01);
    const err: string[] = [];
    expect(await main(args.slice(0, 5), { out: () => undefined, err: (s) => err.push(s) })).toBe(1);
    expect(err.join("\n")).toMatch(/--requests-per-second, --input-tokens and --output-tokens together/);
  });
});

describe("omk perf", () => {
  it("prints the JSON a script reads, and says when the concurrency saturates the server", async () => {
    const out: string[] = [];
    const code = await main(["perf", "--model", "Qwen/Qwen3-8B", "--instance", "g6e.xlarge", "--input-tokens", "2000", "--output-tokens", "500", "--concurrency", "1000", "--json"], { out: (s) => out.push(s), err: (s) => out.push(s) });
    expect(code).toBe(0);
    const j = JSON.parse(out.join("\n"));
    expect(j).toMatchObject({ outputTokensPerSecond: expect.any(Number), requestsPerSecond: expect.any(Number), ttftMs: expect.any(Number), tpotMs: expect.any(Number), estimate: true });
    expect(j.cappedBy).not.toBeNull();
    expect(j.runningSequences).toBeLessThan(1000);
  });

  it("without --instance, predicts on the instance `omk size` picks and says so", async () => {
    const out: string[] = [];
    const code = await main(["perf", "--model", "Qwen/Qwen3-8B", "--input-tokens", "1000", "--output-tokens", "300"], { out: (s) => out.push(s), err: (s) => out.push(s) });
    expect(code).toBe(0);
    const picked = sizeModel({ model: qwen, region: "us-east-1", precision: "bf16", maxModelLen: 1300, concurrency: 1, gpuMemoryUtilization: 0.9, kvCacheDtype: "auto" });
    expect(picked.ok).toBe(true);
    if (picked.ok) expect(out[0]).toContain(`on ${picked.placement.instanceType} (the cheapest fit; --instance to choose)`);
    expect(out.join("\n")).toMatch(/ESTIMATES/);
  });
});

describe("a stack with a load", () => {
  const load = { requestsPerSecond: 3, inputTokens: 1000, outputTokens: 300, tpotMs: 60 };

  it("plans the replicas the load needs, shows tokens/s and $/Mtok, and autoscales on requests in flight", async () => {
    const fixed = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 4096, load }]));
    const m = fixed.models[0]!;
    expect(m.load).toMatchObject({ requestsPerSecond: 3, replicas: expect.any(Number), usdPerMillionOutputTokens: expect.any(Number) });
    expect(m.replicas).toEqual({ min: m.load!.replicas, max: m.load!.replicas });
    expect(planText(fixed)).toMatch(/load {7}3 req\/s × \(1,000 in \+ 300 out\), TPOT ≤ 60 ms: \d+ replica\(s\) with 25 % headroom; each within the targets up to \d+ requests in flight/);
    expect(planText(fixed)).toMatch(/\$\/Mtok {5}~\$[\d.]+ per million output tokens/);

    const scaled = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 4096, load, replicas: { min: 1, max: 10 } }]));
    const so = scaled.resources.find((r) => r.inputs.kind === "ScaledObject")!.inputs as any;
    const trigger = so.spec.triggers.find((t: any) => t.name === "in-flight");
    // The trigger fires at the capacity less the headroom: a replica is added before the targets are breached.
    const l = scaled.models[0]!.load!;
    expect(l.scaleAtInFlight).toBe(Math.max(1, Math.floor(l.concurrencyPerReplica * (1 - l.headroom))));
    expect(l.scaleAtInFlight).toBeLessThan(l.concurrencyPerReplica);
    expect(trigger.metadata.threshold).toBe(String(l.scaleAtInFlight));
    expect(planText(scaled)).toContain(`> ${l.scaleAtInFlight} in flight per replica`);
    // Starting below what the load needs is allowed (autoscaling catches up), and the plan says what it costs.
    const below = scaled.warnings.filter((w) => /replicas\.min 1 is below the \d+ replica\(s\)/.test(w));
    expect(below.length).toBe(l.replicas > 1 ? 1 : 0);
    const low = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 4096, load: { ...load, requestsPerSecond: 30 }, replicas: { min: 1, max: 40 } }]));
    expect(low.models[0]!.load!.replicas).toBeGreaterThan(1);
    expect(low.warnings.join("\n")).toMatch(/replicas\.min 1 is below the \d+ replica\(s\) qwen3-8b's load needs \(ESTIMATE\).*set replicas\.min to \d+ if the load is steady/);
  });

  it("refuses replicas that cannot carry the load, and a load longer than the context", async () => {
    const few = resolveStack(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 4096, load: { ...load, requestsPerSecond: 500 }, replicas: { min: 1, max: 1 } }]), "t");
    expect(few.ok).toBe(false);
    if (!few.ok) expect(few.error.message).toMatch(/replicas\.max: 1 — cannot serve the load: it needs \d+ replica\(s\)/);
    const long = resolveStack(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 1024, load }]), "t");
    expect(long.ok).toBe(false);
    if (!long.ok) expect(long.error.message).toMatch(/load: .*more than maxModelLen 1024.*Fix: raise maxModelLen to at least 1300/);
  });
});
