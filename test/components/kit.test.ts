/** The kit under the offline engine: what `pulumi up` would register, read as a reviewer would. */
import { describe, expect, it } from "vitest";
import { ofType, plan, recordProgram, stackConfig, valueOf } from "../harness/stack";

describe("OpenModelKit", () => {
  it("registers one ModelService per model under the kit, carrying its sizing and pool", async () => {
    const p = await plan(stackConfig([
      { id: "Qwen/Qwen3-8B", maxModelLen: 8192 },
      { id: "deepseek-ai/DeepSeek-R1", name: "r1", instanceType: "p5.48xlarge", replicas: { min: 1, max: 2 } },
    ]));
    const kit = ofType(p, "omk:index:Kit")[0]!;
    expect(kit).toMatchObject({ name: "omk-test", parent: null, inputs: { environment: "test", region: "us-east-1" } });
    const services = ofType(p, "omk:serving:ModelService");
    expect(services.map((s) => s.name).sort()).toEqual(["omk-test-qwen3-8b", "omk-test-r1"]);
    for (const s of services) expect(s.parent).toBe(kit.urn);
    const r1 = services.find((s) => s.name === "omk-test-r1")!;
    expect(r1.inputs.placement).toMatchObject({
      model: "deepseek-ai/DeepSeek-R1", instanceType: "p5.48xlarge", nodes: 2, tensorParallelSize: 8, pipelineParallelSize: 2, gpusPerReplica: 16,
      hourlyUsd: { min: 110.08, max: 220.16 }, pool: "gpu-p5-48xlarge-efa",
    });
    expect(r1.urn).toBe("urn:pulumi:test::open-model-kit::omk:index:Kit$omk:serving:ModelService::omk-test-r1");
  });
});

describe("offline engine", () => {
  it("fails fast on an unknown output instead of hanging", async () => {
    const pulumi = await import("@pulumi/pulumi");
    await expect(valueOf(pulumi.output(pulumi.unknown as never))).rejects.toThrow(/unknown/);
  });

  it("refuses invokes it has no answer for, naming the token", async () => {
    const pulumi = await import("@pulumi/pulumi");
    await expect(recordProgram(() => pulumi.runtime.invoke("aws:index/getRegion:getRegion", {}).catch(() => "swallowed")))
      .rejects.toThrow(/no answer for invoke aws:index\/getRegion:getRegion; add one to the invoke table/);
    const answered = await recordProgram(() => pulumi.runtime.invoke("aws:index/getRegion:getRegion", {}), { invokes: { "aws:index/getRegion:getRegion": () => ({ name: "us-east-1" }) } });
    expect(answered.result).toMatchObject({ name: "us-east-1" });
  });
});
