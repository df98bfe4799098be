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
import { CLUSTER_KINDS, NAMESPACED_KINDS, PREVIEW_GROUP, PREVIEW_ROLE, previewRbac } from "../../components/aws/preview-access-spec";
import { ofType, plan, stackConfig } from "../harness/stack";
import { groupKindOf, rbacAllows } from "../harness/rbac";

type Obj = Record<string, any>;

const model = { id: "Qwen/Qwen3-8B", maxModelLen: 8192 };
const ci = "arn:aws:iam::123456789012:role/github-deploy";
const pr = "arn:aws:iam::123456789012:role/github-preview";
const other = "arn:aws:iam::123456789012:role/team-preview";
const withAccess = (admins: string[], previewers: string[]) => stackConfig([model], { "omk:cluster": { admins, previewers } });

describe("previewers", () => {
  it("get an entry in the previewers' group, no access policy, and Roles in the kit's namespaces bound to that group; reordering touches nothing", async () => {
    const [a, b, none] = await Promise.all([plan(withAccess([ci], [pr, other])), plan(withAccess([ci], [other, pr])), plan(withAccess([ci], []))]);
    const entry = ofType(a, "aws:eks/accessEntry:AccessEntry").find((r) => r.inputs.principalArn === pr)!;
    expect(entry.name).toBe(previewerEntryName("omk-test-platform-cluster", pr));
    expect(entry.inputs).toMatchObject({ type: "STANDARD", kubernetesGroups: [PREVIEW_GROUP] });
    expect(ofType(a, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation").map((r) => r.inputs.principalArn)).toEqual([ci]);
    const rbac = a.resources.filter((r) => /rbac.*:(Cluster)?Role(Binding)?$/.test(r.type) && (r.inputs as Obj).metadata.name === PREVIEW_ROLE).map((r) => r.inputs as Obj);
    expect(rbac.map((o) => `${o.kind} ${o.metadata.namespace ?? ""}`).sort()).toEqual(["ClusterRole ", "ClusterRoleBinding ", "Role kube-system", "Role monitoring", "Role omk", "RoleBinding kube-system", "RoleBinding monitoring", "RoleBinding omk"]);
    // Every object this stack applies — the previewers' own RBAC included — can be dry-run by a previewer.
    const denied = a.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && !/helm\.sh|:providers:/.test(r.type)).flatMap((r) => {
      const [group, kind] = groupKindOf(r.type);
      const meta = (r.inputs as Obj).metadata;
      const resource = NAMESPACED_KINDS[group]?.[kind] ?? CLUSTER_KINDS[group]?.[kind] ?? { ClusterRole: "clusterroles", ClusterRoleBinding: "clusterrolebindings" }[kind] ?? kind;
      return ["get", "create", "patch"].filter((verb) => !rbacAllows(rbac, PREVIEW_GROUP, { namespace: meta.namespace, group, resource, verb, name: meta.name })).map((verb) => `${verb} ${kind} ${meta.namespace ?? ""}/${meta.name}`);
    });
    expect(denied).toEqual([]);
    const reordered = diffPlans("t", a, b);
    expect([...reordered.added, ...reordered.removed, ...reordered.changed]).toEqual([]);
    expect(none.resources.filter((r) => r.type.includes("rbac") && (r.inputs as Obj).metadata?.name === PREVIEW_ROLE)).toEqual([]);
  });

  it("may never delete, update, escalate or impersonate, nor reach other namespaces, admission, CRDs, nodes or other cluster roles", async () => {
    const rbac = previewRbac(["omk", "monitoring"], {});
    const may = (verb: string, group: string, resource: string, namespace?: string, name?: string) => rbacAllows(rbac, PREVIEW_GROUP, { namespace, group, resource, verb, name });
    expect(may("patch", "apps", "deployments", "omk")).toBe(true);
    expect(may("get", "", "secrets", "omk")).toBe(true);
    // A create right on workloads or Secrets is the power of the namespace's service accounts: none outside the kit's.
    expect(may("create", "apps", "deployments", "kube-system")).toBe(false);
    expect(may("create", "", "secrets", "kube-system")).toBe(false);
    expect(may("get", "", "secrets", "default")).toBe(false);
    expect(may("patch", "", "configmaps", "kube-system", "amazon-vpc-cni")).toBe(true);
    expect(may("patch", "", "configmaps", "kube-system", "aws-auth")).toBe(false);
    expect(may("patch", "", "namespaces", undefined, "omk")).toBe(true);
    expect(may("patch", "", "namespaces", undefined, "kube-system")).toBe(true);
    expect(may("patch", "", "namespaces", undefined, "default")).toBe(false);
    for (const o of rbac.filter((x) => x.rules)) {
      for (const rule of o.rules as Obj[]) {
        expect(rule.verbs.filter((v: string) => ["*", "delete", "deletecollection", "update", "escalate", "impersonate"].includes(v)), `${o.kind} ${o.metadata.namespace}`).toEqual([]);
        expect([...rule.apiGroups, ...rule.resources].filter((x: string) => x === "*")).toEqual([]);
        if (rule.verbs.includes("bind")) expect([o.kind, rule.resources]).toEqual(["Role", ["roles"]]);
      }
    }
    expect(may("patch", "admissionregistration.k8s.io", "validatingwebhookconfigurations")).toBe(false);
    expect(may("patch", "apiextensions.k8s.io", "customresourcedefinitions")).toBe(false);
    expect(may("patch", "", "nodes")).toBe(false);
    expect(may("create", "", "pods", "omk")).toBe(false);
    expect(may("bind", "rbac.authorization.k8s.io", "clusterroles", undefined, "cluster-admin")).toBe(false);
    expect(may("patch", "rbac.authorization.k8s.io", "clusterroles", undefined, PREVIEW_ROLE)).toBe(true);
    expect(may("patch", "rbac.authorization.k8s.io", "clusterroles", undefined, "cluster-admin")).toBe(false);
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
