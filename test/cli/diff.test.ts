/** `omk diff`: what a reviewer learns from a change, computed from two offline plans. */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { diffMarkdown, diffPlans } from "../../cli/engine/diff";
import { main } from "../../cli/omk";
import { plan, stackConfig } from "../harness/stack";

const ROOT = path.resolve(__dirname, "../..");
const two = (len: number, extra: Record<string, unknown> = {}) => stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: len, replicas: { min: 1, max: 2 } }, { id: "Qwen/Qwen3-32B", maxModelLen: 8192 }], extra);

describe("diffPlans", () => {
  it("changing one model touches only that model's resources and its pool, and replaces nothing", async () => {
    const d = diffPlans("t", await plan(two(8192)), await plan(two(16384)));
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(d.changed.length).toBeGreaterThan(0);
    for (const c of d.changed) expect(c.name).toMatch(/qwen3-8b|gpu-g6e-xlarge/);
    expect(d.changed.filter((c) => c.replaceReason)).toEqual([]);
    const dep = d.changed.find((c) => c.type === "kubernetes:apps/v1:Deployment")!;
    expect(dep.changes).toContainEqual({ path: "spec.template.spec.containers[0].args[10]", before: "8192", after: "16384" });
  });

  it("a region change replaces every AWS resource, and the diff says so loudly", async () => {
    const before = await plan(two(8192));
    const after = await plan(two(8192, { "aws:region": "us-west-2" }));
    const d = diffPlans("t", before, after);
    expect(d.regionChanged).toBe(true);
    const kept = after.resources.filter((r) => before.resources.some((b) => b.urn === r.urn));
    for (const r of kept.filter((x) => x.type.startsWith("aws:"))) expect(d.changed.find((c) => c.urn === r.urn)?.replaceReason, r.name).toBe("the AWS region changed");
    // The Kubernetes provider now points at the new region's cluster: its objects are recreated too.
    for (const r of kept.filter((x) => x.type.startsWith("kubernetes:"))) expect(d.changed.find((c) => c.urn === r.urn)?.replaceReason, r.name).toBe("its Kubernetes provider now targets another cluster");
    const md = diffMarkdown([d], "main");
    expect(md).toContain("**Region changed (us-east-1 → us-west-2): every AWS resource is replaced, and every Kubernetes object with its cluster.**");
    expect(md).toMatch(/⚠️ \*\*Replaces \d+ critical resource\(s\):\*\* .*`Vpc omk-test-platform-net-vpc`/);
    expect(md).toMatch(/`Cluster omk-test-platform-cluster-eks`/);
  });

  it("shows a node group swap loudly when a model moves to another instance type", async () => {
    const managed = (type: string) => stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, instanceType: type }], { "omk:capacity": { mode: "managed" } });
    const d = diffPlans("t", await plan(managed("g6e.xlarge")), await plan(managed("g6e.2xlarge")));
    // The pool is named after its type: the old node group goes, a new one comes — both visible.
    expect(d.removed.some((r) => r.type === "aws:eks/nodeGroup:NodeGroup")).toBe(true);
    expect(d.added.some((r) => r.type === "aws:eks/nodeGroup:NodeGroup")).toBe(true);
    expect(d.before!.hourlyUsd).not.toEqual(d.after!.hourlyUsd);
    expect(diffMarkdown([d], "main")).toMatch(/⚠️ \*\*Deletes \d+ critical resource\(s\):\*\* .*NodeGroup omk-test-platform-gpu-gpu-g6e-xlarge/);
  });
});

describe("omk diff", () => {
  /** A throwaway clone of this repository's HEAD, sharing node_modules, with an edited working tree. */
  function sandbox(edit: (dir: string) => void): string {
    const dir = mkdtempSync(path.join(tmpdir(), "omk-diff-test-"));
    execFileSync("git", ["clone", "--quiet", "--shared", ROOT, dir]);
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    edit(dir);
    return dir;
  }
  const omkIn = (dir: string, ...args: string[]) => spawnSync(process.execPath, [path.join(dir, "cli/bin/omk.js"), ...args], { cwd: dir, encoding: "utf8", timeout: 120_000 });

  it("plans the base ref with its own code and shows exactly what an edit to a stack changes", () => {
    const dir = sandbox((d) => {
      const file = path.join(d, "stacks/Pulumi.dev.yaml");
      writeFileSync(file, readFileSync(file, "utf8").replace("omk:preset: small", "omk:preset: small\n  omk:modelDefaults:\n    replicas: {min: 1, max: 3}"));
    });
    const r = omkIn(dir, "diff", "--base", "HEAD", "--stack", "dev");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^### omk diff against `HEAD`/);
    expect(r.stdout).toMatch(/#### `dev`\n\nGPUs 1–2 → \*\*1–3\*\*, GPU nodes \$1\.86–\$3\.72\/h → \*\*\$1\.86–\$5\.58\/h\*\*/);
    // The NodePool's limit holds max replicas plus one surge replica.
    expect(r.stdout).toMatch(/`spec\.limits\.nvidia\.com\/gpu`: "3" → "4"/);
    expect(r.stdout).not.toMatch(/replaced \(/);
    rmSync(dir, { recursive: true, force: true });
  });

  it("fails when the change breaks a stack, instead of calling it removed", () => {
    const dir = sandbox((d) => writeFileSync(path.join(d, "stacks/Pulumi.dev.yaml"), "config:\n  aws:region: us-east-1\n  omk:environment: dev\n  omk:preset: tiny\n"));
    const r = omkIn(dir, "diff", "--base", "HEAD", "--stack", "dev");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/1 stack\(s\) no longer plan:[\s\S]*omk:preset: "tiny" — is not a preset the kit knows/);
    rmSync(dir, { recursive: true, force: true });
  });

  it("rejects a --stack that exists nowhere, listing the stacks", async () => {
    const err: string[] = [];
    expect(await main(["diff", "--base", "HEAD", "--stack", "no-such-stack"], { out: () => undefined, err: (s) => err.push(s) })).toBe(1);
    expect(err.join("\n")).toMatch(/--stack "no-such-stack": no stacks\/Pulumi\.no-such-stack\.yaml at HEAD or in the working tree\. Fix: .*Stacks: /);
  });

  it("rejects an unknown ref with the fix", async () => {
    const err: string[] = [];
    expect(await main(["diff", "--base", "no-such-ref-xyz"], { out: () => undefined, err: (s) => err.push(s) })).toBe(1);
    expect(err.join("\n")).toMatch(/cannot read git ref "no-such-ref-xyz".*--base origin\/main/);
  });
});
