/** The schema validation itself must catch bad objects, or the tests above prove nothing. */
import { describe, expect, it } from "vitest";
import { buildNodePool } from "../../components/aws/gpu-capacity-spec";
import { planGpuPools } from "../../components/aws/gpu-pools";
import { resolveStack } from "../../components/config/validate";
import { validateManifests } from "../../cli/engine/validate-manifests";
import { validateManifest } from "../harness/manifests";
import { stackConfig } from "../harness/stack";

describe("manifest validation", () => {
  const r = resolveStack(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }]), "t");
  if (!r.ok) throw r.error;
  const pool = planGpuPools(r.stack.models, 200)[0]!;
  const good = buildNodePool({ pool, flavor: "self-managed", zones: ["us-east-1a"], capacity: r.stack.capacity });

  it("accepts the kit's NodePool", async () => {
    await expect(validateManifest(good)).resolves.toBeUndefined();
  });

  it("rejects a NodePool with a wrong consolidation policy or taint effect", async () => {
    const bad = structuredClone(good) as any;
    bad.spec.disruption.consolidationPolicy = "Sometimes";
    await expect(validateManifest(bad)).rejects.toThrow(/consolidationPolicy/);
    const badTaint = structuredClone(good) as any;
    badTaint.spec.template.spec.taints[0].effect = "NoWay";
    await expect(validateManifest(badTaint)).rejects.toThrow(/effect/);
  });

  it("rejects an Auto Mode NodeClass with out-of-range disk throughput or a reserved tag", async () => {
    const nc = { apiVersion: "eks.amazonaws.com/v1", kind: "NodeClass", metadata: { name: "x" }, spec: { role: "r", subnetSelectorTerms: [{ tags: { a: "b" } }], securityGroupSelectorTerms: [{ id: "sg-1" }], ephemeralStorage: { size: "200Gi", throughput: 5000 } } };
    await expect(validateManifest(nc)).rejects.toThrow(/throughput/);
    await expect(validateManifest({ ...nc, spec: { ...nc.spec, ephemeralStorage: { size: "200Gi" }, tags: { "kubernetes.io/cluster/x": "owned" } } })).rejects.toThrow(/reserved tag key/);
  });
});

describe("validateManifests (what omk plan runs)", () => {
  it("names the object and the problem", async () => {
    const bad = { apiVersion: "v1", kind: "Service", metadata: { name: "x", namespace: "omk" }, spec: { ports: [{ port: "eighty" }] } };
    const problems = await validateManifests([bad]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^Service omk\/x: .*port/);
  });
});
