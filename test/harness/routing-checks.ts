/**
 * What a production reviewer checks in any planned stack's routing and scale-from-zero objects: requests reach the
 * replicas the way plan.json says (through the router's Service, or vLLM's), the router discovers exactly the
 * model's serving pods with the key vLLM demands and nothing more than a pod watch, and a model woken on request
 * is held by the interceptor no longer than the ALB waits, with a 503 + Retry-After fallback behind it.
 */
import { expect } from "vitest";
import type { Plan } from "../../cli/engine/plan";

type Obj = Record<string, any>;

const objs = (p: Plan, kind: string): Obj[] => p.resources.filter((r) => r.custom && (r.inputs as Obj).kind === kind).map((r) => r.inputs as Obj);
const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
const flag = (args: readonly string[], name: string) => args[args.indexOf(name) + 1];

export function checkRoutingOf(p: Plan, raw: Obj): void {
  const rawModels: Obj[] = raw.config?.["omk:models"] ?? raw["omk:models"] ?? [];
  for (const m of p.models) {
    const entry = rawModels.find((e) => (e.name ?? "") === m.name) ?? rawModels[p.models.indexOf(m)] ?? {};
    const deployments = objs(p, "Deployment");
    const server = [...deployments, ...objs(p, "LeaderWorkerSet")].find((w) => w.metadata.name === m.name)!;
    const serverLabels = (server.kind === "Deployment" ? server.spec.template : server.spec.leaderWorkerTemplate.leaderTemplate).metadata.labels;
    const router = deployments.find((d) => d.metadata.name === `${m.name}-router`);
    const services = objs(p, "Service").filter((s) => s.metadata.namespace === server.metadata.namespace);
    // The documented default: prefix-aware as soon as the model can have more than one replica.
    if (!entry.routing) expect(m.routing.policy, m.name).toBe(m.replicas.max > 1 ? "prefix-aware" : "round-robin");
    expect(Boolean(router), m.name).toBe(m.routing.component === "vllm-router");
    const wakes = m.autoscaling.fromZero === "on-request";
    const backendName = wakes ? (router ? `${m.name}-router` : `${m.name}-engine`) : m.name;
    const backend = services.find((s) => s.metadata.name === backendName);
    expect(backend, `${m.name}: backend Service ${backendName}`).toBeDefined();
    if (router) {
      const pod = router.spec.template;
      const c = pod.spec.containers[0];
      expect(selects(backend!.spec.selector, pod.metadata.labels), `${m.name}: ${backendName} selects the router`).toBe(true);
      expect(flag(c.args, "--routing-logic"), m.name).toBe(m.routing.policy === "session" ? "session" : "prefixaware");
      // Discovery: the selector picks the model's serving pods (the leader of a multi-node group), never the routers.
      const selector = Object.fromEntries(flag(c.args, "--k8s-label-selector")!.split(",").map((kv: string) => kv.split("=")));
      expect(selects(selector, serverLabels), `${m.name}: router discovers its servers`).toBe(true);
      expect(selects(selector, pod.metadata.labels), `${m.name}: router never discovers routers`).toBe(false);
      expect(flag(c.args, "--k8s-namespace"), m.name).toBe(server.metadata.namespace);
      // vLLM answers /v1/models only with its key: without it the router discovers nothing.
      if (m.auth) expect(c.env.find((e: Obj) => e.name === "VLLM_API_KEY")?.valueFrom?.secretKeyRef?.name, m.name).toBe(`${m.name}-api-key`);
      const role = objs(p, "Role").find((r) => r.metadata.name === `${m.name}-router`)!;
      expect(role.rules, m.name).toEqual([{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }]);
      expect(c.image, m.name).toMatch(/:v\d+\.\d+\.\d+$|@sha256:/);
      expect(pod.spec.securityContext.runAsNonRoot, m.name).toBe(true);
    } else {
      expect(selects(backend!.spec.selector, serverLabels), `${m.name}: ${backendName} selects vLLM`).toBe(true);
    }
    const ingress = objs(p, "Ingress").find((i) => i.metadata.name === m.name);
    const scaler = objs(p, "ScaledObject").find((s) => s.metadata.name === m.name);
    if (!wakes) {
      if (ingress) expect(ingress.spec.rules[0].http.paths[0].backend.service.name, m.name).toBe(m.name);
      expect(scaler?.spec.triggers.some((t: Obj) => t.type === "external-push") ?? false, m.name).toBe(false);
      continue;
    }
    const route = objs(p, "InterceptorRoute").find((r) => r.metadata.name === m.name)!;
    expect(route.spec.target.service, m.name).toBe(backendName);
    expect(scaler!.spec.minReplicaCount, m.name).toBe(0);
    expect(scaler!.spec.triggers.find((t: Obj) => t.type === "external-push")?.metadata.interceptorRoute, m.name).toBe(m.name);
    // Held at least one uncached cold start, and answered before the ALB gives up on the idle connection.
    const readiness = Number(String(route.spec.timeouts.readiness).replace(/s$/, ""));
    expect(readiness, m.name).toBeGreaterThanOrEqual(m.coldStart.scaleUpSeconds);
    const idle = objs(p, "IngressClassParams").flatMap((c) => c.spec.loadBalancerAttributes ?? []).find((a: Obj) => a.key === "idle_timeout.timeout_seconds");
    if (idle) expect(readiness, m.name).toBeLessThan(Number(idle.value));
    expect(route.spec.timeouts.responseHeader, m.name).toBe("0s");
    const fallback = services.find((s) => s.metadata.name === route.spec.coldStart.fallback.service.name)!;
    expect(fallback.spec.ports[0].port, m.name).toBe(route.spec.coldStart.fallback.service.port);
    const config = objs(p, "ConfigMap").find((c) => c.metadata.name === fallback.metadata.name)!.data["nginx.conf"];
    expect(config).toMatch(/add_header Retry-After \d+ always;/);
    expect(config).toContain("return 503");
    // In-cluster clients keep the model's name and are held too; the ALB reaches the interceptor from its namespace.
    expect(services.find((s) => s.metadata.name === m.name)?.spec, m.name).toMatchObject({ type: "ExternalName", externalName: "keda-add-ons-http-interceptor-proxy.keda.svc.cluster.local" });
    if (ingress) {
      expect(ingress.metadata.namespace, m.name).toBe("keda");
      expect(route.spec.rules[0].hosts, m.name).toContain(ingress.spec.rules[0].host);
    }
    expect(p.addons.find((a) => a.name === "keda-add-ons-http")?.install, m.name).toBe(true);
  }
  if (!p.models.some((m) => m.autoscaling.fromZero === "on-request")) expect(p.addons.find((a) => a.name === "keda-add-ons-http")?.install ?? false).toBe(false);
}
