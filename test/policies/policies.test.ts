/** Each policy with passing and failing cases, run offline the way CrossGuard runs them. */
import * as path from "node:path";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { readPolicyConfig as readPack } from "../../cli/engine/policy-config";
import { runPolicies, type PolicyConfigFile } from "../../cli/engine/policy-runner";
import type { RecordedResource } from "../../cli/engine/record";
import { main } from "../../cli/omk";
import { ALL_POLICIES } from "../../policies/all";
import { isPinnedImage, looksLikeCredential } from "../../policies/workloads";
import { plan, recordProgram, stackConfig } from "../harness/stack";
import * as pulumi from "@pulumi/pulumi";
import { Deployment } from "@pulumi/kubernetes/apps/v1/deployment";

const ROOT = path.resolve(__dirname, "../..");
const readPolicyConfig = (file: string) => readPack(file, ALL_POLICIES);
// Test-owned copies of a strict (dev-like) and a roomy (prod-like) config: a fork edits policies/config freely.
const dev = readPolicyConfig(path.join(ROOT, "test/fixtures/policies/dev.json"));
const prod = readPolicyConfig(path.join(ROOT, "test/fixtures/policies/prod.json"));
let n = 0;
/** A synthetic resource whose outputs equal its inputs (as a custom resource's, or a component registering them). */
const res = (type: string, inputs: Record<string, unknown>, name = `r${n++}`): RecordedResource => ({ urn: `urn:pulumi:t::p::${type}::${name}`, type, name, parent: null, custom: true, protect: false, retainOnDelete: false, dependencies: [], inputs, outputs: inputs });
const run = (resources: readonly RecordedResource[], config: PolicyConfigFile = {}) => runPolicies(resources, ALL_POLICIES, config);
const only = async (policy: string, resources: readonly RecordedResource[], config: PolicyConfigFile = {}) => (await run(resources, config)).filter((v) => v.policy === policy);

const gpuPool = (limit?: string, extra: Record<string, unknown> = {}) => res("kubernetes:karpenter.sh/v1:NodePool", {
  kind: "NodePool", metadata: { name: "gpu" },
  spec: { template: { spec: { taints: [{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }], requirements: [{ key: "node.kubernetes.io/instance-type", operator: "In", values: ["g6e.xlarge"] }, { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] }] } }, ...(limit ? { limits: { "nvidia.com/gpu": limit } } : {}), ...extra },
});
const deployment = (container: Record<string, unknown>, tolerations: unknown[] = [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]) =>
  res("kubernetes:apps/v1:Deployment", { kind: "Deployment", metadata: { name: "m", namespace: "omk" }, spec: { template: { spec: { tolerations, containers: [{ name: "vllm", image: "vllm/vllm-openai:v0.32.0", ...container }] } } } });

describe("gpu-quota-per-stack", () => {
  it("passes within the quota and says by how much a stack is over", async () => {
    expect(await only("gpu-quota-per-stack", [gpuPool("8")], dev)).toEqual([]);
    const over = await only("gpu-quota-per-stack", [gpuPool("6"), gpuPool("6")], dev);
    expect(over[0]!.message).toMatch(/can launch up to 12 GPUs .*quota is 8: 4 over/);
  });
  it("flags a GPU NodePool without a limit as unbounded spend, and counts node groups", async () => {
    expect((await only("gpu-quota-per-stack", [gpuPool()]))[0]!.message).toMatch(/no nvidia\.com\/gpu limit: its GPU spend is unbounded/);
    const ng = res("aws:eks/nodeGroup:NodeGroup", { instanceTypes: ["p5.48xlarge"], scalingConfig: { maxSize: 2 } });
    expect((await only("gpu-quota-per-stack", [ng], dev))[0]!.message).toMatch(/16 GPUs .*8 over/);
  });
});

describe("gpu-quota-per-model and max-hourly-cost", () => {
  const model = (gpus: number, max: number, usd: number) => res("omk:serving:ModelService", { placement: { name: "m", gpusPerReplica: gpus, replicas: { min: 1, max }, hourlyUsd: { min: usd / max, max: usd } } });
  it.each([[2, 2, 10, 0, 0], [4, 2, 10, 1, 0], [1, 2, 20, 0, 1]])("%i GPUs × %i replicas at $%i/h → %i quota, %i cost violations in dev", async (gpus, max, usd, quota, cost) => {
    expect(await only("gpu-quota-per-model", [model(gpus, max, usd)], dev)).toHaveLength(quota);
    expect(await only("max-hourly-cost", [model(gpus, max, usd)], dev)).toHaveLength(cost);
  });
});

describe("allowed-instance-families and allowed-regions", () => {
  it("dev: spot only, no p5; prod allows p5 on-demand", async () => {
    const p5 = res("aws:eks/nodeGroup:NodeGroup", { instanceTypes: ["p5.48xlarge"], capacityType: "ON_DEMAND", scalingConfig: { maxSize: 1 } });
    expect((await only("allowed-instance-families", [p5], dev)).map((v) => v.message)).toEqual([
      expect.stringMatching(/p5\.48xlarge is not in the allowed families/), expect.stringMatching(/Capacity type on-demand is not allowed here \(allowed: spot\)/),
    ]);
    expect(await only("allowed-instance-families", [p5], prod)).toEqual([]);
  });
  it("rejects a region outside the environment's list", async () => {
    const kit = (region: string) => res("omk:index:Kit", { environment: "dev", region });
    expect(await only("allowed-regions", [kit("us-east-1")], dev)).toEqual([]);
    expect((await only("allowed-regions", [kit("eu-west-1")], dev))[0]!.message).toMatch(/Region eu-west-1 is not allowed/);
  });
});

describe("gpu-containers, pinned-images, no-plaintext-secrets", () => {
  it("a GPU container needs a limit, the toleration and a startup probe", async () => {
    const bad = deployment({ ports: [{ containerPort: 8000 }], resources: { requests: { "nvidia.com/gpu": "1" } } }, []);
    expect((await only("gpu-containers", [bad])).map((v) => v.message)).toEqual([
      expect.stringMatching(/without an nvidia\.com\/gpu limit/), expect.stringMatching(/does not tolerate the nvidia\.com\/gpu taint/), expect.stringMatching(/without a startupProbe/),
    ]);
    const good = deployment({ ports: [{ containerPort: 8000 }], startupProbe: { httpGet: { path: "/health", port: 8000 } }, resources: { limits: { "nvidia.com/gpu": "1" } } });
    expect(await only("gpu-containers", [good])).toEqual([]);
  });

  it.each([["vllm/vllm-openai:v0.32.0", true], ["registry:5000/team/img:1.2", true], [`img@sha256:${"a".repeat(64)}`, true], ["vllm/vllm-openai:latest", false], ["nginx", false], ["registry:5000/img", false]])("image %s pinned: %s", (image, ok) => {
    expect(isPinnedImage(image)).toBe(ok);
  });

  it("flags tokens in env literals and ConfigMaps, not secretKeyRefs or masked values", async () => {
    expect(looksLikeCredential("MODEL", "Qwen/Qwen3-8B")).toBe(false);
    const leaky = deployment({ env: [{ name: "HF_TOKEN", value: "hf_abcdefghijklmnopqrstuvwxyz" }, { name: "X", value: "sk-0123456789abcdefXYZ" }] });
    expect(await only("no-plaintext-secrets", [leaky])).toHaveLength(2);
    const safe = deployment({ env: [{ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf-token", key: "HF_TOKEN" } } }, { name: "MODEL", value: "qwen3-8b" }] });
    expect(await only("no-plaintext-secrets", [safe])).toEqual([]);
    const cm = res("kubernetes:core/v1:ConfigMap", { kind: "ConfigMap", data: { "app.env": "OPENAI_KEY=sk-0123456789abcdefXYZ" } });
    expect(await only("no-plaintext-secrets", [cm])).toHaveLength(1);
  });
});

describe("secrets as CrossGuard hands them to policies (unwrapped, in clear)", () => {
  it("a Pulumi secret written into a plain env value is caught by its name or its shape, with no marker, and never printed", async () => {
    const token = "hf_" + "Q".repeat(30);
    const rec = await recordProgram(() => {
      const env = [{ name: "HF_TOKEN", value: pulumi.secret("plain-looking-value") }, { name: "SETTING", value: pulumi.secret(token) }];
      new Deployment("leak", { metadata: { name: "leak" }, spec: { selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "vllm/vllm-openai:v0.32.0", env }] } } } });
    });
    // The policy view holds the values in clear (as CrossGuard's); the recorded plan masks them.
    expect(JSON.stringify(rec.forPolicies)).toContain(token);
    expect(JSON.stringify(rec.resources)).not.toContain(token);
    const found = await only("no-plaintext-secrets", rec.forPolicies);
    expect(found.map((v) => v.message)).toEqual([expect.stringContaining("sets HF_TOKEN as a plain value"), expect.stringContaining("sets SETTING as a plain value")]);
    for (const v of found) expect(v.message).not.toContain(token);
  });
});

describe("enforcement levels and advisories", () => {
  it("a policy can be disabled or made advisory per environment", async () => {
    expect(await only("gpu-quota-per-stack", [gpuPool()], { "gpu-quota-per-stack": "disabled" })).toEqual([]);
    expect((await only("gpu-quota-per-stack", [gpuPool()], { "gpu-quota-per-stack": { enforcementLevel: "advisory" } }))[0]!.level).toBe("advisory");
  });
  it("warns about on-demand GPUs where spot is preferred, and thin KV headroom", async () => {
    const onDemand = gpuPool("1");
    (onDemand.inputs as any).spec.template.spec.requirements[1].values = ["on-demand"];
    expect((await only("on-demand-gpus", [onDemand], dev))[0]!.level).toBe("advisory");
    const thin = res("omk:serving:ModelService", { placement: { name: "m", maxModelLen: 1000, concurrency: 4, kvCacheTokens: 4200, kvHeadroom: 0.05 } });
    expect((await only("kv-cache-headroom", [thin], dev))[0]!.message).toMatch(/5 % headroom beyond 4 × 1000 tokens \(< 10 %\)/);
    const roomy = res("omk:serving:ModelService", { placement: { name: "m", maxModelLen: 1000, concurrency: 4, kvCacheTokens: 4000, kvHeadroom: 0.4 } });
    expect(await only("kv-cache-headroom", [roomy], dev)).toEqual([]);
  });
});

describe("the kit's own output", () => {
  it("exposes what stack policies read as outputs (CrossGuard passes outputs, not inputs, to stack policies)", async () => {
    const p = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }]));
    const service = p.resources.find((r) => r.type === "omk:serving:ModelService")!;
    expect(service.outputs.placement).toMatchObject({ name: "qwen3-8b", gpusPerReplica: 1, hourlyUsd: expect.any(Object) });
    expect(p.resources.find((r) => r.type === "omk:index:Kit")!.outputs).toMatchObject({ region: "us-east-1", environment: "test" });
    // Inputs alone would hide a violation: strip the outputs and the per-model quota can no longer see the model.
    const inputsOnly = p.resources.map((r) => ({ ...r, outputs: {} }));
    expect(await only("gpu-quota-per-model", inputsOnly, { "gpu-quota-per-model": { maxGpusPerModel: 0 } })).toEqual([]);
    expect(await only("gpu-quota-per-model", p.resources, { "gpu-quota-per-model": { maxGpusPerModel: 0 } })).toHaveLength(1);
  });

  const cert = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-1111-2222-3333-444455556666";
  it("a public model passes public-endpoints-tls-auth; without its API key it fails", async () => {
    const p = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, exposure: "public" }], { "omk:traffic": { domain: "llm.example.com", certificateArn: cert } }));
    expect(p.policy.violations.filter((v) => v.policy === "public-endpoints-tls-auth")).toEqual([]);
    // The API guard without its key check (someone edits its nginx.conf), or vLLM listening past the guard: both fail.
    const edit = (type: string, from: RegExp, to: string) => p.resources.map((r) => (r.type === type ? { ...r, inputs: JSON.parse(JSON.stringify(r.inputs).replace(from, to)), outputs: JSON.parse(JSON.stringify(r.outputs).replace(from, to)) } : r));
    const unchecked = edit("kubernetes:core/v1:ConfigMap", /if \(\$omk_authorized = 0\)/g, "if ($omk_authorized = 2)");
    expect((await only("public-endpoints-tls-auth", unchecked))[0]!.message).toMatch(/exposes qwen3-8b to the internet without an API key/);
    const bypassed = edit("kubernetes:apps/v1:Deployment", /"127\.0\.0\.1"/g, '"0.0.0.0"');
    expect((await only("public-endpoints-tls-auth", bypassed))[0]!.message).toMatch(/exposes qwen3-8b to the internet without an API key/);
  });

  it("vllm-behind-api-guard passes the kit's servers and names a server reachable past its guard", async () => {
    const p = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }, { id: "deepseek-ai/DeepSeek-R1", name: "r1", instanceType: "p5.48xlarge" }]));
    expect(await only("vllm-behind-api-guard", p.resources)).toEqual([]);
    const edit = (from: RegExp, to: string) => p.resources.map((r) => (/Deployment|LeaderWorkerSet/.test(r.type) ? { ...r, inputs: JSON.parse(JSON.stringify(r.inputs).replace(from, to)) } : r));
    expect((await only("vllm-behind-api-guard", edit(/"127\.0\.0\.1"/g, '"0.0.0.0"')))[0]!.message).toMatch(/^Deployment qwen3-8b lets vLLM listen beyond the pod's loopback/);
    // The multi-node leader's shell line too.
    expect((await only("vllm-behind-api-guard", edit(/--host 127\.0\.0\.1/g, "--host 0.0.0.0"))).map((v) => v.message)).toEqual([expect.stringMatching(/^LeaderWorkerSet r1 lets vLLM listen beyond/)]);
    expect((await only("vllm-behind-api-guard", edit(/"api-guard"/g, '"sidecar"')))[0]!.message).toMatch(/runs vLLM without the API guard/);
  });

  it("a stack edited past its quota fails `omk plan` with exit 2, saying by how much", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const dir = mkdtempSync("/tmp/omk-policy-");
    writeFileSync(`${dir}/Pulumi.big.yaml`, "config:\n  aws:region: us-east-1\n  omk:environment: dev\n  omk:capacity: {capacityType: spot}\n  omk:models:\n    - id: Qwen/Qwen3-8B\n      maxModelLen: 16384\n      replicas: {min: 1, max: 10}\n");
    const out: string[] = [];
    const code = await main(["plan", "--config", `${dir}/Pulumi.big.yaml`, "--policy-config", path.join(ROOT, "test/fixtures/policies/dev.json"), "--json"], { out: (s) => out.push(s), err: (s) => out.push(s) });
    expect(code).toBe(2);
    const violations = JSON.parse(out[0]!).policy.violations;
    expect(violations).toContainEqual(expect.objectContaining({ policy: "gpu-quota-per-stack", level: "mandatory", urn: null, message: expect.stringMatching(/up to 11 GPUs .*one surge replica per model.*quota is 8: 3 over/) }));
    expect(violations[0]).toEqual({ policy: expect.any(String), level: expect.any(String), urn: expect.toSatisfy((u: unknown) => u === null || typeof u === "string"), message: expect.any(String) });
  });
});

describe("policy config files are checked before the pack runs", () => {
  const write = (content: string) => {
    const dir = mkdtempSync(path.join(tmpdir(), "omk-policy-config-"));
    const file = path.join(dir, "p.json");
    writeFileSync(file, content);
    return file;
  };
  it.each([
    ['{"maxGpus": 1}', /maxGpus: 1 — is not a policy of the pack\. Fix: settings go under their policy: \{"gpu-quota-per-stack"/],
    ['{"gpu-quota-per-stack": {"maxGPUs": 1}}', /gpu-quota-per-stack\.maxGPUs: 1 — is not a setting of this policy\. Fix: did you mean maxGpus/],
    ['{"max-hourly-cost": {"maxHourlyUsd": 1, "enforcementLevel": "mandatroy"}}', /max-hourly-cost\.enforcementLevel: "mandatroy" — is not an enforcement level\. Fix: use one of: advisory, mandatory, remediate, disabled/],
    ['{"max-hourly-cost": {"maxHourlyUsd": -1}}', /max-hourly-cost\.maxHourlyUsd: -1 — must be ≥ 0/],
    ['{"max-hourly-cost": {"maxHourlyUsd": "1"}}', /max-hourly-cost\.maxHourlyUsd: "1" — must be a number/],
    ['{"gpu-quota-per-stak": "mandatory"}', /did you mean gpu-quota-per-stack/],
    ["{not json", /is not valid JSON/],
  ])("%s is refused, naming the policy, setting and fix", async (content, message) => {
    const file = write(content);
    const out: string[] = [];
    const code = await main(["plan", "--config", path.join(ROOT, "test/fixtures/stacks/Pulumi.fixture.yaml"), "--policy-config", file], { out: (s) => out.push(s), err: (s) => out.push(s) });
    expect(code).toBe(1);
    expect(out.join("\n")).toMatch(/--policy-config .*p\.json: \d+ configuration problems?/);
    expect(out.join("\n")).toMatch(message);
  });

  it("a missing file names the flag", async () => {
    const out: string[] = [];
    expect(await main(["plan", "--config", path.join(ROOT, "test/fixtures/stacks/Pulumi.fixture.yaml"), "--policy-config", "/nope.json"], { out: (s) => out.push(s), err: (s) => out.push(s) })).toBe(1);
    expect(out.join("\n")).toMatch(/--policy-config \/nope\.json: 1 configuration problem.*cannot be read \(ENOENT\)/s);
  });

  it("`all` sets every policy's level, and a policy's own entry wins", async () => {
    const p = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, replicas: { min: 1, max: 3 } }]));
    const strict = await runPolicies(p.resources, ALL_POLICIES, { all: "mandatory", "max-hourly-cost": { maxHourlyUsd: 0, enforcementLevel: "advisory" }, "gpu-quota-per-stack": { maxGpus: 0 } });
    expect(strict.find((v) => v.policy === "gpu-quota-per-stack")!.level).toBe("mandatory");
    expect(strict.find((v) => v.policy === "max-hourly-cost")!.level).toBe("advisory");
  });
});

describe("the pack", () => {
  it("is a standalone CrossGuard pack of uniquely named, documented policies with config schemas where configurable", async () => {
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(path.join(ROOT, "policies/PulumiPolicy.yaml"), "utf8")).toMatch(/^runtime: nodejs/m);
    expect(JSON.parse(readFileSync(path.join(ROOT, "policies/package.json"), "utf8")).dependencies).toHaveProperty("@pulumi/policy");
    const names = ALL_POLICIES.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const p of ALL_POLICIES) expect(p.description.length, p.name).toBeGreaterThan(20);
    // Every environment's config in policies/config, whatever a fork keeps there, names only the pack's policies.
    const { readdirSync } = await import("node:fs");
    for (const file of readdirSync(path.join(ROOT, "policies/config")).filter((f) => f.endsWith(".json"))) {
      for (const key of Object.keys(readPolicyConfig(path.join(ROOT, "policies/config", file)))) expect(names, `${file}: ${key}`).toContain(key);
    }
  });
});
