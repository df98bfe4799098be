/**
 * The in-cluster side of `omk:cluster.previewers` (the access entries are the cluster's, cluster.ts): the RBAC of
 * preview-access-spec.ts, applied once the kit's namespaces exist.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Provider } from "@pulumi/kubernetes/provider";
import { ClusterRole } from "@pulumi/kubernetes/rbac/v1/clusterRole";
import { ClusterRoleBinding } from "@pulumi/kubernetes/rbac/v1/clusterRoleBinding";
import { Role } from "@pulumi/kubernetes/rbac/v1/role";
import { RoleBinding } from "@pulumi/kubernetes/rbac/v1/roleBinding";
import { previewRbac } from "./preview-access-spec";

export interface PreviewAccessArgs {
  /** The namespaces the kit applies objects in (previewNamespaces). */
  readonly namespaces: readonly string[];
  readonly provider: Provider;
  /** What creates those namespaces. */
  readonly dependsOn: readonly pulumi.Resource[];
}

export class PreviewAccess extends pulumi.ComponentResource {
  constructor(name: string, args: PreviewAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:aws:PreviewAccess", name, {}, opts);
    const k8s = { parent: this, provider: args.provider, dependsOn: [...args.dependsOn] };
    const kinds = { ClusterRole, ClusterRoleBinding, Role, RoleBinding } as const;
    let role: pulumi.Resource | undefined;
    for (const object of previewRbac(args.namespaces, { "app.kubernetes.io/managed-by": "open-model-kit" })) {
      const kind = object.kind as keyof typeof kinds;
      const suffix = `${kind.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase()}${object.metadata.namespace ? `-${object.metadata.namespace}` : ""}`;
      // Each binding after its role (a binding's dry-run looks its role up).
      const created: pulumi.Resource = new kinds[kind](`${name}-${suffix}`, object as never, kind.endsWith("Binding") && role ? { ...k8s, dependsOn: [...k8s.dependsOn, role] } : k8s);
      if (!kind.endsWith("Binding")) role = created;
    }
    this.registerOutputs({});
  }
}
