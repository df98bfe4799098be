import { describe, expect, it } from "vitest";
import { ConfigError } from "../../components/config/errors";
import { DEFAULT_CONCURRENCY } from "../../components/config/schema";
import { defaultServedName, resolveStack } from "../../components/config/validate";
import { stackConfig } from "../harness/stack";

function problems(raw: Record<string, unknown>) {
  const r = resolveStack(raw, "Pulumi.test.yaml");
  if (r.ok) throw new Error("expected the config to be rejected");
  expect(r.error).toBeInstanceOf(ConfigError);
  return r.error;
}

describe("cluster keys of the other mode, and add-on names", () => {
  it("says a create-only key applies only to clusters the kit creates, and suggests the add-on a misspelt pin means", () => {
    const existing = problems(stackConfig([{ id: "Qwen/Qwen3-8B" }], { "omk:cluster": { mode: "existing", name: "c", admins: ["arn:aws:iam::123456789012:role/x"] } }));
    expect(existing.message).toContain("omk:cluster.admins: [\"arn:aws:iam::123456789012:role/x\"] — applies only to cluster.mode: create (this cluster is an existing one: its access and add-ons are yours to manage). Fix: remove it, or set cluster.mode: create.");
    const version = problems(stackConfig([{ id: "Qwen/Qwen3-8B" }], { "omk:cluster": { kubernetesVersion: 1.3 } }));
    expect(version.message).toContain('omk:cluster.kubernetesVersion: 1.3 — must be a string; YAML read the unquoted value as the number 1.3. Fix: quote it, e.g. "1.30".');
    const pin = problems(stackConfig([{ id: "Qwen/Qwen3-8B", replicas: { min: 1, max: 1 } }], { "omk:capacity": { mode: "managed" }, "omk:cluster": { addonVersions: { vpc_cni: "v1.19.2-eksbuild.1" } } }));
    expect(pin.message).toContain('omk:cluster.addonVersions.vpc_cni: "v1.19.2-eksbuild.1" — is not a known key. Fix: did you mean "vpc-cni"? Known keys here: eks-pod-identity-agent, vpc-cni, kube-proxy, coredns.');
  });
});

describe("valid configs", () => {
  it("fills documented defaults: native precision, min(native context, 32768), concurrency 4, 1 replica", () => {
    const r = resolveStack(stackConfig([{ id: "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B" }]), "t");
    if (!r.ok) throw r.error;
    const m = r.stack.models[0]!;
    expect(m).toMatchObject({ name: "deepseek-r1-distill-qwen-7b", precision: "bf16", maxModelLen: 32_768, concurrency: DEFAULT_CONCURRENCY, replicas: { min: 1, max: 1 }, kvCacheDtype: "auto", gpuMemoryUtilization: 0.9 });
    expect(m.placement.memory.kvCacheTokens).toBeGreaterThanOrEqual(32_768 * 4);
    expect(m.hourlyUsd.min).toBe(m.placement.hourlyUsd);
  });

  it("uses the native precision of FP8- and MXFP4-shipped models", () => {
    const r = resolveStack(stackConfig([{ id: "openai/gpt-oss-20b", maxModelLen: 8192 }]), "t");
    if (!r.ok) throw r.error;
    expect(r.stack.models[0]!.precision).toBe("mxfp4");
  });

  it("prices min and max replicas", () => {
    const r = resolveStack(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, replicas: { min: 2, max: 5 } }]), "t");
    if (!r.ok) throw r.error;
    const m = r.stack.models[0]!;
    expect(m.hourlyUsd.max).toBeCloseTo(m.placement.hourlyUsd * 5, 2);
    expect(m.hourlyUsd.min).toBeCloseTo(m.placement.hourlyUsd * 2, 2);
  });

  it.each([["Qwen/Qwen3-8B", "qwen3-8b"], ["meta-llama/Llama-3.1-8B-Instruct", "llama-3-1-8b-instruct"], ["Qwen/Qwen2.5-0.5B-Instruct", "qwen2-5-0-5b-instruct"]])("serves %s as %s", (id, name) => {
    expect(defaultServedName(id)).toBe(name);
  });
});

describe("invalid configs: every problem at once, with key path, value and fix", () => {
  it("lists structural, catalog and region problems together", () => {
    const err = problems({
      "aws:region": "us-east-7",
      "omk:environment": "Dev_Env",
      "omk:modles": [],
      "omk:models": [
        { id: "Qwen/Qwen3-7B", replicas: { min: 3, max: 1 } },
        { id: "meta-llama/Llama-3.1-8B-Instruct", maxModelLen: 200_000, maxModelLength: 4096 },
      ],
    });
    const paths = err.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining([
      "aws:region", "omk:environment", "omk:modles", "omk:models[1].maxModelLength", "omk:models[0].id", "omk:models[1].maxModelLen",
    ]));
    expect(err.message).toMatch(/^Pulumi\.test\.yaml: \d+ configuration problems; nothing was created\./);
    expect(err.message).toContain("omk:models[1].maxModelLen: 200000 — must be ≤ 131072 for meta-llama/Llama-3.1-8B-Instruct: vLLM's maximum for it (from its config.json; no YaRN extension is documented). Fix: set maxModelLen to 131072 or less.");
    expect(err.message).toContain('omk:modles: [] — is not a known key. Fix: did you mean "models"?');
    expect(err.message).toContain('omk:models[1].maxModelLength: 4096 — is not a known key. Fix: did you mean "maxModelLen"?');
    expect(err.message).toMatch(/omk:models\[0\]\.id: "Qwen\/Qwen3-7B" — is not in the model catalog\. Fix: did you mean Qwen\/Qwen3-[48]B/);
    expect(err.message).toMatch(/aws:region: "us-east-7" — is not a region the kit knows.*Fix: set aws:region to a known region, e.g. us-east-1 or us-east-2/);
    expect(err.message).not.toMatch(/\n\s+at /); // no stack trace
  });

  it.each([
    [{ id: "Qwen/Qwen3-8B", replicas: { min: 3, max: 1 } }, "omk:models[0].replicas", /min is greater than max\. Fix: set replicas\.max ≥ 3/],
    [{ id: "Qwen/Qwen3-8B", precision: "fp16" }, "omk:models[0].precision", /is not an allowed value\. Fix: use one of: bf16, fp8, int8, int4, mxfp4, nvfp4/],
    [{ id: "Qwen/Qwen2.5-72B-Instruct", precision: "fp8" }, "omk:models[0].precision", /has no fp8 checkpoint.*use one of: bf16, int8, int4/],
    [{ id: "Qwen/Qwen3-8B", tensorParallelSize: 2 }, "omk:models[0].tensorParallelSize", /only applies to a pinned instance type/],
    [{ id: "Qwen/Qwen2.5-0.5B-Instruct", instanceType: "g6.12xlarge", tensorParallelSize: 4 }, "omk:models[0].tensorParallelSize", /use one of: 1, 2/],
    [{ id: "Qwen/Qwen3-8B", instanceType: "g6e.xlarg" }, "omk:models[0].instanceType", /did you mean g6e\.xlarge/],
    [{ id: "Qwen/Qwen3-8B", instanceType: "p6-b300.48xlarge" }, "omk:models[0].instanceType", /is not offered in eu-west-1/],
    [{ id: "Qwen/Qwen3-8B", concurrency: 0 }, "omk:models[0].concurrency", /must be ≥ 1/],
    [{ id: "Qwen/Qwen3-8B", gpuMemoryUtilization: 1.2 }, "omk:models[0].gpuMemoryUtilization", /must be ≤ 0\.98/],
    [{ id: "Qwen/Qwen3-8B", maxModelLen: "long" }, "omk:models[0].maxModelLen", /must be a number/],
    [{ id: "meta-llama/Llama-3.1-70B-Instruct", instanceType: "g5.2xlarge", maxModelLen: 131072 }, "omk:models[0].instanceType", /does not fit g5\.2xlarge in eu-west-1/],
  ])("%j → %s", (model, path, message) => {
    const err = problems(stackConfig([model], { "aws:region": "eu-west-1" }));
    const p = err.problems.find((x) => x.path === path);
    expect(p, err.message).toBeDefined();
    expect(`${p!.message} Fix: ${p!.fix}`).toMatch(message);
  });

  it("rejects extra vLLM flags the kit owns, naming the key to set instead; passes others through", () => {
    const err = problems(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, extraArgs: ["--max-model-len=4096", "--enable-chunked-prefill", "--tensor-parallel-size", "2"] }]));
    expect(err.problems.map((p) => `${p.path}: ${p.message} Fix: ${p.fix}`)).toEqual([
      "omk:models[0].extraArgs[0]: --max-model-len is set by the kit from maxModelLen. Fix: set maxModelLen instead.",
      "omk:models[0].extraArgs[2]: --tensor-parallel-size is set by the kit from tensorParallelSize. Fix: set tensorParallelSize (with instanceType) instead.",
    ]);
    // A malformed entry ("--flag value" in one item) still gets its flags checked in the same run.
    const spaced = problems(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, extraArgs: ["--max-num-seqs 64"], concurrency: 0 }]));
    expect(spaced.problems.map((p) => `${p.path}: ${p.fix}`)).toEqual(expect.arrayContaining([
      'omk:models[0].extraArgs[0]: write the flag and its value as two list items, [--max-num-seqs, "64"], or as --max-num-seqs=64.',
      expect.stringMatching(/^omk:models\[0\]\.extraArgs\[0\]: set concurrency .*instead\.$/),
      expect.stringMatching(/^omk:models\[0\]\.concurrency: /),
    ]));
    const aliased = problems(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, extraArgs: ["--max_model_len=4096", "-tp", "2", "-q", "awq"] }]));
    expect(aliased.problems.map((p) => p.path)).toEqual(["omk:models[0].extraArgs[0]", "omk:models[0].extraArgs[1]", "omk:models[0].extraArgs[3]"]);
    const ok = resolveStack(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, extraArgs: ["--enable-chunked-prefill"] }]), "t");
    expect(ok.ok && ok.stack.models[0]!.extraArgs).toEqual(["--enable-chunked-prefill"]);
  });

  it.each([
    ["--rope-scaling", /removed from vLLM.*Fix: set maxModelLen/],
    ["--block-size=64", /KV page size the sizing follows/],
    ["--cpu-offload-gb=100", /host memory the pod's memory request does not include/],
    ["--swap-space=64", /host memory per GPU/],
    ["--hf-token", /Hugging Face token on the command line.*omk:hfToken/],
  ])("refuses %s in extraArgs, saying why and what to do instead", (arg, message) => {
    const err = problems(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, extraArgs: [arg] }]));
    expect(err.problems).toEqual([expect.objectContaining({ path: "omk:models[0].extraArgs[0]" })]);
    expect(`${err.problems[0]!.message} Fix: ${err.problems[0]!.fix}`).toMatch(message);
  });

  it("points a model sized from its own config.json at modelConfig for its parsers and remote code", () => {
    const err = problems(stackConfig([{ id: "myorg/my-qwen", modelConfig: "test/fixtures/configs/qwen3-8b.config.json", maxModelLen: 8192, extraArgs: ["--tool-call-parser", "hermes", "--trust-remote-code"] }]));
    expect(err.problems.map((p) => p.fix)).toEqual([
      expect.stringMatching(/^set omk:models\[0\]\.modelConfig\.toolCallParser instead/),
      expect.stringMatching(/^set omk:models\[0\]\.modelConfig\.trustRemoteCode instead/),
    ]);
    const ok = resolveStack(stackConfig([{ id: "myorg/my-qwen", modelConfig: { file: "test/fixtures/configs/qwen3-8b.config.json", toolCallParser: "hermes", trustRemoteCode: true }, maxModelLen: 8192 }]), "t");
    expect(ok.ok && ok.stack.models[0]!.spec).toMatchObject({ toolCallParser: "hermes", trustRemoteCode: true });
  });

  it("requires an HF token for gated repos, and defaults big models to the S3 model store", () => {
    const err = problems(stackConfig([{ id: "meta-llama/Llama-3.1-8B-Instruct", maxModelLen: 8192 }]));
    expect(err.problems).toEqual([expect.objectContaining({ path: "omk:hfToken", message: expect.stringMatching(/gated repository/) })]);
    const r = resolveStack(stackConfig([{ id: "Qwen/Qwen3-32B", maxModelLen: 8192 }, { id: "Qwen/Qwen3-8B", maxModelLen: 8192 }]), "t");
    expect(r.ok && r.stack.models.map((m) => m.weightSource)).toEqual(["s3", "huggingface"]);
  });

  it("requires a region, an environment and at least one model", () => {
    const err = problems({ "omk:models": [] });
    expect(err.problems.map((p) => p.path)).toEqual(expect.arrayContaining(["aws:region", "omk:environment", "omk:models"]));
  });

  it("rejects two models served under one name", () => {
    const err = problems(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }, { id: "Qwen/Qwen3-8B", precision: "fp8", maxModelLen: 8192 }]));
    expect(err.problems).toEqual([expect.objectContaining({ path: "omk:models[1].name", message: "is already used by omk:models[0]." })]);
  });

  it("ignores other namespaces (provider settings) but rejects unknown omk keys", () => {
    const r = resolveStack(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }], { "aws:profile": "prod", "kubernetes:context": "x" }), "t");
    expect(r.ok).toBe(true);
  });
});

describe("secrets in errors", () => {
  it("never prints the value of a secret key, even a misspelled one", () => {
    const token = "hf_abcdefSECRETvalue123456";
    const r = resolveStack(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }], { "omk:hfTokn": token, "omk:hfToken": { secure: "AAABAxyz" } }), "t", new Set(["omk:hfTokn"]));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toContain('omk:hfTokn: "[secret]" — is not a known key. Fix: did you mean "hfToken"?');
    expect(r.error.message).not.toContain(token);
  });

  it("never prints a token put in any key, not in the value, not reworked into the fix", () => {
    const tokens = ["hf_abcdefghijklmnopqrstuvwxyzABCDEF12", "dckr_pat_abcdef0123456789secretpatXYZ", "https://hooks.slack.com/services/T0AAAA1/B0BBBB2/Zx9Secretwebhookpart1234", "ghp_ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsqp9876"];
    const places = (t: string): Record<string, unknown>[] => [
      { "omk:environment": t }, { "omk:cluster": { vpcCidr: t } }, { "omk:cluster": { admins: [t] } }, { "omk:serving": { image: t } },
      { "omk:serving": { imageCache: { dockerHubCredentialArn: t } } }, { "omk:observability": { alertSnsTopicArn: t } },
    ];
    for (const token of tokens) {
      for (const extra of places(token)) {
        const r = resolveStack(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }], extra), "t");
        expect(r.ok, JSON.stringify(extra)).toBe(false);
        if (r.ok) continue;
        const text = r.error.message.toLowerCase();
        // No run of 8 characters of the token's secret part, in any case or slugged form.
        const secretPart = token.slice(-16).toLowerCase();
        for (let i = 0; i + 8 <= secretPart.length; i++) expect(text, `${JSON.stringify(extra)}: ${r.error.message}`).not.toContain(secretPart.slice(i, i + 8));
      }
    }
    // In a model name, even after an underscore.
    const named = resolveStack(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, name: "my_model_hf_abcdefghijklmnopqrstuvwxyzABCDEF12" }]), "t");
    expect(named.ok).toBe(false);
    if (!named.ok) expect(named.error.message).not.toMatch(/abcdefghijklmnop/i);
  });

  it("suggests the documented form for a value of the wrong format, never the bad value reworked", () => {
    const err = problems(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, host: "qwen" }], {
      "omk:cluster": { vpcCidr: "10.40.0.0" }, "omk:serving": { image: "vllm/vllm-openai" }, "omk:observability": { retention: "15 days" }, "omk:environment": "Dev_Env",
    }));
    const fixes = Object.fromEntries(err.problems.map((p) => [p.path, p.fix]));
    expect(fixes).toMatchObject({
      "omk:cluster.vpcCidr": "write it like 10.40.0.0/16.", "omk:serving.image": "write it like vllm/vllm-openai:v0.32.0.",
      "omk:observability.retention": "write it like 15d.", "omk:models[0].host": "write it like qwen.llm.example.com.",
      "omk:environment": 'use "dev-env" or another such name.',
    });
  });

  it("redacts credential-named keys even when the engine did not mark them secret", () => {
    const r = resolveStack(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }], { "omk:apiKey": "short" }), "t");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).not.toContain('"short"');
  });
});
