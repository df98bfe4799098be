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
 * - The API server stores resource quantities in canonical form (Kubernetes API reference, "Quantity": "1.5 will
 *   be serialized as 1500m, 1.5Gi as 1536Mi"; no fractional digits, the largest suffix that loses no precision),
 *   and returns them as strings.
 */
import type { Plan } from "../../cli/engine/plan";
import type { RecordedResource } from "../../cli/engine/record";

type Obj = Record<string, any>;

const BINARY: readonly [string, number][] = [["Ei", 2 ** 60], ["Pi", 2 ** 50], ["Ti", 2 ** 40], ["Gi", 2 ** 30], ["Mi", 2 ** 20], ["Ki", 2 ** 10]];
const DECIMAL: readonly [string, number][] = [["E", 18], ["P", 15], ["T", 12], ["G", 9], ["M", 6], ["k", 3], ["", 0], ["m", -3], ["u", -6], ["n", -9]];

/** A Kubernetes Quantity as the API server serializes it (the formats the kit writes: plain, decimal SI, binary SI). */
export function canonicalQuantity(value: string | number): string {
  const text = String(value);
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/.exec(text);
  if (!m) throw new Error(`not a Kubernetes quantity this harness knows: ${JSON.stringify(value)}`);
  const [, number, suffix = ""] = m;
  const binary = BINARY.find(([s]) => s === suffix);
  if (binary) {
    const bytes = Number(number) * binary[1];
    // Binary format keeps its kind while the value is a whole number of bytes; the largest suffix dividing it wins.
    if (Number.isInteger(bytes)) {
      const [s, f] = BINARY.find(([, f]) => bytes % f === 0) ?? ["", 1];
      return `${bytes / f}${s}`;
    }
  }
  // Decimal: in thousandths-of-a-unit steps, the largest exponent that keeps the mantissa whole.
  const exponent = binary ? 0 : DECIMAL.find(([s]) => s === suffix)![1];
  const nanos = Math.round(Number(number) * (binary ? binary[1] : 1) * 10 ** (exponent + 9));
  for (const [s, e] of DECIMAL) {
    const scale = 10 ** (e + 9);
    if (nanos % scale === 0) return `${nanos / scale}${s}`;
  }
  return `${nanos}n`;
}

/** Fields that hold Quantities in the objects the kit writes (by key, under the parent that gives them meaning). */
function canonicalize(value: unknown, key = "", parent = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => canonicalize(v, "", key));
  if (value !== null && typeof value === "object") {
    // Containers' and claims' `resources.requests/limits`, a NodePool's `spec.limits`: maps of Quantities.
    const quantityMap = key === "requests" || key === "limits";
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, quantityMap && (typeof v === "string" || typeof v === "number") ? canonicalQuantity(v) : canonicalize(v, k, key)]));
  }
  if ((key === "sizeLimit" || (key === "size" && parent === "ephemeralStorage") || key === "volumeSize") && (typeof value === "string" || typeof value === "number")) return canonicalQuantity(value);
  return value;
}

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
    if (r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/") && inputs.kind !== "ConfigMap" && inputs.kind !== "Secret") {
      inputs = canonicalize(inputs) as Obj;
      if (scaled.has(`${inputs.kind} ${inputs.metadata?.namespace ?? ""}/${inputs.metadata?.name}`) && inputs.spec?.replicas !== undefined) {
        inputs = { ...inputs, spec: { ...inputs.spec, replicas: inputs.spec.replicas + 1 } };
      }
    }
    return [{ ...r, inputs }];
  });
  return { ...plan, resources };
}
