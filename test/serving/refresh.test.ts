/**
 * The scheduled surge-first restart that keeps GPU servers off nodes Karpenter would expire forcefully
 * (karpenter.sh docs, Disruption: expiration ignores budgets and starts no replacement first).
 */
import { describe, expect, it } from "vitest";
import type { Plan } from "../../cli/engine/plan";
import { validateManifest } from "../harness/manifests";
import { plan, stackConfig } from "../harness/stack";

type Obj = Record<string, any>;
const objects = (p: Plan, kind: string) => p.resources.filter((r) => r.custom && r.inputs.kind === kind).map((r) => r.inputs as Obj);
const both = [
  { id: "Qwen/Qwen3-8B", maxModelLen: 8192 },
  { id: "deepseek-ai/DeepSeek-R1", instanceType: "p5.48xlarge" },
];

describe("refresh CronJob", async () => {
  const p = await plan(stackConfig(both, { "omk:hfToken": "hf_test_token_value_1234567890" }));
  const cron = objects(p, "CronJob")[0]!;
  const pod = cron.spec.jobTemplate.spec.template.spec;
  const steps: Obj[] = [...(pod.initContainers ?? []), ...pod.containers];

  it("restarts the LeaderWorkerSet by changing its pod templates (rollout restart does not know LWS), then the Deployments", () => {
    expect(objects(p, "LeaderWorkerSet")).toHaveLength(1);
    const lws = objects(p, "LeaderWorkerSet")[0]!;
    expect(steps.map((c) => c.args.slice(0, 3))).toEqual([["patch", "leaderworkerset", lws.metadata.name], ["rollout", "restart", "deployment"]]);
    const patch = JSON.parse(steps[0]!.args[steps[0]!.args.indexOf("--patch") + 1]);
    const annotation = { metadata: { annotations: { "omk.dev/restarted-by": "$(JOB_POD)" } } };
    expect(patch).toEqual({ spec: { leaderWorkerTemplate: { leaderTemplate: annotation, workerTemplate: annotation } } });
    // Each run patches a value of its own: the job pod's name, from the downward API.
    for (const c of steps) expect(c.env).toContainEqual({ name: "JOB_POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } });
    expect(lws.spec.rolloutStrategy.rollingUpdateConfiguration).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  it("runs the shell-less kubectl image by its path, with a writable HOME on a read-only root", () => {
    for (const c of steps) {
      expect(c.command).toEqual(["/bin/kubectl"]);
      expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
      expect(c.env).toContainEqual({ name: "HOME", value: "/tmp" });
      expect(c.volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
    }
  });

  it("may patch only these objects", async () => {
    const role = objects(p, "Role").find((r) => r.metadata.name === "omk-refresh")!;
    expect(role.rules).toEqual([
      { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "patch"] },
      { apiGroups: ["leaderworkerset.x-k8s.io"], resources: ["leaderworkersets"], resourceNames: [objects(p, "LeaderWorkerSet")[0]!.metadata.name], verbs: ["get", "patch"] },
    ]);
    for (const o of [cron, role]) await validateManifest(o);
  });

  it("is left out where nodes do not expire (managed node groups) or when turned off", async () => {
    const managed = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }], { "omk:capacity": { mode: "managed" } }));
    expect(objects(managed, "CronJob")).toEqual([]);
    const off = await plan(stackConfig([{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }], { "omk:serving": { refreshSchedule: "off" } }));
    expect(objects(off, "CronJob")).toEqual([]);
  });
});
