/**
 * ECR pull-through cache for the Docker Hub images the kit runs (pure). Anonymous Docker Hub pulls are
 * limited per source IP, and every node of a private cluster pulls through the same NAT address; a
 * pull-through cache rule makes ECR fetch each image once, with the account's Docker Hub credentials, and
 * serve it from the region (Amazon ECR user guide, "Sync an upstream registry with an Amazon ECR private
 * registry": Docker Hub needs a Secrets Manager secret whose name starts with `ecr-pullthroughcache/`).
 */

/**
 * Repository prefix of the environment's cache rule: images become
 * `<account>.dkr.ecr.<region>.amazonaws.com/omk-<environment>-hub/<repo>:<tag>`. One rule per prefix and
 * registry, so each environment (one per account and region, like its cluster name) owns its own; at most
 * 30 characters (CreatePullThroughCacheRule), which a 20-character environment name keeps to.
 */
export function imageCachePrefix(environment: string): string {
  return `omk-${environment}-hub`;
}
/** Upstream URL ECR expects for Docker Hub (CreatePullThroughCacheRule, upstreamRegistryUrl). */
export const DOCKER_HUB_UPSTREAM = "registry-1.docker.io";

export interface ImageCacheTarget {
  readonly account: string;
  readonly region: string;
  readonly prefix: string;
}

/** Account and region of the credential secret (the cache rule and its secret live in the same registry). */
export function imageCacheTarget(credentialArn: string, environment: string): ImageCacheTarget {
  const [, , , region, account] = credentialArn.split(":");
  return { account: account!, region: region!, prefix: imageCachePrefix(environment) };
}

/** Splits `repo[:tag][@digest]` at the reference (a colon after the last slash is a tag; before it, a port). */
function splitReference(image: string): { name: string; reference: string } {
  const at = image.indexOf("@");
  if (at >= 0) {
    const name = image.slice(0, at);
    const tag = name.lastIndexOf(":") > name.lastIndexOf("/") ? name.slice(name.lastIndexOf(":")) : "";
    return { name: tag ? name.slice(0, -tag.length) : name, reference: tag + image.slice(at) };
  }
  const colon = image.lastIndexOf(":");
  return colon > image.lastIndexOf("/") ? { name: image.slice(0, colon), reference: image.slice(colon) } : { name: image, reference: "" };
}

/**
 * The Docker Hub repository path of an image (`vllm/vllm-openai`, `library/ubuntu` for official images), or
 * null when the image lives on another registry (its first component has a dot or a port, like
 * `registry.k8s.io/…` or `public.ecr.aws/…`). ECR's Docker Hub cache needs `library/` for official images.
 */
export function dockerHubRepository(image: string): string | null {
  const { name } = splitReference(image);
  const parts = name.split("/");
  const first = parts[0]!;
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    if (first !== "docker.io" && first !== "registry-1.docker.io" && first !== "index.docker.io") return null;
    parts.shift();
  }
  return parts.length === 1 ? `library/${parts[0]}` : parts.join("/");
}

/** The image as pulled through the cache, or unchanged when it is not a Docker Hub image. */
export function cachedImage(image: string, target: ImageCacheTarget): string {
  const repo = dockerHubRepository(image);
  if (!repo) return image;
  return `${target.account}.dkr.ecr.${target.region}.amazonaws.com/${target.prefix}/${repo}${splitReference(image).reference}`;
}

/**
 * Repository policy on each pre-created cache repository: principals of the account may pull and let ECR
 * import the upstream image (ecr:BatchImportUpstreamImage may be granted by a repository policy — ECR user
 * guide, "IAM permissions required to sync an upstream registry"). Pre-creating the repositories means no
 * node needs ecr:CreateRepository, and a node role the kit does not own (existing clusters) needs nothing
 * beyond the usual ECR pull policy.
 */
export function cacheRepositoryPolicy(account: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{
      Sid: "PullThroughFromThisAccount", Effect: "Allow", Principal: "*",
      Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability", "ecr:BatchImportUpstreamImage"],
      Condition: { StringEquals: { "aws:PrincipalAccount": account } },
    }],
  });
}

/** Cached images keep the last 20 versions: a tag bump leaves older layers behind. */
export const CACHE_LIFECYCLE_POLICY = JSON.stringify({
  rules: [{ rulePriority: 1, description: "keep the 20 most recent images", selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 20 }, action: { type: "expire" } }],
});
