/**
 * What a stack costs besides GPU nodes, and per month (pure). Fixed hourly prices are us-east-1 list prices
 * from AWS's pricing pages (EKS standard support $0.10/h per cluster in every region, NAT gateway $0.045/h,
 * ALB $0.0225/h, each before data and LCU charges); NAT and ALB prices elsewhere scale by the catalog's
 * regional price ratio (an estimate). Not included: EKS Auto Mode's per-instance management fee, data transfer, EBS, S3.
 */
import { round } from "../round";

export const HOURS_PER_MONTH = 730;

export const FIXED_HOURLY_USD = { eksCluster: 0.1, natGateway: 0.045, loadBalancer: 0.0225 } as const;

export interface FixedCostInput {
  /** A new cluster (create mode) pays for the control plane and NAT. */
  readonly newCluster: boolean;
  readonly natGateways: number;
  /** ALBs: one per scheme in use (models share one via the ALB group). */
  readonly loadBalancers: number;
  /** Regional multiplier (1 for us-east-1). */
  readonly regionRatio: number;
}

export interface FixedCost {
  readonly hourlyUsd: number;
  readonly items: readonly { readonly item: string; readonly hourlyUsd: number }[];
  readonly estimate: boolean;
}

export function fixedCost(input: FixedCostInput): FixedCost {
  const k = input.regionRatio;
  const items = [
    // The EKS control plane costs the same in every commercial region.
    ...(input.newCluster ? [{ item: "EKS control plane", hourlyUsd: FIXED_HOURLY_USD.eksCluster }] : []),
    ...(input.natGateways ? [{ item: `NAT gateway × ${input.natGateways}`, hourlyUsd: round(FIXED_HOURLY_USD.natGateway * input.natGateways * k, 4) }] : []),
    ...(input.loadBalancers ? [{ item: `ALB × ${input.loadBalancers}`, hourlyUsd: round(FIXED_HOURLY_USD.loadBalancer * input.loadBalancers * k, 4) }] : []),
  ];
  return { items, hourlyUsd: round(items.reduce((n, i) => n + i.hourlyUsd, 0), 4), estimate: k !== 1 && items.length > (input.newCluster ? 1 : 0) };
}

export function monthly(hourlyUsd: number): number {
  return Math.round(hourlyUsd * HOURS_PER_MONTH);
}

/**
 * A 40-character bar of one GPU's memory: W weights, A activation + overhead, K KV cache, . left to
 * other processes (1 − gpu-memory-utilization).
 */
export function memoryBar(m: { gpuMemoryGiB: number; weightsGiBPerGpu: number; activationGiB: number; overheadGiB: number; kvCacheGiBPerGpu: number }, width = 40): string {
  const cells = (gib: number) => Math.max(0, Math.round((gib / m.gpuMemoryGiB) * width));
  const w = cells(m.weightsGiBPerGpu);
  const a = cells(m.activationGiB + m.overheadGiB);
  const kv = Math.min(width - w - a, cells(Math.max(0, m.kvCacheGiBPerGpu)));
  return `[${"W".repeat(w)}${"A".repeat(a)}${"K".repeat(Math.max(0, kv))}${".".repeat(Math.max(0, width - w - a - kv))}]`;
}
