/**
 * Security policies that hold when someone weakens a stack: pods at the Pod Security "restricted" level, a
 * control plane that is not open to the internet and logs who did what, images from known registries only, and
 * in-VPC endpoints that still use TLS and an API key. Advisory in the pack (a stack of an environment without a
 * policy config, e.g. a first try, is warned, not blocked); policies/config/prod.json makes every one mandatory.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy/policy";
import { TYPES, albEndpoints, argvOf, containersOf, podTemplates } from "./inspect";
import type { RestrictedException } from "../components/pod-security";
import { GUARD_CONTAINER, guardConfigName, guardRequiresKey } from "../components/serving/api-guard-spec";

const CLUSTER = "aws:eks/cluster:Cluster";
const NAMESPACE = "kubernetes:core/v1:Namespace";

/**
 * The documented exception a vLLM pod spec qualifies for (components/pod-security.ts): EFA devices, several GPUs, or
 * vLLM's CPU image. Read from the spec itself, so a pod cannot claim one it does not need.
 */
export function restrictedExceptionOf(spec: any): RestrictedException | null {
  const containers = containersOf(spec);
  if (containers.some((c) => Number(c.resources?.limits?.["vpc.amazonaws.com/efa"] ?? 0) > 0)) return "efa";
  if (containers.some((c) => Number(c.resources?.limits?.["nvidia.com/gpu"] ?? 0) > 1)) return "multi-gpu";
  if (containers.some((c) => typeof c.image === "string" && /vllm-openai-cpu/.test(c.image))) return "cpu-image";
  return null;
}

/**
 * What a pod spec breaks of Pod Security "restricted" (kubernetes.io/docs/concepts/security/pod-security-standards):
 * host namespaces and ports, privileged or escalating containers, added capabilities other than NET_BIND_SERVICE,
 * capabilities not dropped, root, a seccomp profile other than RuntimeDefault/Localhost, hostPath volumes — less
 * what the pod's documented exception relaxes (the seccomp profile for several GPUs; user, capabilities and seccomp
 * for EFA and the CPU image). Privilege escalation, host access and added capabilities are never excepted.
 */
export function restrictedProblems(spec: any): string[] {
  const exception = restrictedExceptionOf(spec);
  const relaxed = exception === "efa" || exception === "cpu-image";
  const out: string[] = [];
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) out.push("uses a host namespace (hostNetwork/hostPID/hostIPC)");
  if ((spec.volumes ?? []).some((v: any) => v.hostPath)) out.push("mounts a hostPath volume");
  const pod = spec.securityContext ?? {};
  const seccomp = (c: any) => (c.securityContext?.seccompProfile ?? pod.seccompProfile)?.type;
  for (const c of containersOf(spec)) {
    const sc = c.securityContext ?? {};
    const name = `container ${c.name}`;
    if (sc.privileged) out.push(`${name} is privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${name} does not set allowPrivilegeEscalation: false`);
    const added = (sc.capabilities?.add ?? []).filter((x: string) => x !== "NET_BIND_SERVICE");
    if (added.length) out.push(`${name} adds capabilities ${added.join(", ")}`);
    if ((c.ports ?? []).some((p: any) => p.hostPort)) out.push(`${name} uses a hostPort`);
    if (seccomp(c) === "Unconfined") out.push(`${name} sets an Unconfined seccomp profile`);
    if (relaxed) continue;
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) out.push(`${name} does not drop ALL capabilities`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) out.push(`${name} may run as root (runAsNonRoot is not true)`);
    if ((sc.runAsUser ?? pod.runAsUser) === 0) out.push(`${name} runs as user 0`);
    if (exception !== "multi-gpu" && !["RuntimeDefault", "Localhost"].includes(seccomp(c))) out.push(`${name} has no RuntimeDefault seccomp profile`);
  }
  return out;
}

/** Namespaces the kit serves models in: labelled as the kit's; they must enforce at least baseline and audit/warn restricted. */
export const podSecurityRestricted: ResourceValidationPolicy = {
  name: "pod-security-restricted",
  description: "Every pod the kit runs meets the Pod Security 'restricted' level, less documented exceptions of vLLM pods (several GPUs, EFA, the CPU image), and the serving namespace enforces baseline while auditing and warning at restricted.",
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    const labels = args.props.metadata?.labels ?? {};
    if (args.type === NAMESPACE && labels["app.kubernetes.io/managed-by"] === "open-model-kit") {
      const enforce = labels["pod-security.kubernetes.io/enforce"];
      if (enforce !== "baseline" && enforce !== "restricted") report(`Namespace ${args.props.metadata.name} enforces Pod Security "${enforce ?? "nothing"}": a privileged pod would be admitted. Label it pod-security.kubernetes.io/enforce=baseline (or restricted).`);
      for (const mode of ["audit", "warn"]) if (labels[`pod-security.kubernetes.io/${mode}`] !== "restricted") report(`Namespace ${args.props.metadata.name} does not ${mode} at Pod Security "restricted": drift from it goes unnoticed. Label it pod-security.kubernetes.io/${mode}=restricted.`);
    }
    if (labels["app.kubernetes.io/managed-by"] !== "open-model-kit") return;
    for (const t of podTemplates(args)) {
      for (const p of restrictedProblems(t.spec)) report(`${args.props.kind ?? args.type} ${args.props.metadata?.name}: ${p}. Pod Security "restricted" requires it (runAsNonRoot, allowPrivilegeEscalation: false, capabilities drop ALL, seccompProfile RuntimeDefault).`);
    }
  },
};

export const controlPlaneAccess: ResourceValidationPolicy = {
  name: "eks-endpoint-restricted",
  description: "The EKS API endpoint is private, or public only to named CIDRs (never 0.0.0.0/0).",
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    if (args.type !== CLUSTER) return;
    const vpc = args.props.vpcConfig ?? {};
    if (vpc.endpointPublicAccess === false) return;
    const cidrs: string[] = vpc.publicAccessCidrs ?? ["0.0.0.0/0"];
    if (cidrs.includes("0.0.0.0/0")) report("The EKS API endpoint is public to 0.0.0.0/0 (CIS EKS 5.4.2). Set omk:cluster.endpoint.publicAccessCidrs to the CIDRs that administer the cluster (your VPN, CI runners), or endpoint.public: false.");
  },
};

/** Log types CIS EKS 2.1.1 asks for: who called the API, with what, and how they authenticated. */
export const REQUIRED_LOG_TYPES = ["api", "audit", "authenticator"] as const;

export const controlPlaneLogs: ResourceValidationPolicy = {
  name: "control-plane-logs",
  description: "EKS control-plane logging covers api, audit and authenticator.",
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    if (args.type !== CLUSTER) return;
    const enabled: string[] = args.props.enabledClusterLogTypes ?? [];
    const missing = REQUIRED_LOG_TYPES.filter((t) => !enabled.includes(t));
    if (missing.length) report(`EKS control-plane logs miss ${missing.join(", ")} (CIS EKS 2.1.1): without them no one can tell who changed the cluster. Add them to omk:cluster.logTypes.`);
  },
};

/** Registries (image name prefixes) the kit's own images come from; a pull-through cache in the account is allowed too. */
export const DEFAULT_REGISTRIES = ["vllm/", "lmcache/", "nginxinc/", "amazon/aws-cli", "public.ecr.aws/", "registry.k8s.io/"];

function fromAllowedRegistry(image: string, allowed: readonly string[]): boolean {
  // An ECR repository in the account (the pull-through cache) is trusted: the account controls it.
  if (/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//.test(image)) return true;
  const name = image.replace(/^docker\.io\//, "").replace(/^index\.docker\.io\//, "");
  return allowed.some((prefix) => name.startsWith(prefix));
}

export const trustedRegistries: ResourceValidationPolicy = {
  name: "trusted-registries",
  description: "Every container image comes from a registry the environment trusts (allowedRegistries) or the account's own ECR.",
  enforcementLevel: "advisory",
  configSchema: { properties: { allowedRegistries: { type: "array", items: { type: "string" } } } },
  validateResource: (args, report) => {
    const allowed: string[] = (args.getConfig<{ allowedRegistries?: string[] }>().allowedRegistries) ?? DEFAULT_REGISTRIES;
    for (const t of podTemplates(args)) {
      for (const c of containersOf(t.spec)) {
        if (typeof c.image === "string" && !fromAllowedRegistry(c.image, allowed)) report(`Container ${c.name} runs "${c.image}", from no registry this environment trusts (${allowed.join(", ")}). Mirror it into your ECR or add its registry to allowedRegistries in the policy config.`);
      }
    }
  },
};

/**
 * `--trust-remote-code` runs the repo's own Python in the server. From the Hub without `--revision`, that code is
 * whatever the branch holds at each start; from the S3 store it is the snapshot the mirror copied once.
 */
export const remoteCodePinned: ResourceValidationPolicy = {
  name: "remote-code-pinned",
  description: "A server that runs its model repo's code (--trust-remote-code) pins the revision, or loads from the kit's S3 store.",
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    for (const t of podTemplates(args)) {
      for (const c of t.spec.containers ?? []) {
        const argv = argvOf(c).join(" ");
        if (!/--trust-remote-code\b/.test(argv)) continue;
        const fromStore = /\bs3:\/\//.test(argv);
        if (!fromStore && !/--revision[ =]\S+/.test(argv)) report(`Container ${c.name} runs its model repo's code (--trust-remote-code) from an unpinned Hub branch: whoever can push there runs code in the cluster. Pin weights.revision to a commit hash, or use weights.source: s3.`);
      }
    }
  },
};

/** Why a vLLM server's pod template fails the API-guard rule, or null (the guard is its only HTTP entry). */
export function apiGuardProblem(t: { spec: any }): string | null {
  const containers: any[] = t.spec.containers ?? [];
  const vllm = containers.find((c) => c.name === "vllm");
  if (!vllm) return null;
  const argv = argvOf(vllm).join(" ");
  if (!/\bvllm serve\b/.test(argv)) return null; // a multi-node worker: no HTTP
  if (!containers.some((c) => c.name === GUARD_CONTAINER)) return "runs vLLM without the API guard in front of it";
  if (!/--host '?127\.0\.0\.1'?(\s|$)/.test(argv) || /--host[= ]'?0\.0\.0\.0/.test(argv)) return "lets vLLM listen beyond the pod's loopback, past the API guard";
  if ((vllm.ports ?? []).length) return "opens a port on the vLLM container itself";
  return null;
}

export const vllmBehindGuard: ResourceValidationPolicy = {
  name: "vllm-behind-api-guard",
  description: "Every vLLM server listens on its pod's loopback only, behind the API guard that serves /v1, /health and /metrics and nothing else (vLLM's key guards only some of its routes).",
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    for (const t of podTemplates(args)) {
      const problem = apiGuardProblem(t);
      if (problem) report(`${args.props.kind} ${args.props.metadata?.name} ${problem}: /invocations, /pause, /tokenize and other routes would answer without a key. Keep the kit's --host and --port (not in extraArgs) and its api-guard container.`);
    }
  },
};

/** ELB security policies that allow nothing older than TLS 1.2 (ELB user guide, "Security policies"). */
export function isTls12Policy(name: string): boolean {
  return /^ELBSecurityPolicy-(TLS13-1-2|TLS-1-2|FS-1-2)/.test(name);
}

export const albTlsPolicy: ResourceValidationPolicy = {
  name: "alb-tls-1-2",
  description: "Every HTTPS listener the kit's Ingresses open negotiates TLS 1.2 or newer only (alb.ingress.kubernetes.io/ssl-policy).",
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    if (args.type !== TYPES.ingress) return;
    const annotations = args.props.metadata?.annotations ?? {};
    if (!String(annotations["alb.ingress.kubernetes.io/listen-ports"] ?? "").includes("HTTPS")) return;
    const policy = String(annotations["alb.ingress.kubernetes.io/ssl-policy"] ?? "");
    if (!isTls12Policy(policy)) report(`Ingress ${args.props.metadata?.name} serves HTTPS with ${policy ? `ssl-policy ${policy}` : "the controller's default ssl-policy"}, which may allow TLS 1.0/1.1. Set alb.ingress.kubernetes.io/ssl-policy to ELBSecurityPolicy-TLS13-1-2-2021-06.`);
  },
};

export const vpcFlowLogs: StackValidationPolicy = {
  name: "vpc-flow-logs",
  description: "A VPC the stack creates has flow logs (CIS AWS 3.9).",
  enforcementLevel: "advisory",
  validateStack: (args, report) => {
    const vpcs = args.resources.filter((r) => r.type === "aws:ec2/vpc:Vpc");
    const logged = args.resources.filter((r) => r.type === "aws:ec2/flowLog:FlowLog");
    if (vpcs.length > logged.length) report("The stack's VPC has no flow logs (CIS AWS 3.9): refused and unexpected connections leave no trace. Remove omk:cluster.flowLogs: off.");
  },
};

export const inVpcEndpoints: StackValidationPolicy = {
  name: "private-endpoints-tls-auth",
  description: "An endpoint on an internal ALB uses HTTPS and an API key too: inside a VPC, keys in clear text are readable by anything on the path.",
  enforcementLevel: "advisory",
  validateStack: (args, report) => {
    for (const { ingress: ing, scheme, certificates: certs, listenPorts: listen } of albEndpoints(args.resources)) {
      if (scheme !== "internal") continue;
      if (!certs.length || !listen.includes("HTTPS")) report(`Ingress ${ing.props.metadata?.name} serves a private endpoint over plain HTTP: API keys cross the VPC in clear text. Set omk:traffic.certificateArn (or domain + hostedZoneId).`, ing.urn);
      if (!guardedByApiKey(args.resources, ing)) report(`Ingress ${ing.props.metadata?.name} reaches a model that requires no API key. Remove auth: false.`, ing.urn);
    }
  },
};

/**
 * Whether the vLLM server an Ingress leads to requires an API key. The Ingress carries its model's instance label;
 * its backend may be the router or the KEDA interceptor, so the server is found by that label, not by the backend.
 * The key is checked by the API guard in each server pod (components/serving/api-guard-spec.ts): every pod serving
 * HTTP runs the guard, vLLM listens on loopback only, and the guard's configuration refuses requests without a key.
 */
export function guardedByApiKey(resources: readonly { type: string; props: Record<string, any> }[], ing: { props: Record<string, any> }): boolean {
  const instance = ing.props.metadata?.labels?.["app.kubernetes.io/instance"];
  const servers = resources.filter((r) => podTemplates(r as never).length && r.props.metadata?.labels?.["app.kubernetes.io/component"] === "server" && r.props.metadata?.labels?.["app.kubernetes.io/instance"] === instance);
  const conf = resources.find((r) => r.type === TYPES.configMap && r.props.metadata?.name === guardConfigName(String(instance)))?.props.data?.["nginx.conf"];
  if (!servers.length || typeof conf !== "string" || !guardRequiresKey(conf)) return false;
  return servers.every((s) => podTemplates(s as never).every((t) => apiGuardProblem(t) === null));
}
