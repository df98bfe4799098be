/**
 * A readable text rendering of a stack's resource graph (type, name, key inputs), one line per resource,
 * indented under its parent: the committed snapshot per stack that `omk sync` writes, so a pull request that
 * changes what a stack creates shows it as a plain text diff.
 */
import type { RecordedResource } from "./record";

// Recorded inputs are untyped JSON; each renderer reads the few fields its type is known to have.
type Inputs = Record<string, any>;

/** The inputs a reviewer cares about, per type (everything else is in `omk plan --out`). */
const KEY_INPUTS: Readonly<Record<string, (i: Inputs) => unknown>> = {
  "aws:ec2/vpc:Vpc": (i) => i.cidrBlock,
  "aws:ec2/subnet:Subnet": (i) => `${i.availabilityZone} ${i.cidrBlock}`,
  "aws:eks/cluster:Cluster": (i) => `k8s ${i.version}, protect=${i.deletionProtection}`,
  "aws:eks/nodeGroup:NodeGroup": (i) => `${i.instanceTypes} ${i.amiType} ${i.capacityType} ${i.scalingConfig?.minSize}-${i.scalingConfig?.maxSize}`,
  "kubernetes:karpenter.sh/v1:NodePool": (i) => `${i.spec.template.spec.requirements.map((r: Inputs) => r.values.join(",")).join(" | ")}; limit ${i.spec.limits["nvidia.com/gpu"]}`,
  "kubernetes:helm.sh/v3:Release": (i) => `${i.chart}@${i.version}`,
  "kubernetes:apps/v1:Deployment": (i) => {
    const c = i.spec.template.spec.containers[0];
    return `${c.image} gpus=${c.resources.limits["nvidia.com/gpu"] ?? 0} replicas=${i.spec.replicas} args: ${c.args.join(" ")}`;
  },
  "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet": (i) => `size=${i.spec.leaderWorkerTemplate.size} replicas=${i.spec.replicas}`,
  "kubernetes:keda.sh/v1alpha1:ScaledObject": (i) => `${i.spec.minReplicaCount}-${i.spec.maxReplicaCount}`,
  "kubernetes:networking.k8s.io/v1:Ingress": (i) => i.spec.rules.map((r: Inputs) => r.host).join(","),
};

export function resourceGraph(resources: readonly RecordedResource[]): string {
  const depth = new Map<string, number>();
  return `${resources.map((r) => {
    const d = r.parent ? (depth.get(r.parent) ?? 0) + 1 : 0;
    depth.set(r.urn, d);
    const key = KEY_INPUTS[r.type]?.(r.inputs as Inputs);
    return `${"  ".repeat(d)}${r.type} ${r.name}${r.protect ? " [protected]" : ""}${key === undefined ? "" : `  — ${String(key)}`}`;
  }).join("\n")}\n`;
}
