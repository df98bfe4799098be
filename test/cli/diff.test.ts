/** `omk diff`: what a reviewer learns from a change, computed from two offline plans. */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { diffPlans } from "../../cli/engine/diff";
import { diffMarkdown } from "../../cli/engine/diff-render";
import { plan, stackConfig } from "../harness/stack";
import { STACK, edit, omkIn, sandbox } from "../harness/diff-sandbox";

const two = (len: number, extra: Record<string, unknown> = {}) => stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: len, replicas: { min: 1, max: 2 } }, { id: "Qwen/Qwen3-32B", maxModelLen: 8192 }], extra);

describe("diffPlans", () => {
  it("keeps the model's Service one resource across routing and wake-on-request changes, and blocks a Kubernetes object that would move between resources", async () => {
    // Round-robin → router → woken on request: the Service named after the model is always the same resource.
    const steps = await Promise.all([{}, { replicas: { min: 1, max: 3 } }, { replicas: { min: 0, max: 3 } }].map((x) => plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, ...x }]))));
    for (let i = 1; i < steps.length; i++) expect(diffPlans("t", steps[i - 1]!, steps[i]!).blocking, `step ${i}`).toEqual([]);
    // The same object under another resource: created before the old one is deleted, it would collide (pulumi-kubernetes ≥ 4.29).
    const before = steps[0]!;
    const after = { ...before, resources: before.resources.map((r) => (r.inputs.kind === "Service" ? { ...r, urn: r.urn.replace(/::([^:]+)$/, "::$1-moved"), name: `${r.name}-moved` } : r)) };
    const d = diffPlans("t", before, after);
    expect(d.blocking).toEqual([expect.stringMatching(/^Service omk\/qwen3-8b moves to another Pulumi resource \(.*-moved\): `pulumi up` would create it while the old one still exists and fail with AlreadyExists/)]);
  });

  it("changing one model touches only that model's resources and its pool, names the changed vLLM flags, and replaces nothing", async () => {
    const d = diffPlans("t", await plan(two(8192)), await plan(two(16384)));
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(d.changed.length).toBeGreaterThan(0);
    for (const c of d.changed) expect(c.name).toMatch(/qwen3-8b|gpu-g6e-xlarge|refresh/);
    expect(d.changed.filter((c) => c.replaceReason)).toEqual([]);
    const m = d.models.find((x) => x.name === "qwen3-8b")!;
    expect(m.change).toBe("changed");
    expect(m.fields).toContain("maxModelLen");
    expect(m.flags).toContainEqual({ flag: "--max-model-len", before: "8192", after: "16384" });
    expect(d.models.find((x) => x.name === "qwen3-32b")!.change).toBe("unchanged");
    expect(diffMarkdown([d], "main")).toMatch(/vLLM flags: .*`--max-model-len` 8192 → \*\*16384\*\*/);
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

  it("shows what a GPU change does to the cost per million tokens of a model sized for a load", async () => {
    const load = { requestsPerSecond: 2, inputTokens: 1000, outputTokens: 300 };
    const on = (type: string) => stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 4096, instanceType: type, load }]);
    const [before, after] = [await plan(on("g6e.xlarge")), await plan(on("p5.48xlarge"))];
    const d = diffPlans("t", before, after);
    const m = d.models.find((x) => x.name === "qwen3-8b")!;
    expect(m.fields).toContain("usdPerMillionOutputTokens");
    const [b, a] = [before.models[0]!.load!.usdPerMillionOutputTokens, after.models[0]!.load!.usdPerMillionOutputTokens];
    expect(a).toBeGreaterThan(b); // a whole 8-GPU H100 node for 2 req/s costs more per token
    expect(diffMarkdown([d], "main")).toContain(`| $/Mtok out (at the load) | ~$${b} (ESTIMATE) | **~$${a} (ESTIMATE)** |`);
  });
});

describe("omk diff", () => {
  it("per model: model, precision, instance, GPUs, $/h and $/month before → after, and the vLLM flags by name", () => {
    const dir = sandbox(STACK, edit("id: Qwen/Qwen3-8B\n      maxModelLen: 8192\n      replicas: {min: 1, max: 2}", "id: Qwen/Qwen3-14B\n      maxModelLen: 16384\n      replicas: {min: 1, max: 3}"));
    const r = omkIn(dir, "diff", "--base", "HEAD");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^### omk diff against `HEAD`/);
    // Only the edited stack is planned: the code did not change.
    expect(r.stdout.match(/^#### /gm)).toHaveLength(1);
    expect(r.stdout).toMatch(/#### `difftest`\n\nGPUs 1–2 → \*\*1–3\*\*, GPU nodes \$[\d.,]+–\$[\d.,]+\/h → \*\*\$[\d.,]+–\$[\d.,]+\/h\*\* \(~\$[\d,]+–\$[\d,]+\/month → /);
    // One model out and one in reads as a replacement, compared row by row and flag by flag.
    expect(r.stdout).toMatch(/\*\*`qwen3-14b`\*\* replaces `qwen3-8b`\n\n\| \| before \| after \|\n\|---\|---\|---\|\n\| model \| Qwen\/Qwen3-8B \| \*\*Qwen\/Qwen3-14B\*\* \|/);
    expect(r.stdout).toMatch(/vLLM flags: .*`--max-model-len` 8192 → \*\*16384\*\*/);
    // The policy verdict names each policy and its level (here at most advisories: exit 0).
    expect(r.stdout).toMatch(/\*\*Policies\*\* \(the pack's defaults: no policy config for this environment\)/);
    expect(r.stdout).not.toMatch(/❌ mandatory/);
    const json = JSON.parse(omkIn(dir, "diff", "--base", "HEAD", "--format", "json").stdout);
    expect(json.stacks).toHaveLength(1);
    const models = json.stacks[0].models;
    expect(models.find((m: any) => m.name === "qwen3-14b")).toMatchObject({ change: "added", before: null, after: { model: "Qwen/Qwen3-14B", hourlyUsd: { min: expect.any(Number), max: expect.any(Number) } } });
    expect(models.find((m: any) => m.name === "qwen3-8b")).toMatchObject({ change: "removed", before: { model: "Qwen/Qwen3-8B" }, after: null });
    expect(json.exitCode).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it("exits 2 naming the policy when the change fails a mandatory one, and when `pulumi up` would refuse a protected replacement", () => {
    const dir = sandbox(STACK, edit("aws:region: us-east-1\n  omk:environment: difftest", "aws:region: us-west-2\n  omk:environment: difftest\n  omk:capacity: {maxGpus: 64}"));
    writeFileSync(path.join(dir, "stacks/Pulumi.difftest.yaml"), readFileSync(path.join(dir, "stacks/Pulumi.difftest.yaml"), "utf8").replace("max: 2", "max: 20"));
    const r = omkIn(dir, "diff", "--base", "HEAD", "--stack", "difftest");
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toMatch(/- ❌ mandatory `gpu-quota-per-stack`: The stack can launch up to \d+ GPUs/);
    expect(r.stdout).toMatch(/> ⛔ \*\*Blocks `pulumi up`:\*\* Cluster omk-difftest-platform-cluster-eks would be replaced \(the AWS region changed\), but it is protected: .*omk:cluster\.protect: false/);
    rmSync(dir, { recursive: true, force: true });
  });

  it("plans the base with its own code when the code changed (a comment-only edit changes nothing)", () => {
    const dir = sandbox(STACK, (d) => writeFileSync(path.join(d, "components/round.ts"), `${readFileSync(path.join(d, "components/round.ts"), "utf8")}\n// edited\n`));
    const r = omkIn(dir, "diff", "--base", "HEAD", "--stack", "difftest");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/No stack changes\./);
    rmSync(dir, { recursive: true, force: true });
  });
});
