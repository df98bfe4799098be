/**
 * Preflight: the account lookups a plan depends on, done before any resource is registered, so a stack
 * that cannot work fails at preview with the fix instead of half-creating itself.
 * - which AZs offer each GPU type (EC2 DescribeInstanceTypeOfferings),
 * - the EC2 vCPU quotas the GPU pools draw on (Service Quotas),
 * - for existing clusters, the AZs of the given subnets,
 * - for a cluster it creates, that the principal running Pulumi is one of its admins (cluster-access.ts).
 */
import { getAvailabilityZones } from "@pulumi/aws/getAvailabilityZones";
import { getInstanceTypeOfferings } from "@pulumi/aws/ec2/getInstanceTypeOfferings";
import { getSubnet } from "@pulumi/aws/ec2/getSubnet";
import { getServiceQuota } from "@pulumi/aws/servicequotas/getServiceQuota";
import { getCallerIdentity } from "@pulumi/aws/getCallerIdentity";
import { getSessionContext } from "@pulumi/aws/iam/getSessionContext";
import { callerProblem } from "./cluster-access";
import { isDryRun } from "@pulumi/pulumi/runtime";
import { ConfigError, type ConfigProblem } from "../config/errors";
import type { ResolvedStack } from "../config/validate";
import { planAddons, type AddonDecision } from "./addon-plan";
import { AUTO_MODE_TAGS_DOC } from "./auto-mode-tags";
import { planGpuPools, type GpuPool } from "./gpu-pools";
import { checkQuotas, quotaMessage, quotaNeeds, type QuotaLookup, type QuotaVerdict } from "./quota";
import { chooseClusterZones, poolZones, regularZones, zoneProblems, type Offerings } from "./zones";

export interface PlacedPool {
  readonly pool: GpuPool;
  readonly zones: readonly string[];
}

export interface InfraPlan {
  readonly pools: readonly PlacedPool[];
  /** AZs the new VPC spans (create mode) or the region's usable AZs (existing clusters). */
  readonly clusterZones: readonly string[];
  readonly addons: readonly AddonDecision[];
  readonly quotas: readonly QuotaVerdict[];
  /** Existing managed node groups: subnet ids by AZ. */
  readonly subnetsByZone: Readonly<Record<string, readonly string[]>>;
  /** Things a reviewer should know that do not block the preview. */
  readonly warnings: readonly string[];
}

function reason(err: unknown): string {
  const message = err instanceof Error ? err.message : typeof err === "object" && err && "message" in err ? String((err as { message: unknown }).message) : "";
  return message || "the lookup failed (no permission, or no network)";
}

async function lookupQuota(code: string): Promise<QuotaLookup> {
  try {
    const q = await getServiceQuota({ serviceCode: "ec2", quotaCode: code });
    return { ok: true, value: q.value };
  } catch (err) {
    return { ok: false, reason: reason(err) };
  }
}

export async function planInfrastructure(stack: ResolvedStack, source: string): Promise<InfraPlan> {
  if (stack.capacity.mode === "cpu") {
    // A laptop cluster: no AWS lookups, no GPU pools, no add-ons.
    return {
      pools: [], clusterZones: [], quotas: [], subnetsByZone: {},
      addons: planAddons(stack, []).map((a) => ({ ...a, install: false, reason: "CPU-only cluster (capacity.mode: cpu)" })),
      warnings: ["CPU serving (capacity.mode: cpu) is for trying the kit on a laptop, not for production traffic."],
    };
  }
  // Managed node groups do not grow (no Cluster Autoscaler): their Deployments roll one pod down first.
  const pools = planGpuPools(stack.models, stack.capacity.diskGiB, { surge: stack.capacity.mode !== "managed" });
  const types = [...new Set(pools.map((p) => p.instanceType))];
  const [zones, offered] = await Promise.all([
    // Regular AZs only: opted-in Local Zones (us-east-1-bos-1a) sort before them and cannot hold the cluster's
    // subnets (EC2 DescribeAvailabilityZones, filter zone-type). No state filter: an AZ impaired for an hour must not
    // re-plan subnets under a running cluster — the choice depends on the region and the setting alone.
    getAvailabilityZones({ filters: [{ name: "zone-type", values: ["availability-zone"] }] }),
    getInstanceTypeOfferings({ locationType: "availability-zone", filters: [{ name: "instance-type", values: types }] }),
  ]);
  const offerings: Record<string, string[]> = {};
  offered.instanceTypes.forEach((type, i) => {
    const az = offered.locations[i];
    if (az) offerings[type] = [...(offerings[type] ?? []), az];
  });

  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  let clusterZones: string[];
  const subnetsByZone: Record<string, string[]> = {};
  if (stack.cluster.mode === "create") {
    const setting = stack.cluster.availabilityZones;
    const regular = regularZones(zones.names, stack.region);
    clusterZones = chooseClusterZones(regular, setting);
    const missing = clusterZones.filter((az) => !regular.includes(az));
    if (missing.length) problems.push({ path: "omk:cluster.availabilityZones", value: setting, message: `${missing.join(", ")} ${missing.length === 1 ? "is not an AZ" : "are not AZs"} of ${stack.region} (Local Zones cannot hold the cluster's subnets).`, fix: `use AZs from ${regular.join(", ")}.` });
    if (typeof setting === "number" && regular.length < setting) problems.push({ path: "omk:cluster.availabilityZones", value: setting, message: `${stack.region} has only ${regular.length} AZs.`, fix: `set it to ${regular.length} or fewer.` });
    // The role a session was assumed from (an access entry names the role, not the session).
    const session = await getSessionContext({ arn: (await getCallerIdentity({})).arn });
    const locked = callerProblem(stack.cluster.admins, session.issuerArn);
    // An update stops here, before any resource is touched; a preview (a PR's, under its read-only role) goes on,
    // its in-cluster changes computed from inputs alone.
    if (locked && !isDryRun()) problems.push({ path: "omk:cluster.admins", value: stack.cluster.admins, message: locked, fix: `add "${session.issuerArn}" to omk:cluster.admins, with your CI deploy role and your admins' roles.` });
    else if (locked) warnings.push(`omk:cluster.admins ${locked} This preview shows in-cluster changes from their inputs only (no server-side dry-run); \`pulumi up\` as this principal would stop before changing anything.`);
  } else if (stack.capacity.mode === "managed") {
    const subnets = await Promise.all((stack.cluster.subnetIds ?? []).map((id) => getSubnet({ id })));
    for (const s of subnets) subnetsByZone[s.availabilityZone] = [...(subnetsByZone[s.availabilityZone] ?? []), s.id];
    clusterZones = Object.keys(subnetsByZone).sort();
  } else {
    clusterZones = regularZones(zones.names, stack.region).sort();
  }
  problems.push(...zoneProblems(pools, clusterZones, offerings as Offerings, stack.region));

  let quotas: QuotaVerdict[] = [];
  if (stack.capacity.quotaCheck !== "off") {
    const needs = quotaNeeds(pools, stack.capacity.capacityType);
    const lookups = Object.fromEntries(await Promise.all(needs.map(async (n) => [n.bucket.code, await lookupQuota(n.bucket.code)] as const)));
    quotas = checkQuotas(needs, lookups);
    for (const v of quotas) {
      if (!v.lookup.ok) warnings.push(`Quota preflight: ${quotaMessage(v, stack.region)}`);
      else if (v.short > 0 && stack.capacity.quotaCheck === "enforce") problems.push({ path: "omk:capacity", value: { quotaCheck: "enforce" }, message: quotaMessage(v, stack.region), fix: "request the increase (usually approved within a day), lower replicas.max, or set capacity.quotaCheck: warn to preview anyway." });
      else if (v.short > 0) warnings.push(`Quota preflight: ${quotaMessage(v, stack.region)}`);
    }
  }
  if (problems.length) throw new ConfigError(source, problems);

  const placed = pools.map((pool) => ({ pool, zones: poolZones(pool, clusterZones, offerings as Offerings) }));
  const addons = planAddons(stack, pools);
  if (placed.some((p) => p.pool.multiNode) && stack.serving.multiNodeImage === undefined) {
    warnings.push("Multi-node models run the stock vLLM image, which does not appear to ship the aws-ofi-nccl plugin: NCCL would then use TCP sockets instead of EFA (slower between nodes). Set omk:serving.multiNodeImage to an EFA-enabled vLLM build.");
  }
  if (stack.cluster.mode === "existing" && !stack.traffic.loadBalancerSourceCidrs && stack.models.some((m) => m.exposure !== "internal")) {
    warnings.push("Exposed models admit load-balancer traffic from every private address range (10/8, 172.16/12, 192.168/16): the kit does not know this cluster's load-balancer subnets. Set omk:traffic.loadBalancerSourceCidrs to their CIDRs.");
  }
  if (placed.length && stack.cluster.mode === "existing" && stack.cluster.autoMode && stack.capacity.mode === "karpenter" && !stack.cluster.customTagPermissions) {
    warnings.push(`GPU nodes of the existing Auto Mode cluster are launched without the stack's tags: its cluster IAM role is not known to allow user-defined tags (${AUTO_MODE_TAGS_DOC}). Grant them, then set omk:cluster.customTagPermissions: true.`);
  }
  return { pools: placed, clusterZones, addons, quotas, subnetsByZone, warnings };
}
