/**
 * Checks of one model entry against the catalog (or the model's own config.json): the model, its precision,
 * context and YaRN, extra vLLM flags, a pinned layout and instance type. Every problem is collected.
 */
import * as path from "node:path";
import { INSTANCES, findInstance, offeredIn } from "../catalog/instances";
import { contextCeiling, yarnFor, type YarnSetting } from "../catalog/context";
import { ModelConfigError } from "../catalog/hf-config";
import { MODELS, findModel, weightsFor, type ModelSpec } from "../catalog/models";
import type { Precision } from "../catalog/precision";
import { readModelConfigFile, userModelSpec } from "../catalog/user-model";
import { layoutProblem } from "../sizing/parallel";
import { credentialArgs, redactArg } from "../credentials";
import { nearest, type ConfigProblem } from "./errors";
import { PROJECT_ROOT } from "./load";
import { DEFAULT_MAX_MODEL_LEN_CAP, NAMESPACE, type ModelEntry } from "./schema";
import { OWNED_FLAGS } from "./serving-schema";

/** The model an entry names: its own config.json when it gives one, else the catalog entry. */
function modelOf(entry: ModelEntry, at: (key: string) => string): { spec?: ModelSpec; problems: ConfigProblem[] } {
  if (entry.modelConfig !== undefined) {
    const opts = typeof entry.modelConfig === "string" ? { file: entry.modelConfig } : entry.modelConfig;
    const file = path.isAbsolute(opts.file) ? opts.file : path.join(PROJECT_ROOT, opts.file);
    try {
      const spec = userModelSpec(entry.id, readModelConfigFile(file), opts.file, opts as { trustRemoteCode?: boolean });
      return { spec, problems: [] };
    } catch (err) {
      if (!(err instanceof ModelConfigError)) throw err;
      return { problems: [{ path: at("modelConfig"), value: opts.file, message: `${err.message.replace(/\.$/, "")}.`, fix: err.field === "(file)" ? "point modelConfig at the model's config.json (relative to the repository root)." : `correct ${err.field} in the config, or ask for the model to be added to the catalog.` }] };
    }
  }
  const spec = findModel(entry.id);
  if (spec) return { spec, problems: [] };
  return { problems: [{ path: at("id"), value: entry.id, message: "is not in the model catalog.", fix: `did you mean ${nearest(entry.id, MODELS.map((m) => m.id)).join(", ")}? Run \`npx omk models\` for the full list, or give the model's config.json as modelConfig.` }] };
}

/** Catalog checks for one structurally valid entry; returns problems or the resolved inputs for sizing. */
export function checkEntry(entry: ModelEntry, i: number, region: string | null): { problems: ConfigProblem[]; spec?: ModelSpec; precision?: Precision; maxModelLen?: number; yarn?: YarnSetting | null } {
  const at = (key: string) => `${NAMESPACE}:models[${i}].${key}`;
  const found = modelOf(entry, at);
  const spec = found.spec;
  if (!spec) return { problems: found.problems };
  const problems: ConfigProblem[] = [];
  if (spec.cannotSize) {
    return { problems: [{ path: at("id"), value: entry.id, message: `cannot be sized yet: ${spec.cannotSize}.`, fix: "serve another model for now (`npx omk models` lists what the kit can size)." }] };
  }
  const precision = entry.precision ?? spec.nativePrecision;
  const variant = weightsFor(spec, precision);
  if (!variant) {
    problems.push({ path: at("precision"), value: precision, message: `${spec.id} has no ${precision} checkpoint in the catalog.`, fix: `use one of: ${spec.weights.map((w) => w.precision).join(", ")}.` });
  }
  const limits = spec.context;
  const ceiling = contextCeiling(limits);
  const maxModelLen = entry.maxModelLen ?? Math.min(limits.derivedMax, DEFAULT_MAX_MODEL_LEN_CAP);
  if (maxModelLen > ceiling) {
    const why = limits.yarn ? `its documented YaRN extension (${limits.yarn.source})` : `vLLM's maximum for it (from its config.json; no YaRN extension is documented)`;
    problems.push({ path: at("maxModelLen"), value: maxModelLen, message: `must be ≤ ${ceiling} for ${spec.id}: ${why}.`, fix: `set maxModelLen to ${ceiling} or less.` });
  }
  const yarn = yarnFor(limits, maxModelLen);
  if (entry.replicas.min > entry.replicas.max) {
    problems.push({ path: at("replicas"), value: entry.replicas, message: "min is greater than max.", fix: `set replicas.max ≥ ${entry.replicas.min} or lower replicas.min.` });
  }
  problems.push(...extraArgsProblems(entry.extraArgs, spec, at));
  const pinnedLayout = entry.tensorParallelSize !== undefined || entry.pipelineParallelSize !== undefined;
  if (pinnedLayout && !entry.instanceType) {
    problems.push({ path: at(entry.tensorParallelSize !== undefined ? "tensorParallelSize" : "pipelineParallelSize"), value: entry.tensorParallelSize ?? entry.pipelineParallelSize, message: "only applies to a pinned instance type.", fix: "also set instanceType, or remove it and let the sizing choose the layout." });
  }
  if (entry.tensorParallelSize !== undefined && variant) {
    const problem = layoutProblem(spec, variant, { tensorParallel: entry.tensorParallelSize, pipelineParallel: entry.pipelineParallelSize ?? 1, nodes: 1 });
    const valid = spec.validTensorParallel.filter((tp) => !layoutProblem(spec, variant, { tensorParallel: tp, pipelineParallel: 1, nodes: 1 }));
    if (problem) problems.push({ path: at("tensorParallelSize"), value: entry.tensorParallelSize, message: `is not valid for ${spec.id} at ${precision}: ${problem}.`, fix: `use one of: ${valid.join(", ")}.` });
  }
  if (entry.instanceType) {
    const inst = findInstance(entry.instanceType);
    if (!inst) {
      problems.push({ path: at("instanceType"), value: entry.instanceType, message: "is not a GPU instance type the kit knows.", fix: `did you mean ${nearest(entry.instanceType, INSTANCES.map((x) => x.type)).join(", ")}? Run \`npx omk size --model ${spec.id}\` to compare.` });
    } else if (region && offeredIn(inst, region) === "not-offered") {
      const where = INSTANCES.filter((x) => x.family === inst.family && offeredIn(x, region) !== "not-offered").map((x) => x.type);
      problems.push({ path: at("instanceType"), value: entry.instanceType, message: `is not offered in ${region}.`, fix: where.length ? `use ${where.slice(0, 3).join(", ")}, another region, or remove instanceType.` : "choose another region or remove instanceType so the sizing picks one." });
    }
  }
  return { problems, spec, precision, maxModelLen, yarn };
}

/**
 * What is wrong with a model's `extraArgs` (pure): credentials (refused, never echoed), flags vLLM removed or
 * that undo the sizing, flags the kit sets from a stack key. `spec` is null for an entry whose model is unknown;
 * runs on every entry, even one whose other keys failed the schema, so one run reports every problem.
 */
export function extraArgsProblems(args: readonly unknown[], spec: ModelSpec | null, at: (key: string) => string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const strings = args.map((a) => (typeof a === "string" ? a : ""));
  const leaking = new Map(credentialArgs(strings).map((c) => [c.index, c.reason]));
  strings.forEach((arg, j) => {
    if (!arg) return;
    const reason = leaking.get(j);
    if (reason) {
      problems.push({ path: at(`extraArgs[${j}]`), value: "[redacted]", message: `holds ${reason}: on the command line it would be readable in the manifest, plan.json and the pod's process list.`, fix: "remove it: the Hugging Face token goes in omk:hfToken and API keys in omk:apiKey (Pulumi secrets, passed through Kubernetes Secrets)." });
      return;
    }
    const flag = canonicalFlag(arg.split(/[=\s]/)[0]!);
    const refused = REFUSED_FLAGS[flag];
    if (refused) {
      problems.push({ path: at(`extraArgs[${j}]`), value: redactArg(arg), message: refused.why, fix: refused.fix });
      return;
    }
    const catalogOwned = OWNED_FLAGS[flag] === "(catalog)" || (spec?.vllmFlags.includes(flag) ?? false);
    // A model given by its own config.json has no catalog entry: its parsers and remote code are modelConfig keys.
    const owner = spec?.userSupplied && USER_MODEL_KEYS[flag] ? `${at("modelConfig")}.${USER_MODEL_KEYS[flag]}` : catalogOwned ? "(catalog)" : OWNED_FLAGS[flag];
    if (owner) problems.push({ path: at(`extraArgs[${j}]`), value: redactArg(arg), message: `${flag} is set by the kit ${ownerText(owner)}.`, fix: owner === "(guard)" ? "remove it; set the key with omk:apiKey (or let the kit generate one), TLS with omk:traffic." : owner.startsWith("(") ? "remove it; the kit derives it." : `set ${owner} instead${owner.includes("modelConfig") ? " (modelConfig: {file: …, trustRemoteCode: true, reasoningParser: …, toolCallParser: …})" : ""}.` });
  });
  return problems;
}

/** Flags for a model sized from its own config.json that the stack sets through modelConfig. */
const USER_MODEL_KEYS: Readonly<Record<string, string>> = {
  "--trust-remote-code": "trustRemoteCode", "--reasoning-parser": "reasoningParser", "--tool-call-parser": "toolCallParser", "--enable-auto-tool-choice": "toolCallParser",
};

/**
 * Flags `extraArgs` may never carry: they would break the server or silently undo the sizing. vLLM removed
 * `--rope-scaling` (vllm-project/vllm#28006); `--hf-overrides` changes the config the kit sized (context length,
 * layers); block size, CPU offload and swap change memory the kit has already divided up.
 */
const REFUSED_FLAGS: Readonly<Record<string, { why: string; fix: string }>> = {
  "--rope-scaling": { why: "was removed from vLLM (vllm-project/vllm#28006): the server would exit on start.", fix: "set maxModelLen; beyond the model's native context the kit turns YaRN on through --hf-overrides." },
  "--hf-overrides": { why: "would change the model config the kit sized (context, layers, RoPE) after sizing it.", fix: "give the changed config.json as modelConfig so the sizing sees it; for a longer context set maxModelLen (the kit adds YaRN)." },
  "--block-size": { why: "changes the KV page size the sizing follows (hybrid models align it to their state pages).", fix: "remove it; vLLM's own block size is what the kit sizes." },
  "--cpu-offload-gb": { why: "moves weights into host memory the pod's memory request does not include.", fix: "remove it, or pin a larger instanceType so the weights fit the GPUs." },
  "--swap-space": { why: "reserves host memory per GPU that the pod's memory request does not include.", fix: "remove it; raise concurrency or gpuMemoryUtilization to change the KV budget." },
  "--hf-token": { why: "would put a Hugging Face token on the command line.", fix: "`pulumi config set --secret omk:hfToken hf_…`: the kit passes it through a Kubernetes Secret." },
};

function ownerText(owner: string): string {
  if (owner === "(sizing)") return "from the sizing";
  if (owner === "(catalog)") return "from the model catalog";
  if (owner === "(guard)") return "for its API guard: vLLM listens on the pod's loopback over plain HTTP, and the guard in front of it checks the API key";
  return owner.startsWith("(") ? "itself" : `from ${owner.replace(/ \(.*$/, "")}`;
}

/** vLLM's short forms of flags the kit owns (argparse aliases). */
const FLAG_ALIASES: Readonly<Record<string, string>> = { "-tp": "--tensor-parallel-size", "-pp": "--pipeline-parallel-size", "-q": "--quantization" };

/** vLLM accepts `--max_model_len` for `--max-model-len`, and short aliases: compare the canonical form. */
export function canonicalFlag(flag: string): string {
  if (FLAG_ALIASES[flag]) return FLAG_ALIASES[flag]!;
  return flag.startsWith("--") ? `--${flag.slice(2).replace(/_/g, "-")}` : flag;
}

/**
 * Parses, checks and sizes a stack config. Never throws for bad input: the error lists every problem.
 * `secretKeys` are the config keys the engine marked secret (their values are redacted from errors).
 */
