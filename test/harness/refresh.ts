/**
 * What `pulumi refresh` writes into the state of a healthy, running stack: the recorded plan as the engine would
 * read it back from the cluster and AWS some days after `pulumi up`. `diffPlans(stack, afterRefresh(p), p)` is then
 * what the next `pulumi up` would do, and on a healthy stack it must be nothing (issue #16, "drift").
 *
 * Sources for each rule:
 * - Refresh reads every resource's live state; a resource found deleted is dropped from the state ("pulumi refresh",
 *   Pulumi docs), so the next `up` creates it again. pulumi-kubernetes rebuilds a refreshed object's inputs from the
 *   live object, keeping only the fields the old inputs had (provider Read, "prune live state to the old inputs").
 * - Jobs with `ttlSecondsAfterFinished` are deleted by the TTL-after-finished controller once finished (Kubernetes
 *   docs, "Automatic Cleanup for Finished Jobs").
 * - A workload a KEDA ScaledObject or an HPA targets has its `spec.replicas` set through the scale subresource
 *   (KEDA docs, "ScaledObject specification": KEDA creates and drives an HPA; Kubernetes docs, "Horizontal Pod
 *   Autoscaling").
 * Not simulated (no diff expected from them): keys others add (the job controller's selector and template labels,
 * KEDA's labels, API-server defaults) — Read prunes the live object to the old inputs' shape; quantities the API
 * server rewrites ("0.5" → "500m") — the provider normalizes built-in kinds through their typed form before diffing.
 * Not covered, and listed in the README as unverified: Helm releases (pulumi-kubernetes#2660, #2578 report
 * refresh-then-up diffs on some charts) and AWS resources (pulumi-aws#2024 reports S3 bucket policy and lifecycle
 * diffs after refresh).
 */
import type { Plan } from "../../cli/engine/plan";
import type { RecordedResource } from "../../cli/engine/record";

type Obj = Record<string, any>;

/** The workloads autoscalers own `spec.replicas` of: `Kind namespace/name`. */
function scaledTargets(resources: readonly RecordedResource[]): Set<string> {
  const out = new Set<string>();
  for (const r of resources) {
    const o = r.inputs as Obj;
    if ((o.kind === "ScaledObject" || o.kind === "HorizontalPodAutoscaler") && o.spec?.scaleTargetRef) {
      out.add(`${o.spec.scaleTargetRef.kind ?? "Deployment"} ${o.metadata?.namespace ?? ""}/${o.spec.scaleTargetRef.name}`);
    }
  }
  return out;
}

/** The plan's resources as a refresh of the running stack would leave them in the state. */
export function afterRefresh(plan: Plan): Plan {
  const scaled = scaledTargets(plan.resources);
  const resources = plan.resources.flatMap((r): RecordedResource[] => {
    if (!r.custom) return [r];
    let inputs = r.inputs as Obj;
    if (r.type === "kubernetes:batch/v1:Job" && inputs.spec?.ttlSecondsAfterFinished !== undefined) return [];
    if (r.type.startsWith("kubernetes:")) {
      if (scaled.has(`${inputs.kind} ${inputs.metadata?.namespace ?? ""}/${inputs.metadata?.name}`) && inputs.spec?.replicas !== undefined) {
        inputs = { ...inputs, spec: { ...inputs.spec, replicas: inputs.spec.replicas + 1 } };
      }
    }
    return [{ ...r, inputs }];
  });
  return { ...plan, resources };
}
