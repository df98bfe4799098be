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

/** Days a cron day-of-week field selects (`*`, `1-5`, `0,6`, `6-7`; 7 is Sunday too). */
function daysOfWeek(field: string): number | null {
  if (field === "*") return 7;
  const days = new Set<number>();
  for (const part of field.split(",")) {
    const m = /^(\d)(?:-(\d))?$/.exec(part);
    if (!m) return null;
    const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (to < from || to > 7) return null;
    for (let d = from; d <= to; d++) days.add(d % 7);
  }
  return days.size;
}

/**
 * Hours per month a warm window holds replicas, for windows of the form "M H * * DOW" opening and closing on
 * the same days (KEDA's cron scaler: from `start` to `end`); null for any other shape (the plan then says the
 * cost is not estimated).
 */
export function warmHoursPerMonth(w: { start: string; end: string }): number | null {
  const a = w.start.trim().split(/\s+/);
  const b = w.end.trim().split(/\s+/);
  if (a.length !== 5 || b.length !== 5 || [a[2], a[3], b[2], b[3]].some((f) => f !== "*") || a[4] !== b[4]) return null;
  const at = (f: string[]) => (/^\d+$/.test(f[0]!) && /^\d+$/.test(f[1]!) ? Number(f[1]) + Number(f[0]) / 60 : null);
  const [open, close] = [at(a), at(b)];
  const days = daysOfWeek(a[4]!);
  if (open === null || close === null || days === null) return null;
  const hours = close > open ? close - open : close + 24 - open;
  return round(Math.min(HOURS_PER_MONTH, (hours * days * HOURS_PER_MONTH) / 168), 1);
}

export interface ModelCostInput {
  readonly replicas: { readonly min: number; readonly max: number };
  /** On-demand $/hour of one replica. */
  readonly replicaHourlyUsd: number;
  readonly warmWindows: readonly { readonly start: string; readonly end: string; readonly replicas: number }[];
}

/**
 * $/month at min replicas (plus what warm windows keep running above the minimum: a scale-to-zero model costs
 * only its windows) and at max replicas all month. `estimated: false` when a window's schedule could not be read.
 */
export function modelMonthlyUsd(m: ModelCostInput): { min: number; max: number; windowsCounted: boolean } {
  let warm = 0;
  let counted = true;
  for (const w of m.warmWindows) {
    const hours = warmHoursPerMonth(w);
    if (hours === null) counted = false;
    else warm += Math.max(0, w.replicas - m.replicas.min) * hours;
  }
  return {
    min: Math.round((m.replicas.min * HOURS_PER_MONTH + warm) * m.replicaHourlyUsd),
    max: Math.round(m.replicas.max * HOURS_PER_MONTH * m.replicaHourlyUsd),
    windowsCounted: counted,
  };
}

/**
 * A 40-character bar of one GPU's memory: W weights, A activation + overhead, K KV cache, . left to
 * other processes (1 − gpu-memory-utilization).
 */
export function memoryBar(m: { gpuMemoryGiB: number; weightsGiBPerGpu: number; activationGiB: number; overheadGiB: number; kvCacheGiBPerGpu: number; loraGiBPerGpu?: number }, width = 40): string {
  const cells = (gib: number) => Math.max(0, Math.round((gib / m.gpuMemoryGiB) * width));
  const w = cells(m.weightsGiBPerGpu);
  // At least one cell when adapters reserve anything, so the legend never names a segment the bar lacks.
  const l = m.loraGiBPerGpu ? Math.max(1, cells(m.loraGiBPerGpu)) : 0;
  const a = cells(m.activationGiB + m.overheadGiB);
  const kv = Math.min(width - w - l - a, cells(Math.max(0, m.kvCacheGiBPerGpu)));
  return `[${"W".repeat(w)}${"L".repeat(l)}${"A".repeat(a)}${"K".repeat(Math.max(0, kv))}${".".repeat(Math.max(0, width - w - l - a - kv))}]`;
}
