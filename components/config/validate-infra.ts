/**
 * Cross-key checks for `omk:cluster`, `omk:capacity` and `omk:addons` that zod's per-key schema cannot
 * express (a field that is required only in some combination of others).
 */
import type { ConfigProblem } from "./errors";
import type { AddonsSettings, CapacitySettings, ClusterSettings } from "./infra-schema";

export function checkInfra(cluster: ClusterSettings, capacity: CapacitySettings, addons: AddonsSettings, region: string | null): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const at = (key: string) => `omk:${key}`;
  if (addons.dcgmExporter === "on" && addons.prometheus === "off") {
    problems.push({ path: at("addons.dcgmExporter"), value: "on", message: "needs Prometheus: its ServiceMonitor is a Prometheus-operator resource, and nothing else reads its metrics.", fix: "set addons.prometheus to auto or on, or addons.dcgmExporter to off." });
  }
  if (capacity.mode === "cpu") {
    if (cluster.mode !== "existing" || !cluster.kubeconfig) {
      problems.push({ path: at("capacity.mode"), value: "cpu", message: "CPU serving targets an existing cluster reached by kubeconfig (e.g. kind on a laptop).", fix: "set cluster: {mode: existing, kubeconfig: ~/.kube/config, context: kind-omk}, or use karpenter/managed for GPUs." });
    }
    return problems;
  }
  if (cluster.mode === "create") {
    if (Array.isArray(cluster.availabilityZones) && region) {
      for (const [i, az] of cluster.availabilityZones.entries()) {
        if (!az.startsWith(region)) problems.push({ path: at(`cluster.availabilityZones[${i}]`), value: az, message: `is not in ${region}.`, fix: `use AZs of ${region} (e.g. ${region}a) or a number to let the kit choose.` });
      }
      if (new Set(cluster.availabilityZones).size !== cluster.availabilityZones.length) {
        problems.push({ path: at("cluster.availabilityZones"), value: cluster.availabilityZones, message: "lists an AZ twice.", fix: "list each AZ once." });
      }
    }
    const pinned = Object.keys(cluster.addonVersions);
    if (pinned.length && capacity.mode !== "managed") {
      problems.push({ path: at("cluster.addonVersions"), value: cluster.addonVersions, message: "pins add-ons the kit installs only beside managed node groups: EKS Auto Mode runs networking, DNS and the Pod Identity agent itself.", fix: "remove cluster.addonVersions, or use capacity.mode: managed." });
    }
    // kube-proxy follows the control plane's minor version (EKS user guide, "Manage kube-proxy": one v1.<minor> line
    // of builds per Kubernetes version).
    const proxy = cluster.addonVersions["kube-proxy"];
    if (proxy && !proxy.startsWith(`v${cluster.kubernetesVersion}.`)) {
      problems.push({ path: at("cluster.addonVersions.kube-proxy"), value: proxy, message: `is not a build for Kubernetes ${cluster.kubernetesVersion} (kube-proxy's minor version is the cluster's).`, fix: `pin a v${cluster.kubernetesVersion}.x-eksbuild.N version (aws eks describe-addon-versions --addon-name kube-proxy --kubernetes-version ${cluster.kubernetesVersion}), or remove the pin when you change kubernetesVersion.` });
    }
    if (!cluster.endpoint.public && !cluster.endpoint.private) {
      problems.push({ path: at("cluster.endpoint"), value: cluster.endpoint, message: "disables both the public and the private API endpoint.", fix: "enable at least one (private: true keeps the API inside the VPC)." });
    }
  } else {
    if (!cluster.name && !cluster.kubeconfig) {
      problems.push({ path: at("cluster"), value: { mode: "existing" }, message: "an existing cluster needs a name or a kubeconfig.", fix: "set cluster.name to the EKS cluster name, or cluster.kubeconfig to a kubeconfig path." });
    }
    if (capacity.mode === "karpenter" && !cluster.autoMode && !cluster.karpenter) {
      problems.push({ path: at("capacity.mode"), value: "karpenter", message: "needs EKS Auto Mode or self-managed Karpenter on the existing cluster.", fix: "set cluster.autoMode: true or cluster.karpenter: true if the cluster has it, or capacity.mode: managed." });
    }
    if (capacity.mode === "karpenter" && (cluster.autoMode || cluster.karpenter) && !cluster.nodeRoleName) {
      problems.push({ path: at("cluster.nodeRoleName"), value: undefined, message: `is required: the GPU ${cluster.autoMode ? "NodeClass" : "EC2NodeClass"} names the IAM role its nodes run as.`, fix: cluster.autoMode ? "set it to the node role of the cluster's Auto Mode compute config (aws eks describe-cluster … computeConfig.nodeRoleArn)." : "set it to the IAM role your Karpenter nodes use." });
    }
    if (capacity.mode === "managed") {
      if (!cluster.name) problems.push({ path: at("cluster.name"), value: undefined, message: "is required for managed node groups.", fix: "set cluster.name to the EKS cluster name." });
      if (!cluster.subnetIds?.length) problems.push({ path: at("cluster.subnetIds"), value: cluster.subnetIds, message: "is required for managed node groups.", fix: "list the cluster's private subnet ids." });
      if (!cluster.nodeRoleName) problems.push({ path: at("cluster.nodeRoleName"), value: undefined, message: "is required for managed node groups.", fix: "set cluster.nodeRoleName to the IAM role for GPU nodes." });
    }
    if (addons.loadBalancerController === "on" && !cluster.autoMode && !cluster.vpcId) {
      problems.push({ path: at("cluster.vpcId"), value: undefined, message: "is required to install the AWS Load Balancer Controller.", fix: "set cluster.vpcId to the cluster's VPC." });
    }
  }
  if (addons.loadBalancerController === "on" && !addons.loadBalancerControllerPolicyArn) {
    problems.push({ path: at("addons.loadBalancerControllerPolicyArn"), value: undefined, message: "is required when the Load Balancer Controller is installed.", fix: "create the policy AWS publishes with the controller (iam_policy.json) and set its ARN here." });
  }
  if (capacity.mode === "managed" && capacity.capacityType === "spot-then-on-demand") {
    problems.push({ path: at("capacity.capacityType"), value: "spot-then-on-demand", message: "a managed node group has one purchase option; falling back from spot needs Karpenter.", fix: "use capacity.mode: karpenter, or capacityType on-demand or spot." });
  }
  if (capacity.reservations.length && capacity.capacityType === "spot") {
    problems.push({ path: at("capacity.reservations"), value: capacity.reservations, message: "capacity reservations hold on-demand capacity, but capacityType is spot.", fix: "set capacityType to on-demand or spot-then-on-demand, or remove the reservations." });
  }
  return problems;
}
