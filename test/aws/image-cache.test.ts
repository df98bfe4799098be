/** ECR pull-through cache: which images go through it, what the plan creates, and the policy that lets nodes pull. */
import { describe, expect, it } from "vitest";
import { cacheRepositoryPolicy, cachedImage, dockerHubRepository } from "../../components/aws/image-cache-spec";
import { resolveStack } from "../../components/config/validate";
import { allows, type Statement } from "../harness/iam";
import { ofType, plan, stackConfig } from "../harness/stack";

type Obj = Record<string, any>;
const credential = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf";
const target = { account: "123456789012", region: "us-east-1", prefix: "omk-test-hub" };

describe("which images the Docker Hub cache serves", () => {
  it.each([
    ["vllm/vllm-openai:v0.32.0", "vllm/vllm-openai"],
    ["docker.io/amazon/aws-cli:2.17.0", "amazon/aws-cli"],
    // ECR's Docker Hub cache needs library/ for official images.
    ["ubuntu:24.04", "library/ubuntu"],
    ["registry.k8s.io/kubectl:v1.33.0", null],
    ["public.ecr.aws/neuron/vllm:1.0", null],
    ["localhost:5000/vllm:dev", null],
    ["nvcr.io/nvidia/k8s/dcgm-exporter:4.6.0", null],
  ])("%s → %s", (image, repo) => {
    expect(dockerHubRepository(image)).toBe(repo);
  });

  it("keeps the tag and digest, and leaves other registries alone", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    expect(cachedImage(`vllm/vllm-openai:v0.32.0@${digest}`, target)).toBe(`123456789012.dkr.ecr.us-east-1.amazonaws.com/omk-test-hub/vllm/vllm-openai:v0.32.0@${digest}`);
    expect(cachedImage("registry.k8s.io/kubectl:v1.33.0", target)).toBe("registry.k8s.io/kubectl:v1.33.0");
  });

  it("lets principals of the account, and no other, pull and import upstream images", () => {
    const policy = JSON.parse(cacheRepositoryPolicy("123456789012")) as { Statement: (Statement & { Principal: string })[] };
    const repo = "arn:aws:ecr:us-east-1:123456789012:repository/omk-test-hub/vllm/vllm-openai";
    const asResource = [{ Statement: policy.Statement.map((s) => ({ ...s, Resource: repo })) }];
    for (const action of ["ecr:BatchImportUpstreamImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]) {
      expect(allows(asResource, { action, resource: repo, context: { "aws:PrincipalAccount": "123456789012" } }), action).toBe(true);
      expect(allows(asResource, { action, resource: repo, context: { "aws:PrincipalAccount": "999999999999" } }), action).toBe(false);
    }
    expect(allows(asResource, { action: "ecr:PutImage", resource: repo, context: { "aws:PrincipalAccount": "123456789012" } })).toBe(false);
  });
});

describe("a stack with serving.imageCache", async () => {
  const models = [{ id: "Qwen/Qwen3-8B", maxModelLen: 8192, weights: { source: "s3" } }];
  const p = await plan(stackConfig(models, { "omk:serving": { imageCache: { dockerHubCredentialArn: credential } } }));

  it("creates the Docker Hub rule and one repository per Docker Hub image, before any pod pulls", () => {
    const rule = ofType(p, "aws:ecr/pullThroughCacheRule:PullThroughCacheRule")[0]!;
    expect(rule.inputs).toMatchObject({ ecrRepositoryPrefix: "omk-test-hub", upstreamRegistryUrl: "registry-1.docker.io", credentialArn: credential });
    expect(ofType(p, "aws:ecr/repository:Repository").map((r) => r.inputs.name).sort()).toEqual(["omk-test-hub/amazon/aws-cli", "omk-test-hub/nginxinc/nginx-unprivileged", "omk-test-hub/vllm/vllm-openai"]);
  });

  it("pulls every Docker Hub image of the server and its mirror Job through the cache", () => {
    const pods = p.resources.filter((r) => r.inputs.kind === "Deployment" || r.inputs.kind === "Job").map((r) => (r.inputs.spec as Obj).template.spec);
    const images = pods.flatMap((s: Obj) => [...(s.initContainers ?? []), ...s.containers].map((c: Obj) => c.image as string));
    expect(images.length).toBeGreaterThan(2);
    for (const image of images) expect(dockerHubRepository(image), image).toBeNull();
    expect(images).toContain("123456789012.dkr.ecr.us-east-1.amazonaws.com/omk-test-hub/vllm/vllm-openai:v0.32.0");
    expect(p.warnings.join("\n")).not.toMatch(/Docker Hub anonymously/);
  });

  it("warns without it, and when the vLLM image is pinned by tag only", async () => {
    const q = await plan(stackConfig(models));
    expect(ofType(q, "aws:ecr/pullThroughCacheRule:PullThroughCacheRule")).toHaveLength(0);
    expect(q.warnings.join("\n")).toMatch(/Docker Hub anonymously.*omk:serving.imageCache.dockerHubCredentialArn/);
    expect(q.warnings.join("\n")).toMatch(/omk:serving.image vllm\/vllm-openai:v0.32.0 is pinned by tag only/);
    const pinned = await plan(stackConfig(models, { "omk:serving": { image: `vllm/vllm-openai:v0.32.0@sha256:${"b".repeat(64)}` } }));
    expect(pinned.warnings.join("\n")).not.toMatch(/pinned by tag only/);
  });

  it.each([
    [credential.replace("us-east-1", "eu-west-1"), /is in eu-west-1, but the stack runs in us-east-1.*Fix: create the ecr-pullthroughcache\/ secret in us-east-1/],
    [credential.replace("ecr-pullthroughcache/", "dockerhub/"), /name starts with ecr-pullthroughcache\//],
  ])("refuses %s", (arn, message) => {
    const r = resolveStack(stackConfig(models, { "omk:serving": { imageCache: { dockerHubCredentialArn: arn } } }), "t");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(message);
  });
});
