/**
 * Reads what `omk smoke` and `omk bench` need from a deployed stack: `pulumi stack output --json --show-secrets
 * --stack <s>` (Pulumi CLI docs, "pulumi stack output") gives the program's outputs (index.ts): `endpoints` (client
 * URL per model name), `apiKeys` (secret: key per model name, for models that require one), `models` (the
 * ServiceSummary of each: servedModels, auth, coldStart, …). The command runner is injectable: tests fake it, and
 * nothing here prints what it returns.
 */
import { execFile } from "node:child_process";
import { findModel } from "../../components/catalog/models";
import { readStackFile, stackFilePath } from "../../components/config/load";
import { resolveStack, type ResolvedModel, type ResolvedStack } from "../../components/config/validate";

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}
/** Runs a program; rejects with code ENOENT when it is not installed. */
export type Runner = (command: string, args: readonly string[]) => Promise<RunResult>;

export const runCommand: Runner = (command, args) => new Promise((resolve, reject) => {
  execFile(command, [...args], { maxBuffer: 16 * 1024 * 1024, encoding: "utf8" }, (error, stdout, stderr) => {
    // execFile's error carries the exit status as a number, or a string code when the program could not start.
    const code = (error as { code?: unknown } | null)?.code;
    if (code === "ENOENT") return reject(Object.assign(new Error(`${command} is not installed`), { code }));
    resolve({ code: typeof code === "number" ? code : error ? 1 : 0, stdout, stderr });
  });
});

/** One model to check or measure, wherever its details came from. */
export interface Target {
  /** The served model name requests use. */
  readonly model: string;
  readonly endpoint: string;
  /** Undefined when the model takes no key (auth: false) or none was given. */
  readonly apiKey: string | undefined;
  /** The model requires a key: requests without one, or with a wrong one, must be refused. */
  readonly auth: boolean;
  /** Every name GET /v1/models must list (the model's, then its adapters'). */
  readonly servedModels: readonly string[];
  /** vLLM runs with --reasoning-parser: the reasoning must come separated from the answer. */
  readonly expectReasoning: boolean;
  /** The kit's cold-start estimate for a new replica (seconds), when known. */
  readonly coldStartSeconds: number | null;
  /** How the stack exposes it (public, private, internal); null when given by flags. */
  readonly exposure: string | null;
}

/** A problem reading the stack, with the fix. The message never holds an output's value. */
export class StackOutputError extends Error {}

interface Summary { name?: unknown; model?: unknown; servedModels?: unknown; auth?: unknown; exposure?: unknown; coldStart?: { scaleUpSeconds?: unknown } }

/** The stack's config resolved with the kit's own loader (stacks/Pulumi.<stack>.yaml), or null when there is none here. */
export function resolvedStackFile(stack: string): ResolvedStack | null {
  const name = stack.split("/").at(-1)!;
  try {
    const resolved = resolveStack(readStackFile(stackFilePath(name)), `stacks/Pulumi.${name}.yaml`);
    return resolved.ok ? resolved.stack : null;
  } catch {
    return null;
  }
}

/** Whether the model runs with a reasoning parser: the stack config's model (catalog or modelConfig), else the catalog. */
function reasoningOf(resolved: ResolvedModel | undefined, catalogId: unknown): boolean {
  if (resolved) return resolved.spec.reasoningParser !== null;
  return typeof catalogId === "string" && (findModel(catalogId)?.reasoningParser ?? null) !== null;
}

/** Parses the outputs (pure). `resolved` is the stack file's config, when available. */
export function targetsFromOutputs(stack: string, outputs: unknown, resolved: ResolvedStack | null): Target[] {
  const o = (outputs ?? {}) as { endpoints?: unknown; apiKeys?: unknown; models?: unknown };
  if (!o.endpoints || typeof o.endpoints !== "object" || !Object.keys(o.endpoints).length) {
    throw new StackOutputError(`stack ${stack} has no outputs yet (no \`endpoints\`). Fix: run \`pulumi up\` for it first (or pass --endpoint, --model and the key directly).`);
  }
  const endpoints = o.endpoints as Record<string, unknown>;
  const keys = (o.apiKeys && typeof o.apiKeys === "object" ? o.apiKeys : {}) as Record<string, unknown>;
  // Without --show-secrets (or without the right to decrypt) Pulumi prints "[secret]" in place of the value.
  if (typeof o.apiKeys === "string" || Object.values(keys).some((k) => k === "[secret]" || (typeof k === "object" && k !== null))) {
    throw new StackOutputError("the stack's apiKeys output came back encrypted. Fix: omk runs `pulumi stack output --show-secrets`; check that your Pulumi login can decrypt this stack's secrets.");
  }
  const summaries = Array.isArray(o.models) ? (o.models as Summary[]) : [];
  return Object.entries(endpoints).map(([name, url]) => {
    if (typeof url !== "string") throw new StackOutputError(`stack ${stack}: endpoints.${name} is not a URL.`);
    const s = summaries.find((m) => m.name === name) ?? {};
    const config = resolved?.models.find((m) => m.name === name);
    const auth = typeof s.auth === "boolean" ? s.auth : config?.auth ?? name in keys;
    const key = keys[name];
    if (auth && typeof key !== "string") throw new StackOutputError(`stack ${stack}: model ${name} requires an API key but the apiKeys output has none for it. Fix: run \`pulumi up\` (the output is written by it).`);
    const coldStart = typeof s.coldStart?.scaleUpSeconds === "number" ? s.coldStart.scaleUpSeconds : null;
    return {
      model: name, endpoint: url, apiKey: auth ? (key as string) : undefined, auth,
      servedModels: Array.isArray(s.servedModels) && s.servedModels.every((n) => typeof n === "string") ? (s.servedModels as string[]) : [name],
      expectReasoning: reasoningOf(config, s.model),
      coldStartSeconds: coldStart,
      exposure: typeof s.exposure === "string" ? s.exposure : config?.exposure ?? null,
    };
  });
}

/** Runs Pulumi and parses its outputs; errors say what to do. */
export async function readStackTargets(stack: string, run: Runner = runCommand, config: (stack: string) => ResolvedStack | null = resolvedStackFile): Promise<{ targets: Target[]; resolved: ResolvedStack | null }> {
  let result: RunResult;
  try {
    result = await run("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack]);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new StackOutputError("--stack reads the stack's outputs with the Pulumi CLI, which is not installed. Fix: install it (https://www.pulumi.com/docs/install/) and `pulumi login`, or pass --endpoint <url> --model <name> with the key in OMK_API_KEY.");
    }
    throw e;
  }
  if (result.code !== 0) {
    const first = result.stderr.split("\n").map((l) => l.trim()).find(Boolean) ?? `exit code ${result.code}`;
    throw new StackOutputError(`\`pulumi stack output --stack ${stack}\` failed: ${first.slice(0, 300)}. Fix: check the stack name (\`pulumi stack ls\`; org/name for another organisation) and \`pulumi login\`.`);
  }
  let outputs: unknown;
  try {
    outputs = JSON.parse(result.stdout || "{}");
  } catch {
    throw new StackOutputError(`\`pulumi stack output --json --stack ${stack}\` did not print JSON. Fix: update the Pulumi CLI.`);
  }
  const resolved = config(stack);
  return { targets: targetsFromOutputs(stack, outputs, resolved), resolved };
}

/** The API key for --endpoint use: the flag, else OMK_API_KEY. */
export function keyFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flag ?? (env.OMK_API_KEY || undefined);
}
