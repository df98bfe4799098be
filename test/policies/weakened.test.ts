/**
 * A prod stack weakened on purpose, one setting at a time, as the security review did: each weakening is blocked by
 * a named policy (exit 2 in `omk plan`) with a message naming the setting and the fix, under the prod policy config;
 * the same stack unweakened passes. Policies run on the recorded resources, as CrossGuard would.
 */
import * as path from "node:path";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { planStack } from "../../cli/engine/plan";
import { diffPlans } from "../../cli/engine/diff";
import { stackConfig } from "../harness/stack";
import { podTemplates } from "../../policies/inspect";
import { isTls12Policy, restrictedExceptionOf, restrictedProblems } from "../../policies/security";

const ROOT = path.resolve(__dirname, "../..");
const PROD = path.join(ROOT, "test/fixtures/policies/prod.json");
const cert = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-1111-2222-3333-444455556666";
const model = { id: "Qwen/Qwen3-8B", maxModelLen: 8192, exposure: "private", host: "qwen.llm.internal.example.com" };
const secure = {
  "omk:cluster": { endpoint: { public: false } },
  "omk:traffic": { certificateArn: cert },
  "omk:capacity": { capacityType: "on-demand" },
};

async function verdict(models: unknown[], extra: Record<string, unknown>) {
  const r = await planStack(stackConfig(models, { ...secure, ...extra }), { stack: "prod-weakened", source: "test", policyConfig: PROD });
  if (!r.ok) throw r.error;
  return r.plan.policy.violations.filter((v) => v.level === "mandatory");
}

describe("a prod stack weakened one setting at a time", () => {
  it("passes as shipped: private API endpoint, control-plane logs, TLS on the private ALB, restricted pods", async () => {
    expect(await verdict([model], {})).toEqual([]);
  });

  it.each([
    ["an API endpoint open to the world", [model], { "omk:cluster": { endpoint: { public: true, publicAccessCidrs: ["0.0.0.0/0"] } } }, "eks-endpoint-restricted", /public to 0\.0\.0\.0\/0.*omk:cluster\.endpoint\.publicAccessCidrs/],
    ["no control-plane logs", [model], { "omk:cluster": { endpoint: { public: false }, logTypes: [] } }, "control-plane-logs", /miss api, audit, authenticator.*omk:cluster\.logTypes/],
    ["an image from an unknown registry", [model], { "omk:serving": { image: "ghcr.io/someone/vllm:v0.32.0" } }, "trusted-registries", /"ghcr\.io\/someone\/vllm:v0\.32\.0", from no registry this environment trusts/],
    ["a private model without TLS", [model], { "omk:traffic": { plainHttpInVpc: true } }, "private-endpoints-tls-auth", /private endpoint over plain HTTP: API keys cross the VPC in clear text/],
    ["no VPC flow logs", [model], { "omk:cluster": { endpoint: { public: false }, flowLogs: "off" } }, "vpc-flow-logs", /no flow logs \(CIS AWS 3\.9\).*Remove omk:cluster\.flowLogs: off/],
    ["a private model without auth", [{ ...model, auth: false }], {}, "private-endpoints-tls-auth", /reaches a model that requires no API key\. Remove auth: false/],
  ])("%s → blocked by %s", async (_what, models, extra, policy, message) => {
    const mandatory = await verdict(models, extra);
    expect(mandatory.map((v) => v.policy)).toContain(policy);
    expect(mandatory.find((v) => v.policy === policy)!.message).toMatch(message);
  });

  it("every kit pod meets Pod Security 'restricted', and a pod spec that drifts from it is named with what it breaks", async () => {
    const r = await planStack(stackConfig([{ ...model, adapters: [{ name: "sql", repo: "my-org/sql-lora", rank: 8, revision: "0123456789abcdef0123456789abcdef01234567" }], replicas: { min: 0, max: 2 } }], secure), { stack: "prod-weakened", source: "test", policyConfig: PROD });
    if (!r.ok) throw r.error;
    const pods = r.plan.resources.flatMap((x) => podTemplates({ type: x.type, props: x.inputs as Record<string, unknown>, urn: x.urn, name: x.name }));
    // vLLM, its router, the 503 responder and the refresh CronJob's job template.
    expect(pods.length).toBeGreaterThanOrEqual(4);
    for (const t of pods) expect(restrictedProblems(t.spec)).toEqual([]);
    const drifted = structuredClone(pods[0]!.spec);
    drifted.securityContext = {};
    drifted.containers[0].securityContext = { privileged: true, capabilities: { add: ["SYS_ADMIN"] } };
    expect(restrictedProblems(drifted)).toEqual(expect.arrayContaining([
      expect.stringMatching(/is privileged/), expect.stringMatching(/adds capabilities SYS_ADMIN/), expect.stringMatching(/may run as root/), expect.stringMatching(/no RuntimeDefault seccomp profile/),
    ]));
    const ns = r.plan.resources.find((x) => x.type === "kubernetes:core/v1:Namespace" && (x.inputs as any).metadata.name === "omk")!;
    expect((ns.inputs as any).metadata.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/warn": "restricted" });
  });

  it("relaxes only what each documented exception needs: no seccomp profile for several GPUs (CUDA IPC), root for EFA", async () => {
    const tp = await planStack(stackConfig([{ id: "Qwen/Qwen3-32B", maxModelLen: 8192, instanceType: "g6e.12xlarge" }], secure), { stack: "prod-weakened", source: "test", policyConfig: PROD });
    if (!tp.ok) throw tp.error;
    const server = tp.plan.resources.find((x) => x.inputs.kind === "Deployment" && (x.inputs as any).metadata.name === "qwen3-32b")!.inputs as any;
    const spec = server.spec.template.spec;
    expect(restrictedExceptionOf(spec)).toBe("multi-gpu");
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 2000 });
    expect(spec.securityContext.seccompProfile).toBeUndefined();
    expect(restrictedProblems(spec)).toEqual([]);
    expect(tp.plan.policy.violations.filter((v) => v.policy === "pod-security-restricted")).toEqual([]);
    // An exception never covers escalation or added capabilities.
    const drifted = structuredClone(spec);
    drifted.containers[0].securityContext = { ...drifted.containers[0].securityContext, allowPrivilegeEscalation: true };
    expect(restrictedProblems(drifted)).toEqual([expect.stringMatching(/does not set allowPrivilegeEscalation: false/)]);
  });

  it("keeps weights TLS-only and the flow-log role usable by VPC Flow Logs of this region only", async () => {
    const r = await planStack(stackConfig([{ ...model, weights: { source: "s3" } }], { ...secure, "omk:hfToken": { secure: "v1:AAAA" } }), { stack: "prod-weakened", source: "test", policyConfig: PROD, secretKeys: ["omk:hfToken"] });
    if (!r.ok) throw r.error;
    const policy = JSON.parse(String(r.plan.resources.find((x) => x.type === "aws:s3/bucketPolicy:BucketPolicy")!.inputs.policy));
    expect(policy.Statement).toEqual([expect.objectContaining({ Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } })]);
    // A server streaming from the store never holds the Hub token; only the mirror Job that downloads does.
    const withToken = r.plan.resources.flatMap((x) => podTemplates({ type: x.type, props: x.inputs as Record<string, unknown>, urn: x.urn, name: x.name }).flatMap((t) => [...(t.spec.containers ?? []), ...(t.spec.initContainers ?? [])].filter((c: any) => (c.env ?? []).some((e: any) => e.name === "HF_TOKEN")).map((c: any) => `${(x.inputs as any).kind}/${c.name}`)));
    expect(withToken).toEqual(["Job/mirror"]);
    // Pod Identity roles: each trusted only for its own service account, namespace and cluster (session-tag conditions).
    const trusts = r.plan.resources.filter((x) => x.type === "aws:iam/role:Role").map((x) => JSON.parse(String(x.inputs.assumeRolePolicy)).Statement[0]).filter((st) => st.Principal.Service === "pods.eks.amazonaws.com");
    const associations = r.plan.resources.filter((x) => x.type === "aws:eks/podIdentityAssociation:PodIdentityAssociation").map((x) => `${x.inputs.namespace}/${x.inputs.serviceAccount}`).sort();
    expect(trusts.length).toBe(associations.length);
    expect(trusts.map((st) => `${st.Condition.StringEquals["aws:RequestTag/kubernetes-namespace"]}/${st.Condition.StringEquals["aws:RequestTag/kubernetes-service-account"]}`).sort()).toEqual(associations);
    for (const st of trusts) expect(st.Condition.StringEquals["aws:RequestTag/eks-cluster-name"]).toBeTruthy();
    const flow = r.plan.resources.find((x) => x.type === "aws:ec2/flowLog:FlowLog")!;
    expect(flow.inputs).toMatchObject({ trafficType: "REJECT", logDestinationType: "cloud-watch-logs" });
    const role = r.plan.resources.find((x) => x.type === "aws:iam/role:Role" && x.name.endsWith("flow-logs"))!;
    expect(JSON.parse(String(role.inputs.assumeRolePolicy)).Statement[0].Condition).toEqual({ ArnLike: { "aws:SourceArn": "arn:aws:ec2:us-east-1:*:vpc-flow-log/*" } });
  });

  it("a token in the vLLM arguments never gets that far: the config is refused with the value masked", async () => {
    const r = await planStack(stackConfig([{ ...model, extraArgs: ["--api-key=sk-abcdefghijklmnopqrstuvwxyz123456"] }], secure), { stack: "prod-weakened", source: "test", policyConfig: PROD });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toMatch(/extraArgs\[0\]/);
      expect(r.error.message).not.toContain("sk-abcdefghijklmnopqrstuvwxyz123456");
    }
  });
});

describe("the ALB in front", () => {
  it("negotiates TLS 1.2+ only, takes a WAF ACL and access logs when given, and admits Ingresses only from the kit's namespaces", async () => {
    const waf = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/llm-api/0123abcd-4567-89ab-cdef-0123456789ab";
    const r = await planStack(stackConfig([model], { ...secure, "omk:traffic": { certificateArn: cert, wafAclArn: waf, accessLogs: { bucket: "my-alb-logs", prefix: "omk/prod" } } }), { stack: "t", source: "test", policyConfig: PROD });
    if (!r.ok) throw r.error;
    const ingress = r.plan.resources.find((x) => x.type === "kubernetes:networking.k8s.io/v1:Ingress")!.inputs as any;
    expect(ingress.metadata.annotations["alb.ingress.kubernetes.io/ssl-policy"]).toBe("ELBSecurityPolicy-TLS13-1-2-2021-06");
    expect(ingress.metadata.annotations["alb.ingress.kubernetes.io/wafv2-acl-arn"]).toBe(waf);
    const params = r.plan.resources.find((x) => x.inputs.kind === "IngressClassParams")!.inputs as any;
    expect(params.spec.namespaceSelector).toEqual({ matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["omk"] }] });
    expect(params.spec.loadBalancerAttributes).toEqual(expect.arrayContaining([{ key: "access_logs.s3.enabled", value: "true" }, { key: "access_logs.s3.bucket", value: "my-alb-logs" }, { key: "access_logs.s3.prefix", value: "omk/prod" }]));
    expect(r.plan.manifestProblems).toEqual([]);
    expect(isTls12Policy("ELBSecurityPolicy-2016-08")).toBe(false);
  });
});

describe("NetworkPolicy enforcement", () => {
  it("is on for Auto Mode nodes (the ConfigMap) and for node groups (the vpc-cni add-on), with one owner of the ConfigMap", async () => {
    const auto = await planStack(stackConfig([model], secure), { stack: "t", source: "test", policyConfig: PROD });
    const managed = await planStack(stackConfig([model], { ...secure, "omk:capacity": { mode: "managed", capacityType: "on-demand" } }), { stack: "t", source: "test", policyConfig: PROD });
    if (!auto.ok || !managed.ok) throw new Error("expected both to plan");
    const cm = (p: typeof auto.plan) => p.resources.filter((x) => x.inputs.kind === "ConfigMap" && (x.inputs as any).metadata.name === "amazon-vpc-cni");
    expect(cm(auto.plan).map((x) => (x.inputs as any).data)).toEqual([{ "enable-network-policy-controller": "true" }]);
    expect(cm(managed.plan)).toEqual([]);
    const cni = managed.plan.resources.find((x) => x.type === "aws:eks/addon:Addon" && x.inputs.addonName === "vpc-cni")!;
    expect(JSON.parse(String(cni.inputs.configurationValues))).toEqual({ enableNetworkPolicy: "true" });
    // The CNI's ENI permissions live on its own Pod Identity role; the node role keeps the kubelet's only.
    expect(cni.inputs.podIdentityAssociations).toEqual([{ serviceAccount: "aws-node", roleArn: expect.any(String) }]);
    const attached = managed.plan.resources.filter((x) => x.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((x) => ({ role: String(x.name), policy: String(x.inputs.policyArn).split("/").pop() }));
    expect(attached.filter((a) => a.role.includes("-gpu-node-")).map((a) => a.policy).sort()).toEqual(["AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodePolicy"]);
    expect(attached.filter((a) => a.policy === "AmazonEKS_CNI_Policy").map((a) => a.role)).toEqual([expect.stringMatching(/vpc-cni$/)]);
  });
});

describe("API-key rotation", () => {
  // The same rotation step is planned once for the tests that read it.
  const steps = new Map<string, ReturnType<typeof planStack>>();
  const at = (version: number, extra: Record<string, unknown> = {}) => {
    const key = JSON.stringify([version, extra]);
    if (!steps.has(key)) steps.set(key, planStack(stackConfig([{ ...model, replicas: { min: 1, max: 2 } }], { ...secure, "omk:apiKeyVersion": version, ...extra }), { stack: "t", source: "test", policyConfig: PROD }));
    return steps.get(key)!;
  };
  const keysOf = (r: { resources: readonly { type: string; name: string }[] }) => r.resources.filter((x) => x.type === "random:index/randomPassword:RandomPassword" && /-api-key(-v\d+)?$/.test(x.name)).map((x) => x.name).sort();
  const rolled = (d: ReturnType<typeof diffPlans>) => Object.fromEntries(d.changed.map((c) => [c.name, c.changes.map((x) => x.path)]));

  it("raising omk:apiKeyVersion makes a new key: the guards reload it in place (no GPU pod restarts), routers roll", async () => {
    const [one, two] = await Promise.all([at(1), at(2)]);
    if (!one.ok || !two.ok) throw new Error("expected both to plan");
    const d = diffPlans("t", one.plan, two.plan);
    // The key resource of version 2 adopts the one clients held (an alias) and gets a new value (keepers change).
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(d.blocking).toEqual([]);
    const key = d.changed.find((c) => c.type === "random:index/randomPassword:RandomPassword")!;
    expect(key.name).toMatch(/-api-key-v2$/);
    expect(key.replaceReason).toMatch(/keepers/);
    const changed = rolled(d);
    expect(Object.keys(changed).filter((n) => /-server$/.test(n))).toEqual([]);
    const router = Object.keys(changed).find((n) => /-traffic-router$/.test(n))!;
    expect(changed[router]).toEqual(["spec.template.metadata.annotations.omk.dev/api-key-version"]);
    expect(d.changed.filter((c) => c.replaceReason && c.type !== "random:index/randomPassword:RandomPassword")).toEqual([]);
  });

  it("with omk:apiKeyKeepPrevious the old key keeps working until it is removed: two steps, no pod restarts", async () => {
    const [one, overlap, retired] = await Promise.all([at(1), at(2, { "omk:apiKeyKeepPrevious": true }), at(2)]);
    if (!one.ok || !overlap.ok || !retired.ok) throw new Error("expected all three to plan");
    expect(keysOf(one.plan)).toHaveLength(1);
    // Step 1: version 1's key is the same resource (same value), version 2's is added, the guard accepts both.
    const step1 = diffPlans("t", one.plan, overlap.plan);
    expect(step1.removed).toEqual([]);
    expect(step1.added.map((x) => x.name)).toEqual([expect.stringMatching(/-api-key-v2$/)]);
    expect(overlap.plan.warnings.join("\n")).toMatch(/Key rotation in progress: the generated key of omk:apiKeyVersion 1 is still accepted next to version 2's\. Remove omk:apiKeyKeepPrevious/);
    expect(retired.plan.warnings.join("\n")).not.toMatch(/Key rotation in progress/);
    // Step 2: version 1's key goes.
    const step2 = diffPlans("t", overlap.plan, retired.plan);
    expect(step2.removed.map((x) => x.name)).toEqual([expect.stringMatching(/-qwen3-8b-api-key$/)]);
    expect(step2.added).toEqual([]);
    // Neither step touches a server: the guards read the keys file as it changes.
    for (const d of [step1, step2]) {
      expect(d.changed.filter((c) => /-server$/.test(c.name))).toEqual([]);
      expect(d.changed.filter((c) => c.replaceReason)).toEqual([]);
    }
  });

  it("blocks a kept rotation that would replace the key clients hold (a version jump of two)", async () => {
    const [one, three] = await Promise.all([at(2), at(4, { "omk:apiKeyKeepPrevious": true })]);
    if (!one.ok || !three.ok) throw new Error("expected both to plan");
    expect(diffPlans("t", one.plan, three.plan).blocking).toEqual([expect.stringMatching(/qwen3-8b: both keys of the overlap are new: the key clients hold now would stop working\. Raise omk:apiKeyVersion by exactly one/)]);
    // The documented step (one higher, keep) is not blocked.
    const two = await at(3, { "omk:apiKeyKeepPrevious": true });
    if (!two.ok) throw two.error;
    expect(diffPlans("t", one.plan, two.plan).blocking).toEqual([]);
  });

  it("an upgrade of the kit keeps the key a stack already rotated to (the former single key resource is adopted)", async () => {
    // What a stack at version 3 held before one resource per version: `<model>-api-key` with keepers {version: 3}.
    const now = await at(3);
    if (!now.ok) throw now.error;
    const v3 = now.plan.resources.find((r) => r.name.endsWith("-api-key-v3"))!;
    expect(v3.aliases).toEqual([v3.urn.replace(/-api-key-v3$/, "-api-key")]);
    const legacy = { ...v3, urn: v3.aliases![0]!, name: v3.name.replace(/-v3$/, ""), aliases: undefined };
    const before = { ...now.plan, resources: now.plan.resources.map((r) => (r === v3 ? legacy : r)) };
    const d = diffPlans("t", before, now.plan);
    expect([...d.added, ...d.removed, ...d.changed]).toEqual([]);
  });

  it("refuses a rotation setting that cannot mean anything, naming the key and the fix", async () => {
    const keep1 = await at(1, { "omk:apiKeyKeepPrevious": true });
    expect(keep1.ok).toBe(false);
    if (!keep1.ok) expect(String(keep1.error)).toMatch(/omk:apiKeyKeepPrevious[\s\S]*no previous key to keep[\s\S]*raise omk:apiKeyVersion/);
    const own = await at(2, { "omk:apiKeyKeepPrevious": true, "omk:apiKey": { secure: "v1:abc" } });
    expect(own.ok).toBe(false);
    if (!own.ok) expect(String(own.error)).toMatch(/omk:apiKeyPrevious/);
    const orphan = await at(1, { "omk:apiKeyPrevious": { secure: "v1:abc" } });
    expect(orphan.ok).toBe(false);
    if (!orphan.ok) expect(String(orphan.error)).toMatch(/omk:apiKeyPrevious[\s\S]*set omk:apiKey too/);
  });
});

describe("remote code", () => {
  it("says a model that runs its repo's code from an unpinned Hub branch lets whoever pushes there run code in the cluster", async () => {
    const hub = await planStack(stackConfig([{ id: "deepseek-ai/DeepSeek-R1", weights: { source: "huggingface" }, instanceType: "p5en.48xlarge" }], secure), { stack: "prod-weakened", source: "test", policyConfig: PROD });
    if (!hub.ok) throw hub.error;
    expect(hub.plan.warnings.join("\n")).toMatch(/runs the repo's own Python code \(--trust-remote-code\) as of that branch/);
    const pinned = await planStack(stackConfig([{ id: "deepseek-ai/DeepSeek-R1", weights: { source: "huggingface", revision: "0123456789abcdef0123456789abcdef01234567" }, instanceType: "p5en.48xlarge" }], secure), { stack: "prod-weakened", source: "test", policyConfig: PROD });
    if (!pinned.ok) throw pinned.error;
    expect(pinned.plan.warnings.join("\n")).not.toMatch(/--trust-remote-code/);
    // Under the prod config the unpinned one is blocked; the pinned one, and the S3 store's fixed snapshot, pass.
    expect(hub.plan.policy.violations.filter((v) => v.level === "mandatory").map((v) => v.policy)).toContain("remote-code-pinned");
    expect(pinned.plan.policy.violations.map((v) => v.policy)).not.toContain("remote-code-pinned");
    const store = await planStack(stackConfig([{ id: "deepseek-ai/DeepSeek-R1", weights: { source: "s3" }, instanceType: "p5en.48xlarge" }], secure), { stack: "prod-weakened", source: "test", policyConfig: PROD });
    if (!store.ok) throw store.error;
    expect(store.plan.policy.violations.map((v) => v.policy)).not.toContain("remote-code-pinned");
  });
});

describe("security defaults of the pinned charts", () => {
  it("keeps Grafana's reads to its own namespace (no cluster-wide Secret access through the dashboard sidecar)", () => {
    const values = parse(readFileSync(path.join(ROOT, "charts/kube-prometheus-stack/values.yaml"), "utf8"));
    expect(values.grafana.rbac.namespaced).toBe(true);
    expect(values.grafana.sidecar.dashboards.searchNamespace).toBeUndefined();
  });
});
