/**
 * What `pulumi destroy` would do to a planned stack (pure, from the recorded resources): which resources stop it,
 * which it leaves in the account, which it deletes with their contents. Read off the engine's and the providers'
 * rules: a `protect`ed resource fails its delete step ("resource … cannot be deleted because it is protected"; its
 * dependents are deleted first), an EKS cluster with `deletionProtection` refuses DeleteCluster, a versioned bucket
 * is deleted only when empty of every version unless the provider empties it (`forceDestroy`), `retainOnDelete`
 * drops a resource from the stack and leaves it, and a KMS key is only scheduled for deletion (its window).
 */
import type { RecordedResource } from "./record";

export interface Teardown {
  /** Resources whose delete fails: destroy stops there (after deleting what depends on them). */
  readonly blocking: readonly { readonly name: string; readonly type: string; readonly why: string }[];
  /** Resources destroy leaves in the account. */
  readonly kept: readonly { readonly name: string; readonly type: string; readonly why: string }[];
  /** What destroy deletes with its contents, or schedules for deletion. */
  readonly notes: readonly string[];
}

const KIND: Readonly<Record<string, string>> = {
  "aws:eks/cluster:Cluster": "EKS cluster",
  "aws:kms/key:Key": "KMS key",
  "aws:s3/bucket:Bucket": "S3 bucket",
  "aws:s3/bucketV2:BucketV2": "S3 bucket",
};

export function teardownOf(resources: readonly RecordedResource[]): Teardown {
  const blocking: { name: string; type: string; why: string }[] = [];
  const kept: { name: string; type: string; why: string }[] = [];
  const notes: string[] = [];
  for (const r of resources.filter((x) => x.custom)) {
    const kind = KIND[r.type] ?? r.type.split(":").pop()!;
    if (r.protect) blocking.push({ name: r.name, type: kind, why: "protected" });
    else if (r.type === "aws:eks/cluster:Cluster" && r.inputs.deletionProtection === true) blocking.push({ name: r.name, type: kind, why: "EKS deletion protection is on" });
    else if (r.retainOnDelete) kept.push({ name: r.name, type: kind, why: r.type.startsWith("aws:s3/") ? "retained with its contents (storage stays billed)" : "retained (it may predate the stack; a cluster the kit deletes takes it along)" });
    else if (/^aws:s3\/bucket(V2)?:Bucket(V2)?$/.test(r.type)) {
      if (r.inputs.forceDestroy === true) notes.push(`${kind} ${r.name} is emptied (every object version) and deleted.`);
      else blocking.push({ name: r.name, type: kind, why: "not empty: a bucket holding objects cannot be deleted without forceDestroy" });
    }
    if (r.type === "aws:kms/key:Key" && !r.protect) notes.push(`${kind} ${r.name} is scheduled for deletion after ${Number(r.inputs.deletionWindowInDays ?? 30)} days (AWS KMS waiting period).`);
  }
  return { blocking, kept, notes };
}

/** The plan's "Teardown" lines: what destroy would stop at, keep and delete, and the way through when it stops. */
export function teardownText(t: Teardown, protectKey = "omk:cluster.protect"): string[] {
  if (!t.blocking.length && !t.kept.length && !t.notes.length) return ["  pulumi destroy deletes every resource of the stack."];
  const lines: string[] = [];
  if (t.blocking.length) {
    lines.push(`  pulumi destroy stops at: ${t.blocking.map((b) => `${b.type} ${b.name} (${b.why})`).join("; ")}; it deletes the workloads first, and what they run on keeps billing.`);
    lines.push(`  To tear the stack down: set ${protectKey}: false (and omk:serving.modelStore.onDestroy: empty to delete the weights too), run pulumi up (it lifts the protections), then pulumi destroy.`);
  } else lines.push("  Once `pulumi up` has applied this config (protections lifted), pulumi destroy deletes the stack's resources, except what is listed as kept.");
  for (const k of t.kept) lines.push(`  keeps ${k.type} ${k.name}: ${k.why}.`);
  for (const n of t.notes) lines.push(`  ${n}`);
  return lines;
}
