/**
 * `omk diff --base <git-ref> [--stack <name>] [--format markdown|json]`: what a change does to each stack,
 * offline, no credentials. When the change touches only stack files, the stacks it touches are planned before
 * and after in this process with the same code; when it touches the kit's code, every stack is planned at the
 * base ref with the base ref's own code. Exit 2 when the changed tree fails a mandatory policy or `pulumi up`
 * would refuse it (a protected resource replaced or deleted), 1 when a stack no longer plans, else 0.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { nearest } from "../../components/config/errors";
import { PROJECT_ROOT, readStackFile, stackFilePath, stackNameOf } from "../../components/config/load";
import { diffExitCode, diffPlans, type StackDiff } from "../engine/diff";
import { diffMarkdown } from "../engine/diff-render";
import { planStack, type Plan } from "../engine/plan";
import { policyConfigNames } from "../engine/policy-runner";
import { shippedStacks } from "./stacks";

const run = promisify(execFile);

export interface DiffOptions {
  readonly base: string;
  readonly stack?: string;
  readonly format?: string;
}

type Planned = { readonly plan: Plan | null; readonly error?: string };

const git = (...args: string[]) => execFileSync("git", ["-C", PROJECT_ROOT, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/**
 * Files that decide a plan besides the stack files: the kit's code, charts, the policy pack and dependencies.
 * An environment's policy config (policies/config/<env>.json) is a per-stack input, like the stack file.
 */
const PLAN_INPUTS = /^(components|cli|charts)\/|^policies\/(?!config\/[^/]+\.json$)|^(index\.ts|package\.json|package-lock\.json|Pulumi\.yaml|tsconfig\.json)$/;
const POLICY_CONFIG = /^policies\/config\/([^/]+)\.json$/;

/** The stack's environment as its file at `ref` (or in the working tree) states it, if it can be read. */
function environmentOf(stack: string, ref: string | null): string | null {
  try {
    const text = ref ? git("show", `${ref}:stacks/Pulumi.${stack}.yaml`) : existsSync(stackFilePath(stack)) ? readFileSync(stackFilePath(stack), "utf8") : "";
    const env = (parseYaml(text) as { config?: Record<string, unknown> } | null)?.config?.["omk:environment"];
    return typeof env === "string" ? env : null;
  } catch {
    return null;
  }
}

/** Paths that differ between the base ref and the working tree (tracked changes and new files). */
function changedPaths(base: string): string[] {
  const tracked = git("diff", "--name-only", base, "--").split("\n");
  const untracked = git("ls-files", "--others", "--exclude-standard").split("\n");
  return [...tracked, ...untracked].filter(Boolean);
}

/** The base ref's tree in a temp folder, sharing this checkout's node_modules. */
function materialize(ref: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "omk-diff-"));
  execFileSync("sh", ["-c", `git -C "$0" archive --format=tar "$1" | tar -x -C "$2"`, PROJECT_ROOT, ref, dir], { stdio: ["ignore", "ignore", "pipe"] });
  symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

/** A base stack planned by the base ref's own `omk` (its code may differ from this one's). */
async function basePlanWithBaseCode(dir: string, stack: string): Promise<Planned> {
  const file = path.join(dir, "stacks", `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) return { plan: null };
  const bin = path.join(dir, "cli", "bin", "omk.js");
  if (!existsSync(bin)) throw new Error("the base ref has no `omk` command to plan with");
  try {
    const { stdout } = await run(process.execPath, [bin, "plan", "--config", file, "--json"], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
    return { plan: JSON.parse(stdout) as Plan };
  } catch (err) {
    // Exit 2 (policy violations) still prints the plan; exit 1 (invalid config) does not.
    const e = err as { stdout?: string; stderr?: string };
    const stdout = e.stdout ?? "";
    return stdout.trim().startsWith("{") ? { plan: JSON.parse(stdout) as Plan } : { plan: null, error: (e.stderr ?? String(err)).trim() };
  }
}

/** A base stack file planned in this process (same code): its content at the ref, in a temp file of the same name. */
async function basePlanInProcess(base: string, stack: string, scratch: string): Promise<Planned> {
  let text: string;
  try {
    text = git("show", `${base}:stacks/Pulumi.${stack}.yaml`);
  } catch {
    return { plan: null };
  }
  const file = path.join(scratch, `Pulumi.${stack}.yaml`);
  writeFileSync(file, text);
  const r = await planStack(readStackFile(file), { stack, source: `${base}:stacks/Pulumi.${stack}.yaml`, policyRoot: scratch });
  return r.ok ? { plan: r.plan } : { plan: null, error: r.error.message };
}

/** The base ref's policy configs under `scratch`/policies/config, where base plans in process look them up. */
function basePolicyConfigs(base: string, scratch: string): void {
  const dir = path.join(scratch, "policies", "config");
  mkdirSync(dir, { recursive: true });
  let names: string[] = [];
  try {
    names = git("ls-tree", "--name-only", `${base}:policies/config`).split("\n").filter((f) => f.endsWith(".json"));
  } catch {
    return; // the base has no policy configs
  }
  for (const name of names) writeFileSync(path.join(dir, name), git("show", `${base}:policies/config/${name}`));
}

async function headPlan(stack: string): Promise<Planned> {
  const file = stackFilePath(stack);
  if (!existsSync(file)) return { plan: null };
  try {
    const r = await planStack(readStackFile(file), { stack, source: path.relative(process.cwd(), file) });
    return r.ok ? { plan: r.plan } : { plan: null, error: r.error.message };
  } catch (e) {
    // A file that is not valid YAML breaks only its own stack: the others are still diffed.
    return { plan: null, error: (e as Error).message };
  }
}

/** The JSON contract (documented in the README): no recorded inputs, only what a reviewer or a bot reads. */
function diffJson(base: string, diffs: readonly StackDiff[], broken: readonly { stack: string; error: string }[]): unknown {
  return {
    base,
    stacks: diffs.map((d) => ({
      stack: d.stack, before: d.before, after: d.after, regionChanged: d.regionChanged, models: d.models,
      resources: {
        added: d.added.map((r) => ({ type: r.type, name: r.name })), removed: d.removed.map((r) => ({ type: r.type, name: r.name, protected: r.protect })),
        changed: d.changed.map((c) => ({ type: c.type, name: c.name, changes: c.changes, replaceReason: c.replaceReason, critical: c.critical, protected: c.protected, disruption: c.disruption })),
      },
      violations: d.violations, policyConfig: d.policyConfig, blocking: d.blocking,
    })),
    broken,
    exitCode: broken.length ? 1 : diffExitCode(diffs),
  };
}

/** What a change since `base` can affect: every stack when the kit's code changed, else the stacks it touches. */
export interface Affected {
  readonly codeChanged: boolean;
  readonly baseStacks: readonly string[];
  /** Stacks at the base ref or in the working tree. */
  readonly known: readonly string[];
  /** The ones to plan. */
  readonly stacks: readonly string[];
}

/** Throws a readable Error when `base` is not a commit. */
export function affectedStacks(base: string): Affected {
  let changed: string[];
  try {
    git("rev-parse", "--verify", "--quiet", `${base}^{commit}`);
    changed = changedPaths(base);
  } catch (e) {
    throw new Error(`cannot read git ref "${base}" (${String((e as { stderr?: string }).stderr ?? e).trim().split("\n")[0] || "not a commit"}). Fix: pass a branch, tag or commit, e.g. --base origin/main.`);
  }
  const codeChanged = changed.some((f) => PLAN_INPUTS.test(f));
  const baseStacks = git("ls-tree", "--name-only", `${base}:stacks`).split("\n").filter((f) => /^Pulumi\..+\.yaml$/.test(f)).map(stackNameOf);
  const known = [...new Set([...baseStacks, ...shippedStacks()])].sort();
  // Same code: only the stacks whose file or whose environment's policy config changed can differ.
  const touched = new Set(changed.filter((f) => /^stacks\/Pulumi\..+\.yaml$/.test(f)).map(stackNameOf));
  const policyChanged = new Set(changed.map((f) => POLICY_CONFIG.exec(f)?.[1]).filter((n): n is string => Boolean(n)));
  if (policyChanged.size && !codeChanged) {
    for (const s of known) {
      const envs = [environmentOf(s, null), baseStacks.includes(s) ? environmentOf(s, base) : null].filter((e): e is string => Boolean(e));
      if (envs.some((e) => policyConfigNames(e).some((n) => policyChanged.has(n)))) touched.add(s);
    }
  }
  return { codeChanged, baseStacks, known, stacks: known.filter((s) => codeChanged || touched.has(s)) };
}

export async function diffCommand(opts: DiffOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let affected: Affected;
  try {
    affected = affectedStacks(opts.base);
  } catch (e) {
    err(`omk diff: ${(e as Error).message}`);
    return 1;
  }
  const { codeChanged, known } = affected;
  if (opts.stack && !known.includes(opts.stack)) {
    const near = nearest(opts.stack, known, 1);
    err(`omk diff: --stack "${opts.stack}": no stacks/Pulumi.${opts.stack}.yaml at ${opts.base} or in the working tree. Fix: ${near.length ? `did you mean --stack ${near[0]}? ` : ""}Stacks: ${known.join(", ")}.`);
    return 1;
  }
  const stacks = opts.stack ? affected.stacks.filter((s) => s === opts.stack) : affected.stacks;
  let scratch: string | null = null;
  let dir: string | null = null;
  try {
    scratch = mkdtempSync(path.join(tmpdir(), "omk-diff-"));
    if (!codeChanged) basePolicyConfigs(opts.base, scratch);
    dir = codeChanged && stacks.length ? materialize(opts.base) : null;
    // Base plans with the base code run as child processes, two at a time (one per core on a CI runner).
    const bases = new Map<string, Promise<Planned>>();
    const baseDir = dir;
    if (baseDir) {
      const queue = [...stacks];
      const worker = async () => {
        for (let s = queue.shift(); s; s = queue.shift()) {
          const planned = basePlanWithBaseCode(baseDir, s);
          bases.set(s, planned);
          await planned;
        }
      };
      await Promise.all([worker(), worker()]);
    }
    const diffs: StackDiff[] = [];
    const broken: { stack: string; error: string }[] = [];
    for (const stack of stacks) {
      const before = dir ? await bases.get(stack)! : await basePlanInProcess(opts.base, stack, scratch!);
      const after = await headPlan(stack);
      // A stack this change breaks is an error, not a "removed stack".
      if (after.error) broken.push({ stack, error: after.error });
      else diffs.push(diffPlans(stack, before.plan, after.plan));
    }
    out(opts.format === "json" ? JSON.stringify(diffJson(opts.base, diffs, broken), null, 2) : diffMarkdown(diffs, opts.base, broken));
    if (broken.length) {
      err(`omk diff: ${broken.length} stack(s) no longer plan: ${broken.map((b) => b.stack).join(", ")} (errors above).`);
      return 1;
    }
    return diffExitCode(diffs);
  } catch (e) {
    err(`omk diff: ${(e as Error).message}`);
    return 1;
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
