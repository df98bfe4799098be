/**
 * The sizing decision of one model as plain, serialisable data: what `omk plan --json`, stack outputs
 * and reviewers read. Pure: no Pulumi.
 */
import { gpusPerReplica, type ResolvedModel } from "../config/validate";
import { round } from "../round";

export interface PlacementSummary {
  readonly name: string;
  readonly model: string;
  readonly region: string;
  readonly precision: string;
  readonly weightsRepo: string;
  readonly weightSource: "huggingface" | "s3";
  readonly revision: string | null;
  readonly instanceType: string;
  readonly gpu: string;
  readonly nodes: number;
  readonly gpusPerNode: number;
  readonly gpusPerReplica: number;
  readonly tensorParallelSize: number;
  readonly pipelineParallelSize: number;
  readonly maxModelLen: number;
  readonly concurrency: number;
  readonly gpuMemoryUtilization: number;
  readonly kvCacheDtype: string;
  readonly gpuMemoryGiB: number;
  readonly weightsGiBPerGpu: number;
  readonly activationGiB: number;
  readonly overheadGiB: number;
  readonly kvCacheGiBPerGpu: number;
  readonly kvCacheTokens: number;
  readonly maxConcurrency: number;
  readonly maxNumSeqs: number;
  readonly fits: true;
  readonly replicas: { readonly min: number; readonly max: number };
  /** Per replica. */
  readonly hourlyUsdPerReplica: number;
  readonly hourlyUsd: { readonly min: number; readonly max: number };
  readonly priceEstimate: boolean;
  readonly priceBasis: string;
  readonly availability: string;
}

export function placementSummary(m: ResolvedModel, region: string): PlacementSummary {
  const p = m.placement;
  return {
    name: m.name,
    model: m.spec.id,
    region,
    precision: m.precision,
    weightsRepo: m.weights.repo,
    weightSource: m.weightSource,
    revision: m.revision ?? null,
    instanceType: p.instanceType,
    gpu: p.gpu.model,
    nodes: p.nodes,
    gpusPerNode: p.gpusPerNode,
    gpusPerReplica: gpusPerReplica(m),
    tensorParallelSize: p.tensorParallelSize,
    pipelineParallelSize: p.pipelineParallelSize,
    maxModelLen: m.maxModelLen,
    concurrency: m.concurrency,
    gpuMemoryUtilization: m.gpuMemoryUtilization,
    kvCacheDtype: m.kvCacheDtype,
    gpuMemoryGiB: round(p.memory.gpuMemoryGiB),
    weightsGiBPerGpu: round(p.memory.weightsGiBPerGpu),
    activationGiB: round(p.memory.activationGiB),
    overheadGiB: round(p.memory.nonTorchGiB + p.memory.cudaGraphGiB),
    kvCacheGiBPerGpu: round(p.memory.kvCacheGiBPerGpu),
    kvCacheTokens: p.memory.kvCacheTokens,
    maxConcurrency: p.maxConcurrency,
    maxNumSeqs: p.memory.batch.maxNumSeqs,
    fits: true,
    replicas: m.replicas,
    hourlyUsdPerReplica: p.hourlyUsd,
    hourlyUsd: m.hourlyUsd,
    priceEstimate: p.priceEstimate,
    priceBasis: p.priceBasis,
    availability: p.availability,
  };
}
