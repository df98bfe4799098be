/**
 * Kubernetes RBAC as the API server evaluates it (RBAC docs, "Role and ClusterRole"): a request is allowed when some
 * rule lists its API group, resource and verb (or "*"), and, where the rule names resources, the object's name.
 */
import type { PolicyRule } from "../../components/aws/preview-access-spec";

export function rbacAllows(rules: readonly PolicyRule[], group: string, resource: string, verb: string, name?: string): boolean {
  const has = (list: readonly string[] | undefined, v: string) => (list ?? []).some((x) => x === "*" || x === v);
  return rules.some((r) => has(r.apiGroups, group) && has(r.resources, resource) && has(r.verbs, verb) && (!r.resourceNames?.length || (name !== undefined && r.resourceNames.includes(name))));
}

/** The API group and kind of a recorded Kubernetes resource type (`kubernetes:apps/v1:Deployment` → ["apps", "Deployment"]). */
export function groupKindOf(type: string): [string, string] {
  const [, module = "", kind = ""] = type.split(":");
  const group = module.split("/")[0]!;
  return [group === "core" ? "" : group, kind];
}
