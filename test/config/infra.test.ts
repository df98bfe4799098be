/** Config errors of the cloud sections: one per error path, each naming the key and the fix. */
import { describe, expect, it } from "vitest";
import { resolveStack } from "../../components/config/validate";
import { stackConfig } from "../harness/stack";

const model = [{ id: "Qwen/Qwen3-8B", maxModelLen: 8192 }];

describe("cluster, capacity and add-on settings", () => {
  it("defaults to a new cluster with Karpenter pools, on-demand, enforced quotas", () => {
    const r = resolveStack(stackConfig(model), "t");
    if (!r.ok) throw r.error;
    expect(r.stack.cluster).toMatchObject({ mode: "create", kubernetesVersion: "1.33", availabilityZones: 3, natGateways: "single", protect: true, endpoint: { public: true, private: true } });
    expect(r.stack.capacity).toMatchObject({ mode: "karpenter", capacityType: "on-demand", diskGiB: 200, quotaCheck: "enforce" });
  });

  it.each([
    [{ "omk:cluster": { mode: "existing" } }, "omk:cluster", /needs a name or a kubeconfig/],
    [{ "omk:cluster": { mode: "existing", name: "prod" } }, "omk:capacity.mode", /needs EKS Auto Mode or self-managed Karpenter.*Fix: set cluster\.autoMode: true/],
    [{ "omk:cluster": { mode: "existing", name: "prod", karpenter: true } }, "omk:cluster.nodeRoleName", /names the IAM role its nodes run as/],
    [{ "omk:cluster": { mode: "existing", name: "prod" }, "omk:capacity": { mode: "managed" } }, "omk:cluster.subnetIds", /required for managed node groups/],
    [{ "omk:cluster": { mode: "create", availabilityZones: ["us-west-2a", "us-east-1b"] } }, "omk:cluster.availabilityZones[0]", /is not in us-east-1/],
    [{ "omk:cluster": { mode: "create", availabilityZones: 1 } }, "omk:cluster.availabilityZones", /must be ≥ 2|allowed|invalid/i],
    [{ "omk:cluster": { mode: "create", endpoint: { public: false, private: false } } }, "omk:cluster.endpoint", /disables both/],
    [{ "omk:cluster": { mode: "create", admins: ["bob"] } }, "omk:cluster.admins[0]", /IAM role or user ARN/],
    [{ "omk:cluster": { mode: "create", vpcCidr: "10.0.0.0/8" } }, "omk:cluster.vpcCidr", /between \/16 and \/24/],
    [{ "omk:cluster": { mode: "hybrid" } }, "omk:cluster.mode", /allowed|create|existing/],
    [{ "omk:capacity": { capacityType: "spot", reservations: [{ id: "cr-0123abcd" }] } }, "omk:capacity.reservations", /hold on-demand capacity/],
    [{ "omk:capacity": { diskGiB: 100 } }, "omk:capacity.diskGiB", /must be ≥ 200/],
    [{ "omk:capacity": { mode: "fargate" } }, "omk:capacity.mode", /use one of: karpenter, managed/],
    [{ "omk:capacity": { quotaChecks: "off" } }, "omk:capacity.quotaChecks", /did you mean "quotaCheck"/],
    [{ "omk:addons": { loadBalancerController: "on" } }, "omk:addons.loadBalancerControllerPolicyArn", /required when the Load Balancer Controller is installed/],
    [{ "omk:addons": { dcgmExporter: "on", prometheus: "off" } }, "omk:addons.dcgmExporter", /needs Prometheus.*Fix: set addons.prometheus to auto/],
    [{ "omk:addons": { dcgmRuntimeClassName: "Nvidia_RT" } }, "omk:addons.dcgmRuntimeClassName", /RuntimeClass name/],
    [{ "omk:observability": { retention: "2 weeks" } }, "omk:observability.retention", /duration like 15d/],
  ])("%j → %s", (extra, path, message) => {
    const r = resolveStack(stackConfig(model, extra), "t");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const p = r.error.problems.find((x) => x.path === path);
    expect(p, r.error.message).toBeDefined();
    expect(`${p!.message} Fix: ${p!.fix}`).toMatch(message);
  });
});
