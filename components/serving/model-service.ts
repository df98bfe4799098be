/**
 * One served model: its vLLM server (a Deployment, or a LeaderWorkerSet when a replica spans nodes),
 * Service, PodDisruptionBudget, ServiceAccount, and — for S3-sourced weights — the mirror Job and the
 * Pod Identity roles that read and write the model store. Manifests come from the pure builders in
 * vllm-spec.ts and mirror-job-spec.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { PodIdentityAssociation } from "@pulumi/aws/eks/podIdentityAssociation";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { CustomResource } from "@pulumi/kubernetes/apiextensions/customResource";
import { Deployment } from "@pulumi/kubernetes/apps/v1/deployment";
import { Job } from "@pulumi/kubernetes/batch/v1/job";
import { Secret } from "@pulumi/kubernetes/core/v1/secret";
import { ConfigMap } from "@pulumi/kubernetes/core/v1/configMap";
import { Service } from "@pulumi/kubernetes/core/v1/service";
import { ServiceAccount } from "@pulumi/kubernetes/core/v1/serviceAccount";
import { PodDisruptionBudget } from "@pulumi/kubernetes/policy/v1/podDisruptionBudget";
import type { Provider } from "@pulumi/kubernetes/provider";
import type { InstanceSpec } from "../catalog/instances";
import { gpusPerReplica, type ResolvedModel } from "../config/validate";
import { estimateColdStart, type ColdStart } from "./cold-start";
import { storeAccessPolicy, type StoreAccess } from "./store-policy";
import { adapterAccessPolicy } from "./adapters-spec";
import { podIdentityTrustPolicy } from "../pod-identity-trust";
import { AWS_CLI_IMAGE, buildMirrorJob, compileCachePrefix, mirrorJobName, storePrefix } from "./mirror-job-spec";
import { placementSummary, type PlacementSummary } from "./placement-summary";
import { injectOutput } from "../inject";
import { cpuPodResources, podResources } from "./pod-resources";
import type { ServingBase } from "./serving-base";
import { VLLM_PORT, drainSeconds } from "./vllm-args";
import { NGINX_IMAGE, guardConfigName, guardKeys, guardKeysName } from "./api-guard-spec";
import { modelKeys, type KeyRotation } from "./api-keys";
import { fromZeroOf, usesRouter, type FromZero } from "../config/validate-routing";
import type { RoutingPolicy } from "../config/routing-schema";
import { INTERCEPTOR, backendService, buildClientService, serviceNames, wakeTimeoutSeconds } from "../traffic/wake-spec";
import { autoscaled, buildDeployment, buildGuardConfig, buildLeaderWorkerSet, buildPodDisruptionBudget, serverLabels, type ServerInput } from "./vllm-spec";

export interface ModelServiceArgs {
  /** The model as resolved and sized from the stack config (never re-read from config here). */
  readonly model: ResolvedModel;
  readonly region: string;
  /** The GPU pool the model runs in and the AZs it may use; null on a CPU-only cluster. */
  readonly pool: { readonly name: string; readonly zones: readonly string[]; readonly instance: InstanceSpec } | null;
  readonly base: ServingBase;
  /** Namespace of the servers (created by ServingBase). */
  readonly namespace: string;
  readonly image: string;
  /** Image for CPU serving (used when the model's device is cpu). */
  readonly cpuImage: string;
  /** Image with the AWS CLI (weights mirror, compile-cache sync). @default AWS_CLI_IMAGE */
  readonly awsCliImage?: string;
  /** The API guard's HTTP keep-alive, above the ALB idle timeout when the model is behind one. @default VLLM_KEEPALIVE_SECONDS */
  readonly keepAliveSeconds?: number;
  /** The API guard's image (nginx). @default NGINX_IMAGE */
  readonly guardImage?: string;
  /** Key rotation (omk:apiKeyVersion, apiKeyKeepPrevious, apiKey, apiKeyPrevious). @default version 1, generated keys */
  readonly keys?: KeyRotation;
  /** ALB idle timeout of the stack: a request held while the model wakes must be answered within it. */
  readonly idleTimeoutSeconds: number;
  /** Deployment minReadySeconds, when an ALB must register the new pod first. @default 0 */
  readonly minReadySeconds?: number;
  readonly clusterName: pulumi.Input<string>;
  readonly provider: Provider;
  /** Roll surge-first (the GPU pool has room for one more replica). @see ServerInput.surgeRollout */
  readonly surgeRollout: boolean;
  /** What must exist first: the platform (GPU pools, the LeaderWorkerSet CRD). */
  readonly dependsOn: readonly pulumi.Resource[];
  readonly tags: Readonly<Record<string, string>>;
}

export type ServiceSummary = PlacementSummary & {
  pool: string; zones: string[]; coldStart: ColdStart; endpoint: string; workload: string;
  exposure: string; auth: boolean;
  /** fromZero: how a model at zero comes back (on-request: the KEDA HTTP interceptor holds the first request). */
  autoscaling: { targetQueueLength: number; kvCacheUtilization: number; warmWindows: number; fromZero: FromZero; cooldownSeconds: number };
  /** policy, and the component requests go through: the vLLM router, or the Service (round-robin). */
  routing: { policy: RoutingPolicy; component: "vllm-router" | "service"; sessionHeader: string | null };
  /** Worst case until a first request is answered at zero replicas: the uncached cold start; null unless it wakes on request. ESTIMATE. */
  firstRequestSeconds: number | null;
  /** How long the interceptor holds that request before the 503 with Retry-After; null unless it wakes on request. */
  wakeTimeoutSeconds: number | null;
};

/** A role the service account assumes through Pod Identity, with inline policies; returns the association pods must wait for. */
function podIdentityRole(scope: pulumi.Resource, name: string, args: ModelServiceArgs, serviceAccount: string, policies: readonly pulumi.Input<string>[]): PodIdentityAssociation {
  const role = new Role(name, {
    assumeRolePolicy: pulumi.output(args.clusterName).apply((cluster) => podIdentityTrustPolicy(cluster, args.namespace, serviceAccount)),
    tags: args.tags,
  }, { parent: scope });
  const grants = policies.map((policy, i) => new RolePolicy(i ? `${name}-${i}` : name, { role: role.name, policy }, { parent: scope }));
  return new PodIdentityAssociation(name, { clusterName: args.clusterName, namespace: args.namespace, serviceAccount, roleArn: role.arn, tags: args.tags }, { parent: scope, dependsOn: grants });
}

/** The model store policy for the given prefixes (the bucket is known once created). */
function storePolicy(args: ModelServiceArgs, access: StoreAccess): pulumi.Output<string> {
  return args.base.store!.bucketArn.apply((arn) => storeAccessPolicy(arn, access));
}

export class ModelService extends pulumi.ComponentResource {
  /** The sizing decision, cold start and in-cluster endpoint, as plain data. */
  public readonly summary: pulumi.Output<ServiceSummary>;
  /** The model's API key (a secret output), when it requires auth. */
  public readonly apiKey: pulumi.Output<string> | undefined;
  /** The server workload (Deployment or LeaderWorkerSet), for what must follow it. */
  public readonly workload: pulumi.Resource;
  /** The cold-start estimate the server's probes and rollout deadline were built from (traffic reuses it). */
  public readonly coldStart: ColdStart;

  constructor(name: string, args: ModelServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    const m = args.model;
    const coldStart = estimateColdStart(m);
    const multiNode = m.placement.nodes > 1;
    const summary: Omit<ServiceSummary, "endpoint"> = {
      ...placementSummary(m, args.region), pool: args.pool?.name ?? "(cluster CPUs)", zones: [...(args.pool?.zones ?? [])], coldStart, workload: multiNode ? "LeaderWorkerSet" : "Deployment",
      exposure: m.exposure, auth: m.auth,
      autoscaling: { targetQueueLength: m.autoscaling.targetQueueLength, kvCacheUtilization: m.autoscaling.kvCacheUtilization, warmWindows: m.autoscaling.warmWindows.length, fromZero: fromZeroOf(m), cooldownSeconds: m.autoscaling.cooldownSeconds },
      routing: { policy: m.routing.policy, component: usesRouter(m) ? "vllm-router" : "service", sessionHeader: m.routing.policy === "session" ? m.routing.sessionHeader : null },
      firstRequestSeconds: fromZeroOf(m) === "on-request" ? coldStart.scaleUpSeconds : null,
      wakeTimeoutSeconds: fromZeroOf(m) === "on-request" ? wakeTimeoutSeconds(coldStart, args.idleTimeoutSeconds) : null,
    };
    // Inputs are recorded so the offline plan and `pulumi preview` both show the sizing decision.
    super("omk:serving:ModelService", name, { placement: summary }, opts);
    this.coldStart = coldStart;
    const k8s = { parent: this, provider: args.provider, dependsOn: [...args.base.dependencies, ...args.dependsOn] };
    const base = args.base;

    const serviceAccountName = m.name;
    new ServiceAccount(`${name}-sa`, { metadata: { name: serviceAccountName, namespace: args.namespace, labels: serverLabels(m.name) }, automountServiceAccountToken: false }, k8s);

    // One Secret holds the model's keys: `keys.conf`, every key the API guard accepts (api-guard-spec.ts; mounted in
    // the guard), and VLLM_API_KEY, the current one, for the router's discovery calls and for `kubectl`. Keys never
    // appear in a pod spec.
    const keys = m.auth ? modelKeys(this, name, args.keys ?? {}) : null;
    const guard = { auth: keys !== null, readTimeoutSeconds: Math.max(drainSeconds(m), args.idleTimeoutSeconds) + 60, image: args.guardImage ?? NGINX_IMAGE };
    const guardObjects: pulumi.Resource[] = [new ConfigMap(`${name}-api-guard`, {
      metadata: { name: guardConfigName(m.name), namespace: args.namespace, labels: serverLabels(m.name) },
      data: { "nginx.conf": buildGuardConfig({ guard, keepAliveSeconds: args.keepAliveSeconds }) },
    }, k8s)];
    if (keys) {
      this.apiKey = keys.current;
      const lines = pulumi.all([...keys.accepted]).apply((accepted: string[]) => guardKeys(accepted, keys.sources));
      guardObjects.push(new Secret(`${name}-api-key`, {
        metadata: { name: guardKeysName(m.name), namespace: args.namespace, labels: serverLabels(m.name) }, type: "Opaque",
        stringData: { VLLM_API_KEY: pulumi.secret(keys.current), "keys.conf": pulumi.secret(lines) },
      }, k8s));
    }

    // The auto-named bucket is unknown until created: only the strings that name it become Outputs.
    const BUCKET = "@@omk-bucket@@";
    const bucketName: pulumi.Input<string> = base.store?.bucketName ?? "";
    let modelUri = m.weights.repo;
    let compileCacheUri: string | undefined;
    const waitFor: pulumi.Resource[] = [...k8s.dependsOn, ...guardObjects];
    // S3 adapters are read under the server's own role, read-only on their prefixes (adapters-spec.ts).
    const adapterPolicy = adapterAccessPolicy(m, args.region);
    if (adapterPolicy && m.weightSource !== "s3") waitFor.push(podIdentityRole(this, `${name}-reader`, args, serviceAccountName, [adapterPolicy]));
    if (m.weightSource === "s3") {
      const prefix = storePrefix(m);
      modelUri = `s3://${BUCKET}/${prefix}`;
      const cachePrefix = compileCachePrefix(m);
      compileCacheUri = `s3://${BUCKET}/${cachePrefix}`;
      // Pods admitted before their association exists get no AWS credentials: they wait for it. The server may
      // write only its compile cache; the weights stay read-only.
      waitFor.push(podIdentityRole(this, `${name}-reader`, args, serviceAccountName, [storePolicy(args, { read: [prefix, cachePrefix], write: [cachePrefix] }), ...(adapterPolicy ? [adapterPolicy] : [])]));
      const mirrorAccount = `${m.name}-mirror`;
      new ServiceAccount(`${name}-mirror-sa`, { metadata: { name: mirrorAccount, namespace: args.namespace }, automountServiceAccountToken: false }, k8s);
      const writer = podIdentityRole(this, `${name}-writer`, args, mirrorAccount, [storePolicy(args, { read: [prefix], write: [prefix] })]);
      const job = buildMirrorJob({
        model: m, namespace: args.namespace, bucket: BUCKET, prefix, vllmImage: args.image, region: args.region, serviceAccountName: mirrorAccount, hfTokenSecret: base.hfTokenSecret,
      });
      const minutes = Math.ceil((coldStart.weightsGB * 1000) / 150 / 60) * 3 + 30;
      waitFor.push(new Job(`${name}-mirror`, {
        metadata: { name: mirrorJobName(m), namespace: args.namespace, labels: (job.metadata as { labels: Record<string, string> }).labels },
        spec: injectOutput(job.spec, BUCKET, bucketName) as never,
      // A Job's pod template is immutable: pulumi-kubernetes replaces the Job when it changes. A vLLM image bump
      // would re-run a finished mirror (pulling the image to find the marker) before every server rollout; the
      // image is left as created instead (ignoreChanges is applied before the provider decides on replacement).
      }, { ...k8s, dependsOn: [...k8s.dependsOn, writer], customTimeouts: { create: `${minutes}m`, update: `${minutes}m` }, ignoreChanges: ["spec.template.spec.containers[0].image"] }));
    }

    const pool = args.pool;
    const resources = pool
      ? podResources(pool.instance, multiNode ? pool.instance.gpu.count : gpusPerReplica(m))
      : cpuPodResources(m.placement.memory.weightsGiBPerGpu, m.cpuKvSpaceGiB);
    const input = (uri: string): ServerInput => ({
      model: m, namespace: args.namespace, image: pool ? args.image : args.cpuImage, modelUri: uri, poolName: pool?.name ?? "", bf16: pool?.instance.bf16 ?? true,
      resources, coldStart, serviceAccountName, hfTokenSecret: base.hfTokenSecret, region: args.region, efaPerNode: pool?.instance.efa.interfaces ?? 0,
      device: m.device, guard, surgeRollout: args.surgeRollout, compileCacheUri, awsCliImage: args.awsCliImage ?? AWS_CLI_IMAGE, keepAliveSeconds: args.keepAliveSeconds,
      minReadySeconds: args.minReadySeconds,
    });
    const meta = { name: m.name, namespace: args.namespace, labels: serverLabels(m.name) };
    // Pulumi waits for the rollout: at least as long as Kubernetes lets it progress, and twice the cold start.
    const rollout = `${Math.ceil(Math.max(coldStart.scaleUpSeconds * 2, coldStart.rolloutDeadlineSeconds) / 60) + 10}m`;
    const workloadOpts = { ...k8s, dependsOn: waitFor, customTimeouts: { create: rollout, update: rollout }, ignoreChanges: autoscaled(m) ? ["spec.replicas"] : [] };
    if (multiNode) {
      const lws = buildLeaderWorkerSet(input(modelUri));
      this.workload = new CustomResource(`${name}-server`, { apiVersion: "leaderworkerset.x-k8s.io/v1", kind: "LeaderWorkerSet", metadata: lws.metadata as never, spec: injectOutput(lws.spec, BUCKET, bucketName) as never }, workloadOpts);
    } else {
      const dep = buildDeployment(input(modelUri));
      this.workload = new Deployment(`${name}-server`, { metadata: dep.metadata as never, spec: injectOutput(dep.spec, BUCKET, bucketName) as never }, workloadOpts);
    }
    // The model's own name, whatever serves it (vLLM, the router, the interceptor): one resource (wake-spec.ts). Woken
    // on request without a router, vLLM gets a Service of its own for the interceptor to wait on.
    const names = serviceNames(m);
    new Service(`${name}-svc`, buildClientService(m, args.namespace) as never, k8s);
    if (names.wakes && !names.routed) new Service(`${name}-engine-svc`, backendService(m, args.namespace, names.backend) as never, k8s);
    const pdb = buildPodDisruptionBudget(input(modelUri));
    if (pdb) new PodDisruptionBudget(`${name}-pdb`, { metadata: meta, spec: pdb.spec as never }, k8s);

    this.summary = pulumi.output({ ...summary, endpoint: `http://${m.name}.${args.namespace}.svc.cluster.local:${names.wakes ? INTERCEPTOR.port : VLLM_PORT}/v1` });
    // `placement` is what the policy pack's stack policies read (they see outputs, not inputs).
    this.registerOutputs({ summary: this.summary, placement: summary });
  }
}
