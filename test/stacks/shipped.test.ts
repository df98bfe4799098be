/**
 * Every stack in stacks/, planned once: it plans cleanly, every manifest passes its schema, it passes its
 * environment's policies, its committed resource-graph snapshot is current (`npx omk sync` rebuilds it), and its
 * rendered resources read right to a production reviewer checking them against the EKS, Elastic Load Balancing
 * and vLLM docs (each assertion names the constraint it checks). Stacks are discovered, so a fork's own stacks
 * are held to the same bar.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { resourceGraph } from "../../cli/engine/graph";
import { SNAPSHOT_DIR } from "../../cli/commands/sync";
import { shippedStacks } from "../../cli/commands/stacks";
import type { Plan } from "../../cli/engine/plan";
import { findInstance } from "../../components/catalog/instances";
import { findModel } from "../../components/catalog/models";
import { readStackFile, stackFilePath } from "../../components/config/load";
import { diffPlans } from "../../cli/engine/diff";
import { allows, type Policy } from "../harness/iam";
import { ofType, plan } from "../harness/stack";
import { checkRoutingOf } from "../harness/routing-checks";
import { afterRefresh } from "../harness/refresh";

type Obj = Record<string, any>;
const k8s = (p: Plan, kind: string): Obj[] => p.resources.filter((r) => r.custom && (r.inputs as Obj).kind === kind).map((r) => r.inputs as Obj);
const servers = (p: Plan) => [...k8s(p, "Deployment"), ...k8s(p, "LeaderWorkerSet")].filter((w) => w.metadata?.labels?.["app.kubernetes.io/component"] === "server");
const podSpecs = (w: Obj): Obj[] => (w.kind === "Deployment" ? [w.spec.template.spec] : [w.spec.leaderWorkerTemplate.leaderTemplate.spec, w.spec.leaderWorkerTemplate.workerTemplate.spec]);

it("keeps no snapshot of a stack that is gone (npx omk sync removes it)", () => {
  const stacks = new Set(shippedStacks());
  expect(readdirSync(SNAPSHOT_DIR).filter((f) => f.endsWith(".txt") && !stacks.has(f.slice(0, -4)))).toEqual([]);
});

describe.each(shippedStacks())("stack %s", (stack) => {
  let p: Plan;
  let raw: Obj;
  beforeAll(async () => {
    raw = readStackFile(stackFilePath(stack)) as Obj;
    p = await plan(raw);
  });
  const gpu = () => p.models.some((m) => m.instanceType !== "cpu");
  const created = () => p.cluster.mode === "create";

  it("plans with valid manifests, no policy violation and a current resource-graph snapshot", () => {
    expect(p.manifestProblems).toEqual([]);
    // As `pulumi preview` with the pack would: each violation names its policy and what to change.
    // Advisory findings are allowed only where the environment's policy config deliberately downgrades that policy
    // (dev: an API endpoint open to a laptop); everything else must pass outright.
    const downgraded = new Set(Object.entries(p.policy.config ? JSON.parse(readFileSync(p.policy.config, "utf8")) as Record<string, { enforcementLevel?: string }> : {}).filter(([, v]) => v?.enforcementLevel === "advisory").map(([k]) => k));
    const blocking = p.policy.violations.filter((v) => v.level === "mandatory" || !downgraded.has(v.policy));
    expect(blocking.map((v) => `${v.level} ${v.policy}: ${v.message}`), `${stack} fails its environment's policies (${p.policy.config ?? "pack defaults"})`).toEqual([]);
    const file = path.join(SNAPSHOT_DIR, `${stack}.txt`);
    expect(existsSync(file), `${path.relative(process.cwd(), file)} is missing: run npx omk sync`).toBe(true);
    expect(resourceGraph(p.resources), `the ${stack} snapshot is stale: run npx omk sync and review the diff`).toBe(readFileSync(file, "utf8"));
  });

  it("`pulumi refresh` then `pulumi up` changes nothing on a healthy stack (no self-deleting object, no field a controller owns)", () => {
    const next = diffPlans(stack, afterRefresh(p), p);
    expect({ added: next.added.map((r) => r.name), removed: next.removed.map((r) => r.name), changed: next.changed.map((c) => `${c.name}: ${c.changes.map((x) => `${x.path} ${JSON.stringify(x.before)} → ${JSON.stringify(x.after)}`).join(", ")}`) })
      .toEqual({ added: [], removed: [], changed: [] });
  });

  it("routes each model as plan.json says (through the router or its Service), and wakes a model at zero on a request", () => {
    checkRoutingOf(p, raw);
  });

  it("routes S3 (weights, ECR image layers) through a gateway endpoint on every private route table, not the NAT", () => {
    if (!created()) return;
    const endpoints = ofType(p, "aws:ec2/vpcEndpoint:VpcEndpoint").map((r) => r.inputs as Obj);
    expect(endpoints).toEqual([expect.objectContaining({ serviceName: `com.amazonaws.${p.region}.s3`, vpcEndpointType: "Gateway" })]);
    const privateTables = ofType(p, "aws:ec2/routeTable:RouteTable").filter((r) => (r.inputs as Obj).routes.some((x: Obj) => x.natGatewayId));
    expect(endpoints[0]!.routeTableIds).toHaveLength(privateTables.length);
  });

  it("rolls GPU servers surge-first, and every GPU pool has room for the surge replica", () => {
    if (!gpu()) return;
    const managed = p.cluster.capacity === "managed";
    for (const w of servers(p)) {
      const strategy = w.kind === "Deployment" ? w.spec.strategy.rollingUpdate : w.spec.rolloutStrategy.rollingUpdateConfiguration;
      expect(strategy, w.metadata.name).toEqual(managed ? { maxSurge: 0, maxUnavailable: 1 } : { maxSurge: 1, maxUnavailable: 0 });
    }
    for (const pool of p.pools) {
      const models = p.models.filter((m) => pool.models.includes(m.name));
      const atMax = models.reduce((n, m) => n + m.gpusPerReplica * m.replicas.max, 0);
      const surge = managed ? 0 : models.reduce((n, m) => n + (m.replicas.max > 0 ? m.nodes * pool.gpusPerNode : 0), 0);
      expect(pool.gpuLimit, pool.name).toBeGreaterThanOrEqual(atMax + surge);
    }
  });

  /** vLLM's drain window: its --shutdown-timeout (vLLM aborts in-flight requests on SIGTERM without it). */
  const shutdownTimeout = (w: Obj): number => {
    const c = podSpecs(w)[0]!.containers[0];
    const args: string[] = c.command[0] === "/bin/sh" ? String(c.args[0]).split(" ") : c.args;
    return Number(args[args.indexOf("--shutdown-timeout") + 1]);
  };

  it("drains in vLLM (--shutdown-timeout) within the pod's grace period, and keeps the pod until its streams finish", () => {
    for (const w of servers(p)) {
      const spec = podSpecs(w)[0]!;
      const drain = shutdownTimeout(w);
      expect(drain, w.metadata.name).toBeGreaterThan(0);
      // vLLM's Kubernetes guide: terminationGracePeriodSeconds >= preStop sleep + --shutdown-timeout.
      const preStop = Number(spec.containers[0].lifecycle.preStop.exec.command[1]);
      expect(spec.terminationGracePeriodSeconds, w.metadata.name).toBeGreaterThan(preStop + drain);
    }
  });

  it("drains ALB targets for as long as the pod drains, balances by outstanding requests, and idles long enough for a full generation", () => {
    const ingresses = k8s(p, "Ingress");
    for (const ing of ingresses) {
      const server = servers(p).find((w) => w.metadata.name === ing.spec.rules[0].http.paths[0].backend.service.name)!;
      const grace = podSpecs(server)[0]!.terminationGracePeriodSeconds;
      const attrs = String(ing.metadata.annotations["alb.ingress.kubernetes.io/target-group-attributes"]);
      expect(attrs).toContain(`deregistration_delay.timeout_seconds=${grace}`);
      expect(grace).toBeLessThanOrEqual(3600); // ALB's maximum deregistration delay
      expect(attrs).toContain("load_balancing.algorithm.type=least_outstanding_requests");
      // The ALB may route to a new target only once it is healthy: the rollout waits that long before stopping an old one.
      const a = ing.metadata.annotations;
      const healthy = Number(a["alb.ingress.kubernetes.io/healthcheck-interval-seconds"]) * Number(a["alb.ingress.kubernetes.io/healthy-threshold-count"]);
      if (server.kind === "Deployment") expect(server.spec.minReadySeconds, server.metadata.name).toBeGreaterThan(healthy);
    }
    for (const params of k8s(p, "IngressClassParams")) {
      const idle = Number(params.spec.loadBalancerAttributes.find((a: Obj) => a.key === "idle_timeout.timeout_seconds").value);
      expect(idle).toBeLessThanOrEqual(4000);
      const exposed = servers(p).filter((w) => ingresses.some((i) => i.spec.rules[0].http.paths[0].backend.service.name === w.metadata.name));
      for (const w of exposed) {
        expect(idle).toBeGreaterThanOrEqual(Math.min(4000, shutdownTimeout(w)));
        // The pod's server (the API guard) keeps idle connections open longer than the ALB, or the ALB reuses closed
        // ones and answers 502; it waits for vLLM's next bytes at least as long as the ALB would; and vLLM keeps its
        // connections to the guard open longer than the guard pools them.
        const conf = String(k8s(p, "ConfigMap").find((c) => c.metadata.name === `${w.metadata.name}-api-guard`)?.data?.["nginx.conf"]);
        const seconds = (re: RegExp) => Number(re.exec(conf)?.[1]);
        expect(seconds(/listen \d+;\s*keepalive_timeout (\d+)s;/), w.metadata.name).toBeGreaterThan(idle);
        expect(seconds(/proxy_read_timeout (\d+)s;/), w.metadata.name).toBeGreaterThanOrEqual(idle);
        const env = Object.fromEntries(podSpecs(w)[0]!.containers[0].env.filter((e: Obj) => "value" in e).map((e: Obj) => [e.name, e.value]));
        expect(Number(env.VLLM_HTTP_TIMEOUT_KEEP_ALIVE), w.metadata.name).toBeGreaterThan(seconds(/upstream vllm \{[^}]*keepalive_timeout (\d+)s;/));
      }
    }
  });

  it("lets Kubernetes and Pulumi wait a whole cold start before calling a rollout stuck", () => {
    for (const w of servers(p).filter((x) => x.kind === "Deployment")) {
      const probe = podSpecs(w)[0]!.containers[0].startupProbe;
      expect(w.spec.progressDeadlineSeconds, w.metadata.name).toBeGreaterThan(probe.periodSeconds * probe.failureThreshold);
    }
  });

  it("admits load-balancer traffic only from the load balancer's own subnets", () => {
    if (!created()) return;
    const subnets = ofType(p, "aws:ec2/subnet:Subnet").map((r) => r.inputs as Obj);
    const cidrsWith = (tag: string) => subnets.filter((s) => s.tags[tag] === "1").map((s) => s.cidrBlock).sort();
    const blocksOf = (np: Obj) => np.spec.ingress.flatMap((r: Obj) => (r.from ?? []).map((f: Obj) => f.ipBlock?.cidr).filter(Boolean)).sort();
    for (const model of p.models.filter((m) => m.exposure !== "internal")) {
      const policies = k8s(p, "NetworkPolicy");
      const server = policies.find((np) => np.metadata.name === model.name)!;
      // Behind a router, the ALB reaches the router and the servers admit only the router.
      const front = model.routing.component === "vllm-router" ? policies.find((np) => np.metadata.name === `${model.name}-router`)! : server;
      expect(blocksOf(front), model.name).toEqual(cidrsWith(model.exposure === "public" ? "kubernetes.io/role/elb" : "kubernetes.io/role/internal-elb"));
      if (front !== server) {
        expect(blocksOf(server), model.name).toEqual([]);
        expect(server.spec.ingress[0].from, model.name).toEqual([{ podSelector: { matchLabels: front.spec.podSelector.matchLabels } }]);
      }
    }
  });

  it("gives each server's startup probe 2.5 × an uncached start (30 min or more for 100B+ models), and the plan shows the estimate", () => {
    for (const w of servers(p)) {
      const model = p.models.find((m) => m.name === w.metadata.name)!;
      const probe = podSpecs(w)[0]!.containers[0].startupProbe;
      const budget = probe.periodSeconds * probe.failureThreshold;
      expect(budget, model.name).toBeGreaterThanOrEqual(model.coldStart.containerStartSeconds * 2.5);
      if ((findModel(model.model)?.totalParamsB ?? 0) >= 100) expect(budget, model.name).toBeGreaterThanOrEqual(1800);
    }
  });

  it("keeps every compile cache on the pod's cache volume, and shares it through S3 where weights come from S3", () => {
    for (const w of servers(p)) {
      const spec = podSpecs(w)[0]!;
      const env = Object.fromEntries(spec.containers[0].env.filter((e: Obj) => "value" in e).map((e: Obj) => [e.name, e.value]));
      for (const key of ["HF_HOME", "VLLM_CACHE_ROOT", "TRITON_CACHE_DIR", "DG_JIT_CACHE_DIR", "FLASHINFER_WORKSPACE_BASE", "XDG_CACHE_HOME"]) expect(String(env[key]), key).toMatch(/^\/cache\//);
      const model = p.models.find((m) => m.name === w.metadata.name)!;
      const sync = (spec.initContainers ?? []).map((c: Obj) => c.name);
      if (model.weightSource !== "s3" || w.kind !== "Deployment") continue;
      expect(sync).toEqual(expect.arrayContaining(["compile-cache-restore", "compile-cache-save"]));
      // The pod's role must allow what `aws s3 sync` does on both sides: list the prefix, read and write objects.
      const role = ofType(p, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name.endsWith(`-${model.name}-reader`))!;
      const policy = JSON.parse(String((role.inputs as Obj).policy)) as Policy;
      const uris = [...new Set(spec.initContainers.flatMap((c: Obj) => c.args.join(" ").match(/s3:\/\/[^\s"]+/g) ?? []))] as string[];
      expect(uris.length, model.name).toBeGreaterThanOrEqual(3);
      for (const uri of uris) {
        const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri)!;
        const object = `arn:aws:s3:::${bucket}/${key}/file`;
        expect(allows([policy], { action: "s3:ListBucket", resource: `arn:aws:s3:::${bucket}`, context: { "s3:prefix": `${key}/` } }), `list ${uri}`).toBe(true);
        expect(allows([policy], { action: "s3:GetObject", resource: object, context: {} }), `read ${uri}`).toBe(true);
        expect(allows([policy], { action: "s3:PutObject", resource: object, context: {} }), `write ${uri}`).toBe(true);
      }
      // The weights stay read-only for the server.
      const weights = String(podSpecs(w)[0]!.containers[0].args[0]);
      const [, wb, wk] = /^s3:\/\/([^/]+)\/(.+)$/.exec(weights)!;
      expect(allows([policy], { action: "s3:GetObject", resource: `arn:aws:s3:::${wb}/${wk}/model.safetensors`, context: {} })).toBe(true);
      expect(allows([policy], { action: "s3:PutObject", resource: `arn:aws:s3:::${wb}/${wk}/model.safetensors`, context: {} })).toBe(false);
    }
  });

  it("streams S3 weights with 4 GiB reads, at most 64 in flight per node's engines, and at TP > 1 each rank its own share", () => {
    for (const w of servers(p)) {
      const model = p.models.find((m) => m.name === w.metadata.name)!;
      if (model.weightSource !== "s3") continue;
      const args: string[] = podSpecs(w)[0]!.containers[0].args.flatMap((a: string) => a.split(" "));
      const i = args.findIndex((a) => a.includes("--model-loader-extra-config"));
      const raw = args[i]!.includes("=") ? args[i]!.split("=")[1]! : args[i + 1]!;
      const config = JSON.parse(raw.replace(/^'|'$/g, ""));
      // EKS user guide ("Accelerate model loading"): ~one read per 4 GB; every DP engine streams with its own readers.
      expect(config.concurrency * model.dataParallelSize, model.name).toBeLessThanOrEqual(64);
      expect(config.concurrency, model.name).toBeGreaterThanOrEqual(model.dataParallelSize > 1 ? 4 : 8);
      if (model.tensorParallelSize > 1) expect(config.distributed, model.name).toBe(true);
      const env = Object.fromEntries(podSpecs(w)[0]!.containers[0].env.filter((e: Obj) => "value" in e).map((e: Obj) => [e.name, e.value]));
      expect(env).toMatchObject({ RUNAI_STREAMER_CHUNK_BYTESIZE: String(4 * 2 ** 30), RUNAI_STREAMER_S3_REQUEST_TIMEOUT_MS: "3000", RUNAI_STREAMER_S3_LOW_SPEED_LIMIT: "1048576" });
    }
  });

  it("keeps Prometheus on an encrypted gp3 volume with retention, and scrapes nothing EKS does not expose", () => {
    const release = ofType(p, "kubernetes:helm.sh/v3:Release").find((r) => (r.inputs as Obj).name === "kube-prometheus-stack");
    if (!release) return;
    const values = (release.inputs as Obj).values;
    expect(values.prometheus.prometheusSpec.retention).toMatch(/^\d+[hdw]$/);
    expect(values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.storageClassName).toBe("omk-gp3");
    for (const target of ["kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"]) expect(values[target].enabled, target).toBe(false);
    const gp3 = k8s(p, "StorageClass").find((c) => c.metadata.name === "omk-gp3")!;
    expect(gp3.parameters).toMatchObject({ type: "gp3", encrypted: "true" });
  });

  it("leaves each GPU node room for the kubelet's reservation and DaemonSets (the DCGM exporter, agents the account adds)", () => {
    for (const w of servers(p)) {
      const model = p.models.find((m) => m.name === w.metadata.name)!;
      const instance = findInstance(model.instanceType);
      if (!instance) continue;
      const cpu = Number(podSpecs(w)[0]!.containers[0].resources.requests.cpu);
      expect(cpu, model.name).toBeLessThanOrEqual(Math.min(instance.vcpu - 1, instance.vcpu * 0.9));
    }
  });

  it("swapping the model leaves the VPC, subnets, cluster and KMS key untouched", async () => {
    if (!created()) return;
    const config = { ...raw } as Obj;
    delete config["omk:preset"];
    config["omk:models"] = [{ id: "Qwen/Qwen3-4B", maxModelLen: 8192 }];
    const after = await plan(config);
    const d = diffPlans(stack, p, after);
    const infra = /aws:ec2\/(vpc|subnet|routeTable|natGateway|internetGateway|vpcEndpoint):|aws:eks\/cluster:|aws:kms\/key:/;
    const touched = [...d.removed, ...d.added].filter((r) => infra.test(r.type)).map((r) => `${r.type} ${r.name}`);
    touched.push(...d.changed.filter((c) => infra.test(c.type)).map((c) => `${c.type} ${c.name}: ${c.changes.map((x) => x.path).join(", ")}`));
    expect(touched).toEqual([]);
  });

  it("puts no credential on any container's command line or in an env literal", () => {
    const tokenish = /\bhf_[A-Za-z0-9]{20,}|\bsk-[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}/;
    for (const r of p.resources.filter((x) => x.custom)) {
      const text = JSON.stringify(r.inputs);
      expect(tokenish.test(text), `${r.type} ${r.name}`).toBe(false);
    }
  });
});
