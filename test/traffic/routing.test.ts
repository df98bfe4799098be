/**
 * Routing and scale-from-zero as a reviewer checks them: the routing policy each setting yields, session routing on
 * a header, a multi-node model's router discovering only group leaders, a router held unready until a replica
 * exists (so the interceptor keeps the first request), the 503 + Retry-After fallback, and the settings refused.
 */
import { describe, expect, it } from "vitest";
import type { Plan } from "../../cli/engine/plan";
import { resolveStack } from "../../components/config/validate";
import { diffModels } from "../../cli/engine/diff";
import { engineSelector, routerArgs } from "../../components/traffic/router-spec";
import { buildNetworkPolicies } from "../../components/traffic/traffic-spec";
import { RETRY_AFTER_SECONDS, unavailableConfig, wakeTimeoutSeconds } from "../../components/traffic/wake-spec";
import { validateManifest } from "../harness/manifests";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { plan, stackConfig } from "../harness/stack";
import { checkRoutingOf } from "../harness/routing-checks";

type Obj = Record<string, any>;
const objects = (p: Plan, kind: string) => p.resources.filter((r) => r.custom && r.inputs.kind === kind).map((r) => r.inputs as Obj);
const resolved = (model: Obj) => {
  const r = resolveStack(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, ...model }]), "t");
  if (!r.ok) throw r.error;
  return r.stack.models[0]!;
};

describe("the router behind an ALB", async () => {
  const cert = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-1111-2222-3333-444455556666";
  const p = await plan(stackConfig([
    { id: "Qwen/Qwen3-8B", maxModelLen: 8192, replicas: { min: 1, max: 3 }, exposure: "public" },
    { id: "Qwen/Qwen3-4B", maxModelLen: 8192, replicas: { min: 0, max: 2 }, exposure: "private" },
  ], { "omk:traffic": { domain: "llm.example.com", certificateArn: cert } }));
  const idle = Number(objects(p, "IngressClassParams")[0]!.spec.loadBalancerAttributes.find((a: Obj) => a.key === "idle_timeout.timeout_seconds").value);

  it("keeps idle connections open longer than the ALB, and stays Ready until the ALB routes to its successor", () => {
    const router = objects(p, "Deployment").find((d) => d.metadata.name === "qwen3-8b-router")!;
    const c = router.spec.template.spec.containers[0];
    expect(Number(c.env.find((e: Obj) => e.name === "OMK_ROUTER_KEEP_ALIVE_SECONDS").value)).toBeGreaterThan(idle);
    expect(c.env.find((e: Obj) => e.name === "OMK_ROUTER_LAUNCH").value).toContain("uvicorn.run = functools.partial(uvicorn.run, timeout_keep_alive=");
    expect(c.command[2]).toContain('-c "$OMK_ROUTER_LAUNCH" "$@"');
    expect(router.spec.minReadySeconds).toBeGreaterThanOrEqual(50);
    // Behind the router, vLLM's keep-alive still outlasts the router's pooled connections.
    const server = objects(p, "Deployment").find((d) => d.metadata.name === "qwen3-4b")!.spec.template.spec.containers[0];
    expect(Number(server.env.find((e: Obj) => e.name === "VLLM_HTTP_TIMEOUT_KEEP_ALIVE").value)).toBeGreaterThan(15);
  });

  it("health-checks the interceptor on its readiness and drains its targets as long as it drains streams", () => {
    const ingress = objects(p, "Ingress").find((i) => i.metadata.name === "qwen3-4b")!;
    expect(ingress.metadata.namespace).toBe("keda");
    // The ALB group admits Ingresses from the kit's namespaces only: here also keda, where this one lives.
    const params = objects(p, "IngressClassParams").find((c) => c.spec.scheme === "internal")!;
    expect(params.spec.namespaceSelector.matchExpressions[0].values).toEqual(["omk", "keda"]);
    expect(ingress.metadata.annotations["alb.ingress.kubernetes.io/healthcheck-path"]).toBe("/readyz");
    const values = parse(readFileSync("charts/keda-add-ons-http/values.yaml", "utf8"));
    const delay = /deregistration_delay\.timeout_seconds=(\d+)/.exec(ingress.metadata.annotations["alb.ingress.kubernetes.io/target-group-attributes"])![1];
    expect(Number(delay)).toBe(values.interceptor.terminationGracePeriodSeconds);
    expect(values.interceptor.terminationGracePeriodSeconds).toBeGreaterThan(Number(values.interceptor.drainTimeout.replace(/s$/, "")));
  });
});

describe("routing policy", () => {
  it("defaults to prefix-aware once a model can have two replicas, round-robin for one; an explicit setting wins", () => {
    expect(resolved({}).routing.policy).toBe("round-robin");
    expect(resolved({ replicas: { min: 1, max: 3 } }).routing.policy).toBe("prefix-aware");
    expect(resolved({ replicas: { min: 1, max: 3 }, routing: "round-robin" }).routing.policy).toBe("round-robin");
    expect(resolved({ routing: "session" }).routing).toEqual({ policy: "session", sessionHeader: "x-session-id" });
  });

  it("routes sessions on the named header with the router's session logic", async () => {
    const p = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, replicas: { min: 1, max: 3 }, routing: "session", sessionHeader: "x-user-id" }]));
    const args: string[] = objects(p, "Deployment").find((d) => d.metadata.name === "qwen3-8b-router")!.spec.template.spec.containers[0].args;
    expect(args.slice(args.indexOf("--routing-logic"), args.indexOf("--routing-logic") + 4)).toEqual(["--routing-logic", "session", "--session-key", "x-user-id"]);
    expect(p.models[0]!.routing).toEqual({ policy: "session", component: "vllm-router", sessionHeader: "x-user-id" });
    for (const o of [...objects(p, "Deployment"), ...objects(p, "Role"), ...objects(p, "RoleBinding"), ...objects(p, "Service")]) await validateManifest(o);
  });

  it("has a multi-node model's router discover only the group leaders, which serve the API", async () => {
    const r1 = resolveStack(stackConfig([{ id: "deepseek-ai/DeepSeek-R1", name: "r1", instanceType: "p5.48xlarge", replicas: { min: 1, max: 2 } }]), "t");
    if (!r1.ok) throw r1.error;
    const m = r1.stack.models[0]!;
    expect(m.placement.nodes).toBeGreaterThan(1);
    expect(engineSelector(m)).toBe("app.kubernetes.io/name=vllm,app.kubernetes.io/instance=r1,app.kubernetes.io/component=server,leaderworkerset.sigs.k8s.io/worker-index=0");
    expect(routerArgs(m, "omk")).toContain(engineSelector(m));
    // Under default-deny egress, a group's members still reach each other (Ray, NCCL), and only each other.
    const [server] = buildNetworkPolicies({ model: m, namespace: "omk", albSourceCidrs: [], monitoring: true }) as Obj[];
    expect(server!.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(server!.spec.egress).toEqual([{ to: [{ podSelector: { matchLabels: server!.spec.podSelector.matchLabels } }] }]);
  });

  it("shows a reviewer in omk diff when a change puts a model behind the router, wakes it on request or adds an adapter", async () => {
    const before = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }]));
    const after = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, replicas: { min: 0, max: 2 }, adapters: [{ name: "sql-lora", repo: "my-org/sql-lora", rank: 8 }] }]));
    const [d] = diffModels(before, after);
    expect(d!.fields).toEqual(expect.arrayContaining(["servedModels", "routing", "fromZero"]));
    expect([d!.before!.routing, d!.after!.routing]).toEqual(["round-robin", "prefix-aware (vLLM router)"]);
    expect([d!.before!.fromZero, d!.after!.fromZero]).toEqual(["never", "on-request"]);
    expect(d!.after!.servedModels).toEqual(["qwen3-8b", "sql-lora"]);
    expect(d!.flags.map((f) => f.flag)).toEqual(expect.arrayContaining(["--enable-lora", "--max-lora-rank", "--lora-modules"]));
  });

  it("refuses a credential header as the session key, and warns where the router cannot help or cannot route", async () => {
    const r = resolveStack(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, replicas: { min: 1, max: 2 }, routing: "session", sessionHeader: "Authorization" }]), "t");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/sessionHeader: "Authorization" — carries credentials, not a session/);
    const w = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, routing: "prefix-aware" }]));
    expect(w.warnings.join("\n")).toMatch(/routing is prefix-aware with replicas\.max 1: the router has one replica to choose from/);
    expect(w.warnings.join("\n")).toMatch(/\/v1\/responses and \/v1\/embeddings requests .* fail in the router .* set routing: session/);
  });

  it("refuses replicas that change on a CPU (kind) stack, which installs no KEDA", () => {
    const cpu = parse(readFileSync("test/fixtures/stacks/Pulumi.cpu.yaml", "utf8")).config as Obj;
    const r = resolveStack({ ...cpu, "omk:models": cpu["omk:models"].map((m: Obj) => ({ ...m, replicas: { min: 0, max: 2 } })) }, "t");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/replicas: \{"min":0,"max":2\} — a CPU \(kind\) stack installs no KEDA.*Fix: set replicas\.min = replicas\.max ≥ 1/);
  });

  it("refuses a session header without session routing", () => {
    const r = resolveStack(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, replicas: { min: 1, max: 2 }, sessionHeader: "x-user-id" }]), "t");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/omk:models\[0\]\.sessionHeader: "x-user-id" — applies to routing: session only \(this model routes prefix-aware\)\. Fix: remove sessionHeader, or set routing: session\./);
  });
});

describe("scale from zero on request", async () => {
  const p = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, replicas: { min: 0, max: 2 } }]));
  const router = objects(p, "Deployment").find((d) => d.metadata.name === "qwen3-8b-router")!;

  it("keeps the router unready until it has discovered a replica, so the interceptor holds the first request; Pulumi does not wait for it", async () => {
    const probe = router.spec.template.spec.containers[0].readinessProbe;
    expect(probe.exec.command.slice(0, 2)).toEqual(["python3", "-c"]);
    expect(probe.exec.command[2]).toContain("/v1/models");
    expect(probe.exec.command[3]).toBe("qwen3-8b");
    expect(router.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
    const route = objects(p, "InterceptorRoute")[0]!;
    expect(route.spec.target).toEqual({ service: "qwen3-8b-router", port: 8000 });
    expect(route.spec.rules[0].hosts).toEqual(["qwen3-8b.omk.svc.cluster.local", "qwen3-8b.omk.svc", "qwen3-8b.omk", "qwen3-8b"]);
    await validateManifest(route);
  });

  it("never waits, nor blocks a node drain, on routers that are unready by design while the model sleeps", () => {
    const svc = objects(p, "Service").find((o) => o.metadata.name === "qwen3-8b-router")!;
    expect(svc.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
    for (const pdb of objects(p, "PodDisruptionBudget")) expect(pdb.spec.unhealthyPodEvictionPolicy, pdb.metadata.name).toBe("AlwaysAllow");
    // The model's own name is one resource whatever serves it: here the interceptor.
    const client = p.resources.filter((r) => r.inputs.kind === "Service" && (r.inputs as Obj).metadata.name === "qwen3-8b");
    expect(client).toHaveLength(1);
    expect((client[0]!.inputs as Obj).spec.type).toBe("ExternalName");
  });

  it("holds a request for 1.25 × the cold start, within the ALB idle timeout", () => {
    const cold = { scaleUpSeconds: 600 } as Parameters<typeof wakeTimeoutSeconds>[0];
    expect(wakeTimeoutSeconds(cold, 900)).toBe(750);
    expect(wakeTimeoutSeconds({ ...cold, scaleUpSeconds: 1200 }, 900)).toBe(870);
    expect(p.models[0]!.wakeTimeoutSeconds).toBe(Math.ceil(p.models[0]!.coldStart.scaleUpSeconds * 1.25));
  });

  it("answers 503 with Retry-After and an OpenAI-style JSON error naming the model and its cold start when it cannot start in time", () => {
    const config = unavailableConfig([{ name: "qwen3-8b", hosts: ["qwen3-8b.llm.example.com", "qwen3-8b"], coldStartMinutes: 9 }]);
    expect(config).toContain(`add_header Retry-After ${RETRY_AFTER_SECONDS} always;`);
    expect(config).toMatch(/return 503 '\{"error":\{"message":"\$omk_message","type":"service_unavailable","code":503\}\}';/);
    expect(config).toContain(`"qwen3-8b.llm.example.com" "qwen3-8b is starting from zero (cold start ~9 min, ESTIMATE) and is not ready yet; retry after ${RETRY_AFTER_SECONDS} s.";`);
    // nginx runs unprivileged: every temp path under the writable /tmp.
    expect(config).toContain("pid /tmp/nginx.pid;");
  });

  it("wakes a one-replica model straight to vLLM (round-robin, no router) through its own backend Service", async () => {
    const raw = stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, replicas: { min: 0, max: 1 } }]);
    const one = await plan(raw);
    expect(objects(one, "InterceptorRoute")[0]!.spec.target).toEqual({ service: "qwen3-8b-engine", port: 8000 });
    checkRoutingOf(one, raw);
  });

  it("installs the HTTP add-on only when a model wakes on request, and refuses a model at zero with no way to wake", async () => {
    expect(p.addons.find((a) => a.name === "keda-add-ons-http")).toMatchObject({ install: true, reason: "qwen3-8b wake(s) from zero on the first request" });
    const windowsOnly = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, replicas: { min: 0, max: 1 }, autoscaling: { wakeOnRequest: false, warmWindows: [{ start: "0 8 * * 1-5", end: "0 18 * * 1-5" }] } }]));
    expect(windowsOnly.addons.find((a) => a.name === "keda-add-ons-http")!.install).toBe(false);
    expect(windowsOnly.models[0]!.autoscaling.fromZero).toBe("warm-windows");
    expect(objects(windowsOnly, "InterceptorRoute")).toEqual([]);
  });
});
