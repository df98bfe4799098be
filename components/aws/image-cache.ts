/** The ECR pull-through cache rule for Docker Hub and one pre-created repository per image the kit pulls through it. */
import * as pulumi from "@pulumi/pulumi";
import { LifecyclePolicy } from "@pulumi/aws/ecr/lifecyclePolicy";
import { PullThroughCacheRule } from "@pulumi/aws/ecr/pullThroughCacheRule";
import { Repository } from "@pulumi/aws/ecr/repository";
import { RepositoryPolicy } from "@pulumi/aws/ecr/repositoryPolicy";
import { CACHE_LIFECYCLE_POLICY, DOCKER_HUB_UPSTREAM, cacheRepositoryPolicy, dockerHubRepository, imageCacheTarget } from "./image-cache-spec";

export interface ImageCacheArgs {
  /** Secrets Manager secret (`ecr-pullthroughcache/…`) with Docker Hub credentials. */
  readonly credentialArn: string;
  readonly environment: string;
  /** Images the stack runs; the Docker Hub ones get a cache repository. */
  readonly images: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
}

export class ImageCache extends pulumi.ComponentResource {
  constructor(name: string, args: ImageCacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:aws:ImageCache", name, {}, opts);
    const parent = { parent: this };
    const { account, prefix } = imageCacheTarget(args.credentialArn, args.environment);
    const rule = new PullThroughCacheRule(`${name}-docker-hub`, { ecrRepositoryPrefix: prefix, upstreamRegistryUrl: DOCKER_HUB_UPSTREAM, credentialArn: args.credentialArn }, parent);
    const repositories = [...new Set(args.images.map(dockerHubRepository).filter((r): r is string => r !== null))].sort();
    for (const repo of repositories) {
      const id = `${name}-${repo.replace(/[^a-z0-9]+/g, "-")}`;
      // forceDelete: the cache holds only copies of public images, so `pulumi destroy` may drop them.
      const repository = new Repository(id, {
        name: `${prefix}/${repo}`, forceDelete: true, imageScanningConfiguration: { scanOnPush: true }, tags: args.tags,
      }, { ...parent, dependsOn: [rule] });
      new RepositoryPolicy(id, { repository: repository.name, policy: cacheRepositoryPolicy(account) }, parent);
      new LifecyclePolicy(id, { repository: repository.name, policy: CACHE_LIFECYCLE_POLICY }, parent);
    }
    this.registerOutputs({});
  }
}
