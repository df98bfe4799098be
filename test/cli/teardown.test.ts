/**
 * `pulumi destroy` as the engine and the AWS provider would run it, read off the planned resources: protected
 * resources stop it, EKS deletion protection refuses DeleteCluster, a bucket with objects is deleted only with
 * forceDestroy, retainOnDelete leaves a resource behind. One setting (omk:cluster.protect) decides for every stateful
 * resource, and lifting it is an in-place update, never a replacement.
 */
import { describe, expect, it } from "vitest";
import { diffPlans } from "../../cli/engine/diff";
import { teardownOf, teardownText } from "../../cli/engine/teardown";
import { ofType, plan, stackConfig } from "../harness/stack";

const big = { id: "Qwen/Qwen3-8B", maxModelLen: 8192, weights: { source: "s3" } };
const at = (cluster: Record<string, unknown>, serving: Record<string, unknown> = {}) => plan(stackConfig([big], { "omk:cluster": { admins: ["arn:aws:iam::123456789012:role/deploy"], ...cluster }, "omk:serving": serving }));
const STATEFUL = ["aws:eks/cluster:Cluster", "aws:kms/key:Key", "aws:s3/bucket:Bucket"];

describe("teardown", () => {
  it("protected by default: destroy stops at the cluster, its key and the weights bucket, and the plan says how to go on", async () => {
    const p = await at({});
    for (const type of STATEFUL) expect(ofType(p, type).every((r) => r.protect), type).toBe(true);
    expect(p.teardown.blocking.map((b) => b.type).sort()).toEqual(["EKS cluster", "KMS key", "S3 bucket"]);
    expect(teardownText(p.teardown).join("\n")).toMatch(/set omk:cluster\.protect: false \(and omk:serving\.modelStore\.onDestroy: empty to delete the weights too\), run pulumi up .* then pulumi destroy/);
  });

  it("unprotected: nothing stops destroy; the weights bucket is kept by default, or emptied by choice", async () => {
    const [kept, emptied] = await Promise.all([at({ protect: false }), at({ protect: false }, { modelStore: { onDestroy: "empty" } })]);
    for (const p of [kept, emptied]) {
      expect(p.teardown.blocking).toEqual([]);
      for (const type of STATEFUL) expect(ofType(p, type).some((r) => r.protect), type).toBe(false);
      expect(ofType(p, "aws:eks/cluster:Cluster")[0]!.inputs.deletionProtection).toBe(false);
      expect(p.teardown.notes.join("\n")).toMatch(/KMS key .* scheduled for deletion after 30 days/);
    }
    expect(kept.teardown.kept.map((k) => k.type)).toContain("S3 bucket");
    expect(ofType(kept, "aws:s3/bucket:Bucket")[0]!.retainOnDelete).toBe(true);
    expect(emptied.teardown.kept.map((k) => k.type)).not.toContain("S3 bucket");
    expect(ofType(emptied, "aws:s3/bucket:Bucket")[0]!).toMatchObject({ retainOnDelete: false, inputs: expect.objectContaining({ forceDestroy: true }) });
    expect(emptied.teardown.notes.join("\n")).toMatch(/S3 bucket .* emptied \(every object version\) and deleted/);
  });

  it("lifting the protection is an in-place update of the cluster and the bucket, replacing nothing", async () => {
    const [on, off] = await Promise.all([at({}), at({ protect: false }, { modelStore: { onDestroy: "empty" } })]);
    const d = diffPlans("t", on, off);
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(d.changed.filter((c) => c.replaceReason)).toEqual([]);
    const changed = Object.fromEntries(d.changed.map((c) => [c.type, c.changes.map((x) => x.path)]));
    expect(changed["aws:eks/cluster:Cluster"]).toEqual(["deletionProtection"]);
    expect(changed["aws:s3/bucket:Bucket"]).toEqual(["forceDestroy"]);
  });

  it("an unprotected bucket that is neither retained nor emptied would stop destroy", () => {
    const bucket = { urn: "u", type: "aws:s3/bucket:Bucket", name: "b", parent: null, custom: true, protect: false, retainOnDelete: false, dependencies: [], inputs: { forceDestroy: false }, outputs: {} };
    expect(teardownOf([bucket]).blocking).toEqual([{ name: "b", type: "S3 bucket", why: expect.stringMatching(/cannot be deleted without forceDestroy/) }]);
  });
});
