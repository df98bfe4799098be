/**
 * EC2 vCPU quota preflight (pure). GPU instances count against per-family vCPU quotas: G and VT
 * instances share one bucket, P instances another, separately for on-demand and spot. A stack at max
 * scale must fit, or nodes never appear (the most frequent EKS GPU complaint: the quota is 0).
 */
import type { CapacitySettings } from "../config/infra-schema";
import type { GpuPool } from "./gpu-pools";

export interface QuotaBucket {
  /** Service Quotas code (service `ec2`). */
  readonly code: string;
  readonly name: string;
  readonly families: "G and VT" | "P";
  readonly purchase: "on-demand" | "spot";
}

/** Quota codes as listed by Service Quotas for EC2 (`aws service-quotas list-service-quotas --service-code ec2`). */
export const QUOTA_BUCKETS: readonly QuotaBucket[] = [
  { code: "L-DB2E81BA", name: "Running On-Demand G and VT instances", families: "G and VT", purchase: "on-demand" },
  { code: "L-417A185B", name: "Running On-Demand P instances", families: "P", purchase: "on-demand" },
  { code: "L-3819A6DF", name: "All G and VT Spot Instance Requests", families: "G and VT", purchase: "spot" },
  { code: "L-7212CCBC", name: "All P Spot Instance Requests", families: "P", purchase: "spot" },
];

export interface QuotaNeed {
  readonly bucket: QuotaBucket;
  /** vCPUs the stack may run in this bucket at max scale, during a rolling update (one surge replica per model). */
  readonly vcpus: number;
  readonly pools: readonly string[];
}

function familyOf(instanceType: string): "G and VT" | "P" {
  return instanceType.startsWith("p") ? "P" : "G and VT";
}

/** vCPUs per quota bucket at max scale plus one surge replica per model (rollouts are surge-first). spot-then-on-demand needs both buckets (either may serve). */
export function quotaNeeds(pools: readonly GpuPool[], capacityType: CapacitySettings["capacityType"]): QuotaNeed[] {
  const purchases: ("on-demand" | "spot")[] = capacityType === "spot-then-on-demand" ? ["on-demand", "spot"] : [capacityType];
  return QUOTA_BUCKETS.flatMap((bucket) => {
    if (!purchases.includes(bucket.purchase)) return [];
    const members = pools.filter((p) => familyOf(p.instanceType) === bucket.families);
    if (!members.length) return [];
    return [{ bucket, vcpus: members.reduce((n, p) => n + (p.maxNodes + p.surgeNodes) * p.instance.vcpu, 0), pools: members.map((p) => p.name) }];
  });
}

export type QuotaLookup = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly reason: string };

export interface QuotaVerdict {
  readonly need: QuotaNeed;
  readonly lookup: QuotaLookup;
  readonly short: number;
}

/** One verdict per bucket: how many vCPUs short the account is (0 when it fits or could not be read). */
export function checkQuotas(needs: readonly QuotaNeed[], lookups: Readonly<Record<string, QuotaLookup>>): QuotaVerdict[] {
  return needs.map((need) => {
    const lookup = lookups[need.bucket.code] ?? { ok: false, reason: "not looked up" };
    return { need, lookup, short: lookup.ok ? Math.max(0, need.vcpus - lookup.value) : 0 };
  });
}

export function quotaMessage(v: QuotaVerdict, region: string): string {
  const { bucket, vcpus, pools } = v.need;
  if (!v.lookup.ok) return `could not read EC2 quota ${bucket.code} (${bucket.name}) in ${region}: ${v.lookup.reason}. The stack needs ${vcpus} vCPUs there at max scale plus a rolling update's surge replicas; check it with \`aws service-quotas get-service-quota --service-code ec2 --quota-code ${bucket.code} --region ${region}\`.`;
  const verdict = `needs ${vcpus} vCPUs of EC2 quota ${bucket.code} (${bucket.name}) in ${region} at max scale plus a rolling update's surge replicas (${pools.join(", ")}); the account has ${v.lookup.value}.`;
  return v.short > 0
    ? `${verdict} Request an increase of at least ${v.short} to ${vcpus}: \`aws service-quotas request-service-quota-increase --service-code ec2 --quota-code ${bucket.code} --desired-value ${vcpus} --region ${region}\`, or lower replicas.max.`
    : verdict;
}
