/**
 * The inputs of sizing for a load, as a user mistypes them: each mistake is refused with the key or flag that
 * caused it and the fix, and nothing that is not a credential is redacted.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { main } from "../../cli/omk";
import { resolveStack } from "../../components/config/validate";
import { MAX_REPLICAS } from "../../components/config/schema";
import { stackConfig } from "../harness/stack";

const load = { requestsPerSecond: 3, inputTokens: 1000, outputTokens: 300, tpotMs: 60 };

function rejected(raw: Record<string, unknown>): string {
  const r = resolveStack(raw, "Pulumi.test.yaml");
  if (r.ok) throw new Error("expected the config to be rejected");
  return r.error.message;
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("a load in stack config", () => {
  it("is refused on a CPU stack, which has no performance model", () => {
    const cpu = parse(readFileSync("test/fixtures/stacks/Pulumi.cpu.yaml", "utf8")).config as Record<string, unknown>;
    const models = (cpu["omk:models"] as Record<string, unknown>[]).map((m) => ({ ...m, load: { requestsPerSecond: 1, inputTokens: 100, outputTokens: 100 } }));
    const message = rejected({ ...cpu, "omk:models": models });
    expect(message).toMatch(/omk:models\[0\]\.load: .*CPU mode .*has no performance model\. Fix: remove load here/);
  });

  it(`is refused when it would need more than ${MAX_REPLICAS} replicas, naming requestsPerSecond`, () => {
    const message = rejected(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 4096, load: { ...load, requestsPerSecond: 100_000 } }]));
    expect(message).toMatch(new RegExp(`omk:models\\[0\\]\\.load\\.requestsPerSecond: 100000 — needs \\d+ replicas of .* the kit manages at most ${MAX_REPLICAS} per model\\. Fix: split the load`));
  });

  it("shows its token counts in errors: they are not credentials", () => {
    const message = rejected(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 4096, load: { ...load, inputTokens: 0, requestsPerSecond: 0 } }]));
    expect(message).toMatch(/omk:models\[0\]\.load\.inputTokens: 0 — must be ≥ 1/);
    expect(message).toMatch(/omk:models\[0\]\.load\.requestsPerSecond: 0 — must be > 0/);
    expect(message).not.toContain("[secret]");
  });

  it("accepts a headroom between 0 and 0.9; more headroom never costs less, nor needs fewer replicas of one instance", () => {
    const sized = (headroom: number, instanceType?: string) => {
      const r = resolveStack(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 4096, ...(instanceType ? { instanceType } : {}), load: { ...load, requestsPerSecond: 40, headroom } }]), "t");
      if (!r.ok) throw r.error;
      return r.stack.models[0]!.placement.load!;
    };
    const headrooms = [0, 0.25, 0.5];
    // Free to choose, a bigger headroom may move to another instance with fewer replicas, but never to a cheaper bill.
    const free = headrooms.map((h) => sized(h).hourlyUsd);
    const pinned = headrooms.map((h) => sized(h, "g6e.xlarge").replicas);
    for (let i = 1; i < headrooms.length; i++) {
      expect(free[i]).toBeGreaterThanOrEqual(free[i - 1]! - 1e-9);
      expect(pinned[i]).toBeGreaterThanOrEqual(pinned[i - 1]!);
    }
    expect(pinned[2]).toBeGreaterThan(pinned[0]!);
    expect(rejected(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 4096, load: { ...load, headroom: 0.95 } }]))).toMatch(/load\.headroom: 0\.95 — /);
  });
});

describe("omk size load flags", () => {
  it("names the missing flags when a load is given in part, and refuses latency targets without a load", async () => {
    const part = await run(["size", "--model", "Qwen/Qwen3-8B", "--requests-per-second", "5", "--input-tokens", "2000"]);
    expect(part.code).toBe(1);
    expect(part.err).toMatch(/together; missing --output-tokens\. Example: /);
    const alone = await run(["size", "--model", "Qwen/Qwen3-8B", "--tpot-ms", "40"]);
    expect(alone.code).toBe(1);
    expect(alone.err).toMatch(/missing --requests-per-second, --input-tokens, --output-tokens \(--tpot-ms apply only with a load\)/);
  });

  it("keeps the stated --max-model-len: a load does not shrink the context the server admits", async () => {
    const r = await run(["size", "--model", "Qwen/Qwen3-8B", "--max-model-len", "16384", "--requests-per-second", "2", "--input-tokens", "1000", "--output-tokens", "200", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).maxModelLen).toBe(16384);
  });
});

describe("omk perf layouts", () => {
  it("needs --instance for --dp or --expert-parallel, and refuses --expert-parallel on a dense model", async () => {
    const noInstance = await run(["perf", "--model", "Qwen/Qwen3-8B", "--dp", "2", "--input-tokens", "100", "--output-tokens", "100"]);
    expect(noInstance.code).toBe(1);
    expect(noInstance.err).toMatch(/--dp and --expert-parallel describe a layout on a given instance\. Fix: add --instance/);
    const dense = await run(["perf", "--model", "Qwen/Qwen3-8B", "--instance", "p5.48xlarge", "--tp", "8", "--expert-parallel", "--input-tokens", "100", "--output-tokens", "100"]);
    expect(dense.code).toBe(1);
    expect(dense.err).toMatch(/is a dense model \(no experts to spread\)\. Fix: drop --expert-parallel/);
  });

  it("predicts a data-parallel, expert-parallel layout of an MoE model as given", async () => {
    const r = await run(["perf", "--model", "deepseek-ai/DeepSeek-V3.2", "--instance", "p5en.48xlarge", "--tp", "1", "--dp", "8", "--expert-parallel", "--input-tokens", "1000", "--output-tokens", "200", "--concurrency", "64", "--json"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ instanceType: "p5en.48xlarge", tensorParallelSize: 1, dataParallelSize: 8, expertParallel: true, estimate: true });
    expect(j.outputTokensPerSecond).toBeGreaterThan(0);
  });
});
