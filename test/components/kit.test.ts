/** The kit under the offline engine: what `pulumi up` would register, read as a reviewer would. */
import { describe, expect, it } from "vitest";
import { resolveStack } from "../../components/config/validate";
import { buildKit } from "../../components/kit";
import { recordProgram, stackConfig, valueOf } from "../harness/stack";

function resolved(models: unknown[]) {
  const r = resolveStack(stackConfig(models), "test");
  if (!r.ok) throw r.error;
  return r.stack;
}

describe("OpenModelKit", () => {
  it("registers one ModelService per model under the kit, carrying its sizing", async () => {
    const stack = resolved([
      { id: "Qwen/Qwen3-8B", maxModelLen: 8192 },
      { id: "deepseek-ai/DeepSeek-R1", name: "r1", instanceType: "p5.48xlarge", replicas: { min: 1, max: 2 } },
    ]);
    const rec = await recordProgram(() => buildKit(stack), { stack: "test" });
    const kit = rec.resources.find((r) => r.type === "omk:index:Kit")!;
    expect(kit).toMatchObject({ name: "omk-test", parent: null, inputs: { environment: "test", region: "us-east-1" } });
    const services = rec.resources.filter((r) => r.type === "omk:serving:ModelService");
    expect(services.map((s) => s.name)).toEqual(["omk-test-qwen3-8b", "omk-test-r1"]);
    for (const s of services) expect(s.parent).toBe(kit.urn);
    const r1 = services[1]!.inputs.placement as Record<string, unknown>;
    expect(r1).toMatchObject({ model: "deepseek-ai/DeepSeek-R1", instanceType: "p5.48xlarge", nodes: 2, tensorParallelSize: 8, pipelineParallelSize: 2, gpusPerReplica: 16, hourlyUsd: { min: 110.08, max: 220.16 } });
    expect(services[1]!.urn).toBe("urn:pulumi:test::open-model-kit::omk:index:Kit$omk:serving:ModelService::omk-test-r1");
    const outputs = await valueOf(rec.result.models);
    expect(outputs.map((o) => o.name)).toEqual(["qwen3-8b", "r1"]);
  });

  it("keeps URNs stable when only a model's context changes (no replacement of unrelated resources)", async () => {
    const a = await recordProgram(() => buildKit(resolved([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }, { id: "Qwen/Qwen3-32B", maxModelLen: 8192 }])));
    const b = await recordProgram(() => buildKit(resolved([{ id: "Qwen/Qwen3-8B", maxModelLen: 16384 }, { id: "Qwen/Qwen3-32B", maxModelLen: 8192 }])));
    expect(b.resources.map((r) => r.urn)).toEqual(a.resources.map((r) => r.urn));
    const changed = b.resources.filter((r) => JSON.stringify(r.inputs) !== JSON.stringify(a.resources.find((x) => x.urn === r.urn)?.inputs));
    expect(changed.map((r) => r.name)).toEqual(["omk-test-qwen3-8b"]);
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
    expect(await answered.result).toMatchObject({ name: "us-east-1" });
  });
});
