/**
 * A model the catalog lacks, described by its own Hugging Face `config.json` (`omk size --model-config FILE`,
 * or `modelConfig` in a stack's model entry). It is sized by the same code as catalog models; what only a
 * catalog entry knows (published parameter counts, license, parsers, documented YaRN) is derived or left out,
 * and the plan says so.
 */
import { readFileSync } from "node:fs";
import { derivedMaxModelLen } from "./context";
import { architectureFromConfig, ModelConfigError } from "./hf-config";
import { tensorParallelSizesFor, type ModelSpec, type WeightVariant } from "./models";
import { paramsFromArchitecture } from "./params";
import type { Precision } from "./precision";

export interface UserModelOptions {
  /** The model's code must run (`--trust-remote-code`): only for repos you trust. @default false */
  readonly trustRemoteCode?: boolean;
  readonly reasoningParser?: string | null;
  readonly toolCallParser?: string | null;
}

/** Reads and parses a config.json file; errors name the file and what is wrong with it. */
export function readModelConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ModelConfigError(file, "(file)", `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); pass the path of the model's config.json.`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ModelConfigError(file, "(file)", `is not valid JSON (${(err as Error).message}).`);
  }
}

export function userModelSpec(id: string, config: unknown, source: string, options: UserModelOptions = {}): ModelSpec {
  const arch = architectureFromConfig(config, source);
  const params = paramsFromArchitecture(arch);
  const q = arch.quantization;
  const precision: Precision = !q ? "bf16" : q.method === "mxfp4" ? "mxfp4" : q.method === "modelopt_fp4" ? "nvfp4" : q.bits <= 4 ? "int4" : q.method === "fp8" ? "fp8" : "int8";
  const weights: WeightVariant = {
    precision, repo: id, official: false,
    quantization: !q ? null : q.method === "bitsandbytes" ? null : q.method,
    fp8BlockSize: q?.blockSize ?? null, expertsOnly: q?.expertsOnly ?? false,
  };
  const derivedMax = derivedMaxModelLen(arch);
  return {
    id, family: "your model", architecture: arch, kind: arch.moe ? "moe" : "dense",
    totalParamsB: Math.round(params.totalB * 100) / 100, activeParamsB: Math.round(params.activeB * 100) / 100, params,
    layers: arch.layers, hiddenSize: arch.hiddenSize, attentionHeads: arch.attentionHeads, intermediateSize: arch.intermediateSize,
    vocabSize: arch.vocabSize, tiedEmbeddings: arch.tiedEmbeddings, attention: arch.attention, moe: arch.moe,
    context: { derivedMax, nativeContext: derivedMax, yarn: null },
    license: "unknown (not in the catalog)", trustRemoteCode: options.trustRemoteCode ?? false,
    reasoningParser: options.reasoningParser ?? null, toolCallParser: options.toolCallParser ?? null,
    vllmFlags: [], minVllm: null, kvCacheDtypeDefault: arch.attention.some((g) => g.kind === "mla" && g.indexerHeadDim !== null) ? "fp8" : "auto", nativePrecision: precision, weights: [weights],
    validTensorParallel: tensorParallelSizesFor(arch),
    sources: [`architecture: ${source}`, "parameter counts: computed from the config (ESTIMATE: norms, biases and routers left out)"],
    unverified: ["parameter counts computed from the architecture", "license and gating unknown"],
    gated: false, cannotSize: arch.unsupported, userSupplied: true,
  };
}
