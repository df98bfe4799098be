/**
 * The sizing decision of one model as plain, serialisable data: what `omk plan --json`, stack outputs
 * and reviewers read. Pure: no Pulumi.
 */
import { modelMonthlyUsd } from "../sizing/cost";
import { gpusPerReplica, type ResolvedModel } from "../config/validate";
import { round } from "../round";
import { kvHeadroom } from "../sizing/memory";

export interface LoadSummary {
  readonly requestsPerSecond: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly ttftTargetMs: number | null;
  readonly tpotTargetMs: number | null;
  readonly replicas: number;
  /** The most requests one replica runs at once within the targets (its capacity). */
  readonly concurrencyPerReplica: number;
  /** Requests in flight per replica at which autoscaling adds one (capacity less the headroom). */
  readonly scaleAtInFlight: number;
  /** Share of capacity kept free. */
  readonly headroom: number;
  /** Per replica at that point. */
  readonly outputTokensPerSecond: number;
  readonly ttftMs: number;
  readonly tpotMs: number;
  readonly usdPerMillionOutputTokens: number;
  readonly usdPerMillionTotalTokens: number;
  /** Every figure here comes from the performance model. */
  readonly estimate: true;
}

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
  readonly dataParallelSize: number;
  readonly expertParallel: boolean;
  /** Why this layout on this hardware. */
  readonly layoutReason: string;
  readonly maxModelLen: number;
  /** YaRN factor the kit turned on (null: none). */
  readonly yarnFactor: number | null;
  readonly concurrency: number;
  readonly gpuMemoryUtilization: number;
  readonly kvCacheDtype: string;
  readonly gpuMemoryGiB: number;
  readonly weightsGiBPerGpu: number;
  readonly activationGiB: number;
  readonly overheadGiB: number;
  readonly kvCacheGiBPerGpu: number;
  /** LoRA adapter buffers per GPU (--max-loras × --max-lora-rank), taken from the KV cache; 0 without adapters. */
  readonly loraGiBPerGpu: number;
  /** Adapters served beside the model, and the LoRA slots reserved for them (null without). */
  readonly lora: { readonly adapters: readonly { readonly name: string; readonly repo: string; readonly rank: number; readonly revision: string | null }[]; readonly maxLoras: number; readonly maxLoraRank: number; readonly perExpert: boolean } | null;
  /** Every model name clients may send to this endpoint: the model's, then its adapters'. */
  readonly servedModels: readonly string[];
  readonly kvCacheTokens: number;
  /** vLLM's per-token KV accounting per GPU at this layout (layers whose cache grows with context). */
  readonly kvBytesPerTokenPerGpu: number;
  /** Fixed per-sequence linear-attention state per GPU (0 where none). */
  readonly stateBytesPerSequencePerGpu: number;
  /** Per-sequence memory of bounded-window layers per GPU at maxModelLen (0 where none). */
  readonly windowBytesPerSequencePerGpu: number;
  readonly maxConcurrency: number;
  /** Spare KV memory beyond concurrency × maxModelLen (0.2 = 20 %); null on CPUs, where the kit sizes host memory to fit. */
  readonly kvHeadroom: number | null;
  readonly maxNumSeqs: number;
  readonly maxNumBatchedTokens: number;
  /** Linear-attention models: vLLM's state blocks per GPU, the ceiling on --max-num-seqs (null for others). */
  readonly stateBlocks: number | null;
  readonly fits: true;
  readonly replicas: { readonly min: number; readonly max: number };
  /** Per replica. */
  readonly hourlyUsdPerReplica: number;
  readonly hourlyUsd: { readonly min: number; readonly max: number };
  /** The stated load and what the kit predicts for it (ESTIMATES); null without a load. */
  readonly load: LoadSummary | null;
  /** On-demand $/month at min replicas (scale-to-zero: only its warm windows) and at max replicas all month. */
  readonly monthlyUsd: { readonly min: number; readonly max: number; readonly windowsCounted: boolean };
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
    dataParallelSize: p.dataParallelSize,
    expertParallel: p.expertParallel,
    layoutReason: p.layoutReason,
    maxModelLen: m.maxModelLen,
    yarnFactor: m.yarn?.factor ?? null,
    concurrency: m.concurrency,
    gpuMemoryUtilization: m.gpuMemoryUtilization,
    kvCacheDtype: m.kvCacheDtype,
    gpuMemoryGiB: round(p.memory.gpuMemoryGiB),
    weightsGiBPerGpu: round(p.memory.weightsGiBPerGpu),
    activationGiB: round(p.memory.activationGiB),
    overheadGiB: round(p.memory.nonTorchGiB + p.memory.cudaGraphGiB),
    kvCacheGiBPerGpu: round(p.memory.kvCacheGiBPerGpu),
    loraGiBPerGpu: round(p.memory.loraGiBPerGpu),
    lora: m.lora ? { adapters: m.adapters.map((a) => ({ name: a.name, repo: a.repo, rank: a.rank, revision: a.revision ?? null })), maxLoras: m.lora.maxLoras, maxLoraRank: m.lora.maxRank, perExpert: m.spec.moe !== null } : null,
    servedModels: [m.name, ...m.adapters.map((a) => a.name)],
    kvCacheTokens: p.memory.kvCacheTokens,
    kvBytesPerTokenPerGpu: p.memory.kvBytesPerTokenPerGpu,
    stateBytesPerSequencePerGpu: p.memory.stateBytesPerSequencePerGpu,
    windowBytesPerSequencePerGpu: p.memory.windowBytesPerSequencePerGpu,
    maxConcurrency: p.maxConcurrency,
    kvHeadroom: m.device === "cpu" ? null : round(kvHeadroom(p.memory, m.concurrency, p.dataParallelSize)),
    maxNumSeqs: p.memory.batch.maxNumSeqs,
    maxNumBatchedTokens: p.memory.batch.maxNumBatchedTokens,
    stateBlocks: p.memory.stateBlocks,
    fits: true,
    replicas: m.replicas,
    hourlyUsdPerReplica: p.hourlyUsd,
    hourlyUsd: m.hourlyUsd,
    load: m.load && p.load ? {
      requestsPerSecond: m.load.requestsPerSecond, inputTokens: m.load.inputTokens, outputTokens: m.load.outputTokens,
      ttftTargetMs: m.load.ttftMs ?? null, tpotTargetMs: m.load.tpotMs ?? null, replicas: p.load.replicas, concurrencyPerReplica: p.load.concurrencyPerReplica, scaleAtInFlight: p.load.scaleAtInFlight, headroom: p.load.headroom,
      outputTokensPerSecond: round(p.load.perReplica.outputTokensPerSecond, 1), ttftMs: Math.round(p.load.perReplica.ttftMs), tpotMs: round(p.load.perReplica.tpotMs, 1),
      usdPerMillionOutputTokens: round(p.load.usdPerMillionOutputTokens, 3), usdPerMillionTotalTokens: round(p.load.usdPerMillionTotalTokens, 3), estimate: true,
    } : null,
    monthlyUsd: modelMonthlyUsd({ replicas: m.replicas, replicaHourlyUsd: p.hourlyUsd ?? 0, warmWindows: m.autoscaling.warmWindows }),
    priceEstimate: p.priceEstimate,
    priceBasis: p.priceBasis,
    availability: p.availability,
  };
}
