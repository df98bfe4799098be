/** `omk diff` end to end, where it must refuse or narrow: broken stacks, policy configs, unknown stacks and refs. */
import { rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../cli/omk";
import { STACK, edit, omkIn, sandbox } from "../harness/diff-sandbox";

describe("omk diff", () => {
  it("fails when the change breaks a stack, with its error, instead of calling it removed; the other stacks are still diffed", () => {
    const dir = sandbox(STACK, (d) => {
      writeFileSync(path.join(d, "stacks/Pulumi.difftest.yaml"), "config:\n  aws:region: us-east-1\n  omk:environment: difftest\n  omk:preset: tiny\n");
      writeFileSync(path.join(d, "stacks/Pulumi.difftest-yaml.yaml"), "config:\n  aws:region: us-east-1\n  omk:models:\n    - id Qwen/Qwen3-8B\n   bad: [indent\n");
      edit("max: 2", "max: 3")(d);
    }, { "stacks/Pulumi.difftest-yaml.yaml": STACK.replace("environment: difftest", "environment: difftest-yaml") });
    const r = omkIn(dir, "diff", "--base", "HEAD");
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/#### `difftest` — ❌ no longer plans[\s\S]*omk:preset: "tiny" — is not a preset the kit knows/);
    // A file that is not YAML breaks only its own stack.
    expect(r.stdout).toMatch(/#### `difftest-yaml` — ❌ no longer plans/);
    expect(r.stderr).toMatch(/2 stack\(s\) no longer plan: difftest, difftest-yaml/);
    rmSync(dir, { recursive: true, force: true });
  });

  it("an edited policy config re-plans only its environment's stacks, in process; a deleted stack file is said to destroy nothing", () => {
    const policy = (maxGpus: number) => JSON.stringify({ "gpu-quota-per-stack": { maxGpus } });
    const dir = sandbox(STACK, (d) => {
      writeFileSync(path.join(d, "policies/config/difftest.json"), policy(1));
      rmSync(path.join(d, "stacks/Pulumi.gone.yaml"));
    }, { "policies/config/difftest.json": policy(8), "stacks/Pulumi.gone.yaml": STACK.replace("environment: difftest", "environment: gone") });
    const matrix = JSON.parse(omkIn(dir, "stacks", "--matrix", "--changed-since", "HEAD").stdout);
    expect(matrix.include).toEqual([{ stack: "difftest", policy: "policies/config/difftest.json" }]);
    const r = omkIn(dir, "diff", "--base", "HEAD");
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout.match(/^#### `[^`]+`/gm)).toEqual(["#### `difftest`", "#### `gone`"]);
    expect(r.stdout).toMatch(/❌ mandatory `gpu-quota-per-stack`: .*quota is 1/);
    expect(r.stdout).toMatch(/#### `gone` \(removed stack\)[\s\S]*Deleting the stack file destroys nothing\.\*\* The stack keeps running and costing \$[\d.,]+–\$[\d.,]+\/h[\s\S]*`pulumi destroy -s gone`/);
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
