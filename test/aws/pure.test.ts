/** Pure planners of the cloud side: subnets, pools, zones, quotas, add-ons. */
import { describe, expect, it } from "vitest";
import { planAddons } from "../../components/aws/addon-plan";
import { nodeDiskGiB, planGpuPools } from "../../components/aws/gpu-pools";
import { cidrsOverlap, planSubnets } from "../../components/aws/network-plan";
import { checkQuotas, quotaNeeds } from "../../components/aws/quota";
import { chooseClusterZones, poolZones } from "../../components/aws/zones";
import { resolveStack } from "../../components/config/validate";
import { stackConfig } from "../harness/stack";

function stack(models: unknown[], extra: Record<string, unknown> = {}) {
  const r = resolveStack(stackConfig(models, extra), "t", new Set(["omk:hfToken"]));
  if (!r.ok) throw r.error;
  return r.stack;
}

describe("subnet plan", () => {
  it.each([
    ["10.40.0.0/16", 3, ["10.40.0.0/19", "10.40.32.0/19", "10.40.64.0/19"], ["10.40.224.0/22", "10.40.228.0/22", "10.40.232.0/22"]],
    ["172.20.0.0/20", 2, ["172.20.0.0/23", "172.20.2.0/23"], ["172.20.14.0/26", "172.20.14.64/26"]],
  ])("%s across %i AZs", (cidr, n, privates, publics) => {
    const plan = planSubnets(cidr, ["a", "b", "c", "d", "e", "f"].slice(0, n));
    expect(plan.map((s) => s.privateCidr)).toEqual(privates);
    expect(plan.map((s) => s.publicCidr)).toEqual(publics);
  });

  it("never overlaps, for up to 6 AZs", () => {
    const plan = planSubnets("10.0.0.0/16", ["a", "b", "c", "d", "e", "f"]);
    const all = plan.flatMap((s) => [s.privateCidr, s.publicCidr]);
    for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) expect(cidrsOverlap(all[i]!, all[j]!), `${all[i]} vs ${all[j]}`).toBe(false);
  });
});

describe("GPU pools", () => {
  it("groups models by instance type and bounds GPUs by max replicas plus one surge replica per model", () => {
    const s = stack([
      { id: "Qwen/Qwen3-8B", name: "a", instanceType: "g6e.xlarge", maxModelLen: 8192, replicas: { min: 1, max: 3 } },
      { id: "Qwen/Qwen3-4B", name: "b", instanceType: "g6e.xlarge", maxModelLen: 8192, replicas: { min: 0 + 1, max: 2 } },
      { id: "deepseek-ai/DeepSeek-R1", name: "r1", instanceType: "p5.48xlarge", replicas: { min: 1, max: 2 } },
    ]);
    const pools = planGpuPools(s.models, 200);
    // Rollouts are surge-first (maxUnavailable 0): each model briefly runs max + 1 replicas.
    expect(pools.map((p) => [p.name, p.models, p.minNodes, p.maxNodes, p.surgeNodes, p.gpuLimit, p.multiNode])).toEqual([
      ["gpu-g6e-xlarge", ["a", "b"], 2, 5, 2, 7, false],
      ["gpu-p5-48xlarge-efa", ["r1"], 2, 4, 2, 48, true],
    ]);
    // Managed node groups cannot grow past their size, so they roll one replica down instead.
    expect(planGpuPools(s.models, 200, { surge: false }).map((p) => p.gpuLimit)).toEqual([5, 32]);
  });

  it.each([
    ["Qwen/Qwen3-8B", "huggingface", 200],
    ["meta-llama/Llama-3.1-70B-Instruct", "huggingface", 250],
    ["meta-llama/Llama-3.1-70B-Instruct", "s3", 200],
    ["deepseek-ai/DeepSeek-R1", "huggingface", 850],
  ])("disk for %s from %s holds the image and any cached weights: %i GiB", (id, source, disk) => {
    const s = stack([{ id, maxModelLen: 8192, weights: { source }, ...(id.includes("R1") ? { instanceType: "p5en.48xlarge" } : {}) }], { "omk:hfToken": "hf_test" });
    expect(nodeDiskGiB(s.models, 200)).toBe(disk);
  });
});

describe("zones", () => {
  const s = stack([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, instanceType: "g6e.xlarge" }]);
  const pools = planGpuPools(s.models, 200);
  const offerings = { "g6e.xlarge": ["us-east-1b", "us-east-1d"] };

  it("picks the first AZs by name, independent of the models (a model change must not move the VPC)", () => {
    expect(chooseClusterZones(["us-east-1d", "us-east-1b", "us-east-1a", "us-east-1c"], 3)).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
    expect(chooseClusterZones(["us-east-1a", "us-east-1b"], ["us-east-1b", "us-east-1a"])).toEqual(["us-east-1b", "us-east-1a"]);
  });

  it("gives a pool only the cluster AZs that sell its type", () => {
    expect(poolZones(pools[0]!, ["us-east-1a", "us-east-1b", "us-east-1c"], offerings)).toEqual(["us-east-1b"]);
  });
});

describe("quota math", () => {
  const s = stack([
    { id: "Qwen/Qwen3-8B", maxModelLen: 8192, instanceType: "g6e.2xlarge", replicas: { min: 1, max: 4 } },
    { id: "deepseek-ai/DeepSeek-R1", instanceType: "p5.48xlarge" },
  ]);
  const pools = planGpuPools(s.models, 200);

  it("sums vCPUs at max scale plus each model's surge replica per bucket", () => {
    // g6e.2xlarge (8 vCPU) × (4 + 1 surge); a 2-node p5.48xlarge (192 vCPU) replica × (1 + 1 surge) × 2 nodes.
    expect(quotaNeeds(pools, "on-demand").map((n) => [n.bucket.code, n.vcpus])).toEqual([["L-DB2E81BA", 40], ["L-417A185B", 768]]);
    expect(quotaNeeds(pools, "spot-then-on-demand").map((n) => n.bucket.code)).toEqual(["L-DB2E81BA", "L-417A185B", "L-3819A6DF", "L-7212CCBC"]);
  });

  it("reports how far short the account is", () => {
    const v = checkQuotas(quotaNeeds(pools, "on-demand"), { "L-DB2E81BA": { ok: true, value: 64 }, "L-417A185B": { ok: true, value: 192 } });
    expect(v.map((x) => x.short)).toEqual([0, 576]);
  });
});

describe("add-on plan", () => {
  const names = (d: ReturnType<typeof planAddons>) => d.filter((x) => x.install).map((x) => x.name);
  it.each([
    // GPU servers are monitored by default, autoscaled or not; off means off.
    [[{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }], {}, ["kube-prometheus-stack", "dcgm-exporter"]],
    [[{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }], { "omk:addons": { prometheus: "off" } }, []],
    [[{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, replicas: { min: 1, max: 3 } }], {}, ["kube-prometheus-stack", "dcgm-exporter", "keda"]],
    [[{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, replicas: { min: 1, max: 3 } }], { "omk:addons": { dcgmExporter: "off" } }, ["kube-prometheus-stack", "keda"]],
    [[{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }], { "omk:capacity": { mode: "managed" } }, ["nvidia-device-plugin", "kube-prometheus-stack", "dcgm-exporter"]],
    [[{ id: "deepseek-ai/DeepSeek-R1", instanceType: "p5.48xlarge" }], { "omk:capacity": { mode: "managed" }, "omk:addons": { prometheus: "off" } }, ["nvidia-device-plugin", "aws-efa-k8s-device-plugin", "lws"]],
    [[{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }], { "omk:addons": { prometheus: "on" } }, ["kube-prometheus-stack", "dcgm-exporter"]],
    [[{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }], { "omk:addons": { dcgmExporter: "on" } }, ["kube-prometheus-stack", "dcgm-exporter"]],
  ])("%j with %j installs %j", (models, extra, expected) => {
    const s = stack(models, extra);
    expect(names(planAddons(s, planGpuPools(s.models, 200)))).toEqual(expected);
  });
});
