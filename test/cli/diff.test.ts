/** `omk diff`: what a reviewer learns from a change, computed from two offline plans. */
import { describe, expect, it } from "vitest";
import { diffMarkdown, diffPlans } from "../../cli/engine/diff";
import { main } from "../../cli/omk";
import { plan, stackConfig } from "../harness/stack";

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
    const aws = after.resources.filter((r) => r.type.startsWith("aws:") && before.resources.some((b) => b.urn === r.urn));
    for (const r of aws) expect(d.changed.find((c) => c.urn === r.urn)?.replaceReason, r.name).toBe("the AWS region changed");
    const md = diffMarkdown([d], "main");
    expect(md).toContain("**Region changed (us-east-1 → us-west-2): every AWS resource is replaced.**");
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
  it("plans a stack at a git ref with that ref's own code and prints a Markdown diff", async () => {
    const out: string[] = [];
    const code = await main(["diff", "--base", "HEAD", "--stack", "dev"], { out: (s) => out.push(s), err: (s) => out.push(s) });
    expect(code).toBe(0);
    expect(out.join("\n")).toMatch(/^### omk diff against `HEAD`/);
  });

  it("rejects an unknown ref with the fix", async () => {
    const err: string[] = [];
    expect(await main(["diff", "--base", "no-such-ref-xyz"], { out: () => undefined, err: (s) => err.push(s) })).toBe(1);
    expect(err.join("\n")).toMatch(/cannot read git ref "no-such-ref-xyz".*--base origin\/main/);
  });
});
