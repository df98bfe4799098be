/**
 * The vLLM server as plain Kubernetes manifests (pure): pod spec, Deployment (one node per replica) or
 * LeaderWorkerSet (a replica spans nodes), PodDisruptionBudget; its Services are in traffic/wake-spec.ts. `omk plan
 * --out` writes them and tests validate them against the Kubernetes schemas.
 */
import { GPU_TAINT, POOL_LABEL } from "../aws/gpu-pools";
import type { ResolvedModel } from "../config/validate";
import type { ColdStart } from "./cold-start";
import type { PodResources } from "./pod-resources";
import { CACHE_ENV, CACHE_ROOT, cacheSyncContainers } from "./cache-spec";
import { nonRootEnv, vllmPodSecurity, type RestrictedException } from "../pod-security";
import { REFRESH_LABEL } from "./refresh-spec";
import { PRESTOP_SECONDS, serverProbes, terminationGraceSeconds } from "./lifecycle-spec";
import { EGRESS_LABEL, type EgressClass } from "../egress";
import { ADAPTERS_DIR, adapterFetchContainers, adaptersVolumeGiB } from "./adapters-spec";
import { AWS_CLI_IMAGE } from "./mirror-job-spec";
import { STREAMER_CHUNK_BYTES, drainSeconds, shellQuote, vllmArgs } from "./vllm-args";
import { VLLM_KEEPALIVE_SECONDS, VLLM_LOCAL_PORT, guardConfig, guardConfigDigest, guardContainer, guardVolumes } from "./api-guard-spec";

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
  /**
   * The API guard in front of vLLM (api-guard-spec.ts): whether it requires a key, its read timeout, and its image.
   * Its configuration (a ConfigMap) and the keys (a Secret) are written by the ModelService.
   */
  readonly guard: { readonly auth: boolean; readonly readTimeoutSeconds: number; readonly image: string };
  /**
   * Roll surge-first (maxSurge 1, maxUnavailable 0): the old replica serves until its successor is ready. Needs
   * room for one more replica (the kit's NodePool limits include it); managed node groups cannot grow.
   */
  readonly surgeRollout: boolean;
  /**
   * Where the compile cache is shared across pods and nodes (`s3://…/.omk-compile-cache/<layout>`), for models
   * streamed from the S3 model store: a new replica restores it before vLLM starts and saves it once serving.
   */
  readonly compileCacheUri?: string;
  /** AWS CLI image for the compile-cache sync (pinned). */
  readonly awsCliImage?: string;
  /**
   * HTTP keep-alive of the pod's server, the guard (uvicorn's default is 5 s): longer than the ALB's idle timeout,
   * or the ALB reuses connections already closed and answers 502 (ELB user guide, "Connection idle timeout").
   * @default VLLM_KEEPALIVE_SECONDS
   */
  readonly keepAliveSeconds?: number;
  /** Seconds a new pod stays Ready before an old one stops (behind an ALB: until the ALB routes to it). @default 0 */
  readonly minReadySeconds?: number;
}

type Obj = Record<string, unknown>;

/** Which exception to Pod Security "restricted" a vLLM pod needs (components/pod-security.ts), or null. */
export function restrictedException(input: Pick<ServerInput, "device" | "efaPerNode" | "resources" | "model">): RestrictedException | null {
  if (input.device === "cpu") return "cpu-image";
  if (input.model.placement.nodes > 1 && input.efaPerNode > 0) return "efa";
  return input.resources.gpus > 1 ? "multi-gpu" : null;
}

/** Pod-template annotation carrying the digest of the API guard's configuration (keys left out). */
export const API_GUARD_ANNOTATION = "omk.dev/api-guard";

/**
 * Whether KEDA sizes the model's workload (traffic-spec.ts builds its ScaledObject exactly then). Its HPA then owns
 * `spec.replicas` through the scale subresource, so the kit leaves that field to it (ignoreChanges): a refresh reads
 * the autoscaler's count, and an `up` must not reset it.
 */
export function autoscaled(m: Pick<ResolvedModel, "replicas" | "autoscaling">): boolean {
  return m.replicas.min !== m.replicas.max || m.autoscaling.warmWindows.length > 0;
}

export function serverLabels(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": name, "app.kubernetes.io/component": "server", "app.kubernetes.io/managed-by": "open-model-kit" };
}

export { drainSeconds };


function env(input: ServerInput): Obj[] {
  const out: Obj[] = [
    ...CACHE_ENV,
    // vLLM runs as a non-root user (Pod Security "restricted"; uid 2000 is the image's own `vllm` user, vllm#40275):
    // everything it writes is under the cache volume.
    ...(vllmPodSecurity(restrictedException(input)).pod.runAsNonRoot ? nonRootEnv(CACHE_ROOT) : []),
    { name: "AWS_REGION", value: input.region },
  ];
  // Longer than the guard keeps its pooled connections to vLLM idle (api-guard-spec.ts).
  out.push({ name: "VLLM_HTTP_TIMEOUT_KEEP_ALIVE", value: String(VLLM_KEEPALIVE_SECONDS) });
  if (serverEgress(input.model) === "s3") {
    // Confined to S3 (components/egress.ts): anything else would time out on dropped packets; fail at once instead,
    // and send no usage report (vLLM's usage stats go to stats.vllm.ai).
    out.push({ name: "HF_HUB_OFFLINE", value: "1" }, { name: "VLLM_NO_USAGE_STATS", value: "1" });
  }
  if (input.model.weightSource === "s3") {
    // As the EKS user guide sets them ("Accelerate model loading"): 4 GiB reads, and a slow S3 request is
    // abandoned and retried instead of stalling the load.
    out.push(
      { name: "RUNAI_STREAMER_CHUNK_BYTESIZE", value: String(STREAMER_CHUNK_BYTES) },
      { name: "RUNAI_STREAMER_S3_REQUEST_TIMEOUT_MS", value: "3000" },
      { name: "RUNAI_STREAMER_S3_LOW_SPEED_LIMIT", value: "1048576" },
    );
  }
  for (const [name, value] of Object.entries(input.model.yarn?.env ?? {})) out.push({ name, value });
  if (input.device === "cpu") {
    // "nobind" leaves thread placement to the OS: binding needs CAP_SYS_NICE, which the namespace's
    // namespace's Pod Security level does not allow.
    out.push(
      { name: "VLLM_CPU_KVCACHE_SPACE", value: String(input.model.cpuKvSpaceGiB) },
      { name: "VLLM_CPU_OMP_THREADS_BIND", value: "nobind" },
      { name: "OMP_NUM_THREADS", value: String(input.resources.cpu) },
    );
  }
  // The Hub token only where vLLM pulls from the Hub: a server streaming from the S3 store never holds it (adapter
  // fetches get it in their own init container).
  if (input.hfTokenSecret && input.model.weightSource === "huggingface") out.push({ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: input.hfTokenSecret, key: "HF_TOKEN" } } });
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

export type PodRole = "server" | "leader" | "worker";

export function buildPodSpec(input: ServerInput, role: PodRole): Obj {
  const m = input.model;
  const args = vllmArgs({ model: m, modelUri: input.modelUri, bf16: input.bf16 });
  const security = vllmPodSecurity(restrictedException(input));
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
    volumeMounts: [{ name: "shm", mountPath: "/dev/shm" }, { name: "cache", mountPath: "/cache" }, ...(m.adapters.length ? [{ name: "adapters", mountPath: ADAPTERS_DIR, readOnly: true }] : [])],
    securityContext: security.container,
    ...(role === "worker" ? {} : serverProbes(input.coldStart, input.model.name)),
    // Let load balancers and endpoints drop the pod before vLLM stops accepting; then it drains in-flight streams.
    lifecycle: { preStop: { exec: { command: ["sleep", String(PRESTOP_SECONDS)] } } },
  };
  const cacheGiB = m.weightSource === "huggingface" ? Math.ceil(input.coldStart.weightsGB * 1.1 + 20) : 20;
  const sync = role !== "worker" && input.compileCacheUri && input.awsCliImage ? cacheSyncContainers(input.compileCacheUri, input.awsCliImage, VLLM_LOCAL_PORT) : [];
  // Adapters are fetched first: vLLM loads every --lora-modules entry at startup and exits on a missing one. Every
  // pod of a multi-node group fetches them: each Ray worker loads the adapter from the same local path.
  const fetch = m.adapters.length ? adapterFetchContainers({ model: m, vllmImage: input.image, awsCliImage: input.awsCliImage ?? AWS_CLI_IMAGE, hfTokenSecret: input.hfTokenSecret, region: input.region }) : [];
  const gpuScheduling = input.device === "gpu"
    ? { nodeSelector: { [POOL_LABEL]: input.poolName }, tolerations: [{ key: GPU_TAINT.key, operator: "Exists", effect: GPU_TAINT.effect }] }
    : {};
  return {
    serviceAccountName: input.serviceAccountName,
    securityContext: security.pod,
    ...gpuScheduling,
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: serverLabels(m.name) } }],
    terminationGracePeriodSeconds: terminationGraceSeconds(m),
    ...(sync.length || fetch.length ? { initContainers: [...fetch, ...sync] } : {}),
    // The guard is the pod's only HTTP entry (api-guard-spec.ts); a multi-node worker serves no HTTP.
    containers: role === "worker" ? [container] : [container, guardContainer(input.guard.auth, PRESTOP_SECONDS, input.guard.image)],
    volumes: [
      ...(role === "worker" ? [] : guardVolumes(m.name, input.guard.auth)),
      { name: "shm", emptyDir: { medium: "Memory", sizeLimit: `${input.resources.shmGiB}Gi` } },
      // Node-local: the weights download (Hub) and the compile caches live on the node's ephemeral storage — its
      // NVMe RAID 0 where the instance has NVMe (see gpu-capacity-spec.ts) — and survive container restarts.
      // A hostPath would also share them with the next pod on the node, but Pod Security's baseline level (the
      // namespace's) forbids hostPath volumes; the S3 sync above shares compile output across pods and nodes.
      { name: "cache", emptyDir: { sizeLimit: `${cacheGiB}Gi` } },
      ...(m.adapters.length ? [{ name: "adapters", emptyDir: { sizeLimit: `${adaptersVolumeGiB(m)}Gi` } }] : []),
    ],
  };
}

/**
 * What a server pod may reach over HTTPS (components/egress.ts): a server streaming from the S3 store, with nothing
 * to fetch from elsewhere, reaches S3 only; one that downloads from the Hub, or fetches adapters (from the Hub or
 * any bucket, in any region), reaches any HTTPS destination.
 */
export function serverEgress(m: Pick<ResolvedModel, "weightSource" | "adapters" | "spec">): EgressClass {
  return m.weightSource === "s3" && m.adapters.length === 0 && !fetchesAtStart(m.spec) ? "s3" : "internet";
}

/**
 * Models whose vLLM start downloads from the internet whatever the weights' source: gpt-oss's Harmony encoding
 * fetches its tiktoken vocabulary (o200k_base) from openaipublic.blob.core.windows.net (vllm-project/vllm#22525,
 * openai/harmony#46).
 */
export function fetchesAtStart(spec: Pick<ResolvedModel["spec"], "family">): boolean {
  return spec.family === "gpt-oss";
}

function podTemplate(input: ServerInput, role: PodRole): Obj {
  return {
    metadata: {
      // The selector stays serverLabels alone: a label added here changes only the pods.
      labels: { ...serverLabels(input.model.name), [EGRESS_LABEL]: serverEgress(input.model) },
      // Karpenter never voluntarily disrupts a node running a serving pod.
      annotations: {
        "karpenter.sh/do-not-disrupt": "true",
        ...(role === "worker" ? {} : { [API_GUARD_ANNOTATION]: guardConfigDigest(buildGuardConfig(input)) }),
      },
    },
    spec: buildPodSpec(input, role),
  };
}

/** The guard's nginx.conf for this server (the ModelService writes it into the guard's ConfigMap). */
export function buildGuardConfig(input: Pick<ServerInput, "guard" | "keepAliveSeconds">): string {
  return guardConfig({ auth: input.guard.auth, readTimeoutSeconds: input.guard.readTimeoutSeconds, keepAliveSeconds: input.keepAliveSeconds ?? VLLM_KEEPALIVE_SECONDS });
}


function metadata(input: ServerInput): Obj {
  return { name: input.model.name, namespace: input.namespace, labels: serverLabels(input.model.name) };
}

/**
 * Surge-first: a new replica starts (a full cold start) while the old one keeps serving, so even a single-replica
 * model never goes dark on an update. Without room for a surge replica (managed node groups), one at a time.
 */
function rollingUpdate(input: ServerInput): { maxSurge: number; maxUnavailable: number } {
  return input.surgeRollout ? { maxSurge: 1, maxUnavailable: 0 } : { maxSurge: 0, maxUnavailable: 1 };
}

export function buildDeployment(input: ServerInput): Obj {
  const refreshed = input.surgeRollout && input.device === "gpu";
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    // The scheduled refresh (refresh-spec.ts) restarts these surge-first onto fresh nodes.
    metadata: refreshed ? { ...metadata(input), labels: { ...serverLabels(input.model.name), [REFRESH_LABEL]: "true" } } : metadata(input),
    spec: {
      replicas: input.model.replicas.min,
      selector: { matchLabels: serverLabels(input.model.name) },
      strategy: { type: "RollingUpdate", rollingUpdate: rollingUpdate(input) },
      ...(input.minReadySeconds ? { minReadySeconds: input.minReadySeconds } : {}),
      // A cold start takes longer than Kubernetes' default 600 s deadline: without this every rollout reports stuck.
      progressDeadlineSeconds: input.coldStart.rolloutDeadlineSeconds,
      template: podTemplate(input, "server"),
    },
  };
}

export function buildLeaderWorkerSet(input: ServerInput): Obj {
  const refreshed = input.surgeRollout && input.device === "gpu";
  return {
    apiVersion: "leaderworkerset.x-k8s.io/v1",
    kind: "LeaderWorkerSet",
    metadata: refreshed ? { ...metadata(input), labels: { ...serverLabels(input.model.name), [REFRESH_LABEL]: "true" } } : metadata(input),
    spec: {
      replicas: input.model.replicas.min,
      startupPolicy: "LeaderCreated",
      rolloutStrategy: { type: "RollingUpdate", rollingUpdateConfiguration: rollingUpdate(input) },
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

/** When more than one replica can run: at most one is voluntarily disrupted at a time. */
export function buildPodDisruptionBudget(input: ServerInput): Obj | null {
  if (input.model.replicas.max < 2) return null;
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: metadata(input),
    // A replica still starting (unready for minutes) must not block node drains (unhealthyPodEvictionPolicy, Kubernetes 1.31 GA).
    spec: { maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow", selector: { matchLabels: serverLabels(input.model.name) } },
  };
}
