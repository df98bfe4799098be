/**
 * `omk smoke`: after `pulumi up`, proves each model's endpoint works through the kit's routing and auth — the models
 * list, a chat completion (non-streamed and streamed), the served name, a request without a key and one with a wrong
 * key refused, reasoning separated where a parser runs — and prints a pass/fail table. Exit 0 only when every check
 * passes (skipped checks do not apply). The API key is never printed: it goes into the Authorization header and
 * nowhere else (cli/omk.ts also redacts credential-shaped text as a last line of defence).
 */
import { table } from "../format";
import type { Io } from "../omk";
import { smokeTarget, type CheckRow } from "../endpoint/smoke-checks";
import { keyFrom, readStackTargets, StackOutputError, type Runner, type Target } from "../endpoint/stack-outputs";
import { parseDuration } from "../endpoint/duration";
import type { ResolvedStack } from "../../components/config/validate";

export interface SmokeOptions {
  readonly stack?: string;
  readonly endpoint?: string;
  readonly apiKey?: string;
  readonly model?: string;
  readonly expectReasoning?: boolean;
  /** With --stack: check only models exposed publicly; the others are skipped (a runner outside the VPC). @default false */
  readonly publicOnly?: boolean;
  /** Seconds per request without a byte. @default 30 */
  readonly timeout?: number;
  /** How long to retry while the model is starting, e.g. "20m". @default none */
  readonly wait?: string;
  /** Seconds between retries while waiting. @default 10 */
  readonly retryEvery?: number;
  readonly json?: boolean;
}

export interface SmokeDeps {
  readonly runPulumi?: Runner;
  readonly env?: NodeJS.ProcessEnv;
  /** The stack's config (served models, reasoning, placement for predictions). @default stacks/Pulumi.<stack>.yaml, resolved */
  readonly stackConfig?: (stack: string) => ResolvedStack | null;
}

/** The models to check, from the stack's outputs or the flags; a string is the error to print. */
export async function targetsFor(opts: Pick<SmokeOptions, "stack" | "endpoint" | "apiKey" | "model" | "expectReasoning">, command: string, deps: SmokeDeps): Promise<{ targets: Target[]; fromStack: boolean } | string> {
  if (opts.stack && opts.endpoint) return `${command}: use either --stack <name> or --endpoint <url>, not both (with --stack, --model picks one of the stack's models).`;
  if (opts.stack && (opts.apiKey || opts.expectReasoning)) return `${command}: ${opts.apiKey ? "--api-key" : "--expect-reasoning"} goes with --endpoint; with --stack the key and the reasoning parser come from the stack. Fix: drop it, or use --endpoint <url> --model <name>.`;
  if (opts.stack) {
    try {
      const { targets } = await readStackTargets(opts.stack, deps.runPulumi, deps.stackConfig);
      const chosen = opts.model ? targets.filter((t) => t.model === opts.model) : targets;
      if (!chosen.length) return `${command}: stack ${opts.stack} has no model ${opts.model}. Its models: ${targets.map((t) => t.model).join(", ")}.`;
      return { targets: chosen, fromStack: true };
    } catch (e) {
      if (e instanceof StackOutputError) return `${command}: ${e.message}`;
      throw e;
    }
  }
  if (opts.endpoint && !opts.model) return `${command}: --endpoint needs --model <name>: the served model name requests use (GET <endpoint>/models lists them).`;
  if (!opts.endpoint || !opts.model) return `${command}: give --stack <name> (reads the endpoint, models and keys from its outputs), or --endpoint <url> --model <name> with the key in --api-key or OMK_API_KEY.`;
  const apiKey = keyFrom(opts.apiKey, deps.env);
  return { fromStack: false, targets: [{ model: opts.model, endpoint: opts.endpoint, apiKey, auth: apiKey !== undefined, servedModels: [opts.model], expectReasoning: opts.expectReasoning ?? false, coldStartSeconds: null, exposure: null }] };
}

/**
 * Output that can never hold the keys: each key's exact value is masked, whatever printed it (a server that echoes
 * the Authorization header in an error body, say). cli/omk.ts masks credential-shaped text too; the kit's generated
 * keys need not look like one.
 */
export function withoutKeys(io: Io, targets: readonly Target[]): Io {
  const keys = targets.map((t) => t.apiKey).filter((k): k is string => !!k);
  const mask = (s: string) => keys.reduce((text, key) => text.split(key).join("[redacted]"), s);
  return { out: (s) => io.out(mask(s)), err: (s) => io.err(mask(s)) };
}

export async function smokeCommand(opts: SmokeOptions, given: Io, deps: SmokeDeps = {}): Promise<number> {
  let io = given;
  const waitSeconds = opts.wait === undefined ? 0 : parseDuration(opts.wait);
  if (waitSeconds === null) {
    io.err(`omk smoke: --wait takes a duration like 90s, 20m or 1h, not "${opts.wait}".`);
    return 1;
  }
  const found = await targetsFor(opts, "omk smoke", deps);
  if (typeof found === "string") {
    io.err(found);
    return 1;
  }
  if (opts.publicOnly && !found.fromStack) {
    io.err("omk smoke: --public-only chooses among a stack's models by their exposure; it needs --stack <name>.");
    return 1;
  }
  io = withoutKeys(given, found.targets);
  const rows: CheckRow[] = [];
  for (const t of found.targets) {
    if (opts.publicOnly && t.exposure !== "public") {
      rows.push({ model: t.model, check: "reachable from here", status: "skip", detail: `exposure ${t.exposure ?? "unknown"}: reachable only inside the ${t.exposure === "private" ? "VPC" : "cluster"}; run omk smoke there (README, "After deploy")` });
      continue;
    }
    try {
      rows.push(...await smokeTarget(t, { timeoutMs: (opts.timeout ?? 30) * 1000, waitSeconds, retryEveryMs: (opts.retryEvery ?? 10) * 1000, progress: io.err }, found.fromStack));
    } catch (e) {
      io.err(`omk smoke: ${t.model}: ${(e as Error).message}`);
      return 1;
    }
  }
  const passed = rows.every((r) => r.status === "pass" || r.status === "skip");
  if (opts.json) {
    io.out(JSON.stringify({ passed, checks: rows.map((r) => ({ model: r.model, check: r.check, status: r.status, detail: r.detail, ...(r.failure ? { cause: r.failure.cause, fix: r.failure.fix } : {}) })) }, null, 2));
    return passed ? 0 : 1;
  }
  const where = [...new Set(found.targets.map((t) => t.endpoint))].join(", ");
  io.out(`omk smoke: ${found.targets.length} model(s) at ${where}${opts.stack ? ` (stack ${opts.stack})` : ""}`);
  io.out(table([["model", "check", "result", "detail"], ...rows.map((r) => [r.model, r.check, r.status.toUpperCase(), r.detail])]));
  for (const r of rows.filter((x) => x.failure)) {
    io.out(`\nFAIL ${r.model}: ${r.check}: ${r.failure!.what}\n  likely cause: ${r.failure!.cause}\n  fix: ${r.failure!.fix}`);
  }
  const count = (s: CheckRow["status"]) => rows.filter((r) => r.status === s).length;
  io.out(`\n${passed ? "PASS" : "FAIL"}: ${count("pass")} passed, ${count("fail")} failed, ${count("not run")} not run, ${count("skip")} skipped.`);
  return passed ? 0 : 1;
}
