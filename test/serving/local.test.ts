/** The laptop path: a kind cluster, CPUs only, a tiny model, nothing on AWS. */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readStackFile, stackFilePath } from "../../components/config/load";
import { shippedStacks } from "../../cli/commands/stacks";
import { resolveStack } from "../../components/config/validate";
import { validateManifest } from "../harness/manifests";
import { plan, stackConfig } from "../harness/stack";

// Every CPU-only stack in stacks/ (a fork may have none, or its own), and a test-owned one.
const cpuStacks = [
  ...shippedStacks().map((name) => [`stacks/Pulumi.${name}.yaml`, readStackFile(stackFilePath(name))] as const)
    .filter(([, raw]) => (raw["omk:capacity"] as { mode?: string } | undefined)?.mode === "cpu"),
  ["test/fixtures/stacks/Pulumi.cpu.yaml", readStackFile(path.join(__dirname, "../fixtures/stacks/Pulumi.cpu.yaml"))] as const,
];

describe.each(cpuStacks)("%s (CPU mode)", async (_file, raw) => {
  const p = await plan(raw);
  const deployments = p.resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment").map((r) => r.inputs as Record<string, any>);
  const models = (raw["omk:models"] as { id: string }[]).map((m) => m.id);

  it("serves its models with vLLM's CPU image and creates nothing on AWS", async () => {
    expect(p.resources.filter((r) => r.type.startsWith("aws:"))).toEqual([]);
    expect(deployments.map((d) => d.spec.template.spec.containers[0].args[0]).sort()).toEqual([...models].sort());
    for (const dep of deployments) {
      const c = dep.spec.template.spec.containers[0];
      expect(c.image).toMatch(/^vllm\/vllm-openai-cpu:v\d+\.\d+\.\d+-(x86_64|arm64)$/);
      expect(c.args).not.toContain("--gpu-memory-utilization");
      expect(c.args).not.toContain("--tensor-parallel-size");
      expect(c.resources.limits["nvidia.com/gpu"]).toBeUndefined();
      expect(dep.spec.template.spec.tolerations).toBeUndefined();
      expect(dep.spec.template.spec.nodeSelector).toBeUndefined();
      expect(c.env).toContainEqual({ name: "VLLM_CPU_KVCACHE_SPACE", value: expect.stringMatching(/^\d+$/) });
    }
    for (const r of p.resources.filter((x) => x.custom && typeof x.inputs.kind === "string")) await validateManifest(r.inputs);
  });
});

describe("CPU mode errors", () => {
  it.each([
    [[{ id: "Qwen/Qwen3-8B" }], { "omk:cluster": { mode: "existing", kubeconfig: "~/.kube/config" }, "omk:capacity": { mode: "cpu" } }, "omk:models[0].id", /up to 4B/],
    [[{ id: "Qwen/Qwen2.5-0.5B-Instruct" }], { "omk:capacity": { mode: "cpu" } }, "omk:capacity.mode", /existing cluster reached by kubeconfig/],
  ])("%j", (models, extra, key, message) => {
    const r = resolveStack(stackConfig(models, extra), "t");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.problems.find((x) => x.path === key)?.message ?? r.error.message).toMatch(message);
  });
});
