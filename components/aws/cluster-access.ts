/**
 * Who may use a cluster the kit creates (pure): EKS access entries for `omk:cluster.admins`, and nothing implicit.
 *
 * The cluster is created without the creator's bootstrap permissions (accessConfig
 * bootstrapClusterCreatorAdminPermissions false): those make whoever ran the first `pulumi up` cluster-admin forever,
 * invisible in the stack (EKS best-practices guide, "Identity and Access Management": use access entries, remove the
 * creator's). So the principal running `pulumi up` must be one of the admins, or the Kubernetes provider gets 401
 * on the cluster it just created; the preflight checks that before anything changes (the caller's role is read with
 * sts:GetCallerIdentity and iam:GetSessionContext's issuer ARN, as the EKS user guide's access-entry examples use).
 * A preview by someone else (a PR's read-only role) only warns.
 */
import { createHash } from "node:crypto";

/** The access policy the admins get (EKS user guide, "Associate access policies with access entries"). */
export const CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

/**
 * A resource name per principal, stable when the list is reordered or shortened (a name per list position would
 * move entries between principals: a replacement, and EKS refuses a second entry for a principal with 409).
 */
export function adminEntryName(base: string, principalArn: string): string {
  const last = principalArn.split("/").pop()!.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 32);
  return `${base}-admin-${last}-${createHash("sha256").update(principalArn).digest("hex").slice(0, 8)}`;
}

/** Why the principal running Pulumi could not reach the cluster (what omk:cluster.admins lacks), or null. */
export function callerProblem(admins: readonly string[], callerArn: string): string | null {
  // Empty: not known (the offline engine's answer; AWS always names the issuer of a session).
  if (!callerArn || admins.includes(callerArn)) return null;
  return `does not list ${callerArn}, the principal running Pulumi: the cluster gets no creator permissions, so it could not reach the cluster it creates (401).`;
}

/** What `omk plan` and `omk validate` say offline, where the caller is unknown. */
export function accessWarnings(cluster: { readonly mode: "create"; readonly admins: readonly string[] } | { readonly mode: "existing" }): string[] {
  if (cluster.mode !== "create" || cluster.admins.length) return [];
  return ["omk:cluster.admins is empty: nobody could reach the new cluster (it gets no creator permissions), so `pulumi up` stops before creating anything. List the role that runs `pulumi up` (your CI deploy role) and your admins' roles."];
}
