/** Unknown-at-preview values reach only the fields that name them, so CrossGuard can check the rest. */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { injectOutput } from "../../components/inject";
import { valueOf } from "../harness/stack";

describe("injectOutput", () => {
  it("leaves every other field a plain value and resolves the placeholder where it appears", async () => {
    const spec = { containers: [{ image: "vllm/vllm-openai:v0.32.0", args: ["s3://@@b@@/Qwen/Qwen3-32B/main", "--port", "8000"], resources: { limits: { "nvidia.com/gpu": "1" } } }] };
    const out = injectOutput(spec, "@@b@@", pulumi.output("weights-123")) as any;
    expect(out.containers[0].image).toBe("vllm/vllm-openai:v0.32.0");
    expect(out.containers[0].resources).toEqual({ limits: { "nvidia.com/gpu": "1" } });
    expect(out.containers[0].args[1]).toBe("--port");
    expect(pulumi.Output.isInstance(out.containers[0].args[0])).toBe(true);
    expect(await valueOf(out.containers[0].args[0])).toBe("s3://weights-123/Qwen/Qwen3-32B/main");
  });
});
