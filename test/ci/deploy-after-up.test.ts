/** The deploy workflow proves each endpoint after `pulumi up` (issue 17): omk smoke with --wait, then a bounded omk bench. */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const steps = (parse(readFileSync(path.resolve(__dirname, "../../.github/workflows/deploy.yml"), "utf8")) as any).jobs.up.steps as any[];
const index = (match: (s: any) => boolean) => steps.findIndex(match);

describe("deploy.yml after pulumi up", () => {
  const up = index((s) => String(s.uses).startsWith("pulumi/actions@"));
  const smoke = index((s) => String(s.run ?? "").includes("npx omk smoke --stack"));
  const bench = index((s) => String(s.run ?? "").includes("npx omk bench --stack"));

  it("runs omk smoke, waiting out the cold start, then a bounded omk bench", () => {
    expect(up).toBeGreaterThanOrEqual(0);
    expect(smoke).toBeGreaterThan(up);
    expect(bench).toBeGreaterThan(smoke);
    expect(steps[smoke].run).toMatch(/--wait \d+m/);
    // A GitHub-hosted runner reaches only public endpoints: the others are skipped, not failed.
    expect(steps[smoke].run).toMatch(/--public-only/);
    expect(steps[bench].run).toMatch(/select\(\.exposure == "public"\)/);
    expect(steps[bench].run).toMatch(/--requests \d+/);
    expect(steps[bench].run).toMatch(/--duration \d+m/);
  });

  it("reads keys from the stack's outputs inside omk: no key on a command line or in an env var of the step", () => {
    for (const i of [smoke, bench]) {
      expect(steps[i].run).not.toMatch(/api-?key|apiKeys|show-secrets/i);
      expect(Object.keys(steps[i].env ?? {})).not.toContain("OMK_API_KEY");
      expect(steps[i].env.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
    }
  });
});
