/**
 * Upgrades as `omk diff` shows them: in-place updates with the way they reach traffic, never a replacement of a
 * stateful resource; and the upgrade EKS refuses (a skipped minor version) blocks `pulumi up` with the step to take.
 */
import { describe, expect, it } from "vitest";
import { diffPlans } from "../../cli/engine/diff";
import { diffMarkdown, showChange } from "../../cli/engine/diff-render";
import { disruptionOf, networkProblems } from "../../cli/engine/disruption";
import { DEFAULT_KUBERNETES_VERSION } from "../../components/config/infra-schema";
import { plan, stackConfig } from "../harness/stack";

const model = { id: "Qwen/Qwen3-8B", maxModelLen: 8192, replicas: { min: 1, max: 2 } };
const at = (extra: Record<string, unknown>, m: Record<string, unknown> = model) => plan(stackConfig([m], { "omk:cluster": { admins: ["arn:aws:iam::123456789012:role/deploy"], ...(extra["omk:cluster"] as object) }, ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== "omk:cluster")) }));
const STATEFUL = /aws:(eks\/cluster|kms\/key|s3\/bucket|ec2\/(vpc|subnet)):/;
const next = (v: string, by = 1) => `1.${Number(v.split(".")[1]) + by}`;

describe("upgrades", () => {
  it("a vLLM image bump rolls the server surge-first and replaces nothing", async () => {
    const [a, b] = await Promise.all([at({}), at({ "omk:serving": { image: "vllm/vllm-openai:v0.32.1" } })]);
    const d = diffPlans("t", a, b);
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(d.blocking).toEqual([]);
    expect(d.changed.filter((c) => c.replaceReason)).toEqual([]);
    const server = d.changed.find((c) => c.name.endsWith("-qwen3-8b-server"))!;
    expect(server.disruption).toMatch(/^rolling update, surge-first/);
  });

  it("a Kubernetes minor upgrade is an in-place control-plane update; skipping a minor or going back blocks pulumi up", async () => {
    const v = DEFAULT_KUBERNETES_VERSION;
    const [a, b, skip] = await Promise.all([at({}), at({ "omk:cluster": { kubernetesVersion: next(v) } }), at({ "omk:cluster": { kubernetesVersion: next(v, 2) } })]);
    const d = diffPlans("t", a, b);
    const cluster = d.changed.find((c) => c.type === "aws:eks/cluster:Cluster")!;
    expect(cluster.replaceReason).toBeNull();
    expect(cluster.disruption).toMatch(/control-plane upgrade in place/);
    expect(d.changed.filter((c) => c.replaceReason && STATEFUL.test(c.type))).toEqual([]);
    expect(d.blocking).toEqual([]);
    expect(diffPlans("t", a, skip).blocking).toEqual([expect.stringMatching(new RegExp(`Kubernetes ${v.replace(".", "\\.")} → ${next(v, 2).replace(".", "\\.")} skips 1 minor version.*Set omk:cluster\\.kubernetesVersion to ${next(v).replace(".", "\\.")}`))]);
    expect(diffPlans("t", b, a).blocking).toEqual([expect.stringMatching(/is a downgrade/)]);
    expect(diffPlans("t", b, a).changed.find((c) => c.type === "aws:eks/cluster:Cluster")!.disruption).toMatch(/^a downgrade: EKS refuses it/);
  });

  it("on managed node groups, a Kubernetes upgrade also moves the node groups and their add-ons, in place", async () => {
    const managed = { "omk:capacity": { mode: "managed", capacityType: "on-demand" } };
    const v = DEFAULT_KUBERNETES_VERSION;
    const fixed = { ...model, replicas: { min: 1, max: 1 } };
    const [a, b] = await Promise.all([at(managed, fixed), at({ ...managed, "omk:cluster": { kubernetesVersion: next(v) } }, fixed)]);
    const d = diffPlans("t", a, b);
    expect(d.changed.filter((c) => c.replaceReason)).toEqual([]);
    const group = d.changed.find((c) => c.type === "aws:eks/nodeGroup:NodeGroup")!;
    expect(group.changes.map((c) => c.path)).toContain("version");
    expect(group.disruption).toMatch(/managed node group rolling update/);
    const addons = d.changed.filter((c) => c.type === "aws:eks/addon:Addon");
    expect(addons.map((c) => c.name.split("-").pop()).sort()).toEqual(["cni", "coredns", "proxy"]);
    for (const addon of addons) expect(addon.changes).toEqual([{ path: "addonVersion", before: `offline-default-for-${v}`, after: `offline-default-for-${next(v)}` }]);
  });

  it("pinned add-on versions hold through an unrelated up, and a pin bump updates the add-on in place; pins are checked up front", async () => {
    const managed = { "omk:capacity": { mode: "managed", capacityType: "on-demand" } };
    const fixed = { ...model, replicas: { min: 1, max: 1 } };
    const v = DEFAULT_KUBERNETES_VERSION;
    const pins = (cni: string) => ({ ...managed, "omk:cluster": { addonVersions: { "vpc-cni": cni, "kube-proxy": `v${v}.5-eksbuild.2` } } });
    const [a, b] = await Promise.all([at(pins("v1.19.2-eksbuild.1"), fixed), at(pins("v1.19.5-eksbuild.3"), fixed)]);
    const version = (p: typeof a, suffix: string) => p.resources.find((r) => r.type === "aws:eks/addon:Addon" && r.name.endsWith(suffix))!.inputs.addonVersion;
    // Pinned: the recorded version is the pin, not the lookup's default (which AWS moves); unpinned: EKS's default.
    expect([version(a, "-vpc-cni"), version(a, "-kube-proxy"), version(a, "-coredns")]).toEqual(["v1.19.2-eksbuild.1", `v${v}.5-eksbuild.2`, `offline-default-for-${v}`]);
    const d = diffPlans("t", a, b);
    expect(d.changed.map((c) => [c.name.split("-").slice(-2).join("-"), c.changes.map((x) => x.path), c.replaceReason, c.disruption])).toEqual([
      ["vpc-cni", ["addonVersion"], null, expect.stringMatching(/^EKS updates the add-on in place/)],
    ]);
    await expect(at({ "omk:cluster": { addonVersions: { coredns: "v1.11.4-eksbuild.2" } } })).rejects.toThrow(/omk:cluster\.addonVersions: .*pins add-ons the kit installs only beside managed node groups.*Fix: remove cluster\.addonVersions, or use capacity\.mode: managed/);
    await expect(at({ ...managed, "omk:cluster": { addonVersions: { "kube-proxy": "v1.30.14-eksbuild.8" } } }, fixed)).rejects.toThrow(new RegExp(`omk:cluster\\.addonVersions\\.kube-proxy: "v1\\.30\\.14-eksbuild\\.8" — is not a build for Kubernetes ${v.replace(".", "\\.")}`));
    await expect(at({ ...managed, "omk:cluster": { addonVersions: { coredns: "1.11" } } }, fixed)).rejects.toThrow(/must be an EKS add-on version like v1\.19\.2-eksbuild\.1/);
  });

  it("a new VPC CIDR replaces the VPC and its subnets; the cluster in them would have to change VPC, which EKS refuses: blocked", async () => {
    const [a, b] = await Promise.all([at({}), at({ "omk:cluster": { vpcCidr: "10.50.0.0/16" } })]);
    const d = diffPlans("t", a, b);
    const cluster = d.changed.find((c) => c.type === "aws:eks/cluster:Cluster")!;
    // Subnets of a cluster update in place (EKS UpdateClusterConfig), but only within its VPC.
    expect(cluster.replaceReason).toBeNull();
    expect(cluster.changes.find((c) => c.path === "vpcConfig.subnetIds[0]")!.after).toMatch(/^\(id of the new Subnet /);
    expect(d.blocking.join("\n")).toMatch(/EKS cluster .*: its subnets would move to a new VPC, and EKS changes a cluster's subnets only within its own VPC\. Revert the VPC change \(omk:cluster\.vpcCidr\)/);
    // A change of subnets within the VPC blocks nothing.
    expect(networkProblems([{ type: "aws:eks/cluster:Cluster", name: "c", replaceReason: null, changes: [{ path: "vpcConfig.subnetIds[0]", before: "a", after: "b" }] }])).toEqual([]);
  });

  it("pinning a model revision rolls its server and replaces no stateful resource", async () => {
    const [a, b] = await Promise.all([at({}), at({}, { ...model, weights: { revision: "0123456789abcdef0123456789abcdef01234567" } })]);
    const d = diffPlans("t", a, b);
    expect(d.changed.filter((c) => c.replaceReason && STATEFUL.test(c.type))).toEqual([]);
    expect(d.changed.find((c) => c.name.endsWith("-qwen3-8b-server"))!.disruption).toMatch(/surge-first/);
  });

  it("shows the image first among a server's changes, and long values from where they differ", async () => {
    const s3 = { ...model, weights: { source: "s3" } };
    const [a, b] = await Promise.all([at({}, s3), at({ "omk:serving": { image: "vllm/vllm-openai:v0.32.1" } }, { ...s3, weights: { source: "s3", revision: "0123456789abcdef0123456789abcdef01234567" } })]);
    const md = diffMarkdown([diffPlans("t", a, b)], "main");
    const row = md.split("\n").find((l) => l.includes("-qwen3-8b-server"))!;
    expect(row).toMatch(/\| `spec\.template\.spec\.containers\[0\]\.image`: vllm\/vllm-openai:v0\.32\.0 → vllm\/vllm-openai:v0\.32\.1<br>/);
    expect(showChange("s3://omk-t-serving-store-weights-0000000/Qwen/Qwen3-8B/main", "s3://omk-t-serving-store-weights-0000000/Qwen/Qwen3-8B/0123456789abcdef0123456789abcdef01234567"))
      .toMatch(/^…[^→]*Qwen3-8B\/main → …[^→]*Qwen3-8B\/0123456789abcdef/);
  });

  it("says how other in-place changes reach traffic: a chart upgrade, node pool drift", () => {
    const release = { urn: "u", type: "kubernetes:helm.sh/v3:Release", name: "keda", parent: null, custom: true, protect: false, retainOnDelete: false, dependencies: [], inputs: {}, outputs: {} };
    expect(disruptionOf(release, [{ path: "version", before: "2.17.0", after: "2.18.0" }])).toMatch(/helm upgrade in place/);
    const pool = { ...release, type: "kubernetes:karpenter.sh/v1:NodePool", name: "gpu" };
    expect(disruptionOf(pool, [{ path: "spec.template.spec.requirements[0].values[0]", before: "a", after: "b" }])).toMatch(/Karpenter replaces the pool's nodes by drift/);
  });
});
