/**
 * Availability zones: which AZs the VPC spans and which of them each GPU pool may use (pure).
 * Only AZs that actually offer a pool's instance type get its capacity, so Karpenter never waits on
 * "no instance type satisfied" and managed node groups never target a subnet where the type is not sold.
 */
import type { ConfigProblem } from "../config/errors";
import type { GpuPool } from "./gpu-pools";

/** AZ names per instance type, as EC2 DescribeInstanceTypeOfferings (location type availability-zone) reports. */
export type Offerings = Readonly<Record<string, readonly string[]>>;

/**
 * The cluster's AZs: the configured list, or the first `count` available AZs by name. Deliberately not
 * derived from the models: the VPC's subnets live in these AZs, and a model change must never move them.
 * Pools then use the subset that sells their type; when none does, the error names an AZ that does.
 */
/** The region's regular AZs (`<region><letter>`): never a Local Zone or a Wavelength Zone, whatever the lookup returned. */
export function regularZones(names: readonly string[], region: string): string[] {
  return names.filter((n) => n.length === region.length + 1 && n.startsWith(region) && /[a-z]$/.test(n));
}

export function chooseClusterZones(available: readonly string[], setting: number | readonly string[]): string[] {
  if (Array.isArray(setting)) return [...setting];
  return [...available].sort().slice(0, setting as number);
}

/** AZs a pool may use: cluster AZs that offer its type; a multi-node pool keeps only the first. */
export function poolZones(pool: GpuPool, clusterZones: readonly string[], offerings: Offerings): string[] {
  const offered = clusterZones.filter((az) => offerings[pool.instanceType]?.includes(az));
  return pool.multiNode ? offered.slice(0, 1) : offered;
}

export function zoneProblems(pools: readonly GpuPool[], clusterZones: readonly string[], offerings: Offerings, region: string): ConfigProblem[] {
  return pools.flatMap((pool) => {
    if (poolZones(pool, clusterZones, offerings).length) return [];
    const elsewhere = (offerings[pool.instanceType] ?? []).filter((az) => !clusterZones.includes(az));
    return [{
      path: "omk:cluster.availabilityZones", value: clusterZones,
      message: `none of these AZs offers ${pool.instanceType} (needed by ${pool.models.join(", ")}); EC2 reports it in ${elsewhere.length ? elsewhere.join(", ") : `no AZ of ${region}`}.`,
      fix: elsewhere.length ? `include ${elsewhere[0]} in cluster.availabilityZones (or use a number to let the kit choose).` : `pin another instanceType for ${pool.models.join(", ")} or choose another region.`,
    }];
  });
}
