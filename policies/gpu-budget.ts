/**
 * Budget policies: how many GPUs a stack (and each model) can ever launch, and what it costs per hour at
 * max scale. Unbounded GPU capacity is itself a violation.
 */
import type { StackValidationPolicy } from "@pulumi/policy/policy";
import { TYPES, gpusPerInstance, isGpuNodePool, placementOf, type Inspectable } from "./inspect";

export interface GpuQuotaConfig { maxGpus: number }
export interface ModelQuotaConfig { maxGpusPerModel: number }
export interface CostConfig { maxHourlyUsd: number }

/** GPUs each GPU pool can hold: NodePool `limits`, node group max size × GPUs per instance. */
export function gpuCapacity(resources: readonly Inspectable[]): { pools: { name: string; urn: string; gpus: number | null }[] } {
  const pools: { name: string; urn: string; gpus: number | null }[] = [];
  for (const r of resources) {
    if (r.type === TYPES.nodePool && isGpuNodePool(r.props)) {
      const limit = r.props.spec?.limits?.["nvidia.com/gpu"];
      pools.push({ name: `NodePool ${r.props.metadata?.name ?? r.name}`, urn: r.urn, gpus: limit === undefined ? null : Number(limit) });
    }
    if (r.type === TYPES.nodeGroup) {
      const perNode = gpusPerInstance(r.props.instanceTypes?.[0] ?? "");
      if (perNode > 0) pools.push({ name: `node group ${r.name}`, urn: r.urn, gpus: Number(r.props.scalingConfig?.maxSize ?? 0) * perNode });
    }
  }
  return { pools };
}

export const gpuQuotaPerStack: StackValidationPolicy = {
  name: "gpu-quota-per-stack",
  description: "The GPUs a stack can ever launch (NodePool limits, node group max × GPUs per instance) stay within the environment's quota; a GPU NodePool without an nvidia.com/gpu limit is unbounded spend.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { maxGpus: { type: "integer", minimum: 0, default: 16, description: "GPUs the stack may run at max scale." } } },
  validateStack: (args, report) => {
    const { maxGpus } = args.getConfig<GpuQuotaConfig>();
    const { pools } = gpuCapacity(args.resources);
    for (const p of pools) if (p.gpus === null) report(`${p.name} has no nvidia.com/gpu limit: its GPU spend is unbounded. Set spec.limits["nvidia.com/gpu"] (the kit sets it from replicas.max).`, p.urn);
    const total = pools.reduce((n, p) => n + (p.gpus ?? 0), 0);
    if (total > maxGpus) {
      report(`The stack can launch up to ${total} GPUs (${pools.map((p) => `${p.name}: ${p.gpus}`).join(", ")}; the kit's NodePool limits include one surge replica per model, which a rolling update runs next to the old ones); the environment's quota is ${maxGpus}: ${total - maxGpus} over. Lower replicas.max, or raise maxGpus in the environment's policy config.`);
    }
  },
};

export const gpuQuotaPerModel: StackValidationPolicy = {
  name: "gpu-quota-per-model",
  description: "No single model may take more than the environment's per-model GPU quota at max replicas.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { maxGpusPerModel: { type: "integer", minimum: 0, default: 8, description: "GPUs one model may run at max replicas." } } },
  validateStack: (args, report) => {
    const { maxGpusPerModel } = args.getConfig<ModelQuotaConfig>();
    for (const r of args.resources) {
      const p = placementOf(r);
      if (!p) continue;
      const gpus = Number(p.gpusPerReplica) * Number(p.replicas?.max ?? 1);
      if (gpus > maxGpusPerModel) report(`Model ${p.name} can use ${gpus} GPUs (${p.replicas?.max} replicas × ${p.gpusPerReplica}); the per-model quota is ${maxGpusPerModel}: ${gpus - maxGpusPerModel} over. Lower its replicas.max (or precision/context so it fits fewer GPUs), or raise maxGpusPerModel in the environment's policy config.`, r.urn);
    }
  },
};

export const maxHourlyCost: StackValidationPolicy = {
  name: "max-hourly-cost",
  description: "GPU nodes at max scale cost no more per hour than the environment allows (on-demand catalog prices).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { maxHourlyUsd: { type: "number", minimum: 0, default: 50, description: "USD per hour for GPU nodes at max replicas." } } },
  validateStack: (args, report) => {
    const { maxHourlyUsd } = args.getConfig<CostConfig>();
    const models = args.resources.map(placementOf).filter((p): p is Record<string, any> => p !== undefined);
    const total = Math.round(models.reduce((n, p) => n + Number(p.hourlyUsd?.max ?? 0), 0) * 100) / 100;
    if (total > maxHourlyUsd) {
      report(`GPU nodes at max scale cost $${total}/hour on-demand (${models.map((p) => `${p.name} $${p.hourlyUsd?.max}`).join(", ")}; EKS Auto Mode's per-instance management fee comes on top); the environment allows $${maxHourlyUsd}/hour: $${Math.round((total - maxHourlyUsd) * 100) / 100} over. Lower replicas.max, or raise maxHourlyUsd in the environment's policy config.`);
    }
  },
};
