/**
 * GPU performance specs (pure): memory bandwidth, dense tensor-core throughput per precision and the link
 * between GPUs inside an instance. Facts live in `data/gpus.json`, each with its source (datasheets, AWS
 * instance pages); the serving-performance model reads them.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import type { InstanceSpec } from "./instances";

const rawGpu = z.object({
  memoryBandwidthGBps: z.number().positive(),
  /** Dense (no sparsity) TFLOPS; null where the GPU has no tensor cores for the format. */
  tflops: z.object({ bf16: z.number().positive(), fp8: z.number().positive().nullable(), int8: z.number().positive().nullable(), fp4: z.number().positive().nullable() }),
  interconnect: z.object({ kind: z.enum(["nvlink", "pcie", "none"]), generation: z.string().nullable(), perGpuGBps: z.number().positive().nullable() }),
  sources: z.record(z.string(), z.string()),
  notes: z.string().optional(),
});

export interface GpuPerf {
  readonly model: string;
  readonly memoryBandwidthGBps: number;
  readonly tflops: { readonly bf16: number; readonly fp8: number | null; readonly int8: number | null; readonly fp4: number | null };
  readonly interconnect: { readonly kind: "nvlink" | "pcie" | "none"; readonly generation: string | null; readonly perGpuGBps: number };
  readonly sources: Readonly<Record<string, string>>;
}

/** PCIe 4.0 x16 per direction (GB/s): the link of GPUs with no peer interconnect when none is recorded. */
const PCIE4_X16_GBPS = 32;

function load(): Map<string, GpuPerf> {
  const file = z.object({ gpus: z.record(z.string(), rawGpu) }).parse(JSON.parse(readFileSync(path.join(__dirname, "data", "gpus.json"), "utf8")));
  return new Map(Object.entries(file.gpus).map(([model, g]) => [model, {
    model, memoryBandwidthGBps: g.memoryBandwidthGBps, tflops: g.tflops, sources: g.sources,
    interconnect: { kind: g.interconnect.kind, generation: g.interconnect.generation, perGpuGBps: g.interconnect.perGpuGBps ?? PCIE4_X16_GBPS },
  }]));
}

const GPUS = load();

/** The specs of an instance's GPUs, or undefined when the catalog has none for that GPU. */
export function gpuPerf(instance: InstanceSpec): GpuPerf | undefined {
  return GPUS.get(instance.gpu.model);
}

export function knownGpuModels(): string[] {
  return [...GPUS.keys()];
}
