/**
 * The users' CI workflows cannot run here; these checks keep them consistent with the repository and with
 * the documented inputs of the actions they use (pulumi/actions README: command, stack-name, …).
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { shippedStacks } from "../../cli/commands/stacks";

const ROOT = path.resolve(__dirname, "../..");
const load = (f: string) => parse(readFileSync(path.join(ROOT, ".github/workflows", f), "utf8")) as any;
const PULUMI_ACTION_INPUTS = new Set(["command", "stack-name", "work-dir", "cloud-url", "comment-on-pr", "github-token", "refresh", "policyPacks", "policyPackConfigs", "suppress-outputs", "upsert", "diff", "pulumi-version"]);

describe.each(["pull-request.yml", "deploy.yml"])("%s", (file) => {
  const wf = load(file);
  const pulumiJob = Object.values(wf.jobs).find((j: any) => j.steps.some((s: any) => String(s.uses).startsWith("pulumi/actions@"))) as any;

  it("installs, tests and runs every shipped cloud stack with its environment's policy config", () => {
    const matrix = pulumiJob.strategy.matrix.include as { stack: string; policy: string }[];
    expect(matrix.map((m) => m.stack).sort()).toEqual(shippedStacks().filter((s) => s !== "local"));
    for (const m of matrix) expect(existsSync(path.join(ROOT, m.policy)), m.policy).toBe(true);
    const runs = Object.values(wf.jobs).flatMap((j: any) => j.steps.map((s: any) => s.run).filter(Boolean));
    expect(runs).toEqual(expect.arrayContaining(["npm ci", "npm test"]));
  });

  it("passes only documented inputs to pulumi/actions, with the policy pack", () => {
    const step = pulumiJob.steps.find((s: any) => String(s.uses).startsWith("pulumi/actions@"));
    for (const key of Object.keys(step.with)) expect(PULUMI_ACTION_INPUTS.has(key), key).toBe(true);
    expect(step.with).toMatchObject({ policyPacks: "policies" });
    expect(step.env.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
  });
});

describe("pull-request.yml", () => {
  it("posts `omk diff` against the base branch as a PR comment", () => {
    const steps = load("pull-request.yml").jobs["test-and-diff"].steps;
    expect(steps.map((s: any) => s.run ?? "").join("\n")).toContain('npx omk diff --base "origin/${{ github.base_ref }}" > omk-diff.md');
    expect(steps.at(-1)).toMatchObject({ uses: "marocchino/sticky-pull-request-comment@v2", with: { path: "omk-diff.md" } });
  });
});

describe("deploy.yml", () => {
  it("deploys each stack behind a GitHub environment (manual approval), one at a time", () => {
    const up = load("deploy.yml").jobs.up;
    expect(up.environment).toBe("${{ matrix.stack }}");
    expect(up.strategy["max-parallel"]).toBe(1);
  });
});
