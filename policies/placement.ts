/**
 * Where GPUs may come from: allowed instance families and purchase options, allowed regions; and two
 * advisories that need judgment (on-demand GPUs in an environment that prefers spot, thin KV headroom).
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy/policy";
import { TYPES, familyOf, isGpuNodePool, nodePoolCapacityTypes, nodePoolInstanceTypes, placementOf } from "./inspect";

export interface InstanceConfig { allowedFamilies: string[]; allowedCapacityTypes: string[] }
export interface RegionConfig { allowedRegions: string[] }
export interface SpotConfig { preferSpot: boolean }
export interface HeadroomConfig { minKvHeadroom: number }

const NODE_GROUP_CAPACITY: Readonly<Record<string, string>> = { ON_DEMAND: "on-demand", SPOT: "spot", CAPACITY_BLOCK: "reserved" };

export const allowedInstances: ResourceValidationPolicy = {
  name: "allowed-instance-families",
  description: "GPU capacity uses only the instance families and purchase options the environment allows (e.g. dev: spot only, no p5).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      allowedFamilies: { type: "array", items: { type: "string" }, default: [], description: "Instance families, e.g. [\"g6e\", \"p5\"]; empty allows all." },
      allowedCapacityTypes: { type: "array", items: { type: "string", enum: ["on-demand", "spot", "reserved"] }, default: ["on-demand", "spot", "reserved"] },
    },
  },
  validateResource: (args, report) => {
    const { allowedFamilies, allowedCapacityTypes } = args.getConfig<InstanceConfig>();
    let types: string[] = [];
    let purchase: string[] = [];
    if (args.type === TYPES.nodePool && isGpuNodePool(args.props)) {
      types = nodePoolInstanceTypes(args.props);
      purchase = nodePoolCapacityTypes(args.props);
    } else if (args.type === TYPES.nodeGroup) {
      types = args.props.instanceTypes ?? [];
      purchase = [NODE_GROUP_CAPACITY[args.props.capacityType ?? "ON_DEMAND"] ?? "on-demand"];
    } else return;
    const badTypes = allowedFamilies.length ? types.filter((t) => !allowedFamilies.includes(familyOf(t))) : [];
    if (badTypes.length) report(`${badTypes.join(", ")} ${badTypes.length === 1 ? "is" : "are"} not in the allowed families (${allowedFamilies.join(", ")}). Pin an allowed instanceType for the model, or use another environment.`);
    const badPurchase = purchase.filter((c) => !allowedCapacityTypes.includes(c));
    if (badPurchase.length) report(`Capacity type ${badPurchase.join(", ")} is not allowed here (allowed: ${allowedCapacityTypes.join(", ")}). Set omk:capacity.capacityType accordingly.`);
  },
};

export const allowedRegions: StackValidationPolicy = {
  name: "allowed-regions",
  description: "The stack deploys only to the environment's regions.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { allowedRegions: { type: "array", items: { type: "string" }, default: [], description: "AWS regions; empty allows all." } } },
  validateStack: (args, report) => {
    const { allowedRegions: regions } = args.getConfig<RegionConfig>();
    if (!regions.length) return;
    for (const r of args.resources) {
      if (r.type === TYPES.kit && !regions.includes(r.props.region)) report(`Region ${r.props.region} is not allowed for this environment (allowed: ${regions.join(", ")}). Set aws:region to one of them.`, r.urn);
    }
  },
};

export const onDemandInDev: ResourceValidationPolicy = {
  name: "on-demand-gpus",
  description: "Advisory: on-demand GPU capacity where the environment prefers spot.",
  enforcementLevel: "advisory",
  configSchema: { properties: { preferSpot: { type: "boolean", default: false } } },
  validateResource: (args, report) => {
    if (!args.getConfig<SpotConfig>().preferSpot || args.type !== TYPES.nodePool || !isGpuNodePool(args.props)) return;
    if (nodePoolCapacityTypes(args.props).includes("on-demand")) report("This GPU pool may launch on-demand nodes; this environment prefers spot: set omk:capacity.capacityType: spot (spot-then-on-demand still falls back to on-demand).");
  },
};

export const kvHeadroom: StackValidationPolicy = {
  name: "kv-cache-headroom",
  description: "Advisory: a model whose KV cache barely holds the concurrency it was sized for.",
  enforcementLevel: "advisory",
  configSchema: { properties: { minKvHeadroom: { type: "number", minimum: 0, maximum: 1, default: 0.1, description: "Spare KV capacity beyond maxModelLen × concurrency (0.1 = 10 %)." } } },
  validateStack: (args, report) => {
    const { minKvHeadroom } = args.getConfig<HeadroomConfig>();
    for (const r of args.resources) {
      const p = placementOf(r);
      if (!p || !p.kvCacheTokens || p.kvHeadroom === null) continue;
      // Spare KV memory beyond concurrency × maxModelLen; plans before kvHeadroom existed fall back to tokens.
      const headroom = typeof p.kvHeadroom === "number" ? p.kvHeadroom : Number(p.kvCacheTokens) / (Number(p.maxModelLen) * Number(p.concurrency)) - 1;
      if (headroom < minKvHeadroom) report(`Model ${p.name}'s KV cache has ${Math.round(headroom * 100)} % headroom beyond ${p.concurrency} × ${p.maxModelLen} tokens (< ${Math.round(minKvHeadroom * 100)} %). A small vLLM or driver change could stop it starting; lower maxModelLen or concurrency, or pin a larger instance.`, r.urn);
    }
  },
};
