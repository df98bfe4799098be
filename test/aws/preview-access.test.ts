/**
 * `omk:cluster.previewers`: a PR's preview role with exactly the RBAC a server-side dry-run of the kit's objects
 * needs (a dry-run is authorised like the change: Kubernetes API concepts, "Dry-run authorization"), through an access
 * entry in a Kubernetes group — never cluster-admin, never delete, never more than it holds. That every kind each
 * shipped stack applies is covered is checked per stack in test/stacks/shipped.test.ts.
 */
import { describe, expect, it } from "vitest";
import { planStack } from "../../cli/engine/plan";
import { diffPlans } from "../../cli/engine/diff";
import { previewerEntryName } from "../../components/aws/cluster-access";
import { PREVIEW_GROUP, PREVIEW_ROLE, previewRules } from "../../components/aws/preview-access-spec";
import { ofType, plan, stackConfig } from "../harness/stack";
import { rbacAllows } from "../harness/rbac";

const model = { id: "Qwen/Qwen3-8B", maxModelLen: 8192 };
const ci = "arn:aws:iam::123456789012:role/github-deploy";
const pr = "arn:aws:iam::123456789012:role/github-preview";
const other = "arn:aws:iam::123456789012:role/team-preview";
const withAccess = (admins: string[], previewers: string[]) => stackConfig([model], { "omk:cluster": { admins, previewers } });

describe("previewers", () => {
  it("get an entry in the previewers' group, no access policy, and the kit's ClusterRole bound to that group; reordering touches nothing", async () => {
    const [a, b, none] = await Promise.all([plan(withAccess([ci], [pr, other])), plan(withAccess([ci], [other, pr])), plan(withAccess([ci], []))]);
    const entry = ofType(a, "aws:eks/accessEntry:AccessEntry").find((r) => r.inputs.principalArn === pr)!;
    expect(entry.name).toBe(previewerEntryName("omk-test-platform-cluster", pr));
    expect(entry.inputs).toMatchObject({ type: "STANDARD", kubernetesGroups: [PREVIEW_GROUP] });
    expect(ofType(a, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation").map((r) => r.inputs.principalArn)).toEqual([ci]);
    const binding = ofType(a, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")[0]!.inputs as Record<string, any>;
    expect(binding).toMatchObject({ roleRef: { kind: "ClusterRole", name: PREVIEW_ROLE }, subjects: [{ kind: "Group", name: PREVIEW_GROUP }] });
    const reordered = diffPlans("t", a, b);
    expect([...reordered.added, ...reordered.removed, ...reordered.changed]).toEqual([]);
    expect(ofType(none, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")).toEqual([]);
  });

  it("may dry-run the kit's kinds but never delete, escalate, impersonate, or touch admission, CRDs, nodes or other roles", () => {
    const rules = previewRules();
    expect(rbacAllows(rules, "apps", "deployments", "patch")).toBe(true);
    expect(rbacAllows(rules, "", "secrets", "get")).toBe(true);
    for (const verb of ["delete", "deletecollection", "update", "escalate", "bind", "impersonate"]) {
      expect(rules.filter((r) => r.verbs.includes(verb) || r.verbs.includes("*")).map((r) => r.resources), verb).toEqual([]);
    }
    expect(rules.flatMap((r) => [...r.apiGroups, ...r.resources]).filter((x) => x === "*")).toEqual([]);
    expect(rbacAllows(rules, "admissionregistration.k8s.io", "validatingwebhookconfigurations", "patch")).toBe(false);
    expect(rbacAllows(rules, "apiextensions.k8s.io", "customresourcedefinitions", "patch")).toBe(false);
    expect(rbacAllows(rules, "", "nodes", "patch")).toBe(false);
    expect(rbacAllows(rules, "", "pods", "create")).toBe(false);
    // Its own role and binding by name only (escalation prevention bounds a real patch to what it already holds).
    expect(rbacAllows(rules, "rbac.authorization.k8s.io", "clusterroles", "patch", PREVIEW_ROLE)).toBe(true);
    expect(rbacAllows(rules, "rbac.authorization.k8s.io", "clusterroles", "patch", "cluster-admin")).toBe(false);
    expect(rbacAllows(rules, "rbac.authorization.k8s.io", "clusterrolebindings", "create")).toBe(false);
  });

  it("are refused as admins too, as sessions, or twice; a previewer running `pulumi up` is stopped", async () => {
    await expect(plan(withAccess([ci, pr], [pr]))).rejects.toThrow(/omk:cluster\.previewers\[0\]: .* is also an admin: EKS allows one access entry per principal.*Fix: remove it from cluster\.previewers or from cluster\.admins/);
    await expect(plan(withAccess([ci], ["arn:aws:sts::123456789012:assumed-role/github-preview/run-1"]))).rejects.toThrow(/omk:cluster\.previewers\[0\].*is a role session \(assumed-role\), not a role\. Fix: use arn:aws:iam::123456789012:role\/github-preview/);
    await expect(plan(withAccess([ci], [pr, pr.toUpperCase().replace("ARN:AWS:IAM", "arn:aws:iam")]))).rejects.toThrow(/omk:cluster\.previewers\[1\].*repeats previewers\[0\]/);
    const session = { "aws:iam/getSessionContext:getSessionContext": () => ({ id: pr, arn: pr, issuerArn: pr, issuerId: "x", issuerName: "x", sessionName: "s" }) };
    const up = await planStack(withAccess([ci], [pr]), { stack: "t", source: "test", invokes: session });
    expect(up.ok ? "" : String(up.error)).toMatch(/does not list arn:aws:iam::123456789012:role\/github-preview, the principal running Pulumi.*listed in omk:cluster\.previewers: previews only/);
  });
});
