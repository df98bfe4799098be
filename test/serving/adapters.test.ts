/**
 * LoRA adapters as a reviewer checks them: vLLM started with the adapters registered under their own names, the
 * GPU memory their slots reserve taken from the KV cache (never promised twice), S3 adapters read under a
 * read-only role scoped to their prefix, and every inconsistent setting refused with the key and the fix.
 */
import { describe, expect, it } from "vitest";
import type { Plan } from "../../cli/engine/plan";
import { planText } from "../../cli/commands/plan";
import { findModel } from "../../components/catalog/models";
import { resolveStack } from "../../components/config/validate";
import { loraBytesPerGpu, maxLoraRankFor } from "../../components/sizing/lora";
import { sizeModel } from "../../components/sizing/placement";
import { flagValue } from "../../components/serving/vllm-args";
import { plan, stackConfig } from "../harness/stack";
import { main } from "../../cli/omk";
import { validateManifest } from "../harness/manifests";

type Obj = Record<string, any>;
const objects = (p: Plan, kind: string) => p.resources.filter((r) => r.custom && r.inputs.kind === kind).map((r) => r.inputs as Obj);
const MB = 1e6;

const adapters = [
  { name: "sql-lora", repo: "my-org/qwen3-8b-sql-lora", rank: 16, revision: "0123456789abcdef0123456789abcdef01234567" },
  { name: "support-lora", repo: "s3://my-adapters/qwen3-8b/support", rank: 48 },
];

describe("LoRA memory", () => {
  it("matches vLLM's buffer shapes for Llama-3.1-8B: ~84 MB of layers + ~8.5 MB embedding and LM head per rank-16 slot", () => {
    // Shapes from vllm/lora/layers (column-parallel: A replicated, B sharded; row-parallel: the reverse); bf16.
    const llama = findModel("meta-llama/Llama-3.1-8B-Instruct")!;
    expect(loraBytesPerGpu(llama, { maxLoras: 1, maxRank: 16 }, 1) / MB).toBeCloseTo(83.886 + 8.471, 1);
    expect(loraBytesPerGpu(llama, { maxLoras: 4, maxRank: 16 }, 1) / MB).toBeCloseTo(4 * (83.886 + 8.471), 0);
    // At TP 2 only the sharded halves shrink: more than half of TP 1 stays on each GPU.
    const tp1 = loraBytesPerGpu(llama, { maxLoras: 1, maxRank: 64 }, 1);
    const tp2 = loraBytesPerGpu(llama, { maxLoras: 1, maxRank: 64 }, 2);
    expect(tp2).toBeLessThan(tp1);
    expect(tp2).toBeGreaterThan(tp1 / 2);
  });

  it("rounds each adapter's rank up to a --max-lora-rank vLLM accepts", () => {
    expect([1, 2, 8, 9, 48, 64, 300, 512].map(maxLoraRankFor)).toEqual([1, 8, 8, 16, 64, 64, 320, 512]);
  });

  it("takes exactly the adapters' memory from the KV cache on the same placement, and never picks expert parallelism with adapters", () => {
    const qwen = findModel("Qwen/Qwen3-8B")!;
    const req = { model: qwen, region: "us-east-1", precision: "bf16" as const, maxModelLen: 8192, concurrency: 2, gpuMemoryUtilization: 0.9, kvCacheDtype: "auto" as const, instanceType: "g6e.xlarge" };
    const plain = sizeModel(req);
    const lora = sizeModel({ ...req, lora: { maxLoras: 2, maxRank: 64 } });
    if (!plain.ok || !lora.ok) throw new Error("expected both to fit");
    expect(lora.placement.memory.loraGiBPerGpu).toBeGreaterThan(0);
    expect(plain.placement.memory.kvCacheGiBPerGpu - lora.placement.memory.kvCacheGiBPerGpu).toBeCloseTo(lora.placement.memory.loraGiBPerGpu, 6);
    // Qwen3-235B FP8 on 8 × H100 runs TP 8 with expert parallelism (its 128-blocks need whole experts); with adapters
    // vLLM would refuse that ("EP support for Fused MoE LoRA is not implemented yet"), so the sizing picks TP 4.
    const moe = { ...req, model: findModel("Qwen/Qwen3-235B-A22B-Instruct-2507")!, precision: "fp8" as const, instanceType: "p5.48xlarge" };
    const ep = sizeModel(moe);
    const noEp = sizeModel({ ...moe, lora: { maxLoras: 1, maxRank: 8 } });
    if (!ep.ok || !noEp.ok) throw new Error("expected both to fit");
    expect(ep.placement.expertParallel).toBe(true);
    expect(noEp.placement.expertParallel).toBe(false);
    expect(noEp.placement.tensorParallelSize).toBeLessThan(ep.placement.tensorParallelSize);
  });
});

describe("a model with adapters", async () => {
  const p = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, adapters }]));
  const server = objects(p, "Deployment").find((d) => d.metadata.name === "qwen3-8b")!;
  const pod = server.spec.template.spec;
  const args: string[] = pod.containers[0].args;
  const m = p.models[0]!;

  it("starts vLLM with LoRA on, slots and rank for the adapters, each registered under its own name from a local path", async () => {
    expect(args).toContain("--enable-lora");
    expect(flagValue(args, "--max-loras")).toBe("2");
    expect(flagValue(args, "--max-lora-rank")).toBe("64");
    const modules = args.slice(args.indexOf("--lora-modules") + 1, args.indexOf("--lora-modules") + 3).map((a) => JSON.parse(a));
    expect(modules).toEqual([
      { name: "sql-lora", path: "/adapters/sql-lora", base_model_name: "qwen3-8b" },
      { name: "support-lora", path: "/adapters/support-lora", base_model_name: "qwen3-8b" },
    ]);
    // Fetched before vLLM starts, into the volume vLLM reads; the Hub adapter at its pinned revision.
    const fetch = pod.initContainers.map((c: Obj) => c.name);
    expect(fetch).toEqual(expect.arrayContaining(["fetch-hub-adapters", "fetch-s3-adapters"]));
    expect(pod.initContainers.find((c: Obj) => c.name === "fetch-hub-adapters").args).toEqual([`sql-lora|my-org/qwen3-8b-sql-lora|${adapters[0]!.revision}`]);
    expect(pod.initContainers.find((c: Obj) => c.name === "fetch-s3-adapters").args[0]).toContain("aws s3 sync s3://my-adapters/qwen3-8b/support /adapters/support-lora");
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: "adapters", mountPath: "/adapters", readOnly: true });
    await validateManifest(server);
  });

  it("shows the adapters' memory in the breakdown, and their names among the endpoint's models", () => {
    expect(m.loraGiBPerGpu).toBeGreaterThan(0);
    expect(m.lora).toMatchObject({ maxLoras: 2, maxLoraRank: 64 });
    expect(m.servedModels).toEqual(["qwen3-8b", "sql-lora", "support-lora"]);
    const text = planText(p);
    expect(text).toMatch(/memory\/GPU weights [\d.]+ GiB \+ LoRA adapters [\d.]+ GiB \+ activation/);
    expect(text).toMatch(/endpoint .*; models qwen3-8b, sql-lora, support-lora/);
    expect(text).toMatch(/adapters {3}sql-lora \(rank 16, my-org\/qwen3-8b-sql-lora@0123456789ab\), support-lora \(rank 48, s3:\/\/my-adapters\/qwen3-8b\/support\); --max-loras 2 × --max-lora-rank 64/);
    // The cold start (and so the wake-on-request hold) counts fetching the adapters and LoRA's extra CUDA graphs.
    expect(m.coldStart.adaptersSeconds).toBeGreaterThan(0);
    expect(text).toMatch(/cold start .*, adapters [\d.]+ ?(s|min)\)/);
  });

  it("reads S3 adapters under the server's own role, read-only and only under their prefix", () => {
    const policies = p.resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy").map((r) => JSON.parse(String(r.inputs.policy)));
    const adapterPolicy = policies.find((d) => JSON.stringify(d).includes("my-adapters"))!;
    expect(adapterPolicy.Statement).toEqual([
      { Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::my-adapters/qwen3-8b/support/*"] },
      { Effect: "Allow", Action: ["s3:ListBucket"], Resource: "arn:aws:s3:::my-adapters", Condition: { StringLike: { "s3:prefix": ["qwen3-8b/support", "qwen3-8b/support/*"] } } },
    ]);
    const association = p.resources.find((r) => r.type === "aws:eks/podIdentityAssociation:PodIdentityAssociation")!;
    expect(association.inputs.serviceAccount).toBe(pod.serviceAccountName);
  });
});

describe("adapters in omk size", () => {
  it("sizes with their memory, and refuses adapter flags without --adapters", async () => {
    const out: string[] = [];
    expect(await main(["size", "--model", "Qwen/Qwen3-8B", "--adapters", "4", "--adapter-rank", "64", "--json"], { out: (x) => out.push(x), err: (x) => out.push(x) })).toBe(0);
    const j = JSON.parse(out.join("\n"));
    const qwen = findModel("Qwen/Qwen3-8B")!;
    expect(j.loraGiBPerGpu).toBeCloseTo(loraBytesPerGpu(qwen, { maxLoras: 4, maxRank: 64 }, j.tensorParallelSize) / 2 ** 30, 1);
    const err: string[] = [];
    expect(await main(["size", "--model", "Qwen/Qwen3-8B", "--adapter-rank", "64"], { out: () => undefined, err: (x) => err.push(x) })).toBe(1);
    expect(err.join("\n")).toMatch(/--adapter-rank and --max-loras describe LoRA adapters: add --adapters <n>/);
  });
});

describe("adapter settings a user gets wrong", () => {
  const rejected = (model: Obj, models: Obj[] = []) => {
    const r = resolveStack(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, ...model }, ...models]), "t");
    if (r.ok) throw new Error("expected a config error");
    return r.error.message;
  };
  it.each([
    [{ adapters: [adapters[0], { ...adapters[0], repo: "other/x" }] }, [], /adapters\[1\]\.name: "sql-lora" — is already a model name clients send \(omk:models\[0\]\.adapters\[0\]\.name\)/],
    [{ adapters: [{ ...adapters[0], name: "qwen3-4b" }] }, [{ id: "Qwen/Qwen3-4B", maxModelLen: 8192 }], /adapters\[0\]\.name: "qwen3-4b" — is already a model name clients send \(omk:models\[1\]\.name\)/],
    [{ adapters, maxLoras: 3 }, [], /maxLoras: 3 — reserves GPU memory for 3 adapters in one batch, but only 2 are listed\. Fix: set maxLoras to at most 2/],
    [{ maxLoras: 1 }, [], /maxLoras: 1 — reserves LoRA slots, but the model lists no adapters/],
    [{ adapters: [{ ...adapters[1], revision: "main" }] }, [], /adapters\[0\]\.revision: "main" — pins a Hugging Face revision, but the adapter comes from S3\. Fix: remove revision/],
    [{ adapters: [{ ...adapters[0], rank: 1024 }] }, [], /adapters\[0\]\.rank: 1024 — must be ≤ 512/],
    [{ adapters: [{ ...adapters[0], repo: "s3://x" }] }, [], /adapters\[0\]\.repo: "s3:\/\/x" — must be a Hugging Face repo id or an S3 prefix \(not a bucket's root; no spaces\).* Fix: write it like my-org\/qwen3-8b-sql-lora or s3:\/\/my-bucket\/adapters\/sql-lora\./],
    [{ adapters: [{ ...adapters[0], name: "a" }, { ...adapters[1], name: "b", repo: "bad repo" }] }, [], /adapters\[1\]\.repo: "bad repo"/],
    [{ instanceType: "g6e.xlarge", adapters: Array.from({ length: 8 }, (_, i) => ({ name: `a${i}`, repo: "o/r", rank: 512 })) }, [], /LoRA adapters [\d.]+ GiB \(8 slot\(s\) × rank 512\).*Fix: lower maxLoras or the adapters' rank/],
    [{ extraArgs: ["--enable-lora"] }, [], /extraArgs\[0\]: "--enable-lora" — --enable-lora is set by the kit from adapters\. Fix: set adapters instead/],
  ])("%j → %s", (model, models, message) => {
    expect(rejected(model, models)).toMatch(message);
  });
});
