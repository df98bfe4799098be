/** Autoscaling, ingress, network policy and monitoring, checked across layers as a reviewer would. */
import { describe, expect, it } from "vitest";
import type { Plan } from "../../cli/engine/plan";
import { resolveStack } from "../../components/config/validate";
import { validateManifest } from "../harness/manifests";
import { ofType, plan, stackConfig } from "../harness/stack";

type Obj = Record<string, any>;
const objects = (p: Plan, kind: string) => p.resources.filter((r) => r.custom && r.inputs.kind === kind).map((r) => r.inputs as Obj);
const cert = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-1111-2222-3333-444455556666";
const publicStack = (extra: Record<string, unknown> = {}) => stackConfig(
  [
    { id: "Qwen/Qwen3-8B", maxModelLen: 8192, replicas: { min: 1, max: 4 }, exposure: "public" },
    { id: "Qwen/Qwen3-4B", maxModelLen: 8192, exposure: "private", replicas: { min: 0, max: 2 }, autoscaling: { warmWindows: [{ start: "0 8 * * 1-5", end: "0 18 * * 1-5", timezone: "Europe/Berlin" }] } },
  ],
  { "omk:traffic": { domain: "llm.example.com", certificateArn: cert }, ...extra },
);

describe("autoscaling that agrees across layers", async () => {
  const p = await plan(publicStack());
  const scalers = objects(p, "ScaledObject");

  it("scales each model on vLLM's queue and KV-cache metrics between its min and max", async () => {
    const s = scalers.find((o) => o.metadata.name === "qwen3-8b")!;
    expect(s.spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 4, scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "qwen3-8b" } });
    expect(s.spec.triggers.map((t: Obj) => t.metadata.query)).toEqual([
      'sum(vllm:num_requests_waiting{namespace="omk",model_name="qwen3-8b"})',
      'avg(vllm:kv_cache_usage_perc{namespace="omk",model_name="qwen3-8b"})',
    ]);
    for (const o of scalers) await validateManifest(o);
  });

  it("scales to zero and wakes in its warm windows (a cron trigger) or on a request (the HTTP add-on's trigger, after its route)", () => {
    const s = scalers.find((o) => o.metadata.name === "qwen3-4b")!;
    expect(s.spec.minReplicaCount).toBe(0);
    expect(s.spec.triggers.find((t: Obj) => t.type === "cron")).toEqual({ type: "cron", name: "warm-0", metadata: { timezone: "Europe/Berlin", start: "0 8 * * 1-5", end: "0 18 * * 1-5", desiredReplicas: "1" } });
    const wake = s.spec.triggers.find((t: Obj) => t.type === "external-push");
    expect(wake.metadata).toEqual({ scalerAddress: "keda-add-ons-http-external-scaler.keda:9090", interceptorRoute: "qwen3-4b" });
    const route = objects(p, "InterceptorRoute").find((o) => o.metadata.name === "qwen3-4b")!;
    expect(route.metadata.namespace).toBe(s.metadata.namespace);
    const scalerUrn = p.resources.find((r) => r.inputs.kind === "ScaledObject" && (r.inputs as Obj).metadata.name === "qwen3-4b")!;
    const routeUrn = p.resources.find((r) => r.inputs.kind === "InterceptorRoute")!.urn;
    expect(scalerUrn.dependencies ?? []).toContain(routeUrn);
    // Never woken by requests: only the warm windows.
    expect(scalers.find((o) => o.metadata.name === "qwen3-8b")!.spec.triggers.some((t: Obj) => t.type === "external-push")).toBe(false);
  });

  it("never lets pods outgrow the GPU pool, and gives a removed pod its full drain time", () => {
    for (const pool of objects(p, "NodePool")) {
      const selected = objects(p, "Deployment").filter((d) => d.spec.template.spec.nodeSelector?.["omk.dev/pool"] === pool.metadata.name);
      const gpus = selected.reduce((n, d) => n + Number(scalers.find((s) => s.metadata.name === d.metadata.name)!.spec.maxReplicaCount) * Number(d.spec.template.spec.containers[0].resources.limits["nvidia.com/gpu"]), 0);
      expect(gpus).toBeLessThanOrEqual(Number(pool.spec.limits["nvidia.com/gpu"]));
    }
    // Servers, and the routers their streams pass through.
    const streaming = objects(p, "Deployment").filter((d) => ["vllm", "vllm-router"].includes(d.metadata.labels["app.kubernetes.io/name"]));
    expect(streaming.length).toBeGreaterThan(2);
    for (const d of streaming) expect(d.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(8192 / 40);
  });

  it("reads Prometheus at the service name the pinned chart creates", () => {
    expect(scalers[0]!.spec.triggers[0].metadata.serverAddress).toBe("http://kube-prometheus-stack-prometheus.monitoring.svc:9090");
  });

  it("states the worst-case scale-up time", () => {
    expect(p.models[0]!.coldStart.scaleUpSeconds).toBeGreaterThan(p.models[0]!.coldStart.nodeBootSeconds);
  });
});

describe("ingress and auth", async () => {
  const p = await plan(publicStack());

  it("routes only /v1 on one host per model, over TLS on an internet-facing or internal ALB", async () => {
    const pub = objects(p, "Ingress").find((o) => o.metadata.name === "qwen3-8b")!;
    expect(pub.spec).toEqual({ ingressClassName: "omk-public", rules: [{ host: "qwen3-8b.llm.example.com", http: { paths: [{ path: "/v1", pathType: "Prefix", backend: { service: { name: "qwen3-8b", port: { name: "http" } } } }] } }] });
    expect(pub.metadata.annotations["alb.ingress.kubernetes.io/listen-ports"]).toBe('[{"HTTPS":443}]');
    const params = objects(p, "IngressClassParams");
    expect(params.map((o) => [o.metadata.name, o.spec.scheme]).sort()).toEqual([["omk-private", "internal"], ["omk-public", "internet-facing"]]);
    for (const o of params) {
      expect(o.spec.certificateARNs).toEqual([cert]);
      expect(o.spec.loadBalancerAttributes).toContainEqual({ key: "idle_timeout.timeout_seconds", value: "900" });
    }
    for (const o of [...objects(p, "Ingress"), ...objects(p, "IngressClass"), ...params]) await validateManifest(o);
    expect(p.endpoints).toEqual({ "qwen3-8b": "https://qwen3-8b.llm.example.com/v1", "qwen3-4b": "https://qwen3-4b.llm.example.com/v1" });
  });

  it("requests a DNS-validated wildcard certificate when given a domain and hosted zone instead of an ARN", async () => {
    const q = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, exposure: "public" }], { "omk:traffic": { domain: "llm.example.com", hostedZoneId: "Z0123456789ABC" } }));
    const certificate = q.resources.find((r) => r.type === "aws:acm/certificate:Certificate")!;
    expect(certificate.inputs).toMatchObject({ domainName: "*.llm.example.com", validationMethod: "DNS" });
    expect(q.resources.find((r) => r.type === "aws:route53/record:Record")!.inputs).toMatchObject({ zoneId: "Z0123456789ABC", type: "CNAME" });
    expect(objects(q, "IngressClassParams")[0]!.spec.certificateARNs).toEqual([expect.stringMatching(/^arn:aws:acm:us-east-1:\d+:certificate\//)]);
    expect(q.endpoints["qwen3-8b"]).toBe("https://qwen3-8b.llm.example.com/v1");
  });

  it("checks the API key in the guard, which reads it from a Secret volume, and never prints a key", async () => {
    const supplied = "sk-omk-supplied-key-0123456789abcdef";
    const q = await plan(publicStack({ "omk:apiKey": supplied }));
    const pod = objects(q, "Deployment").find((d) => d.metadata.name === "qwen3-8b")!.spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: "api-guard-keys", secret: { secretName: "qwen3-8b-api-key", defaultMode: 0o444, items: [{ key: "keys.conf", path: "keys.conf" }] } });
    expect(pod.containers.flatMap((c: Obj) => c.env ?? []).map((e: Obj) => e.name)).not.toContain("VLLM_API_KEY");
    expect(JSON.stringify(q)).not.toContain(supplied);
    expect(objects(q, "Secret").every((s) => Object.values(s.stringData).every((v) => v === "[secret]"))).toBe(true);
  });
});

describe("network policy", async () => {
  const p = await plan(publicStack());
  it("admits only the ALB's subnets (an internet-facing ALB sits in the public ones) and Prometheus at the router, and only the router at vLLM", async () => {
    const policies = objects(p, "NetworkPolicy");
    const router = policies.find((o) => o.metadata.name === "qwen3-8b-router")!;
    const server = policies.find((o) => o.metadata.name === "qwen3-8b")!;
    // The subnets the ALB controller may place an internet-facing ALB in: tagged kubernetes.io/role/elb.
    const albSubnets = ofType(p, "aws:ec2/subnet:Subnet").filter((s) => (s.inputs.tags as Obj)?.["kubernetes.io/role/elb"] === "1").map((s) => s.inputs.cidrBlock);
    expect(albSubnets.length).toBeGreaterThanOrEqual(2);
    const monitoring = { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }], ports: [{ protocol: "TCP", port: 8000 }] };
    expect(router.spec.ingress).toEqual([{ from: albSubnets.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: 8000 }] }, monitoring]);
    expect(server.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: router.spec.podSelector.matchLabels } }], ports: [{ protocol: "TCP", port: 8000 }] }, monitoring]);
    // A model woken on request also admits the interceptor at its front (it sends to pod IPs directly).
    const woken = policies.find((o) => o.metadata.name === "qwen3-4b-router")!;
    expect(woken.spec.ingress[0].from).toContainEqual({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "keda" } } });
    for (const np of policies) await validateManifest(np);
  });

  it("admits internal clients only from namespaces labelled omk.dev/llm-client", async () => {
    const q = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }]));
    expect(objects(q, "NetworkPolicy").find((o) => o.metadata.name === "qwen3-8b")!.spec.ingress[0].from[0]).toEqual({ namespaceSelector: { matchLabels: { "omk.dev/llm-client": "true" } } });
  });

  it("denies everything by default, in and out, and opens egress only for DNS, the Pod Identity agent, HTTPS by need and a model's own pods", async () => {
    const q = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, replicas: { min: 1, max: 2 } }]));
    const byName = (n: string) => objects(q, "NetworkPolicy").find((o) => o.metadata.name === n)!;
    expect(byName("omk-default-deny").spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    // Every pod: DNS, and the Pod Identity agent on the node (credentials for S3). No HTTPS without a label.
    expect(byName("omk-egress").spec.egress).toEqual([
      { ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] },
      { to: [{ ipBlock: { cidr: "169.254.170.23/32" } }], ports: [{ protocol: "TCP", port: 80 }] },
    ]);
    expect(byName("omk-egress-internet").spec).toMatchObject({ podSelector: { matchLabels: { "omk.dev/egress": "internet" } }, egress: [{ ports: [{ protocol: "TCP", port: 443 }] }] });
    // The router may reach its own servers on the vLLM port, nothing else new.
    const router = byName("qwen3-8b-router");
    expect(router.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(router.spec.egress).toEqual([{ to: [{ podSelector: { matchLabels: byName("qwen3-8b").spec.podSelector.matchLabels } }], ports: [{ protocol: "TCP", port: 8000 }] }]);
    for (const np of objects(q, "NetworkPolicy")) await validateManifest(np);
  });

  it("lets a server streaming from the S3 store reach only the region's S3 ranges, and every Hub download reach the internet", async () => {
    const q = await plan(stackConfig([
      { id: "Qwen/Qwen3-8B", name: "from-s3", maxModelLen: 8192, weights: { source: "s3" } },
      { id: "Qwen/Qwen3-4B", name: "from-hub", maxModelLen: 8192, weights: { source: "huggingface" } },
    ], { "omk:hfToken": { secure: "v1:offline" } }));
    const s3 = objects(q, "NetworkPolicy").find((o) => o.metadata.name === "omk-egress-s3")!;
    // Offline, the region's prefix list is a documentation range (pulumi preview reads the real one).
    expect(s3.spec).toEqual({ podSelector: { matchLabels: { "omk.dev/egress": "s3" } }, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "198.51.100.0/24" } }], ports: [{ protocol: "TCP", port: 443 }] }] });
    const pods = q.resources.filter((r) => ["Deployment", "Job", "CronJob"].includes(String(r.inputs.kind))).map((r) => {
      const spec = r.inputs.spec as Obj;
      const t = spec.template ?? spec.jobTemplate.spec.template;
      return { name: (r.inputs.metadata as Obj).name as string, egress: t.metadata.labels["omk.dev/egress"], env: [...(t.spec.initContainers ?? []), ...t.spec.containers].flatMap((c: Obj) => c.env ?? []).map((e: Obj) => e.name) };
    });
    expect(pods.find((p) => p.name === "from-s3")!.egress).toBe("s3");
    // Confined to S3, it fails fast instead of waiting on dropped packets, and sends no usage report.
    expect(pods.find((p) => p.name === "from-s3")!.env).toEqual(expect.arrayContaining(["HF_HUB_OFFLINE", "VLLM_NO_USAGE_STATS"]));
    expect(pods.find((p) => p.name === "from-hub")!.egress).toBe("internet");
    expect(pods.find((p) => p.name.endsWith("mirror-from-s3") || p.name.includes("mirror"))!.egress).toBe("internet");
    // A pod that holds the Hub token is one that talks to the Hub: it is never confined to S3.
    const holders = pods.filter((x) => x.env.includes("HF_TOKEN"));
    expect(holders.map((p) => p.name).sort()).toEqual(["from-hub", expect.stringMatching(/mirror/)]);
    for (const p of holders) expect(p.egress, p.name).toBe("internet");
  });

  it("keeps internet egress for a model whose start downloads more than its weights (gpt-oss's Harmony vocabulary)", async () => {
    const q = await plan(stackConfig([{ id: "openai/gpt-oss-20b", maxModelLen: 8192, weights: { source: "s3" } }]));
    const dep = objects(q, "Deployment").find((d) => d.metadata.name === "gpt-oss-20b")!;
    expect(dep.spec.template.metadata.labels["omk.dev/egress"]).toBe("internet");
    expect(dep.spec.template.spec.containers[0].env.map((e: Obj) => e.name)).not.toContain("HF_HUB_OFFLINE");
  });
});

describe("observability", async () => {
  const p = await plan(publicStack());
  it("scrapes every model, alerts on queueing, KV cache, restarts and 5xx, and provisions the dashboard", async () => {
    expect(objects(p, "PodMonitor").map((o) => o.metadata.name).sort()).toEqual(["qwen3-4b", "qwen3-4b-router", "qwen3-8b", "qwen3-8b-router"]);
    // The router reuses vLLM's metric names: renamed on scrape, they never mix into the servers' series.
    const routerMonitor = objects(p, "PodMonitor").find((o) => o.metadata.name === "qwen3-8b-router")!;
    expect(routerMonitor.spec.podMetricsEndpoints[0].metricRelabelings).toEqual([{ sourceLabels: ["__name__"], regex: "vllm:(.*)", targetLabel: "__name__", replacement: "vllm_router:$1", action: "replace" }]);
    const rules = objects(p, "PrometheusRule")[0]!;
    expect(rules.spec.groups[0].rules.map((r: Obj) => r.alert)).toEqual(["VllmRequestsQueueing", "VllmKvCacheFull", "VllmRestarting", "VllmServerErrors"]);
    const dashboard = JSON.parse(objects(p, "ConfigMap").find((o) => o.metadata.labels?.grafana_dashboard === "1")!.data["open-model-kit.json"]);
    const exprs = dashboard.panels.map((x: Obj) => x.targets[0].expr).join("\n");
    for (const metric of ["vllm:time_to_first_token_seconds_bucket", "vllm:inter_token_latency_seconds_bucket", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc", "vllm:generation_tokens_total", "nvidia_com_gpu"]) expect(exprs).toContain(metric);
    for (const o of [...objects(p, "PodMonitor"), rules]) await validateManifest(o);
  });

  it("adds per-GPU panels and XID / temperature alerts when the DCGM exporter runs, and none without it", async () => {
    const rules = objects(p, "PrometheusRule")[0]!;
    expect(rules.spec.groups.map((g: Obj) => g.name)).toContain("open-model-kit.gpu");
    const xid = rules.spec.groups.flatMap((g: Obj) => g.rules).find((r: Obj) => r.alert === "GpuXidError");
    // $value must be the XID code, so the gauge is the left operand.
    expect(xid.expr).toMatch(/^DCGM_FI_DEV_XID_ERRORS > 0 and changes\(DCGM_FI_DEV_XID_ERRORS\[/);
    const panels = (q: Plan) => JSON.parse(objects(q, "ConfigMap").find((o) => o.metadata.labels?.grafana_dashboard === "1")!.data["open-model-kit.json"]).panels.map((x: Obj) => x.targets[0].expr).join("\n");
    for (const metric of ["DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_POWER_USAGE", "DCGM_FI_DEV_GPU_TEMP"]) expect(panels(p)).toContain(metric);
    const without = await plan(publicStack({ "omk:addons": { dcgmExporter: "off" } }));
    expect(panels(without)).not.toContain("DCGM_");
    expect(objects(without, "PrometheusRule")[0]!.spec.groups.map((g: Obj) => g.name)).toEqual(["open-model-kit.vllm"]);
  });

  it("warns when alerts have no receiver", () => {
    expect(p.warnings.join("\n")).toMatch(/no receiver: set omk:alertSlackWebhookUrl/);
  });
});

describe("alert routing", async () => {
  const slack = "https://hooks.slack.com/services/T000/B000/secretpart";
  const topic = "arn:aws:sns:eu-west-1:123456789012:omk-alerts";
  const p = await plan(publicStack({ "omk:alertSlackWebhookUrl": slack, "omk:observability": { alertSnsTopicArn: topic } }));
  const config = objects(p, "AlertmanagerConfig")[0]!;

  it("routes warning and critical alerts to Slack and SNS, with the webhook URL only in a Secret", async () => {
    expect(config.metadata).toMatchObject({ namespace: "monitoring", labels: { "omk.dev/alerting": "true" } });
    // Only the kit's alerts, each labelled source=open-model-kit (not the cluster's default rules).
    expect(config.spec.route.matchers).toEqual([{ name: "severity", matchType: "=~", value: "warning|critical" }, { name: "source", matchType: "=", value: "open-model-kit" }]);
    const rules = objects(p, "PrometheusRule")[0]!.spec.groups.flatMap((g: Obj) => g.rules);
    for (const r of rules) expect(r.labels, r.alert).toMatchObject({ source: "open-model-kit" });
    const receiver = config.spec.receivers[0];
    expect(receiver.slackConfigs[0].apiURL).toEqual({ name: "omk-alert-receivers", key: "slack-webhook-url" });
    // SNS is signed in the topic's region, not the cluster's.
    expect(receiver.snsConfigs[0]).toMatchObject({ topicARN: topic, sigv4: { region: "eu-west-1" } });
    expect(receiver.webhookConfigs).toBeUndefined();
    expect(JSON.stringify(config)).not.toContain("secretpart");
    const secret = p.resources.find((r) => r.inputs.kind === "Secret" && (r.inputs.metadata as Obj).name === "omk-alert-receivers")!;
    expect((secret.inputs.metadata as Obj).namespace).toBe("monitoring");
    // Nothing the plan records or prints (plan.json, the PR comment) carries the URL.
    expect(JSON.stringify(p)).not.toContain("secretpart");
    await validateManifest(config);
  });

  it("lets only Alertmanager's service account publish, to that topic only, before Alertmanager starts", () => {
    const association = ofType(p, "aws:eks/podIdentityAssociation:PodIdentityAssociation").find((a) => a.inputs.serviceAccount === "kube-prometheus-stack-alertmanager")!;
    expect(association.inputs.namespace).toBe("monitoring");
    const policy = ofType(p, "aws:iam/rolePolicy:RolePolicy").map((r) => JSON.parse(String(r.inputs.policy))).find((d) => d.Statement[0].Action === "sns:Publish")!;
    expect(policy.Statement).toEqual([{ Effect: "Allow", Action: "sns:Publish", Resource: topic }]);
    const release = ofType(p, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "kube-prometheus-stack")!;
    expect(release.dependencies).toContain(association.urn);
    expect(p.warnings.join("\n")).not.toMatch(/no receiver/);
  });

  it("installs Prometheus for alerts alone, and refuses receivers with Prometheus off", async () => {
    const alone = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }], { "omk:observability": { alertSnsTopicArn: topic } }));
    expect(alone.addons.find((a) => a.name === "kube-prometheus-stack")).toMatchObject({ install: true, reason: expect.stringMatching(/alert receivers/) });
    const off = resolveStack(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }], { "omk:observability": { alertSnsTopicArn: topic }, "omk:addons": { prometheus: "off" } }), "t");
    expect(off.ok).toBe(false);
    if (!off.ok) expect(off.error.message).toMatch(/omk:addons.prometheus: .*is off, but omk:observability.alertSnsTopicArn/);
  });
});

describe("inconsistent traffic settings are config errors with the fix", () => {
  const one = (model: Obj, extra: Record<string, unknown> = {}) => resolveStack(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, ...model }], extra), "t");
  it.each([
    [{ replicas: { min: 0, max: 2 }, autoscaling: { wakeOnRequest: false } }, {}, "omk:models[0].autoscaling.wakeOnRequest", /needs a wake-up signal.*add autoscaling\.warmWindows/],
    [{ exposure: "public" }, { "omk:traffic": { domain: "llm.example.com" } }, "omk:traffic.certificateArn", /public endpoints are served over TLS only/],
    [{ exposure: "public", auth: false }, { "omk:traffic": { domain: "llm.example.com", certificateArn: cert } }, "omk:models[0].auth", /must require an API key/],
    [{ exposure: "private" }, {}, "omk:models[0].host", /required for exposure private/],
    [{ replicas: { min: 1, max: 3 } }, { "omk:addons": { keda: "off" } }, "omk:addons", /needs KEDA and Prometheus/],
    [{ replicas: { min: 1, max: 5 } }, { "omk:capacity": { maxGpus: 3 } }, "omk:capacity.maxGpus", /can use 5 GPUs at max replicas \(qwen3-8b 5 × 1\): 2 over the budget.*raise maxGpus to 5/],
    [{ replicas: { min: 3, max: 1 } }, {}, "omk:models[0].replicas", /min is greater than max/],
    [{ replicas: { min: 1, max: 3 } }, { "omk:capacity": { mode: "managed" } }, "omk:models[0].replicas", /managed node groups do not add GPU nodes/],
  ])("%j %j → %s", (model, extra, key, message) => {
    const r = one(model, extra);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const p = r.error.problems.find((x) => x.path === key);
    expect(p, r.error.message).toBeDefined();
    expect(`${p!.message} Fix: ${p!.fix}`).toMatch(message);
  });

  it("rejects scale-to-zero for a multi-node model", () => {
    const r = resolveStack(stackConfig([{ id: "deepseek-ai/DeepSeek-R1", instanceType: "p5.48xlarge", replicas: { min: 0, max: 1 }, autoscaling: { warmWindows: [{ start: "0 8 * * *", end: "0 18 * * *" }] } }]), "t");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/scale-to-zero is not supported for deepseek-r1: a replica spans 2 nodes/);
  });
});
