/** The laptop path: a kind cluster, CPUs only, a tiny model, nothing on AWS. */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readStackFile } from "../../components/config/load";
import { resolveStack } from "../../components/config/validate";
import { validateManifest } from "../harness/manifests";
import { plan, stackConfig } from "../harness/stack";

const local = readStackFile(path.join(__dirname, "../../stacks/Pulumi.local.yaml"));

describe("stacks/Pulumi.local.yaml", async () => {
  const p = await plan(local);
  const dep = p.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!.inputs as Record<string, any>;
  const c = dep.spec.template.spec.containers[0];

  it("serves Qwen2.5-0.5B-Instruct with vLLM's CPU image and creates nothing on AWS", async () => {
    expect(p.resources.filter((r) => r.type.startsWith("aws:"))).toEqual([]);
    expect(c.image).toMatch(/^vllm\/vllm-openai-cpu:v\d+\.\d+\.\d+-x86_64$/);
    expect(c.args[0]).toBe("Qwen/Qwen2.5-0.5B-Instruct");
    expect(c.args).not.toContain("--gpu-memory-utilization");
    expect(c.args).not.toContain("--tensor-parallel-size");
    expect(c.resources.limits["nvidia.com/gpu"]).toBeUndefined();
    expect(dep.spec.template.spec.tolerations).toBeUndefined();
    expect(dep.spec.template.spec.nodeSelector).toBeUndefined();
    expect(c.env).toContainEqual({ name: "VLLM_CPU_KVCACHE_SPACE", value: "1" });
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
