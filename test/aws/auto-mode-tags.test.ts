/**
 * EKS Auto Mode launches a node from a NodeClass with user-defined tags only when its cluster role may tag
 * (EKS user guide, "Custom AWS tags for EKS Auto resources"). These tests evaluate the IAM policies the way
 * AWS would for the calls Auto Mode makes, against the NodeClass tags each stack really renders.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { AUTO_MODE_OWN_TAG_KEYS, autoModeCustomTagsPolicy, autoModeNodeClassTags } from "../../components/aws/auto-mode-tags";
import { shippedStacks } from "../../cli/commands/stacks";
import { readStackFile, stackFilePath } from "../../components/config/load";
import type { Plan } from "../../cli/engine/plan";
import { allows, taggedRequest, type Policy } from "../harness/iam";
import { ofType, plan, stackConfig } from "../harness/stack";

const computePolicy = (JSON.parse(readFileSync(path.join(__dirname, "../fixtures/aws/AmazonEKSComputePolicy.json"), "utf8")) as { document: Policy }).document;
const kitPolicy = autoModeCustomTagsPolicy() as unknown as Policy;
const instance = "arn:aws:ec2:us-east-1:111122223333:instance/*";
const COMPUTE_ACTIONS = ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"];

/** The tags Auto Mode itself puts on a node it launches for `nodeClass` of `cluster`. */
function autoModeTags(cluster: string, nodeClass: string): Record<string, string> {
  const [clusterKey, classKey, poolKey] = AUTO_MODE_OWN_TAG_KEYS;
  return { [clusterKey]: cluster, [classKey]: nodeClass, [poolKey]: nodeClass, [`kubernetes.io/cluster/${cluster}`]: "owned" };
}

describe("the cluster role's permission to launch tagged nodes", () => {
  const userTags = autoModeNodeClassTags({ "omk.dev/environment": "prod" }, "gpu-p5", true)!;
  const tagged = { ...autoModeTags("omk-prod", "gpu-p5"), ...userTags };

  it("AmazonEKSComputePolicy alone launches untagged NodeClasses but refuses user-defined tags (the documented trap)", () => {
    for (const action of COMPUTE_ACTIONS) {
      expect(allows([computePolicy], taggedRequest(action, instance, "omk-prod", autoModeTags("omk-prod", "gpu-p5")))).toBe(true);
      expect(allows([computePolicy], taggedRequest(action, instance, "omk-prod", tagged))).toBe(false);
    }
  });

  it("with the kit's policy every tagged create Auto Mode makes is allowed", () => {
    for (const action of COMPUTE_ACTIONS) expect(allows([computePolicy, kitPolicy], taggedRequest(action, instance, "omk-prod", tagged))).toBe(true);
    expect(allows([kitPolicy], taggedRequest("ec2:CreateVolume", "arn:aws:ec2:us-east-1:111122223333:volume/*", "omk-prod", { "eks:eks-cluster-name": "omk-prod", ...userTags }))).toBe(true);
    expect(allows([kitPolicy], taggedRequest("ec2:CreateNetworkInterface", "arn:aws:ec2:us-east-1:111122223333:network-interface/*", "omk-prod",
      { "eks:eks-cluster-name": "omk-prod", "eks:kubernetes-cni-node-name": "i-0abc", ...userTags }))).toBe(true);
  });

  it("stays scoped to the cluster's own resources", () => {
    // Another cluster's name in the request, or a resource without this cluster's tag, is not this role's business.
    expect(allows([kitPolicy], taggedRequest("ec2:RunInstances", instance, "omk-prod", { ...tagged, "eks:eks-cluster-name": "someone-else" }))).toBe(false);
    const retag = (owner: string | undefined) => ({
      action: "ec2:CreateTags", resource: instance,
      context: { "aws:PrincipalTag/eks:eks-cluster-name": "omk-prod", ...(owner ? { "aws:ResourceTag/eks:eks-cluster-name": owner } : {}) },
    });
    expect(allows([kitPolicy], retag("omk-prod"))).toBe(true);
    expect(allows([kitPolicy], retag("other"))).toBe(false);
    expect(allows([kitPolicy], retag(undefined))).toBe(false);
  });

  it("refuses tag keys EKS reserves", () => {
    expect(() => autoModeNodeClassTags({ "eks:eks-cluster-name": "x" }, "gpu", true)).toThrow(/reserves/);
    expect(autoModeNodeClassTags({ team: "ml" }, "gpu", false)).toBeUndefined();
  });
});

/** For every Auto Mode NodeClass a plan renders: can its cluster role launch a node from it? */
function launchable(p: Plan): { nodeClass: string; tagged: boolean; allowed: boolean }[] {
  const clusterRole = ofType(p, "aws:iam/role:Role").find((r) => String(r.inputs.assumeRolePolicy).includes("eks.amazonaws.com"));
  const inline = clusterRole ? ofType(p, "aws:iam/rolePolicy:RolePolicy").filter((r) => r.inputs.role === clusterRole.name).map((r) => JSON.parse(String(r.inputs.policy)) as Policy) : [];
  const clusterName = String(ofType(p, "aws:eks/cluster:Cluster")[0]?.inputs.name ?? p.cluster.name);
  return ofType(p, "kubernetes:eks.amazonaws.com/v1:NodeClass").map((r) => {
    const spec = r.inputs.spec as { tags?: Record<string, string> };
    const name = (r.inputs.metadata as { name: string }).name;
    const request = taggedRequest("ec2:RunInstances", instance, clusterName, { ...autoModeTags(clusterName, name), ...(spec.tags ?? {}) });
    return { nodeClass: name, tagged: Boolean(spec.tags && Object.keys(spec.tags).length), allowed: allows([computePolicy, ...inline], request) };
  });
}

describe("every stack's Auto Mode NodeClasses can launch a node", () => {
  const stacks = shippedStacks();
  it.each(stacks.length ? stacks : ["(none shipped)"])("%s", async (stack) => {
    if (stack === "(none shipped)") return;
    const p = await plan(readStackFile(stackFilePath(stack)));
    for (const c of launchable(p)) expect(c, `${stack}: NodeClass ${c.nodeClass}`).toMatchObject({ allowed: true });
  });

  it("a new cluster tags its GPU nodes, and its role is granted exactly that", async () => {
    const p = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }]));
    expect(launchable(p)).toEqual([expect.objectContaining({ tagged: true, allowed: true })]);
    const tagPolicy = ofType(p, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name.endsWith("cluster-custom-tags"))!;
    // The cluster (and so every NodeClass, which waits for the cluster's provider) waits for the permission.
    expect(ofType(p, "aws:eks/cluster:Cluster")[0]!.dependencies).toContain(tagPolicy.urn);
  });

  it("an existing Auto Mode cluster's NodeClass carries tags only when its role is declared able to apply them", async () => {
    const existing = (extra: Record<string, unknown>) => stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }], { "omk:cluster": { mode: "existing", name: "shared", autoMode: true, nodeRoleName: "shared-auto-node", ...extra } });
    const plain = launchable(await plan(existing({})));
    expect(plain).toEqual([expect.objectContaining({ tagged: false, allowed: true })]);
    const declared = await plan(existing({ customTagPermissions: true }));
    expect(ofType(declared, "kubernetes:eks.amazonaws.com/v1:NodeClass")[0]!.inputs.spec).toMatchObject({ tags: { "omk.dev/pool": expect.any(String) } });
  });
});
