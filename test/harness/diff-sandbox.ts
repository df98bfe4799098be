/**
 * `omk diff` end to end: a throwaway repository whose one commit is this working tree (the code under test, committed
 * or not) plus a test-owned stack, sharing node_modules; then edited. The base ref is that commit.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");

export function sandbox(stack: string, edit: (dir: string) => void, extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), "omk-diff-test-"));
  const files = execFileSync("git", ["-C", ROOT, "ls-files", "--cached", "--others", "--exclude-standard"], { encoding: "utf8" }).split("\n").filter((f) => f && f !== "node_modules" && existsSync(path.join(ROOT, f)));
  for (const f of files) cpSync(path.join(ROOT, f), path.join(dir, f));
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  writeFileSync(path.join(dir, ".gitignore"), "node_modules\n");
  writeFileSync(path.join(dir, "stacks/Pulumi.difftest.yaml"), stack);
  for (const [file, text] of Object.entries(extra)) writeFileSync(path.join(dir, file), text);
  const g = (...args: string[]) => execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args]);
  g("init", "--quiet");
  g("add", "--all");
  g("commit", "--quiet", "-m", "base");
  edit(dir);
  return dir;
}
export const omkIn = (dir: string, ...args: string[]) => spawnSync(process.execPath, [path.join(dir, "cli/bin/omk.js"), ...args], { cwd: dir, encoding: "utf8", timeout: 120_000 });
export const STACK = "config:\n  aws:region: us-east-1\n  omk:environment: difftest\n  omk:models:\n    - id: Qwen/Qwen3-8B\n      maxModelLen: 8192\n      replicas: {min: 1, max: 2}\n";
export const edit = (from: string, to: string) => (d: string) => {
  const file = path.join(d, "stacks/Pulumi.difftest.yaml");
  writeFileSync(file, readFileSync(file, "utf8").replace(from, to));
};
