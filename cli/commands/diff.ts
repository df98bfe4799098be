/**
 * `omk diff --base <git-ref> [--stack <name>]`: plans each stack at the base ref (with the base ref's own
 * code) and in the working tree, offline, and prints what the change does. No credentials needed.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { PROJECT_ROOT, readStackFile, stackFilePath, stacksIn } from "../../components/config/load";
import { diffMarkdown, diffPlans, type StackDiff } from "../engine/diff";
import { planStack, type Plan } from "../engine/plan";
import { nearest } from "../../components/config/errors";
import { shippedStacks } from "./stacks";

const run = promisify(execFile);

export interface DiffOptions {
  readonly base: string;
  readonly stack?: string;
  readonly format?: string;
}

/** The base ref's tree in a temp folder, sharing this checkout's node_modules. */
function materialize(ref: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "omk-diff-"));
  execFileSync("sh", ["-c", `git -C "$0" archive --format=tar "$1" | tar -x -C "$2"`, PROJECT_ROOT, ref, dir], { stdio: ["ignore", "ignore", "pipe"] });
  symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

type Planned = { readonly plan: Plan | null; readonly error?: string };

async function basePlan(dir: string, stack: string): Promise<Planned> {
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

async function headPlan(stack: string): Promise<Planned> {
  const file = stackFilePath(stack);
  if (!existsSync(file)) return { plan: null };
  const r = await planStack(readStackFile(file), { stack, source: path.relative(process.cwd(), file) });
  return r.ok ? { plan: r.plan } : { plan: null, error: r.error.message };
}

export async function diffCommand(opts: DiffOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let dir: string;
  try {
    dir = materialize(opts.base);
  } catch (e) {
    err(`omk diff: cannot read git ref "${opts.base}" (${String((e as { stderr?: Buffer }).stderr ?? e).trim().split("\n")[0]}). Fix: pass a branch, tag or commit, e.g. --base origin/main.`);
    return 1;
  }
  try {
    const baseStacks = stacksIn(path.join(dir, "stacks"));
    const known = [...new Set([...baseStacks, ...shippedStacks()])].sort();
    if (opts.stack && !known.includes(opts.stack)) {
      const near = nearest(opts.stack, known, 1);
      err(`omk diff: --stack "${opts.stack}": no stacks/Pulumi.${opts.stack}.yaml at ${opts.base} or in the working tree. Fix: ${near.length ? `did you mean --stack ${near[0]}? ` : ""}Stacks: ${known.join(", ")}.`);
      return 1;
    }
    const stacks = opts.stack ? [opts.stack] : known;
    const diffs: StackDiff[] = [];
    const broken: string[] = [];
    for (const stack of stacks) {
      const [before, after] = [await basePlan(dir, stack), await headPlan(stack)];
      // A stack this change breaks is an error, not a "removed stack".
      if (after.error) broken.push(after.error);
      else diffs.push(diffPlans(stack, before.plan, after.plan));
    }
    out(opts.format === "json" ? JSON.stringify(diffs, null, 2) : diffMarkdown(diffs, opts.base));
    if (broken.length) {
      err(`omk diff: ${broken.length} stack(s) no longer plan:\n${broken.join("\n")}`);
      return 1;
    }
    return 0;
  } catch (e) {
    err(`omk diff: ${(e as Error).message}`);
    return 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
