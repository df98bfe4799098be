/**
 * The AWS GPU instance catalog: GPU model/count/memory, precision support, host size, EFA, NVMe, prices
 * and where each type is offered. Facts live in `data/instances.json` with their sources (EC2 labels as
 * published by Karpenter, the AWS Pricing API as mirrored by Karpenter and SkyPilot).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { isKnownRegion, type PriceQuote } from "./regions";
import { round } from "../round";

const rawPrice = z.object({ usd_per_hour: z.number(), as_of: z.string(), source: z.string() });
const rawInstance = z.object({
  instance_type: z.string(),
  family: z.string(),
  gpu: z.string(),
  gpu_arch: z.string(),
  compute_capability: z.string(),
  gpu_count: z.number().int().positive(),
  gpu_memory_mib_per_gpu_ec2: z.number().positive(),
  bf16_supported: z.boolean(),
  fp8_native: z.boolean(),
  vcpu: z.number().int(),
  memory_gib: z.number(),
  efa_supported: z.boolean(),
  efa_interfaces: z.number().int(),
  local_nvme_gb: z.number().nullable(),
  network_bandwidth_gbps_baseline: z.number().nullable(),
  on_demand_price: z.record(z.string(), z.unknown()),
  regions_seen: z.array(z.string()).nullable(),
  regions_note: z.string().nullable(),
  spec_source: z.string(),
  torch_visible_gpu_memory_gib: z.number().nullable(),
}).passthrough();

export interface InstanceSpec {
  readonly type: string;
  readonly family: string;
  readonly gpu: {
    readonly model: string;
    readonly architecture: string;
    /** CUDA compute capability, e.g. 9.0 for H100. */
    readonly computeCapability: number;
    readonly count: number;
    /** Memory per GPU as the EC2 API reports it (MiB). */
    readonly memoryMiB: number;
  };
  readonly bf16: boolean;
  readonly fp8: boolean;
  readonly vcpu: number;
  readonly memoryGiB: number;
  readonly efa: { readonly supported: boolean; readonly interfaces: number };
  readonly localNvmeGB: number;
  readonly networkGbps: number | null;
  /** Published on-demand prices by region (only what a source showed; see `priceIn`). */
  readonly prices: Readonly<Record<string, { readonly usdPerHour: number; readonly asOf: string; readonly source: string }>>;
  /** Why there is no price at all, when there is none (e.g. Capacity Blocks only). */
  readonly priceNote: string | null;
  /** Regions a source listed the type in; null when the source did not say (see `offeredIn`). */
  readonly regionsSeen: readonly string[] | null;
  readonly regionsNote: string | null;
  readonly specSource: string;
  /** Measured per-GPU memory as PyTorch reports it, when someone measured it. */
  readonly torchVisibleGiB: number | null;
}

function toInstance(raw: z.infer<typeof rawInstance>): InstanceSpec {
  const prices: Record<string, { usdPerHour: number; asOf: string; source: string }> = {};
  let priceNote: string | null = null;
  for (const [region, value] of Object.entries(raw.on_demand_price)) {
    const parsed = rawPrice.safeParse(value);
    if (parsed.success) prices[region] = { usdPerHour: parsed.data.usd_per_hour, asOf: parsed.data.as_of, source: parsed.data.source };
    else if (region === "note" && typeof value === "string") priceNote = value;
  }
  return {
    type: raw.instance_type,
    family: raw.family,
    gpu: {
      model: raw.gpu,
      architecture: raw.gpu_arch,
      computeCapability: Number.parseFloat(raw.compute_capability),
      count: raw.gpu_count,
      memoryMiB: raw.gpu_memory_mib_per_gpu_ec2,
    },
    bf16: raw.bf16_supported,
    fp8: raw.fp8_native,
    vcpu: raw.vcpu,
    memoryGiB: raw.memory_gib,
    efa: { supported: raw.efa_supported, interfaces: raw.efa_interfaces },
    localNvmeGB: raw.local_nvme_gb ?? 0,
    networkGbps: raw.network_bandwidth_gbps_baseline,
    prices,
    priceNote,
    regionsSeen: raw.regions_seen,
    regionsNote: raw.regions_note,
    specSource: raw.spec_source,
    torchVisibleGiB: raw.torch_visible_gpu_memory_gib,
  };
}

function loadInstances(): InstanceSpec[] {
  const file = z.object({ instances: z.array(rawInstance) }).parse(JSON.parse(readFileSync(path.join(__dirname, "data", "instances.json"), "utf8")));
  return file.instances.map(toInstance);
}

export const INSTANCES: readonly InstanceSpec[] = loadInstances();
const INSTANCES_BY_TYPE = new Map(INSTANCES.map((i) => [i.type, i]));

export function findInstance(type: string): InstanceSpec | undefined {
  return INSTANCES_BY_TYPE.get(type);
}

/**
 * Families the data says are "offered in most commercial regions" without listing them: the kit assumes
 * them everywhere it knows and says so ("assumed") rather than refusing every non-US region.
 */
const BROADLY_OFFERED_FAMILIES = new Set(["g4dn", "g5"]);

export type Availability = "listed" | "assumed" | "priced-only" | "not-offered";

/**
 * Whether the type can be launched in the region, and how sure we are:
 * `listed` (a source listed it there), `assumed` (a broadly offered family, region not listed),
 * `priced-only` (no region list, but a published price there), `not-offered`.
 */
export function offeredIn(instance: InstanceSpec, region: string): Availability {
  if (!isKnownRegion(region)) return "not-offered";
  if (instance.regionsSeen) return instance.regionsSeen.includes(region) ? "listed" : instance.prices[region] ? "priced-only" : "not-offered";
  if (instance.prices[region]) return "priced-only";
  return BROADLY_OFFERED_FAMILIES.has(instance.family) ? "assumed" : "not-offered";
}

/** On-demand price in a region: published when a source has it, else an estimate marked as such. */
export function priceIn(instance: InstanceSpec, region: string): PriceQuote | null {
  const published = instance.prices[region];
  if (published) return { usdPerHour: published.usdPerHour, estimate: false, basis: `${published.source}, as of ${published.asOf}` };
  const base = instance.prices["us-east-1"];
  if (!base) return null;
  const ratio = REGIONAL_PRICE_RATIOS.get(region) ?? FALLBACK_PRICE_RATIO;
  const how = REGIONAL_PRICE_RATIOS.has(region)
    ? `median ${region}/us-east-1 ratio of catalog types priced in both`
    : "median non-US/us-east-1 ratio of all catalog prices (no price seen in this region)";
  return { usdPerHour: round(base.usdPerHour * ratio.value, 4), estimate: true, basis: `ESTIMATE: us-east-1 price × ${ratio.value.toFixed(3)} (${how}, n=${ratio.samples})` };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Per-region price ratio to us-east-1, derived from every type the data prices in both regions. */
function regionalRatios(): { byRegion: Map<string, { value: number; samples: number }>; fallback: { value: number; samples: number } } {
  const samples = new Map<string, number[]>();
  for (const inst of INSTANCES) {
    const base = inst.prices["us-east-1"]?.usdPerHour;
    if (!base) continue;
    for (const [region, p] of Object.entries(inst.prices)) {
      if (region === "us-east-1") continue;
      samples.set(region, [...(samples.get(region) ?? []), p.usdPerHour / base]);
    }
  }
  const byRegion = new Map([...samples].map(([r, xs]) => [r, { value: median(xs), samples: xs.length }] as const));
  const nonUs = [...samples].filter(([r]) => !r.startsWith("us-")).flatMap(([, xs]) => xs);
  return { byRegion, fallback: { value: median(nonUs), samples: nonUs.length } };
}
const { byRegion: REGIONAL_PRICE_RATIOS, fallback: FALLBACK_PRICE_RATIO } = regionalRatios();

/** How much more a region costs than us-east-1 (1 there; the median catalog ratio elsewhere). */
export function regionPriceRatio(region: string): number {
  if (region === "us-east-1") return 1;
  return (REGIONAL_PRICE_RATIOS.get(region) ?? FALLBACK_PRICE_RATIO).value;
}

/** Memory per GPU that vLLM can see, in GiB (measured where known, else EC2 figure less driver reserve). */
export function usableGpuMemoryGiB(instance: InstanceSpec): number {
  if (instance.torchVisibleGiB) return instance.torchVisibleGiB;
  const measured = TORCH_VISIBLE_MEASURED[instance.gpu.model];
  if (measured) return measured;
  return (instance.gpu.memoryMiB / 1024) * TORCH_VISIBLE_FRACTION;
}

/**
 * H100 80 GB: PyTorch reports 79.18 GiB (llm-d/llm-d-benchmark config_explorer/empirical-vllm-memory-results.md,
 * vLLM logs on H100). That is 0.9897 of the EC2 figure (80 GiB); the kit applies a slightly more conservative
 * 0.985 to GPUs nobody has measured yet (an estimate).
 */
const TORCH_VISIBLE_MEASURED: Readonly<Record<string, number>> = { "NVIDIA H100 (SXM, 80GB HBM3)": 79.18 };
export const TORCH_VISIBLE_FRACTION = 0.985;
