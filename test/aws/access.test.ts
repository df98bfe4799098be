/**
 * Who can reach a cluster the kit creates: the admins listed in the stack, through access entries named by
 * principal; nobody by creating it. What EKS and the Pulumi engine do is reproduced where it matters: a second entry
 * for one principal is refused (409), a replaced entry is created before the old one is deleted unless told
 * otherwise, and a caller who is not an admin would lock itself out.
 */
import { describe, expect, it } from "vitest";
import { planStack } from "../../cli/engine/plan";
import { diffPlans } from "../../cli/engine/diff";
import { adminEntryName, callerProblem } from "../../components/aws/cluster-access";
import { ofType, plan, stackConfig } from "../harness/stack";

const model = { id: "Qwen/Qwen3-8B", maxModelLen: 8192 };
const ci = "arn:aws:iam::123456789012:role/github-deploy";
const alice = "arn:aws:iam::123456789012:role/platform/alice-admin";
const bob = "arn:aws:iam::123456789012:user/bob";
const withAdmins = (admins: string[]) => stackConfig([model], { "omk:cluster": { admins } });
const entries = (p: Awaited<ReturnType<typeof plan>>) => ofType(p, "aws:eks/accessEntry:AccessEntry").map((r) => ({ name: r.name, principal: r.inputs.principalArn }));

describe("cluster access", () => {
  it("creates the cluster without creator permissions", async () => {
    const p = await plan(withAdmins([ci]));
    const cluster = ofType(p, "aws:eks/cluster:Cluster")[0]!;
    expect(cluster.inputs.accessConfig).toEqual({ authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false });
    expect(p.warnings.join("\n")).not.toMatch(/omk:cluster\.admins is empty/);
  });

  it("gives each admin a cluster-admin entry named by its principal, so reordering or removing one touches no other", async () => {
    const [ab, ba, b] = await Promise.all([plan(withAdmins([ci, alice, bob])), plan(withAdmins([bob, ci, alice])), plan(withAdmins([ci, bob]))]);
    expect(entries(ab).map((e) => e.principal).sort()).toEqual([alice, bob, ci].sort());
    for (const e of entries(ab)) expect(e.name).toBe(adminEntryName("omk-test-platform-cluster", String(e.principal)));
    const reordered = diffPlans("t", ab, ba);
    expect([...reordered.added, ...reordered.removed, ...reordered.changed]).toEqual([]);
    const removed = diffPlans("t", ab, b);
    expect(removed.added).toEqual([]);
    expect(removed.changed).toEqual([]);
    expect(removed.removed.map((r) => r.name).sort()).toEqual([adminEntryName("omk-test-platform-cluster", alice), adminEntryName("omk-test-platform-cluster", alice)]);
    const assoc = ofType(ab, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation").find((r) => r.inputs.principalArn === alice)!;
    expect(assoc.inputs).toMatchObject({ policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", accessScope: { type: "cluster" } });
  });

  it("an upgrade from entries named by position, on a cluster created with creator permissions, changes nothing", async () => {
    const now = await plan(withAdmins([ci, alice]));
    // What such a stack held: entries named <cluster>-admin-<index>, and bootstrapClusterCreatorAdminPermissions true.
    const before = {
      ...now,
      resources: now.resources.map((r) => {
        if (r.type === "aws:eks/cluster:Cluster") return { ...r, inputs: { ...r.inputs, accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true } } };
        if (!r.aliases?.length) return r;
        return { ...r, urn: r.aliases[0]!, name: r.aliases[0]!.split("::").pop()!, aliases: undefined };
      }),
    };
    expect(before.resources.filter((r) => /-admin-\d$/.test(r.name))).toHaveLength(4);
    const d = diffPlans("t", before, now);
    // Adopted through their aliases; the creator setting is ignored (changing it would replace the cluster).
    expect([...d.added, ...d.removed, ...d.changed]).toEqual([]);
    expect(ofType(now, "aws:eks/cluster:Cluster")[0]!.ignoreChanges).toEqual(["accessConfig.bootstrapClusterCreatorAdminPermissions"]);
  });

  it("names entries uniquely per principal, under EKS's and Pulumi's limits", () => {
    const long = `arn:aws:iam::123456789012:role/${"a".repeat(64)}`;
    const names = [ci, alice, bob, long, `${long}b`].map((a) => adminEntryName("omk-prod-large-platform-cluster", a));
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z0-9-]+$/);
  });

  it("stops before creating anything when the principal running Pulumi is not an admin, naming the key and the principal", async () => {
    const session = (issuerArn: string) => ({ "aws:iam/getSessionContext:getSessionContext": () => ({ id: issuerArn, arn: issuerArn, issuerArn, issuerId: "x", issuerName: "x", sessionName: "s" }) });
    const outsider = "arn:aws:iam::123456789012:role/laptop";
    const r = await planStack(withAdmins([ci]), { stack: "t", source: "test", invokes: session(outsider) });
    const text = r.ok ? "" : String(r.error);
    expect(r.ok).toBe(false);
    expect(text).toMatch(/omk:cluster\.admins/);
    expect(text).toContain(`does not list ${outsider}, the principal running Pulumi`);
    expect(text).toContain(`add "${outsider}" to omk:cluster.admins`);
    expect((await planStack(withAdmins([ci]), { stack: "t", source: "test", invokes: session(ci) })).ok).toBe(true);
    expect(callerProblem([ci], ci)).toBeNull();
  });

  it("warns offline when no admin is listed: the first preview would stop", async () => {
    const p = await plan(stackConfig([model]));
    expect(p.warnings.join("\n")).toMatch(/omk:cluster\.admins is empty.*pulumi up` stops before creating anything/);
  });
});

describe("the identity the Kubernetes provider uses", () => {
  const kubeconfig = async (extra: Record<string, unknown>) => {
    const p = await plan(stackConfig([model], { "omk:cluster": { admins: [ci] }, ...extra }));
    const provider = p.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
    return JSON.parse(String(provider.inputs.kubeconfig)).users[0].user.exec;
  };

  it("is the AWS provider's: its profile and the role it assumes, so the token's principal is the one the preflight checked", async () => {
    expect(await kubeconfig({})).toMatchObject({ command: "aws", args: ["eks", "get-token", "--cluster-name", expect.any(String), "--region", "us-east-1"] });
    const configured = await kubeconfig({ "aws:profile": "platform", "aws:assumeRoles": [{ roleArn: ci }] });
    expect(configured.args.slice(-2)).toEqual(["--role-arn", ci]);
    expect(configured.env).toEqual([{ name: "AWS_PROFILE", value: "platform" }]);
  });

  it("waits for the admins' access entries before any Kubernetes resource", async () => {
    const p = await plan(withAdmins([ci, alice]));
    const provider = p.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
    const associations = ofType(p, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation").map((r) => r.urn);
    expect(associations).toHaveLength(2);
    for (const urn of associations) expect(provider.dependencies).toContain(urn);
  });
});
