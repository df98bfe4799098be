/**
 * AWS name limits for the longest names a stack may use: Pulumi auto-names resources as the logical name plus an
 * 8-character suffix; IAM role names hold 64 characters, S3 bucket names 63.
 */
import { describe, expect, it } from "vitest";
import { planStack } from "../../cli/engine/plan";
import { maxModelNameLength } from "../../components/config/name-limits";
import { ofType, plan, stackConfig } from "../harness/stack";

const LONGEST_ENV = "e".repeat(20); // the schema's maximum
const s3 = { id: "Qwen/Qwen3-8B", maxModelLen: 8192, weights: { source: "s3" } };

describe("name limits", () => {
  it("with the longest environment and the longest model name it allows, every role and bucket name fits", async () => {
    const name = `m${"x".repeat(maxModelNameLength(LONGEST_ENV) - 1)}`;
    // Both capacity modes: managed node groups add node and CNI roles of their own.
    for (const mode of ["karpenter", "managed"]) {
      const p = await plan(stackConfig([{ ...s3, name }], { "omk:environment": LONGEST_ENV, "omk:cluster": { flowLogs: "all" }, "omk:capacity": { mode, capacityType: "on-demand" } }));
      const roles = ofType(p, "aws:iam/role:Role");
      expect(roles.length).toBeGreaterThan(3);
      for (const r of roles) expect(r.name.length + 8, `${mode}: ${r.name}`).toBeLessThanOrEqual(64);
      for (const b of ofType(p, "aws:s3/bucket:Bucket")) expect(b.name.length + 8, b.name).toBeLessThanOrEqual(63);
    }
  });

  it("refuses one character more, naming the model's key and the longest name that fits", async () => {
    const name = `m${"x".repeat(maxModelNameLength(LONGEST_ENV))}`;
    const r = await planStack(stackConfig([{ ...s3, name }], { "omk:environment": LONGEST_ENV }), { stack: "t", source: "test" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(String(r.error)).toMatch(new RegExp(`omk:models\\[0\\]\\.name.*IAM allows 64.*at most ${maxModelNameLength(LONGEST_ENV)} characters`, "s"));
    // A name derived from the model id is reported on the model, with the key to set.
    const derived = await planStack(stackConfig([{ id: "Qwen/Qwen3-Next-80B-A3B-Instruct" }], { "omk:environment": LONGEST_ENV }), { stack: "t", source: "test" });
    expect(derived.ok).toBe(false);
    if (!derived.ok) expect(String(derived.error)).toMatch(/omk:models\[0\]: "qwen3-next-80b-a3b-instruct".*set name to at most/s);
  });
});
