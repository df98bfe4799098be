/** The `omk` command as a user runs it: exit codes, JSON contracts, files written. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../cli/omk";
import { applySections, generatedSections } from "../../cli/commands/sync";
import { defaultStack, readStackFile, stackFilePath, stacksIn } from "../../components/config/load";
import { resolveStack } from "../../components/config/validate";

const ROOT = path.resolve(__dirname, "../..");

async function omk(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("omk models", () => {
  it("--json lists the catalog with id, family, params and precisions", async () => {
    const r = await omk("models", "--json");
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as Record<string, unknown>[];
    expect(rows.length).toBeGreaterThanOrEqual(30);
    expect(rows.find((m) => m.id === "deepseek-ai/DeepSeek-R1")).toMatchObject({ family: "DeepSeek-V3", totalParamsB: 671, activeParamsB: 37, precisions: expect.arrayContaining(["fp8"]) });
  });

  it("prints a table by default", async () => {
    const r = await omk("models");
    expect(r.out).toMatch(/openai\/gpt-oss-120b\s+117B \(5\.1B active\)\s+131,072\s+mxfp4/);
  });
});

describe("omk size", () => {
  it("--json returns the placement contract", async () => {
    const r = await omk("size", "--model", "Qwen/Qwen3-8B", "--max-model-len", "8192", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    for (const key of ["model", "region", "precision", "instanceType", "nodes", "gpusPerNode", "tensorParallelSize", "pipelineParallelSize", "maxModelLen", "weightsGiBPerGpu", "kvCacheGiBPerGpu", "kvCacheTokens", "maxConcurrency", "hourlyUsd", "fits", "alternatives"]) {
      expect(j, key).toHaveProperty(key);
    }
    expect(j).toMatchObject({ model: "Qwen/Qwen3-8B", region: "us-east-1", precision: "bf16", maxModelLen: 8192, fits: true });
    expect(j.kvCacheTokens).toBeGreaterThanOrEqual(8192 * 4);
    expect(j.alternatives[0]).toEqual(expect.objectContaining({ instanceType: expect.any(String), fits: expect.any(Boolean), reason: expect.any(String) }));
    for (const a of j.alternatives) if (a.fits) expect(a.hourlyUsd).toBeGreaterThanOrEqual(j.hourlyUsd);
  });

  it("prefers a single node unless --multi-node allow, and says what the cheaper group would have been", async () => {
    const single = JSON.parse((await omk("size", "--model", "Qwen/Qwen3-32B", "--region", "us-east-2", "--json")).out);
    const any = JSON.parse((await omk("size", "--model", "Qwen/Qwen3-32B", "--region", "us-east-2", "--multi-node", "allow", "--json")).out);
    expect(single.nodes).toBe(1);
    expect(any.hourlyUsd).toBeLessThanOrEqual(single.hourlyUsd);
    if (any.nodes > 1) expect(single.alternatives.find((a: { nodes: number; fits: boolean }) => a.nodes > 1 && a.fits).reason).toMatch(/cheaper, but spans \d nodes/);
  });

  it("evaluates a pinned instance with --instance/--tp/--pp", async () => {
    const r = await omk("size", "--model", "deepseek-ai/DeepSeek-R1", "--instance", "p5.48xlarge", "--json");
    expect(JSON.parse(r.out)).toMatchObject({ instanceType: "p5.48xlarge", nodes: 2, tensorParallelSize: 8, pipelineParallelSize: 2 });
  });

  it.each([
    [["--model", "Qwen/Qwen3-7B"], /--model "Qwen\/Qwen3-7B": is not in the model catalog\. Fix: did you mean/],
    [["--model", "Qwen/Qwen3-8B", "--region", "moon-1"], /--region "moon-1": is not a region the kit knows/],
    [["--model", "meta-llama/Llama-3.1-70B-Instruct", "--instance", "g6.xlarge"], /--instance "g6.xlarge": .*does not fit g6\.xlarge in us-east-1/],
    [["--model", "Qwen/Qwen3-8B", "--max-model-len", "abc"], /--max-model-len takes a positive whole number, e.g. 32768/],
  ])("exits 1 with a clear message: %j", async (args, message) => {
    const r = await omk("size", ...args);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
  });
});

describe("omk plan", () => {
  const FIXTURE = path.join(ROOT, "test/fixtures/stacks/Pulumi.fixture.yaml");

  it("plans the default stack offline and summarises its models, cluster and cost", async () => {
    // Whatever the default stack holds in this fork: the plan names its environment, region and every model.
    const resolved = resolveStack(readStackFile(stackFilePath(defaultStack())), defaultStack());
    if (!resolved.ok) throw resolved.error;
    const r = await omk("plan");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`stack "${defaultStack()}" (environment ${resolved.stack.environment}, region ${resolved.stack.region})`);
    for (const m of resolved.stack.models) expect(r.out).toContain(`${m.name}: ${m.spec.id}`);
    expect(r.out).toMatch(/Cost: \$[\d.]+–\$[\d.]+ per hour/);
    expect(r.out).toMatch(/Offline assumption:/);
  });

  it("summarises placement, pools with their surge room, and add-ons", async () => {
    const r = await omk("plan", "--config", FIXTURE);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/qwen3-8b: Qwen\/Qwen3-8B bf16/);
    expect(r.out).toMatch(/placement\s+g6e\.xlarge × 1 node, 1 × NVIDIA L40S/);
    expect(r.out).toMatch(/new EKS cluster omk-fixture \(Auto Mode\), VPC across us-east-1a, us-east-1b, us-east-1c/);
    expect(r.out).toMatch(/gpu-g6e-xlarge\s+g6e\.xlarge\s+nodes 1–2\s+GPU limit 3 \(incl\. 1 surge for rollouts\)/);
    expect(r.out).toMatch(/install\s+keda\s+autoscaled models: qwen3-8b/);
  });

  it("--out writes plan.json with resources and per-model sizing", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "omk-plan-"));
    const r = await omk("plan", "--config", FIXTURE, "--out", dir);
    expect(r.code, r.err).toBe(0);
    const plan = JSON.parse(readFileSync(path.join(dir, "plan.json"), "utf8"));
    expect(plan.stack).toBe("fixture");
    expect(plan.resources[0]).toEqual(expect.objectContaining({ urn: expect.any(String), type: "omk:index:Kit", name: "omk-fixture", parent: null, inputs: expect.any(Object) }));
    const m = plan.models[0];
    expect(m).toMatchObject({ model: "Qwen/Qwen3-8B", replicas: { min: 1, max: 2 }, fits: true });
    // Routing and scale-from-zero, as the issue names them in plan.json.
    expect(m.routing).toEqual({ policy: "prefix-aware", component: "vllm-router", sessionHeader: null });
    expect(m.autoscaling.fromZero).toBe("never");
    expect(m.hourlyUsd.max).toBeCloseTo(m.hourlyUsd.min * 2, 2);
    // One YAML per Kubernetes object the kit creates (Helm releases excluded: Helm renders those).
    expect(readdirSync(path.join(dir, "manifests")).sort()).toEqual([
      "kube-system-configmap-amazon-vpc-cni.yaml", "monitoring-configmap-open-model-kit-dashboard.yaml", "monitoring-secret-omk-grafana-admin.yaml",
      "namespace-monitoring.yaml", "namespace-omk.yaml",
      "nodeclass-gpu-g6e-xlarge.yaml", "nodepool-gpu-g6e-xlarge.yaml", "omk-configmap-qwen3-8b-api-guard.yaml", "omk-cronjob-omk-refresh.yaml", "omk-deployment-qwen3-8b-router.yaml", "omk-deployment-qwen3-8b.yaml",
      "omk-networkpolicy-omk-default-deny.yaml", "omk-networkpolicy-omk-egress-internet.yaml", "omk-networkpolicy-omk-egress-s3.yaml", "omk-networkpolicy-omk-egress.yaml", "omk-networkpolicy-omk-unavailable.yaml",
      "omk-networkpolicy-qwen3-8b-router.yaml", "omk-networkpolicy-qwen3-8b.yaml",
      "omk-poddisruptionbudget-qwen3-8b-router.yaml", "omk-poddisruptionbudget-qwen3-8b.yaml", "omk-podmonitor-qwen3-8b-router.yaml", "omk-podmonitor-qwen3-8b.yaml", "omk-prometheusrule-open-model-kit.yaml",
      "omk-role-omk-refresh.yaml", "omk-role-qwen3-8b-router.yaml", "omk-rolebinding-omk-refresh.yaml", "omk-rolebinding-qwen3-8b-router.yaml",
      "omk-scaledobject-qwen3-8b.yaml", "omk-secret-qwen3-8b-api-key.yaml", "omk-service-qwen3-8b.yaml", "omk-serviceaccount-omk-refresh.yaml", "omk-serviceaccount-qwen3-8b-router.yaml", "omk-serviceaccount-qwen3-8b.yaml",
      "storageclass-omk-gp3.yaml",
    ]);
    // Two replicas at most, plus one surge replica for a rolling update.
    expect(readFileSync(path.join(dir, "manifests", "nodepool-gpu-g6e-xlarge.yaml"), "utf8")).toMatch(/nvidia.com\/gpu: "3"/);
  });

  it("--config plans any file in Pulumi stack config format; invalid ones exit 1 listing every problem", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "omk-cfg-"));
    const good = path.join(dir, "Pulumi.gpu.yaml");
    writeFileSync(good, "config:\n  aws:region: us-west-2\n  omk:environment: gpu\n  omk:models:\n    - id: openai/gpt-oss-20b\n      maxModelLen: 8192\n");
    const ok = await omk("plan", "--config", good, "--json");
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ stack: "gpu", region: "us-west-2", models: [{ model: "openai/gpt-oss-20b", precision: "mxfp4" }] });

    const bad = path.join(dir, "bad.yaml");
    writeFileSync(bad, "config:\n  aws:region: us-east-1\n  omk:environment: x\n  omk:models:\n    - id: Qwen/Qwen3-8B\n      maxModelLen: 200000\n      replicas: {min: 2, max: 1}\n");
    const r = await omk("plan", "--config", bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/2 configuration problems; nothing was created/);
    expect(r.err).toMatch(/omk:models\[0\]\.maxModelLen: 200000 — must be ≤ 131072 for Qwen\/Qwen3-8B: its documented YaRN extension/);
    expect(r.err).toMatch(/omk:models\[0\]\.replicas: \{"min":2,"max":1\} — min is greater than max/);
  });

  it("the default stack exists: `npx omk plan` (the README's set-up command) plans it", () => {
    expect(stacksIn(path.join(ROOT, "stacks"))).toContain(defaultStack());
  });

  it("a fork without a dev stack defaults to its first stack, or to package.json's omk.defaultStack", () => {
    const root = mkdtempSync(path.join(tmpdir(), "omk-default-"));
    mkdirSync(path.join(root, "stacks"));
    for (const s of ["staging", "production"]) writeFileSync(path.join(root, "stacks", `Pulumi.${s}.yaml`), "config: {}\n");
    expect(defaultStack(root)).toBe("production");
    writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "fork", omk: { defaultStack: "staging" } }));
    expect(defaultStack(root)).toBe("staging");
    writeFileSync(path.join(root, "stacks", "Pulumi.dev.yaml"), "config: {}\n");
    expect(defaultStack(root)).toBe("staging");
    rmSync(root, { recursive: true, force: true });
  });
});

describe("omk validate, --version and flag errors", () => {
  it("validates a stack and its policy config without running the program, naming every problem", async () => {
    const ok = await omk("validate", "--config", path.join(ROOT, "test/fixtures/stacks/Pulumi.fixture.yaml"));
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/is valid — 1 model\(s\) in us-east-1 \(qwen3-8b on g6e\.xlarge\); policy config none \(the pack's defaults\) checked/);
    // Valid, but the first `pulumi up` of a new cluster would stop without an admin: said here too.
    // (The fixture is the test's own: a new cluster with no admins.)
    expect(ok.out).toMatch(/note: omk:cluster\.admins is empty/);
    const dir = mkdtempSync(path.join(tmpdir(), "omk-validate-"));
    const bad = path.join(dir, "Pulumi.bad.yaml");
    writeFileSync(bad, "config:\n  aws:region: us-east-1\n  omk:environment: x\n  omk:models:\n    - id: Qwen/Qwen3-8B\n      replicas: 5\n      instanceType: g9.huge\n");
    const r = await omk("validate", "--config", bad);
    expect(r.code).toBe(1);
    // A malformed entry still has its instance type looked up: every problem in one run.
    expect(r.err).toMatch(/replicas: 5 — must be an object: \{min, max\}, e\.g\. \{min: 1, max: 2\}/);
    expect(r.err).toMatch(/instanceType: "g9\.huge" — is not a GPU instance type the kit knows/);
  });

  it("--version prints the package version", async () => {
    const r = await omk("--version");
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version);
  });

  it.each([
    [["size", "--model", "Qwen/Qwen3-8B", "--concurrency", "-3"], /--concurrency takes a positive whole number, e\.g\. 4\./],
    [["size", "--model", "Qwen/Qwen3-8B", "--tp", "0", "--instance", "g6e.12xlarge"], /--tp takes a positive whole number, e\.g\. 2\./],
  ])("%j names the flag and a fitting example", async (args, message) => {
    const r = await omk(...args);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
  });

  it("--out pointing at a file is refused before anything is planned", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "omk-out-")), "afile");
    writeFileSync(file, "x");
    const r = await omk("plan", "--config", path.join(ROOT, "test/fixtures/stacks/Pulumi.fixture.yaml"), "--out", file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--out ".*afile" is a file\. Fix: pass a folder/);
  });
});

describe("the installed bin", () => {
  it("prints its help without loading the Pulumi SDKs (commands load when they run)", () => {
    const out = execFileSync(process.execPath, ["-e", `require("tsx/cjs/api").register(); const m = require(${JSON.stringify(path.join(ROOT, "cli/omk.ts"))}); m.main(["--help"], { out: () => {}, err: () => {} }).then(() => process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((k) => k.includes("@pulumi")).length)))`], { cwd: ROOT, encoding: "utf8" });
    expect(Number(out)).toBe(0);
  });

  it("runs with plain node, as `npx omk` does after `npm ci`", () => {
    const out = execFileSync(process.execPath, [path.join(ROOT, "cli/bin/omk.js"), "models", "--json"], { cwd: ROOT, encoding: "utf8" });
    expect(JSON.parse(out).length).toBeGreaterThanOrEqual(30);
  });
});

describe("README", () => {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");

  it("states the two set-up commands and the test command that CI runs", () => {
    expect(readme).toContain("npm ci && npx omk plan");
    expect(readme).toContain("npm test");
    // CI runs them in that order; between them it only installs nginx for the API guard's test.
    const ci = readFileSync(path.join(ROOT, ".ci/run"), "utf8").split("\n").filter((l) => l && !l.startsWith("#") && !/nginx|^\s|^fi$|^export OMK_REQUIRE_NGINX/.test(l));
    expect(ci.filter((l) => /^(npm|npx) /.test(l))).toEqual(["npm ci", "npx omk plan", "npm test"]);
  });

  it("every generated section (default plan, stack and catalog tables) matches a fresh run: `npx omk sync` rebuilds them", async () => {
    const { text, missing } = applySections(readme, await generatedSections());
    expect(missing).toEqual([]);
    // Compare section by section so a failure names the stale one.
    for (const name of ["plan:default", "stacks:table", "catalog:models", "catalog:instances"]) {
      const cut = (t: string) => t.split(`<!-- ${name} -->\n`)[1]!.split(`\n<!-- /${name} -->`)[0];
      expect(cut(readme), `${name} is stale: run npx omk sync`).toBe(cut(text));
    }
  });
});
