/**
 * The users' CI workflows cannot run here; these checks keep them consistent with the repository and with
 * the documented inputs of the actions they use (pulumi/actions README: command, stack-name, …). Stacks are
 * never listed by hand: the matrix is `omk stacks --matrix`, so a stack added to stacks/ is deployed too.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { shippedStacks, stackMatrix } from "../../cli/commands/stacks";
import { readStackFile, stackFilePath } from "../../components/config/load";

const ROOT = path.resolve(__dirname, "../..");
const load = (f: string) => parse(readFileSync(path.join(ROOT, ".github/workflows", f), "utf8")) as any;
const PULUMI_ACTION_INPUTS = new Set(["command", "stack-name", "work-dir", "cloud-url", "comment-on-pr", "github-token", "refresh", "policyPacks", "policyPackConfigs", "suppress-outputs", "upsert", "diff", "pulumi-version"]);

describe("omk stacks --matrix", () => {
  it("lists every stack in stacks/ that deploys to AWS, with its environment's policy config", () => {
    const matrix = stackMatrix().include;
    const cpuOnly = shippedStacks().filter((s) => (readStackFile(stackFilePath(s)) as Record<string, any>)["omk:capacity"]?.mode === "cpu");
    expect(matrix.map((m) => m.stack).sort()).toEqual(shippedStacks().filter((s) => !cpuOnly.includes(s)));
    for (const m of matrix) if (m.policy) expect(existsSync(path.join(ROOT, m.policy)), m.policy).toBe(true);
  });
});

describe.each(["pull-request.yml", "deploy.yml"])("%s", (file) => {
  const wf = load(file);
  const pulumiJob = Object.values(wf.jobs).find((j: any) => j.steps.some((s: any) => String(s.uses).startsWith("pulumi/actions@"))) as any;

  it("runs every cloud stack from the generated matrix, and installs and tests first", () => {
    expect(pulumiJob.strategy.matrix).toBe("${{ fromJSON(needs.stacks.outputs.matrix) }}");
    expect([pulumiJob.needs].flat()).toContain("stacks");
    const matrixStep = wf.jobs.stacks.steps.find((s: any) => s.id === "matrix");
    expect(matrixStep.run).toContain("npx omk stacks --matrix --changed-since");
    // --changed-since reads git history: the checkout must have it.
    expect(wf.jobs.stacks.steps.find((s: any) => String(s.uses).startsWith("actions/checkout@")).with["fetch-depth"]).toBe(0);
    expect(wf.jobs.stacks.outputs.matrix).toBe("${{ steps.matrix.outputs.matrix }}");
    const runs = Object.values(wf.jobs).flatMap((j: any) => j.steps.map((s: any) => s.run).filter(Boolean));
    expect(runs).toEqual(expect.arrayContaining(["npm ci", "npm test"]));
  });

  it("passes only documented inputs to pulumi/actions, with the policy pack", () => {
    const step = pulumiJob.steps.find((s: any) => String(s.uses).startsWith("pulumi/actions@"));
    for (const key of Object.keys(step.with)) expect(PULUMI_ACTION_INPUTS.has(key), key).toBe(true);
    expect(step.with).toMatchObject({ policyPacks: "policies", policyPackConfigs: "${{ matrix.policy }}", upsert: true });
    expect(step.env.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
  });
});

describe("identities and permissions", () => {
  it.each(["pull-request.yml", "deploy.yml"])("%s pins every action by commit SHA, with its release in a comment", (file) => {
    const uses = Object.values(load(file).jobs).flatMap((j: any) => j.steps.map((st: any) => st.uses).filter(Boolean)) as string[];
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u, `${file}: ${u}`).toMatch(/@[0-9a-f]{40}$/);
    // The YAML comment names the release each SHA is (what Dependabot and a reviewer read).
    const text = readFileSync(path.join(ROOT, ".github/workflows", file), "utf8");
    for (const line of text.split("\n").filter((l) => /uses: \S+@[0-9a-f]{40}/.test(l))) expect(line, `${file}: ${line.trim()}`).toMatch(/# v\d+\.\d+\.\d+\s*$/);
  });

  const trust = (f: string) => JSON.parse(readFileSync(path.join(ROOT, "docs/iam", f), "utf8")).Statement[0];

  it.each(["pull-request.yml", "deploy.yml"])("%s grants nothing by default, and each job only what it uses", (file) => {
    const wf = load(file);
    expect(wf.permissions).toEqual({});
    for (const [name, job] of Object.entries(wf.jobs) as [string, any][]) {
      expect(job.permissions, `${file} job ${name}`).toBeDefined();
      const usesAws = job.steps.some((st: any) => String(st.uses).startsWith("aws-actions/configure-aws-credentials@"));
      expect(job.permissions["id-token"] === "write", `${file} job ${name}: id-token only where AWS is assumed`).toBe(usesAws);
    }
  });

  it("previews a PR's code with the preview role and the preview environment's token; deploys with the deploy role from the stack's environment", () => {
    const preview = load("pull-request.yml").jobs.preview;
    const up = load("deploy.yml").jobs.up;
    const role = (job: any) => job.steps.find((st: any) => String(st.uses).startsWith("aws-actions/configure-aws-credentials@")).with["role-to-assume"];
    expect(role(preview)).toBe("${{ vars.AWS_PREVIEW_ROLE_ARN }}");
    expect(role(up)).toBe("${{ vars.AWS_DEPLOY_ROLE_ARN }}");
    expect(preview.environment).toBe("preview");
    // With an environment, GitHub's OIDC subject is repo:<org>/<repo>:environment:<name>: the trust templates admit exactly those.
    expect(trust("github-preview-trust.json").Condition.StringEquals["token.actions.githubusercontent.com:sub"]).toBe("repo:<ORG>/<REPO>:environment:preview");
    const deploySubs: string[] = trust("github-deploy-trust.json").Condition["ForAnyValue:StringEquals"]["token.actions.githubusercontent.com:sub"];
    for (const sub of deploySubs) expect(sub).toMatch(/^repo:<ORG>\/<REPO>:environment:</);
    for (const f of ["github-preview-trust.json", "github-deploy-trust.json"]) {
      expect(trust(f).Action).toBe("sts:AssumeRoleWithWebIdentity");
      expect(JSON.stringify(trust(f).Condition)).toContain('"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"');
    }
  });
});

describe("pull-request.yml", () => {
  const wf = load("pull-request.yml");
  it("posts `omk diff` against the base branch as a PR comment whether or not the tests pass", () => {
    const diff = wf.jobs.diff;
    expect(diff.needs).toBeUndefined();
    const runs = diff.steps.map((s: any) => s.run ?? "").join("\n");
    expect(runs).toContain('npx omk diff --base "origin/${{ github.base_ref }}" > omk-diff.md');
    const comment = diff.steps.findIndex((s: any) => String(s.uses).startsWith("marocchino/sticky-pull-request-comment@"));
    expect(diff.steps[comment].with).toMatchObject({ path: "omk-diff.md" });
    // The job fails on a blocking diff only after the comment is posted.
    const fail = diff.steps.findIndex((s: any) => String(s.run ?? "").includes("exit ${{ steps.diff.outputs.code }}"));
    expect(fail).toBeGreaterThan(comment);
  });
});

describe("deploy.yml", () => {
  it("deploys each stack behind a GitHub environment (manual approval), one at a time", () => {
    const up = load("deploy.yml").jobs.up;
    expect(up.environment).toBe("${{ matrix.stack }}");
    expect(up.strategy["max-parallel"]).toBe(1);
  });
  it("refuses to deploy to an environment without required reviewers, before touching AWS", () => {
    const steps = load("deploy.yml").jobs.up.steps;
    const guard = steps.findIndex((s: any) => String(s.run ?? "").includes("required_reviewers"));
    const pulumi = steps.findIndex((s: any) => String(s.uses).startsWith("pulumi/actions@"));
    const aws = steps.findIndex((s: any) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"));
    expect(guard).toBeGreaterThanOrEqual(0);
    expect(guard).toBeLessThan(Math.min(pulumi, aws));
    expect(steps[guard].run).toContain("exit 1");
    expect(load("deploy.yml").jobs.up.permissions.actions).toBe("read");
  });
});
