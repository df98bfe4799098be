/**
 * The vLLM server as plain Kubernetes manifests (pure): pod spec, Deployment (one node per replica) or
 * LeaderWorkerSet (a replica spans nodes), Service, PodDisruptionBudget. `omk plan --out` writes them and
 * tests validate them against the Kubernetes schemas.
 */
import { GPU_TAINT, POOL_LABEL } from "../aws/gpu-pools";
import type { ResolvedModel } from "../config/validate";
import type { ColdStart } from "./cold-start";
import type { PodResources } from "./pod-resources";
import { VLLM_PORT, shellQuote, vllmArgs } from "./vllm-args";

export interface ServerInput {
  readonly model: ResolvedModel;
  readonly namespace: string;
  readonly image: string;
  readonly modelUri: string;
  readonly poolName: string;
  readonly bf16: boolean;
  readonly resources: PodResources;
  readonly coldStart: ColdStart;
  readonly serviceAccountName: string;
  /** Secret with key HF_TOKEN, when the stack has a token. */
  readonly hfTokenSecret?: string;
  readonly region: string;
  /** EFA interfaces per node, requested by multi-node pods. */
  readonly efaPerNode: number;
  /** cpu: the laptop path (no GPU requests, tolerations or pool selector). */
  readonly device: "gpu" | "cpu";
  /** Secret with key VLLM_API_KEY, when the model requires an API key. */
  readonly apiKeySecret?: string;
}

type Obj = Record<string, unknown>;

export function serverLabels(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": name, "app.kubernetes.io/component": "server", "app.kubernetes.io/managed-by": "open-model-kit" };
}

/** Seconds to finish a full-length generation at ~40 tokens/s (estimate): the drain window on shutdown. */
export function drainSeconds(m: ResolvedModel): number {
  return Math.min(1800, Math.max(120, Math.ceil(m.maxModelLen / 40)));
}

const PRESTOP_SECONDS = 15;

function env(input: ServerInput): Obj[] {
  const out: Obj[] = [
    { name: "HF_HOME", value: "/cache/huggingface" },
    // torch.compile artifacts survive container restarts on the same node.
    { name: "VLLM_CACHE_ROOT", value: "/cache/vllm" },
    { name: "AWS_REGION", value: input.region },
  ];
  if (input.device === "cpu") {
    // "nobind" leaves thread placement to the OS: binding needs CAP_SYS_NICE, which the namespace's
    // baseline Pod Security level does not allow.
    out.push(
      { name: "VLLM_CPU_KVCACHE_SPACE", value: String(input.model.cpuKvSpaceGiB) },
      { name: "VLLM_CPU_OMP_THREADS_BIND", value: "nobind" },
      { name: "OMP_NUM_THREADS", value: String(input.resources.cpu) },
    );
  }
  if (input.apiKeySecret) out.push({ name: "VLLM_API_KEY", valueFrom: { secretKeyRef: { name: input.apiKeySecret, key: "VLLM_API_KEY" } } });
  if (input.hfTokenSecret) out.push({ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: input.hfTokenSecret, key: "HF_TOKEN" } } });
  if (input.model.placement.nodes > 1) {
    // EFA through libfabric when the image has the aws-ofi-nccl plugin; the pod's eth0 for bootstrap either way.
    out.push(
      { name: "FI_PROVIDER", value: "efa" }, { name: "FI_EFA_USE_DEVICE_RDMA", value: "1" }, { name: "NCCL_DEBUG", value: "WARN" },
      { name: "NCCL_SOCKET_IFNAME", value: "eth0" }, { name: "GLOO_SOCKET_IFNAME", value: "eth0" },
    );
  }
  return out;
}

function containerResources(input: ServerInput): Obj {
  const r = input.resources;
  if (input.device === "cpu") return { requests: { cpu: String(r.cpu), memory: `${r.memoryGiB}Gi` }, limits: { memory: `${r.memoryGiB}Gi` } };
  const extended: Record<string, string> = { "nvidia.com/gpu": String(r.gpus) };
  if (input.model.placement.nodes > 1 && input.efaPerNode > 0) extended["vpc.amazonaws.com/efa"] = String(input.efaPerNode);
  return { requests: { cpu: String(r.cpu), memory: `${r.memoryGiB}Gi`, ...extended }, limits: { memory: `${r.memoryGiB}Gi`, ...extended } };
}

/**
 * Ready only when the OpenAI API answers and lists this model (through the same API key clients use);
 * no generation, so a busy server is not slowed by its own probe.
 */
export const READINESS_SCRIPT = [
  "import json, os, sys, urllib.request",
  `r = urllib.request.Request("http://127.0.0.1:${VLLM_PORT}/v1/models", headers={"Authorization": "Bearer " + os.environ.get("VLLM_API_KEY", "")})`,
  "ids = [m['id'] for m in json.load(urllib.request.urlopen(r, timeout=4))['data']]",
  "sys.exit(0 if sys.argv[1] in ids else 1)",
].join("\n");

/** `/health` answers only once the engine is up (before, the port is closed) and 503s when it dies. */
function probes(input: ServerInput): Obj {
  const health = { httpGet: { path: "/health", port: "http" } };
  const s = input.coldStart.startupProbe;
  return {
    startupProbe: { ...health, periodSeconds: s.periodSeconds, failureThreshold: s.failureThreshold, timeoutSeconds: 5 },
    readinessProbe: { exec: { command: ["python3", "-c", READINESS_SCRIPT, input.model.name] }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
    // Lenient: a server busy with long prefills may answer slowly; only a dead engine (3 min) restarts it.
    livenessProbe: { ...health, periodSeconds: 30, failureThreshold: 6, timeoutSeconds: 10 },
  };
}

export type PodRole = "server" | "leader" | "worker";

export function buildPodSpec(input: ServerInput, role: PodRole): Obj {
  const m = input.model;
  const args = vllmArgs({ model: m, modelUri: input.modelUri, bf16: input.bf16 });
  const script = "/vllm-workspace/examples/ray_serving/multi-node-serving.sh";
  const command = role === "server"
    ? { command: ["vllm", "serve"], args }
    : role === "leader"
      ? { command: ["/bin/sh", "-c"], args: [`bash ${script} leader --ray_cluster_size=$(LWS_GROUP_SIZE); exec vllm serve ${args.map(shellQuote).join(" ")}`] }
      : { command: ["/bin/sh", "-c"], args: [`bash ${script} worker --ray_address=$(LWS_LEADER_ADDRESS)`] };
  const container: Obj = {
    name: "vllm",
    image: input.image,
    ...command,
    env: env(input),
    resources: containerResources(input),
    volumeMounts: [{ name: "shm", mountPath: "/dev/shm" }, { name: "cache", mountPath: "/cache" }],
    securityContext: { allowPrivilegeEscalation: false },
    ...(role === "worker" ? {} : { ports: [{ name: "http", containerPort: VLLM_PORT, protocol: "TCP" }], ...probes(input) }),
    // Let load balancers and endpoints drop the pod before vLLM stops accepting; then it drains in-flight streams.
    lifecycle: { preStop: { exec: { command: ["sleep", String(PRESTOP_SECONDS)] } } },
  };
  const cacheGiB = m.weightSource === "huggingface" ? Math.ceil(input.coldStart.weightsGB * 1.1 + 20) : 20;
  const gpuScheduling = input.device === "gpu"
    ? { nodeSelector: { [POOL_LABEL]: input.poolName }, tolerations: [{ key: GPU_TAINT.key, operator: "Exists", effect: GPU_TAINT.effect }] }
    : {};
  return {
    serviceAccountName: input.serviceAccountName,
    ...gpuScheduling,
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: serverLabels(m.name) } }],
    terminationGracePeriodSeconds: PRESTOP_SECONDS + drainSeconds(m),
    containers: [container],
    volumes: [
      { name: "shm", emptyDir: { medium: "Memory", sizeLimit: `${input.resources.shmGiB}Gi` } },
      // Node-local: the weights download (Hub) and compile cache live on the node's own disk.
      { name: "cache", emptyDir: { sizeLimit: `${cacheGiB}Gi` } },
    ],
  };
}

function podTemplate(input: ServerInput, role: PodRole): Obj {
  return {
    metadata: {
      labels: serverLabels(input.model.name),
      // Karpenter never voluntarily disrupts a node running a serving pod.
      annotations: { "karpenter.sh/do-not-disrupt": "true" },
    },
    spec: buildPodSpec(input, role),
  };
}

function metadata(input: ServerInput): Obj {
  return { name: input.model.name, namespace: input.namespace, labels: serverLabels(input.model.name) };
}

export function buildDeployment(input: ServerInput): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(input),
    spec: {
      replicas: input.model.replicas.min,
      selector: { matchLabels: serverLabels(input.model.name) },
      // GPU pools are capped at max replicas: a surge pod could never schedule, so replace one at a time.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      template: podTemplate(input, "server"),
    },
  };
}

export function buildLeaderWorkerSet(input: ServerInput): Obj {
  return {
    apiVersion: "leaderworkerset.x-k8s.io/v1",
    kind: "LeaderWorkerSet",
    metadata: metadata(input),
    spec: {
      replicas: input.model.replicas.min,
      startupPolicy: "LeaderCreated",
      rolloutStrategy: { type: "RollingUpdate", rollingUpdateConfiguration: { maxSurge: 0, maxUnavailable: 1 } },
      leaderWorkerTemplate: {
        size: input.model.placement.nodes,
        // A failed pod restarts its whole group: NCCL and Ray cannot rejoin a running group.
        restartPolicy: "RecreateGroupOnPodRestart",
        leaderTemplate: podTemplate(input, "leader"),
        workerTemplate: podTemplate(input, "worker"),
      },
    },
  };
}

export function buildService(input: ServerInput): Obj {
  const leaderOnly = input.model.placement.nodes > 1 ? { "leaderworkerset.sigs.k8s.io/worker-index": "0" } : {};
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(input),
    spec: { type: "ClusterIP", selector: { ...serverLabels(input.model.name), ...leaderOnly }, ports: [{ name: "http", port: VLLM_PORT, targetPort: "http", protocol: "TCP" }] },
  };
}

/** When more than one replica can run: at most one is voluntarily disrupted at a time. */
export function buildPodDisruptionBudget(input: ServerInput): Obj | null {
  if (input.model.replicas.max < 2) return null;
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: metadata(input),
    spec: { maxUnavailable: 1, selector: { matchLabels: serverLabels(input.model.name) } },
  };
}
