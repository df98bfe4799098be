/**
 * What an in-place change does to running traffic (pure), for `omk diff`: a reviewer approving a vLLM image bump, a
 * chart bump or an EKS upgrade sees how it rolls out, not only that inputs changed. And the upgrades EKS refuses.
 *
 * Sources: Kubernetes Deployments roll by their strategy (maxSurge / maxUnavailable); LeaderWorkerSet rolls groups
 * by rolloutStrategy.rollingUpdateConfiguration; a changed Job template is immutable (the kit replaces the Job);
 * Karpenter replaces nodes whose NodePool or NodeClass drifted (karpenter.sh docs, "Disruption: Drift"), and the
 * kit's servers carry karpenter.sh/do-not-disrupt, so a node is drained only once its serving pod has moved; EKS
 * upgrades the control plane in place, one minor version at a time (EKS user guide, "Update existing cluster to new
 * Kubernetes version"), then Auto Mode replaces nodes onto the new version.
 */
import type { RecordedResource } from "./record";

type Change = { readonly path: string; readonly before: unknown; readonly after: unknown };

function rollout(r: RecordedResource): string {
  const spec = r.inputs.spec as Record<string, any> | undefined;
  const ru = r.type.endsWith(":LeaderWorkerSet") ? spec?.rolloutStrategy?.rollingUpdateConfiguration : spec?.strategy?.rollingUpdate;
  const replicas = r.type.endsWith(":LeaderWorkerSet") ? "group" : "pod";
  if (ru?.maxSurge >= 1 && ru?.maxUnavailable === 0) return `rolling update, surge-first: each new ${replicas} starts (a full cold start for a model server) while the old one serves, then the old one drains`;
  if (ru?.maxUnavailable >= 1) return `rolling update, ${ru.maxUnavailable} ${replicas} at a time: capacity drops by one while each replacement starts`;
  return "rolling update";
}

/** How an in-place change reaches the running system; null when nothing running is touched. */
export function disruptionOf(after: RecordedResource, changes: readonly Change[]): string | null {
  const templated = changes.some((c) => c.path.startsWith("spec.template.") || c.path.startsWith("spec.leaderWorkerTemplate."));
  if (/:(Deployment|LeaderWorkerSet|StatefulSet|DaemonSet)$/.test(after.type) && templated) return rollout(after);
  if (after.type === "kubernetes:helm.sh/v3:Release") return "helm upgrade in place: the chart's own workloads roll by their strategies";
  if (/karpenter\.sh\/v1:NodePool$|eks\.amazonaws\.com\/v1:NodeClass$|karpenter\.k8s\.aws\/v1:EC2NodeClass$/.test(after.type) && changes.some((c) => c.path.startsWith("spec."))) {
    return "Karpenter replaces the pool's nodes by drift; a serving pod (do-not-disrupt) keeps its node until it has moved";
  }
  const version = changes.find((c) => c.path === "version");
  if (after.type === "aws:eks/cluster:Cluster" && version) {
    const [from, to] = [minor(version.before), minor(version.after)];
    if (from !== null && to !== null && to < from) return "a downgrade: EKS refuses it (see what blocks pulumi up)";
    return "control-plane upgrade in place (the API stays available); nodes then move to the new version";
  }
  if (after.type === "aws:eks/nodeGroup:NodeGroup" && changes.some((c) => c.path === "version" || c.path.startsWith("launchTemplate"))) return "managed node group rolling update: nodes are replaced one at a time (its updateConfig), pods drained";
  if (after.type === "aws:eks/addon:Addon" && changes.some((c) => c.path === "addonVersion")) return "EKS updates the add-on in place (its DaemonSet or Deployment rolls node by node); settings changed on the cluster are kept (PRESERVE)";
  return null;
}

const GENERATED_KEY = /-api-key(-v\d+)?$/;

/**
 * A rotation that keeps the previous key must keep the key clients hold: when a model ends with two generated keys
 * (an overlap) and neither is one it had, unchanged, before, the version rose by more than one (or
 * apiKeyKeepPrevious came without a new version), and clients lose the key they use.
 */
export function keyProblems(after: readonly RecordedResource[], changed: readonly { readonly urn: string; readonly replaceReason: string | null }[], unchangedBefore: (urn: string) => boolean): string[] {
  const keys = after.filter((r) => r.type === "random:index/randomPassword:RandomPassword" && GENERATED_KEY.test(r.name));
  const byModel = new Map<string, RecordedResource[]>();
  for (const k of keys) {
    const model = k.name.replace(GENERATED_KEY, "");
    byModel.set(model, [...(byModel.get(model) ?? []), k]);
  }
  const replaced = new Set(changed.filter((c) => c.replaceReason).map((c) => c.urn));
  return [...byModel.entries()].filter(([, ks]) => ks.length > 1 && !ks.some((k) => unchangedBefore(k.urn) && !replaced.has(k.urn))).map(([model]) =>
    `${model}: both keys of the overlap are new: the key clients hold now would stop working. Raise omk:apiKeyVersion by exactly one with omk:apiKeyKeepPrevious (after upgrading the kit, first run \`pulumi up\` with the key settings unchanged).`);
}

const minor = (v: unknown) => (typeof v === "string" && /^1\.\d+$/.test(v) ? Number(v.split(".")[1]) : null);

/**
 * A cluster's subnets update in place only within its VPC and its original AZs (EKS user guide, "View Amazon EKS
 * networking requirements for VPC and subnets"): subnets that move with a replaced VPC are refused by AWS.
 */
export function networkProblems(changed: readonly { readonly type: string; readonly name: string; readonly replaceReason: string | null; readonly changes: readonly Change[] }[]): string[] {
  if (!changed.some((c) => c.type === "aws:ec2/vpc:Vpc" && c.replaceReason)) return [];
  return changed.filter((c) => c.type === "aws:eks/cluster:Cluster" && !c.replaceReason && c.changes.some((x) => x.path.startsWith("vpcConfig.subnetIds")))
    .map((c) => `EKS cluster ${c.name}: its subnets would move to a new VPC, and EKS changes a cluster's subnets only within its own VPC. Revert the VPC change (omk:cluster.vpcCidr); another VPC needs another cluster (a new stack).`);
}

/** EKS upgrades one minor version at a time and never downgrades: what `pulumi up` would have refused by AWS. */
export function upgradeProblems(changed: readonly { readonly type: string; readonly name: string; readonly changes: readonly Change[] }[]): string[] {
  const out: string[] = [];
  for (const c of changed.filter((x) => x.type === "aws:eks/cluster:Cluster")) {
    const v = c.changes.find((x) => x.path === "version");
    const [from, to] = [minor(v?.before), minor(v?.after)];
    if (from === null || to === null) continue;
    if (to < from) out.push(`EKS cluster ${c.name}: Kubernetes ${v!.before} → ${v!.after} is a downgrade, which EKS does not do. Revert omk:cluster.kubernetesVersion.`);
    else if (to - from > 1) out.push(`EKS cluster ${c.name}: Kubernetes ${v!.before} → ${v!.after} skips ${to - from - 1} minor version(s); EKS upgrades one minor version at a time. Set omk:cluster.kubernetesVersion to 1.${from + 1}, \`pulumi up\`, then continue.`);
  }
  return out;
}
