/** The vLLM server as a reviewer checks it: manifests, GPU limits, args, scheduling, secrets, cold start. */
import { describe, expect, it } from "vitest";
import { isKubernetesObject, type Plan } from "../../cli/engine/plan";
import { main } from "../../cli/omk";
import { flagValue } from "../../components/serving/vllm-args";
import { validateManifest } from "../harness/manifests";
import { allows, type Policy } from "../harness/iam";
import { ofType, plan, stackConfig } from "../harness/stack";

type Obj = Record<string, any>;
const k8sObjects = (p: Plan) => p.resources.filter(isKubernetesObject).map((r) => r.inputs as Obj);
const workload = (p: Plan, name: string) => k8sObjects(p).find((o) => (o.kind === "Deployment" || o.kind === "LeaderWorkerSet") && o.metadata.name === name)!;
const container = (pod: Obj) => pod.spec.containers[0] as Obj;

describe("single-node server (the default stack's shape)", async () => {
  const p = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 16384, replicas: { min: 1, max: 2 } }]));
  const dep = workload(p, "qwen3-8b");
  const pod = dep.spec.template;
  const c = container(pod);
  const sized = p.models[0]!;

  it("every Kubernetes object validates against its schema", async () => {
    for (const o of k8sObjects(p)) await validateManifest(o);
  });

  it("requests exactly TP × PP GPUs and passes the sizing to vLLM", () => {
    expect(c.resources.limits["nvidia.com/gpu"]).toBe(String(sized.tensorParallelSize * sized.pipelineParallelSize));
    expect(c.command).toEqual(["vllm", "serve"]);
    expect(c.args[0]).toBe("Qwen/Qwen3-8B");
    expect(flagValue(c.args, "--served-model-name")).toBe("qwen3-8b");
    expect(flagValue(c.args, "--tensor-parallel-size")).toBe(String(sized.tensorParallelSize));
    expect(flagValue(c.args, "--max-model-len")).toBe("16384");
    expect(flagValue(c.args, "--gpu-memory-utilization")).toBe("0.9");
    expect(flagValue(c.args, "--max-num-seqs")).toBe(String(sized.maxNumSeqs));
    expect(flagValue(c.args, "--reasoning-parser")).toBe("qwen3");
    expect(flagValue(c.args, "--tool-call-parser")).toBe("hermes");
    expect(c.args).toContain("--enable-prefix-caching");
    expect(c.args).not.toContain("--trust-remote-code");
    expect(c.image).toMatch(/^vllm\/vllm-openai:v\d+\.\d+\.\d+$/);
  });

  it("puts the API guard in front of vLLM: vLLM on loopback, the guard on the pod's port, rolled when its config changes", () => {
    expect(flagValue(c.args, "--host")).toBe("127.0.0.1");
    expect(flagValue(c.args, "--port")).toBe("8001");
    expect(c.ports).toBeUndefined();
    const guard = pod.spec.containers.find((x: Obj) => x.name === "api-guard");
    expect(guard.ports).toEqual([{ name: "http", containerPort: 8000, protocol: "TCP" }]);
    expect(guard.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    // It drains like vLLM: the same preStop pause, then nginx's graceful stop (the image's SIGQUIT).
    expect(guard.lifecycle.preStop).toEqual(c.lifecycle.preStop);
    const conf = k8sObjects(p).find((o) => o.kind === "ConfigMap" && o.metadata.name === "qwen3-8b-api-guard")!.data["nginx.conf"] as string;
    expect(conf).toContain("server 127.0.0.1:8001;");
    expect(pod.metadata.annotations["omk.dev/api-guard"]).toMatch(/^[0-9a-f]{16}$/);
    expect(pod.spec.volumes).toContainEqual({ name: "api-guard", configMap: { name: "qwen3-8b-api-guard" } });
  });

  it("tolerates exactly its pool's taint and selects exactly its pool's label", () => {
    const nodePool = k8sObjects(p).find((o) => o.kind === "NodePool")!;
    const taints = nodePool.spec.template.spec.taints as Obj[];
    for (const t of taints) expect(pod.spec.tolerations).toContainEqual({ key: t.key, operator: "Exists", effect: t.effect });
    for (const [k, v] of Object.entries(pod.spec.nodeSelector)) expect(nodePool.spec.template.metadata.labels[k]).toBe(v);
  });

  it("fits the node it was sized for, spreads across AZs and is not disrupted by Karpenter", () => {
    expect(Number(c.resources.requests.cpu)).toBeLessThan(4); // g6e.xlarge: 4 vCPU
    expect(Number.parseInt(c.resources.requests.memory, 10)).toBeLessThan(32);
    expect(pod.spec.topologySpreadConstraints[0].topologyKey).toBe("topology.kubernetes.io/zone");
    expect(pod.metadata.annotations["karpenter.sh/do-not-disrupt"]).toBe("true");
  });

  it("probes /health with a startup budget from the cold start, and drains on shutdown", () => {
    // The kubelet probes the pod's IP: /health through the API guard (vLLM listens on loopback only).
    expect(c.startupProbe.httpGet).toEqual({ path: "/health", port: 8000 });
    // Readiness asks vLLM's OpenAI API itself, on loopback, for the served model.
    expect(c.readinessProbe.exec.command.slice(0, 2)).toEqual(["python3", "-c"]);
    expect(c.readinessProbe.exec.command[2]).toContain("http://127.0.0.1:8001/v1/models");
    expect(c.readinessProbe.exec.command[3]).toBe("qwen3-8b");
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBe(sized.coldStart.startupProbe.budgetSeconds);
    expect(c.livenessProbe.failureThreshold * c.livenessProbe.periodSeconds).toBeGreaterThanOrEqual(180);
    expect(c.lifecycle.preStop.exec.command).toEqual(["sleep", "15"]);
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(15 + 120);
  });

  it("has a ClusterIP Service clients use — the router's, as the model can scale past one replica — and a PDB", () => {
    const svc = k8sObjects(p).find((o) => o.kind === "Service" && o.metadata.name === "qwen3-8b")!;
    expect(svc.spec.type).toBe("ClusterIP");
    const router = k8sObjects(p).find((o) => o.kind === "Deployment" && o.metadata.name === "qwen3-8b-router")!;
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(router.spec.template.metadata.labels[k]).toBe(v);
    expect(svc.spec.ports[0].targetPort).toBe(router.spec.template.spec.containers[0].ports[0].name);
    expect(k8sObjects(p).find((o) => o.kind === "PodDisruptionBudget" && o.metadata.name === "qwen3-8b")!.spec.maxUnavailable).toBe(1);
  });

  it("with round-robin routing, the Service selects the vLLM pods on the container's named port", async () => {
    const rr = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 16384, replicas: { min: 1, max: 2 }, routing: "round-robin" }]));
    const svc = k8sObjects(rr).find((o) => o.kind === "Service")!;
    const entry = workload(rr, "qwen3-8b").spec.template.spec.containers.find((x: Obj) => x.ports?.length);
    expect(entry.name).toBe("api-guard");
    expect(svc.spec.ports[0].targetPort).toBe(entry.ports[0].name);
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(workload(rr, "qwen3-8b").spec.template.metadata.labels[k]).toBe(v);
    expect(k8sObjects(rr).some((o) => o.metadata.name === "qwen3-8b-router")).toBe(false);
  });
});

describe("DeepSeek-R1 (671B)", () => {
  it("on H100s runs as a LeaderWorkerSet of 2 nodes with EFA and Ray, restarting the whole group", async () => {
    const p = await plan(stackConfig([{ id: "deepseek-ai/DeepSeek-R1", name: "r1", instanceType: "p5.48xlarge" }]));
    const lws = workload(p, "r1");
    expect(lws.kind).toBe("LeaderWorkerSet");
    expect(lws.spec.leaderWorkerTemplate).toMatchObject({ size: 2, restartPolicy: "RecreateGroupOnPodRestart" });
    const leader = container(lws.spec.leaderWorkerTemplate.leaderTemplate);
    const worker = container(lws.spec.leaderWorkerTemplate.workerTemplate);
    for (const c of [leader, worker]) {
      expect(c.resources.limits["nvidia.com/gpu"]).toBe("8");
      expect(c.resources.limits["vpc.amazonaws.com/efa"]).toBe("32");
      expect(c.env).toContainEqual({ name: "FI_PROVIDER", value: "efa" });
    }
    // 2 pods × 8 GPUs = TP 8 × PP 2.
    expect(2 * 8).toBe(p.models[0]!.tensorParallelSize * p.models[0]!.pipelineParallelSize);
    expect(leader.args[0]).toMatch(/multi-node-serving\.sh leader --ray_cluster_size=\$\(LWS_GROUP_SIZE\); exec vllm serve s3:\/\/.* --tensor-parallel-size 8 --pipeline-parallel-size 2 .*--trust-remote-code .*--reasoning-parser deepseek_r1 .*--distributed-executor-backend ray/);
    expect(worker.args[0]).toMatch(/multi-node-serving\.sh worker --ray_address=\$\(LWS_LEADER_ADDRESS\)/);
    expect(worker.startupProbe).toBeUndefined();
    expect(k8sObjects(p).find((o) => o.kind === "Service")!.spec.selector["leaderworkerset.sigs.k8s.io/worker-index"]).toBe("0");
    await validateManifest(lws);
  });

  it("on H200s runs as one Deployment: 8 data-parallel attention ranks with expert parallelism", async () => {
    const p = await plan(stackConfig([{ id: "deepseek-ai/DeepSeek-R1", name: "r1", instanceType: "p5en.48xlarge" }]));
    const dep = workload(p, "r1");
    expect(dep.kind).toBe("Deployment");
    const c = container(dep.spec.template);
    expect(c.resources.limits["nvidia.com/gpu"]).toBe("8");
    expect(flagValue(c.args, "--tensor-parallel-size")).toBe("1");
    expect(flagValue(c.args, "--data-parallel-size")).toBe("8");
    expect(c.args).toContain("--enable-expert-parallel");
  });

  it("a pinned TP 8 on H200s runs tensor-parallel without data parallelism", async () => {
    const p = await plan(stackConfig([{ id: "deepseek-ai/DeepSeek-R1", name: "r1", instanceType: "p5en.48xlarge", tensorParallelSize: 8 }]));
    const c = container(workload(p, "r1").spec.template);
    expect(flagValue(c.args, "--tensor-parallel-size")).toBe("8");
    expect(c.args).not.toContain("--data-parallel-size");
  });
});

describe("weights from the S3 model store", async () => {
  const p = await plan(stackConfig([{ id: "Qwen/Qwen3-32B", maxModelLen: 8192, weights: { source: "s3", revision: "0123abcd" } }]));
  it("creates an encrypted, versioned, private bucket", () => {
    expect(ofType(p, "aws:s3/bucket:Bucket")[0]!.protect).toBe(true);
    expect(ofType(p, "aws:s3/bucketVersioning:BucketVersioning")[0]!.inputs).toMatchObject({ versioningConfiguration: { status: "Enabled" } });
    expect(ofType(p, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0]!.inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    expect(ofType(p, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")[0]!.inputs).toMatchObject({ rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }] });
  });

  it("mirrors the pinned revision once, resumably, and the server waits for it", () => {
    const job = ofType(p, "kubernetes:batch/v1:Job")[0]!;
    const spec = (job.inputs as Obj).spec.template.spec;
    expect(spec.restartPolicy).toBe("OnFailure");
    // Streams repo@revision into the store's prefix: no volume the size of the weights (mirror-script.test.ts runs the script).
    expect(spec.containers[0].args).toEqual(["Qwen/Qwen3-32B", "0123abcd", "omk-test-serving-store-weights-0000000", "Qwen/Qwen3-32B/0123abcd"]);
    expect(spec.volumes.every((v: Obj) => v.emptyDir && !v.ephemeral && !v.persistentVolumeClaim)).toBe(true);
    const server = ofType(p, "kubernetes:apps/v1:Deployment")[0]!;
    expect(server.dependencies).toContain(job.urn);
    const c = container((server.inputs as Obj).spec.template);
    expect(c.args[0]).toBe("s3://omk-test-serving-store-weights-0000000/Qwen/Qwen3-32B/0123abcd");
    expect(flagValue(c.args, "--load-format")).toBe("runai_streamer");
  });

  it("gives the server read-only weights (and its compile cache), the mirror write access to the weights only, through Pod Identity", () => {
    const bucket = "arn:aws:s3:::omk-test-serving-store-weights-0000000";
    const weights = `${bucket}/Qwen/Qwen3-32B/0123abcd/model.safetensors`;
    // The compile cache prefix as the pod's restore step names it (per model, revision, instance and layout).
    const restore = JSON.stringify(k8sObjects(p).find((o) => o.kind === "Deployment")!.spec.template.spec.initContainers);
    const cachePrefix = /s3:\/\/[^/]+\/(\.omk-compile-cache\/Qwen\/Qwen3-32B\/0123abcd\/[^/]+)\/torch-compile/.exec(restore)![1];
    const cache = `${bucket}/${cachePrefix}/torch-compile/kernels.bin`;
    const role = (suffix: string) => [JSON.parse(ofType(p, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name.endsWith(suffix))!.inputs.policy as string) as Policy];
    const can = (policies: Policy[], action: string, resource: string) => allows(policies, { action, resource, context: {} });
    const server = role("-reader");
    const mirror = role("-writer");
    expect([can(server, "s3:GetObject", weights), can(server, "s3:PutObject", weights)]).toEqual([true, false]);
    expect([can(server, "s3:GetObject", cache), can(server, "s3:PutObject", cache)]).toEqual([true, true]);
    expect([can(mirror, "s3:GetObject", weights), can(mirror, "s3:PutObject", weights), can(mirror, "s3:PutObject", cache)]).toEqual([true, true, false]);
    // Nothing else in the bucket, not even listing another model's prefix.
    expect(can(server, "s3:GetObject", `${bucket}/Qwen/Qwen3-8B/main/model.safetensors`)).toBe(false);
    expect(allows(server, { action: "s3:ListBucket", resource: bucket, context: { "s3:prefix": "Qwen/Qwen3-8B/" } })).toBe(false);
    expect(ofType(p, "aws:eks/podIdentityAssociation:PodIdentityAssociation").map((r) => r.inputs.serviceAccount).sort()).toEqual(["qwen3-32b", "qwen3-32b-mirror"]);
  });
});

describe("secrets", () => {
  const token = "hf_TOPSECRETtoken1234567890";
  it("the HF token reaches pods only through a Secret, never a manifest, plan file or plan output", async () => {
    const raw = stackConfig([{ id: "meta-llama/Llama-3.1-8B-Instruct", maxModelLen: 8192 }], { "omk:hfToken": token });
    const p = await plan(raw);
    expect(JSON.stringify(p)).not.toContain(token);
    const secret = k8sObjects(p).find((o) => o.kind === "Secret" && o.metadata.name === "hf-token")!;
    expect(secret.stringData).toEqual({ HF_TOKEN: "[secret]" });
    const c = container(workload(p, "llama-3-1-8b-instruct").spec.template);
    expect(c.env).toContainEqual({ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf-token", key: "HF_TOKEN" } } });
    const out: string[] = [];
    const { writeFileSync, mkdtempSync } = await import("node:fs");
    const dir = mkdtempSync("/tmp/omk-secret-");
    writeFileSync(`${dir}/Pulumi.s.yaml`, `config:\n  aws:region: us-east-1\n  omk:environment: s\n  omk:hfToken: ${token}\n  omk:models:\n    - id: meta-llama/Llama-3.1-8B-Instruct\n      maxModelLen: 8192\n`);
    // A token written in plain text into a stack file is refused — without printing it.
    expect(await main(["plan", "--config", `${dir}/Pulumi.s.yaml`, "--json", "--out", dir], { out: (s) => out.push(s), err: (s) => out.push(s) })).toBe(1);
    expect(out.join("\n")).toMatch(/omk:hfToken: "\[secret\]" — is stored in plain text\. Fix: remove it from the stack file and run `pulumi config set --secret omk:hfToken <value>`/);
    expect(out.join("\n")).not.toContain(token);
    // As a `secure:` value it plans, and neither plan.json nor any manifest contains the ciphertext's plaintext.
    writeFileSync(`${dir}/Pulumi.s.yaml`, `config:\n  aws:region: us-east-1\n  omk:environment: s\n  omk:hfToken:\n    secure: v1:AAAA\n  omk:models:\n    - id: meta-llama/Llama-3.1-8B-Instruct\n      maxModelLen: 8192\n`);
    out.length = 0;
    expect(await main(["plan", "--config", `${dir}/Pulumi.s.yaml`, "--json", "--out", dir], { out: (s) => out.push(s), err: (s) => out.push(s) })).toBe(0);
    const { readdirSync, readFileSync } = await import("node:fs");
    for (const f of [`${dir}/plan.json`, ...readdirSync(`${dir}/manifests`).map((m) => `${dir}/manifests/${m}`)]) expect(readFileSync(f, "utf8")).not.toContain("v1:AAAA");
  });
});

describe("startup budget follows model size", () => {
  it("grows with the model, never below 15 minutes on a GPU, and never lets a small model wait 30 minutes", async () => {
    const ids = ["Qwen/Qwen3-1.7B", "Qwen/Qwen3-8B", "Qwen/Qwen3-32B", "Qwen/Qwen2.5-72B-Instruct"];
    const budgets: number[] = [];
    for (const id of ids) {
      const p = await plan(stackConfig([{ id, maxModelLen: 8192, weights: { source: "huggingface" } }]));
      budgets.push(p.models[0]!.coldStart.startupProbe.budgetSeconds);
    }
    budgets.slice(1).forEach((b, i) => expect(b).toBeGreaterThanOrEqual(budgets[i]!));
    expect(budgets[0]).toBe(15 * 60);
    expect(budgets[0]).toBeLessThan(30 * 60);
    expect(budgets[3]).toBeGreaterThan(30 * 60);
  });
});

describe("ordering around the S3 model store", () => {
  it("the mirror Job waits for its Pod Identity association, the server for its own, and the finished Job stays (no TTL: refresh keeps it)", async () => {
    const p = await plan(stackConfig([{ id: "Qwen/Qwen3-32B", maxModelLen: 8192, weights: { source: "s3" } }]));
    const assoc = (sa: string) => p.resources.find((r) => r.type === "aws:eks/podIdentityAssociation:PodIdentityAssociation" && r.inputs.serviceAccount === sa)!.urn;
    const job = p.resources.find((r) => r.type === "kubernetes:batch/v1:Job")!;
    expect(job.dependencies).toContain(assoc("qwen3-32b-mirror"));
    expect(p.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!.dependencies).toContain(assoc("qwen3-32b"));
    expect((job.inputs as Record<string, any>).spec).not.toHaveProperty("ttlSecondsAfterFinished");
  });
});
