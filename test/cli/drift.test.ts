/**
 * Drift: what `pulumi refresh` writes into the state of a running stack (test/harness/refresh.ts, with its sources)
 * must not make the next `pulumi up` change anything. The shipped stacks are held to it in test/stacks/shipped.test.ts;
 * here, the simulation itself is checked against the cases it exists for (each would have drifted), and the changes
 * an upgrade makes to the objects refresh reads back are shown as pulumi-kubernetes performs them.
 */
import { describe, expect, it } from "vitest";
import { diffPlans } from "../../cli/engine/diff";
import type { Plan } from "../../cli/engine/plan";
import { afterRefresh } from "../harness/refresh";
import { plan, stackConfig } from "../harness/stack";

type Obj = Record<string, any>;
const model = { id: "Qwen/Qwen3-32B", maxModelLen: 8192, weights: { source: "s3" }, replicas: { min: 1, max: 3 } };
const admins = { "omk:cluster": { admins: ["arn:aws:iam::123456789012:role/deploy"] } };
const at = (extra: Record<string, unknown> = {}) => plan(stackConfig([model], { ...admins, ...extra }));
const nextUp = (p: Plan) => diffPlans("t", afterRefresh(p), p);
/** The plan with one resource's record changed by `edit`. */
const edited = (p: Plan, match: (r: Plan["resources"][number]) => boolean, edit: (r: Obj) => Obj): Plan => ({ ...p, resources: p.resources.map((r) => (match(r) ? (edit(r as Obj) as typeof r) : r)) });
const isServer = (r: { type: string; name: string }) => r.type === "kubernetes:apps/v1:Deployment" && r.name.endsWith("-server");

describe("pulumi refresh, then pulumi up", () => {
  it("changes nothing on a healthy stack: the finished mirror Job is still there, the autoscaler's replica count is kept", async () => {
    const p = await at();
    const refreshed = afterRefresh(p);
    expect(refreshed.resources.some((r) => r.type === "kubernetes:batch/v1:Job")).toBe(true);
    // The simulation did move the replica count (KEDA scaled the server), and the kit leaves it to the autoscaler.
    const replicas = (q: Plan) => (q.resources.find(isServer)!.inputs as Obj).spec.replicas;
    expect(replicas(refreshed)).not.toBe(replicas(p));
    const d = nextUp(p);
    expect([d.added, d.removed, d.changed]).toEqual([[], [], []]);
  });

  it("would recreate a Job that deletes itself after finishing (ttlSecondsAfterFinished), with everything waiting on it", async () => {
    const p = edited(await at(), (r) => r.type === "kubernetes:batch/v1:Job", (r) => ({ ...r, inputs: { ...r.inputs, spec: { ...r.inputs.spec, ttlSecondsAfterFinished: 3600 } } }));
    expect(nextUp(p).added.map((r) => r.type)).toEqual(["kubernetes:batch/v1:Job"]);
  });

  it("would reset the autoscaler's replica count if the kit owned spec.replicas", async () => {
    const p = edited(await at(), isServer, (r) => ({ ...r, ignoreChanges: [] }));
    expect(nextUp(p).changed.flatMap((c) => c.changes.map((x) => `${c.name} ${x.path}`))).toEqual([expect.stringMatching(/-server spec\.replicas$/)]);
  });
});

describe("changes to objects refresh reads back, as pulumi-kubernetes applies them", () => {
  it("a vLLM image bump leaves the finished mirror Job alone (its image is ignored; a changed template would replace it) and rolls the server", async () => {
    const [a, b] = await Promise.all([at(), at({ "omk:serving": { image: "vllm/vllm-openai:v0.32.1" } })]);
    const d = diffPlans("t", a, b);
    expect(d.changed.filter((c) => c.replaceReason)).toEqual([]);
    expect(d.changed.some((c) => c.type === "kubernetes:batch/v1:Job")).toBe(false);
    expect(d.changed.find((c) => c.name.endsWith("-server"))!.disruption).toMatch(/^rolling update, surge-first/);
    // Any other change to the Job's template is a replacement, as pulumi-kubernetes does it.
    const job = (r: { type: string }) => r.type === "kubernetes:batch/v1:Job";
    const retried = edited(b, job, (r) => ({ ...r, inputs: { ...r.inputs, spec: { ...r.inputs.spec, template: { ...r.inputs.spec.template, metadata: { labels: { changed: "yes" } } } } } }));
    expect(diffPlans("t", a, retried).changed.filter((c) => c.replaceReason).map((c) => [c.type, c.replaceReason])).toEqual([["kubernetes:batch/v1:Job", expect.stringMatching(/^spec\.template.* cannot change in place$/)]]);
  });

  it("new API keys update their Secret in place (the providers make Secrets mutable), so the keys file never disappears", async () => {
    const a = await at();
    const isKeys = (r: { type: string; name: string }) => r.type === "kubernetes:core/v1:Secret" && r.name.endsWith("-api-key");
    const rotated = edited(a, isKeys, (r) => ({ ...r, inputs: { ...r.inputs, stringData: { ...r.inputs.stringData, "keys.conf": "another key set" } } }));
    const change = diffPlans("t", a, rotated).changed.find(isKeys);
    expect(change?.changes.map((c) => c.path)).toEqual(["stringData.keys.conf"]);
    expect(change?.replaceReason).toBeNull();
    const providers = a.resources.filter((r) => r.type === "pulumi:providers:kubernetes");
    expect(providers.length).toBeGreaterThan(0);
    for (const p of providers) expect([String(p.inputs.enableSecretMutable), String(p.inputs.enableServerSideApply)]).toEqual(["true", "true"]);
  });
});
