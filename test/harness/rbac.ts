/**
 * Kubernetes RBAC as the API server evaluates it (RBAC docs, "Role and ClusterRole", "RoleBinding and
 * ClusterRoleBinding"): a request is allowed when a rule of a role bound to one of the caller's groups lists its API
 * group, resource and verb (or "*") and, where the rule names resources, the object's name. A ClusterRole bound by a
 * ClusterRoleBinding applies in every namespace; a Role only in its own.
 */
import type { PolicyRule } from "../../components/aws/preview-access-spec";

type Obj = Record<string, any>;

export function rulesAllow(rules: readonly PolicyRule[], group: string, resource: string, verb: string, name?: string): boolean {
  const has = (list: readonly string[] | undefined, v: string) => (list ?? []).some((x) => x === "*" || x === v);
  return rules.some((r) => has(r.apiGroups, group) && has(r.resources, resource) && has(r.verbs, verb) && (!r.resourceNames?.length || (name !== undefined && r.resourceNames.includes(name))));
}

/** Whether `objects` (Roles, ClusterRoles and their bindings) let a member of `groupName` make the request. */
export function rbacAllows(objects: readonly Obj[], groupName: string, request: { namespace?: string; group: string; resource: string; verb: string; name?: string }): boolean {
  const bound = (b: Obj) => (b.subjects ?? []).some((s: Obj) => s.kind === "Group" && s.name === groupName);
  const role = (kind: string, name: string, namespace?: string) => objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);
  const grants: PolicyRule[][] = [];
  for (const b of objects.filter((o) => o.kind === "ClusterRoleBinding" && bound(o))) grants.push(role("ClusterRole", b.roleRef.name)?.rules ?? []);
  if (request.namespace) {
    for (const b of objects.filter((o) => o.kind === "RoleBinding" && o.metadata.namespace === request.namespace && bound(o))) {
      grants.push((b.roleRef.kind === "ClusterRole" ? role("ClusterRole", b.roleRef.name) : role("Role", b.roleRef.name, request.namespace))?.rules ?? []);
    }
  }
  return grants.some((rules) => rulesAllow(rules, request.group, request.resource, request.verb, request.name));
}

/** The API group and kind of a recorded Kubernetes resource type (`kubernetes:apps/v1:Deployment` → ["apps", "Deployment"]). */
export function groupKindOf(type: string): [string, string] {
  const [, module = "", kind = ""] = type.split(":");
  const group = module.split("/")[0]!;
  return [group === "core" ? "" : group, kind];
}
