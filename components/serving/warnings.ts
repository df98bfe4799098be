/** Serving and traffic findings a reviewer should see that do not block the preview (pure). */
import { findModel } from "../catalog/models";
import type { ResolvedStack } from "../config/validate";

export function servingWarnings(stack: ResolvedStack): string[] {
  const out: string[] = [];
  // A rotation in progress: two keys open the endpoints until the old one is retired.
  if (stack.apiKeyKeepPrevious) out.push(`Key rotation in progress: the generated key of omk:apiKeyVersion ${stack.apiKeyVersion - 1} is still accepted next to version ${stack.apiKeyVersion}'s. Remove omk:apiKeyKeepPrevious once clients use the new key (pulumi stack output apiKeys --show-secrets).`);
  if (stack.apiKeyPrevious !== undefined) out.push("Key rotation in progress: omk:apiKeyPrevious is still accepted next to omk:apiKey. Remove it once clients use the new key.");
  stack.models.forEach((m, i) => {
    if (!m.revision) {
      // With S3 weights the code runs from the mirrored snapshot, fixed once copied; from the Hub it follows the branch.
      const remote = m.spec.trustRemoteCode && m.weightSource === "huggingface" ? ` It also runs the repo's own Python code (--trust-remote-code) as of that branch on every start: whoever can push to the repo runs code in your cluster.` : "";
      out.push(`omk:models[${i}].weights.revision is not set: ${m.name} serves the repo's default branch, which can change between restarts; pin a commit hash.${remote}`);
    }
    if (m.spec.userSupplied) {
      const file = m.spec.sources[0]?.replace(/^architecture: /, "") ?? "its config.json";
      const shadowed = findModel(m.spec.id) ? `; the catalog's own entry for ${m.spec.id} (parsers, flags, published sizes) is not used` : "";
      out.push(`${m.name} is sized from ${file}: its parameter counts are ESTIMATES and its license and gating are unknown to the kit (a gated repo needs omk:hfToken)${shadowed}.`);
    }
    const needed = m.placement.load?.replicas;
    // Autoscaling adds a replica only after the load arrives, and a new GPU replica takes minutes to serve.
    if (needed !== undefined && m.replicas.min < needed) out.push(`omk:models[${i}].replicas.min ${m.replicas.min} is below the ${needed} replica(s) ${m.name}'s load needs (ESTIMATE): when the load arrives at once, requests miss its latency targets until autoscaling has started the rest (minutes per GPU replica); set replicas.min to ${needed} if the load is steady.`);
    m.adapters.forEach((a, j) => {
      if (!a.revision && !a.repo.startsWith("s3://")) out.push(`omk:models[${i}].adapters[${j}].revision is not set: ${a.name} is fetched from the repo's default branch at every pod start; pin a commit hash.`);
    });
    if (m.routing.policy === "prefix-aware") {
      // production-stack src/vllm_router/routers/routing_logic.py PrefixAwareRouter reads `messages` or `prompt` only.
      out.push(`${m.name} routes prefix-aware: the router keys on chat \`messages\` or a completion's \`prompt\`, so /v1/responses and /v1/embeddings requests (which carry \`input\`) fail in the router (HTTP 500, production-stack routing_logic.py); if clients use them, set routing: session.`);
    }
    if (m.routing.policy !== "round-robin" && m.replicas.max === 1) out.push(`omk:models[${i}].routing is ${m.routing.policy} with replicas.max 1: the router has one replica to choose from and only adds a hop; use round-robin, or raise replicas.max.`);
    if (m.weightSource === "huggingface" && m.spec.totalParamsB >= 30) out.push(`${m.name} downloads ~${Math.round(m.spec.totalParamsB)}B parameters from the Hub on every new pod; weights.source: s3 mirrors them once and streams them (much faster scale-up).`);
  });
  if (stack.capacity.mode !== "cpu") {
    for (const key of ["image", "multiNodeImage"] as const) {
      const image = stack.serving[key];
      // A tag can be re-pushed; a digest names the bytes, so every node and every rollout runs the same server.
      if (image && !image.includes("@sha256:")) out.push(`omk:serving.${key} ${image} is pinned by tag only: pin the digest too (\`docker buildx imagetools inspect ${image}\` prints it), as ${image}@sha256:….`);
    }
    if (!stack.serving.imageCache) out.push("Images come from Docker Hub anonymously, every node behind the same NAT address (Docker Hub limits anonymous pulls per IP): set omk:serving.imageCache.dockerHubCredentialArn to pull them through an ECR cache.");
  }
  if (stack.cluster.mode === "existing") out.push("NetworkPolicies only take effect if the existing cluster's CNI enforces them (Amazon VPC CNI: enableNetworkPolicy=true; EKS Auto Mode: the amazon-vpc-cni ConfigMap); the kit turns this on only for clusters it creates. Its policies are IPv4 (an IPv6 cluster ignores them: the Pod Identity agent is then at fd00:ec2::23) and assume the agent's standard mode (in strict mode, DNS, the KEDA interceptor and Prometheus need policies of their own).");
  const exposed = stack.models.filter((m) => m.exposure !== "internal").map((m) => m.name);
  if (exposed.length) out.push(`DNS is not managed by the kit: after \`pulumi up\`, point the hosts of ${exposed.join(", ")} at the ALB (\`kubectl -n ${stack.serving.namespace} get ingress\`), or run external-dns.`);
  return out;
}
