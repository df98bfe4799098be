/**
 * The cloud side under the offline engine, per mode (create/existing × karpenter/managed), single- and
 * multi-node, with recorded inputs asserted as a reviewer would read them.
 */
import { describe, expect, it } from "vitest";
import type { Plan } from "../../cli/engine/plan";
import { validateManifest } from "../harness/manifests";
import { ofType, plan, planStack, quotaAnswer, stackConfig } from "../harness/stack";

const qwen = { id: "Qwen/Qwen3-8B", maxModelLen: 8192, replicas: { min: 1, max: 3 } };
const r1 = { id: "deepseek-ai/DeepSeek-R1", name: "r1", instanceType: "p5.48xlarge" };
// Managed node groups do not autoscale (no Cluster Autoscaler): a fixed replica count.
const qwenFixed = { ...qwen, replicas: { min: 2, max: 2 } };
const spec = (p: Plan, type: string, name?: string) => {
  const r = ofType(p, type).find((x) => !name || (x.inputs.metadata as { name?: string })?.name === name || x.name.endsWith(name));
  if (!r) throw new Error(`no ${type} ${name ?? ""}`);
  return r.inputs as Record<string, any>;
};
const releases = (p: Plan) => ofType(p, "kubernetes:helm.sh/v3:Release").map((r) => r.inputs.name).sort();

describe("create × karpenter (the default)", async () => {
  const p = await plan(stackConfig([qwen]));

  it("builds a VPC across 3 AZs with tagged public and private subnets and one NAT", () => {
    expect(spec(p, "aws:ec2/vpc:Vpc")).toMatchObject({ cidrBlock: "10.40.0.0/16", enableDnsHostnames: true });
    const subnets = ofType(p, "aws:ec2/subnet:Subnet").map((s) => s.inputs as Record<string, any>);
    expect(subnets).toHaveLength(6);
    expect(subnets.filter((s) => s.tags["kubernetes.io/role/elb"] === "1").map((s) => s.availabilityZone).sort()).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
    expect(subnets.filter((s) => s.tags["karpenter.sh/discovery"] === "omk-test" && s.tags["kubernetes.io/role/internal-elb"] === "1")).toHaveLength(3);
    expect(ofType(p, "aws:ec2/natGateway:NatGateway")).toHaveLength(1);
  });

  it("creates a protected, KMS-encrypted EKS Auto Mode cluster with logging and API access entries", () => {
    const cluster = ofType(p, "aws:eks/cluster:Cluster")[0]!;
    expect(cluster.protect).toBe(true);
    expect(ofType(p, "aws:kms/key:Key")[0]).toMatchObject({ protect: true, inputs: { enableKeyRotation: true } });
    expect(cluster.inputs).toMatchObject({
      name: "omk-test", version: "1.33", bootstrapSelfManagedAddons: false, deletionProtection: true,
      accessConfig: { authenticationMode: "API" }, encryptionConfig: { resources: ["secrets"] },
      enabledClusterLogTypes: ["api", "audit", "authenticator"],
      computeConfig: { enabled: true }, kubernetesNetworkConfig: { elasticLoadBalancing: { enabled: true } }, storageConfig: { blockStorage: { enabled: true } },
      vpcConfig: { endpointPrivateAccess: true, endpointPublicAccess: true },
    });
    expect(ofType(p, "aws:cloudwatch/logGroup:LogGroup")[0]!.inputs).toMatchObject({ name: "/aws/eks/omk-test/cluster", retentionInDays: 90 });
  });

  it("bounds the GPU NodePool by max replicas plus a rollout's surge replica, taints it and keeps busy nodes", async () => {
    const pool = spec(p, "kubernetes:karpenter.sh/v1:NodePool");
    expect(pool.spec.limits).toEqual({ "nvidia.com/gpu": "4" });
    expect(pool.spec.template.spec.taints).toEqual([{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }]);
    expect(pool.spec.template.spec.requirements).toEqual(expect.arrayContaining([
      { key: "node.kubernetes.io/instance-type", operator: "In", values: ["g6e.xlarge"] },
      { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
      { key: "topology.kubernetes.io/zone", operator: "In", values: ["us-east-1a", "us-east-1b", "us-east-1c"] },
    ]));
    expect(pool.spec.disruption).toMatchObject({ consolidationPolicy: "WhenEmpty", consolidateAfter: "10m" });
    await validateManifest(pool);
    const nodeClass = spec(p, "kubernetes:eks.amazonaws.com/v1:NodeClass");
    expect(nodeClass.spec.ephemeralStorage.size).toBe("200Gi");
    await validateManifest(nodeClass);
  });

  it("gives Grafana a generated admin password, in a Secret that exists before the chart", () => {
    const release = ofType(p, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === "kube-prometheus-stack")!;
    expect((release.inputs.values as any).grafana.admin).toEqual({ existingSecret: "omk-grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
    const secret = p.resources.find((r) => r.inputs.kind === "Secret" && (r.inputs.metadata as any)?.name === "omk-grafana-admin")!;
    expect(release.dependencies).toContain(secret.urn);
    expect(ofType(p, "random:index/randomPassword:RandomPassword").some((r) => r.name.endsWith("grafana-admin"))).toBe(true);
    expect(JSON.stringify(p.resources)).not.toContain("prom-operator");
  });

  it("installs only the add-ons the stack needs", () => {
    expect(releases(p)).toEqual(["dcgm-exporter", "keda", "kube-prometheus-stack"]);
    expect(spec(p, "kubernetes:helm.sh/v3:Release", "keda")).toMatchObject({ chart: "keda", version: "2.18.2", repositoryOpts: { repo: "https://kedacore.github.io/charts" } });
  });
});

describe("create × managed node groups", async () => {
  const p = await plan(stackConfig([qwenFixed, r1], { "omk:capacity": { mode: "managed" } }));

  it("uses the NVIDIA AMI, GPU taints, bounded scaling and an IMDSv2-only launch template", () => {
    const ng = ofType(p, "aws:eks/nodeGroup:NodeGroup").map((r) => r.inputs as Record<string, any>);
    const g6e = ng.find((n) => n.instanceTypes[0] === "g6e.xlarge")!;
    expect(g6e).toMatchObject({ amiType: "AL2023_x86_64_NVIDIA", capacityType: "ON_DEMAND", scalingConfig: { minSize: 2, desiredSize: 2, maxSize: 2 }, taints: [{ key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" }] });
    expect(g6e.subnetIds).toHaveLength(3);
    const lts = ofType(p, "aws:ec2/launchTemplate:LaunchTemplate").map((r) => r.inputs as Record<string, any>);
    for (const lt of lts) {
      expect(lt.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
      expect(lt.blockDeviceMappings[0].ebs.volumeSize).toBeGreaterThanOrEqual(200);
    }
  });

  it("gives the multi-node pool EFA interfaces, a cluster placement group and one AZ", () => {
    const efa = ofType(p, "aws:ec2/launchTemplate:LaunchTemplate").map((r) => r.inputs as Record<string, any>).find((lt) => lt.networkInterfaces)!;
    expect(efa.networkInterfaces).toHaveLength(32);
    expect(efa.networkInterfaces.every((n: { interfaceType: string }) => n.interfaceType === "efa")).toBe(true);
    expect(ofType(p, "aws:ec2/placementGroup:PlacementGroup")[0]!.inputs).toMatchObject({ strategy: "cluster" });
    const ng = ofType(p, "aws:eks/nodeGroup:NodeGroup").map((r) => r.inputs as Record<string, any>).find((n) => n.instanceTypes[0] === "p5.48xlarge")!;
    expect(ng.subnetIds).toHaveLength(1);
    expect(ng.scalingConfig).toMatchObject({ minSize: 2, maxSize: 2 });
    expect(spec(p, "kubernetes:helm.sh/v3:Release", "aws-efa-k8s-device-plugin")).toMatchObject({ chart: "aws-efa-k8s-device-plugin" });
  });

  it("installs the device plugins, LeaderWorkerSet and GPU monitoring, and node add-ons for the node groups", () => {
    expect(releases(p)).toEqual(["aws-efa-k8s-device-plugin", "dcgm-exporter", "kube-prometheus-stack", "lws", "nvidia-device-plugin"]);
    expect(spec(p, "kubernetes:helm.sh/v3:Release", "lws")).toMatchObject({ chart: "oci://registry.k8s.io/lws/charts/lws", version: "0.8.0" });
    expect(ofType(p, "aws:eks/addon:Addon").map((a) => a.inputs.addonName).sort()).toEqual(["coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]);
  });
});

describe("capacity reservations", () => {
  it("Karpenter selects the reservations and may launch reserved capacity", async () => {
    const p = await plan(stackConfig([qwen], { "omk:capacity": { reservations: [{ id: "cr-0abc1234" }] } }));
    expect(spec(p, "kubernetes:eks.amazonaws.com/v1:NodeClass").spec.capacityReservationSelectorTerms).toEqual([{ id: "cr-0abc1234" }]);
    expect(spec(p, "kubernetes:karpenter.sh/v1:NodePool").spec.template.spec.requirements[1].values).toEqual(["reserved", "on-demand"]);
  });

  it("a Capacity Block launches managed nodes through the capacity-block market", async () => {
    const p = await plan(stackConfig([qwenFixed], { "omk:capacity": { mode: "managed", reservations: [{ id: "cr-0abc1234", type: "capacity-block" }] } }));
    expect(spec(p, "aws:eks/nodeGroup:NodeGroup").capacityType).toBe("CAPACITY_BLOCK");
    expect(spec(p, "aws:ec2/launchTemplate:LaunchTemplate")).toMatchObject({ instanceMarketOptions: { marketType: "capacity-block" }, capacityReservationSpecification: { capacityReservationTarget: { capacityReservationId: "cr-0abc1234" } } });
  });
});

describe("node image", () => {
  it("Bottlerocket NVIDIA for managed node groups, with its data volume sized", async () => {
    const p = await plan(stackConfig([qwenFixed], { "omk:capacity": { mode: "managed", nodeImage: "bottlerocket" } }));
    expect(spec(p, "aws:eks/nodeGroup:NodeGroup").amiType).toBe("BOTTLEROCKET_x86_64_NVIDIA");
    expect(spec(p, "aws:ec2/launchTemplate:LaunchTemplate").blockDeviceMappings[0].deviceName).toBe("/dev/xvdb");
  });
});

describe("existing clusters", () => {
  it("self-managed Karpenter: EC2NodeClass with IMDSv2, GPU disk and the cluster's discovery tag; no VPC or cluster", async () => {
    const p = await plan(stackConfig([qwen], { "omk:cluster": { mode: "existing", name: "prod", karpenter: true, nodeRoleName: "KarpenterNodeRole-prod" } }));
    expect(ofType(p, "aws:ec2/vpc:Vpc")).toHaveLength(0);
    expect(ofType(p, "aws:eks/cluster:Cluster")).toHaveLength(0);
    const nodeClass = spec(p, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass");
    expect(nodeClass.spec).toMatchObject({ role: "KarpenterNodeRole-prod", metadataOptions: { httpTokens: "required" }, subnetSelectorTerms: [{ tags: { "karpenter.sh/discovery": "prod" } }] });
    expect(nodeClass.spec.blockDeviceMappings[0].ebs).toMatchObject({ volumeSize: "200Gi", encrypted: true });
    await validateManifest(nodeClass);
    await validateManifest(spec(p, "kubernetes:karpenter.sh/v1:NodePool"));
    expect(releases(p)).toContain("nvidia-device-plugin");
  });

  it("EKS Auto Mode: a NodeClass with the cluster's node role and security group", async () => {
    const p = await plan(stackConfig([qwen], { "omk:cluster": { mode: "existing", name: "prod", autoMode: true, nodeRoleName: "AmazonEKSAutoNodeRole" } }));
    const nodeClass = spec(p, "kubernetes:eks.amazonaws.com/v1:NodeClass");
    expect(nodeClass.spec).toMatchObject({ role: "AmazonEKSAutoNodeRole", securityGroupSelectorTerms: [{ id: "sg-offlinecluster" }] });
    await validateManifest(nodeClass);
    expect(releases(p)).not.toContain("nvidia-device-plugin");
  });

  it("managed node groups in the given subnets, with the named node role", async () => {
    const p = await plan(stackConfig([qwenFixed], { "omk:cluster": { mode: "existing", name: "prod", nodeRoleName: "gpu-nodes", subnetIds: ["subnet-0a", "subnet-0b"] }, "omk:capacity": { mode: "managed" } }));
    const ng = spec(p, "aws:eks/nodeGroup:NodeGroup");
    expect(ng).toMatchObject({ clusterName: "prod", nodeRoleArn: "arn:aws:iam::000000000000:role/gpu-nodes" });
    expect([...ng.subnetIds].sort()).toEqual(["subnet-0a", "subnet-0b"]);
    expect(ofType(p, "aws:eks/addon:Addon")).toHaveLength(0);
  });
});

describe("availability zones", () => {
  const onlyIn = (zones: string[]) => ({
    "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": (args: Record<string, unknown>) => {
      const types = ((args.filters as { values: string[] }[])[0]!.values);
      const pairs = types.flatMap((t) => zones.map((z) => [t, z]));
      return { id: "x", instanceTypes: pairs.map((x) => x[0]), locations: pairs.map((x) => x[1]), locationTypes: pairs.map(() => "availability-zone") };
    },
    "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({ id: "x", names: ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"], zoneIds: [] }),
  });

  it("gives GPU capacity only to the cluster AZs that offer the type", async () => {
    const p = await plan(stackConfig([qwen]), onlyIn(["us-east-1b", "us-east-1d"]));
    expect(p.cluster.zones).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
    expect(spec(p, "kubernetes:karpenter.sh/v1:NodePool").spec.template.spec.requirements[2].values).toEqual(["us-east-1b"]);
  });

  it("never puts the cluster in a Local Zone, asks EC2 for regular AZs, and does not depend on an AZ's momentary state", async () => {
    let asked: unknown;
    const withLocalZone = {
      ...onlyIn(["us-east-1a", "us-east-1b", "us-east-1c"]),
      // An opted-in Local Zone sorts before the regular AZs (what a lookup without the filter returns).
      "aws:index/getAvailabilityZones:getAvailabilityZones": (args: Record<string, unknown>) => {
        asked = args;
        return { id: "x", names: ["us-east-1-bos-1a", "us-east-1-wl1-bos-wlz-1", "us-east-1a", "us-east-1b", "us-east-1c"], zoneIds: [] };
      },
    };
    const p = await plan(stackConfig([qwen]), withLocalZone);
    expect(p.cluster.zones).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
    expect(asked).toEqual({ filters: [{ name: "zone-type", values: ["availability-zone"] }] });
    const named = await planStack(stackConfig([qwen], { "omk:cluster": { availabilityZones: ["us-east-1-bos-1a", "us-east-1a"] } }), { stack: "t", source: "t", invokes: withLocalZone });
    expect(named.ok).toBe(false);
    if (!named.ok) expect(named.error.message).toMatch(/omk:cluster\.availabilityZones\[0\]: "us-east-1-bos-1a" — must be an AZ name like us-east-1a/);
    const elsewhere = await planStack(stackConfig([qwen], { "omk:cluster": { availabilityZones: ["us-east-1z", "us-east-1a"] } }), { stack: "t", source: "t", invokes: withLocalZone });
    expect(elsewhere.ok).toBe(false);
    if (!elsewhere.ok) expect(elsewhere.error.message).toMatch(/us-east-1z is not an AZ of us-east-1 .*Fix: use AZs from us-east-1a, us-east-1b, us-east-1c\./);
  });

  it("asks for an AZ list when none of the default AZs sells the type", async () => {
    const r = await planStack(stackConfig([qwen]), { stack: "t", source: "t", invokes: onlyIn(["us-east-1d"]) });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/none of these AZs offers g6e\.xlarge.*Fix: include us-east-1d in cluster\.availabilityZones/);
  });

  it("rejects configured AZs that do not sell the chosen type, naming one that does", async () => {
    const r = await planStack(stackConfig([qwen], { "omk:cluster": { mode: "create", availabilityZones: ["us-east-1a", "us-east-1b"] } }), { stack: "t", source: "t", invokes: onlyIn(["us-east-1d"]) });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/omk:cluster\.availabilityZones: .*none of these AZs offers g6e\.xlarge.*Fix: include us-east-1d/);
  });
});

describe("quota preflight", () => {
  it("fails with the quota code, current value and the increase to request", async () => {
    const r = await planStack(stackConfig([qwen]), { stack: "t", source: "t", invokes: quotaAnswer({ "L-DB2E81BA": 4 }) });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toMatch(/needs 16 vCPUs of EC2 quota L-DB2E81BA \(Running On-Demand G and VT instances\) in us-east-1 at max scale plus a rolling update's surge replicas \(gpu-g6e-xlarge\); the account has 4\./);
      expect(r.error.message).toMatch(/Request an increase of at least 12 to 16: `aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-DB2E81BA --desired-value 16/);
    }
  });

  it("only warns with quotaCheck: warn, and passes when the quota suffices", async () => {
    const warned = await plan(stackConfig([qwen], { "omk:capacity": { quotaCheck: "warn" } }), quotaAnswer({ "L-DB2E81BA": 4 }));
    expect(warned.warnings.join("\n")).toMatch(/Request an increase of at least 12/);
    const ok = await plan(stackConfig([qwen]), quotaAnswer({ "L-DB2E81BA": 64 }));
    expect(ok.quotas).toEqual([expect.objectContaining({ code: "L-DB2E81BA", vcpus: 16, available: 64, short: 0 })]);
  });

  it("warns, not fails, when the quota cannot be read", async () => {
    const p = await plan(stackConfig([qwen]));
    expect(p.warnings.join("\n")).toMatch(/could not read EC2 quota L-DB2E81BA/);
  });
});

describe("reliability of change", () => {
  const two = (len: number, max: number) => stackConfig([{ ...qwen, maxModelLen: len, replicas: { min: 1, max } }, { id: "Qwen/Qwen3-32B", maxModelLen: 8192 }]);

  it("changing one model's context and replicas touches only its pool and service", async () => {
    const a = await plan(two(8192, 3));
    const b = await plan(two(16384, 5));
    expect(b.resources.map((r) => r.urn)).toEqual(a.resources.map((r) => r.urn));
    const changed = b.resources.filter((r) => JSON.stringify(r.inputs) !== JSON.stringify(a.resources.find((x) => x.urn === r.urn)!.inputs)).map((r) => r.name);
    // Only the model's own resources and its GPU pool's limit change; VPC, cluster and the other pool do not.
    expect(changed.length).toBeGreaterThan(0);
    for (const name of changed) expect(name, name).toMatch(/qwen3-8b|gpu-g6e-xlarge$/);
    expect(changed).toContain("omk-test-platform-gpu-gpu-g6e-xlarge");
    expect(changed.some((n) => /vpc|eks|qwen3-32b|gpu-g6e-2xlarge|gpu-g6e-4xlarge/.test(n))).toBe(false);
  });

  it("moving a model to another instance type keeps the VPC, its subnets and the cluster, even when offerings differ by AZ", async () => {
    const offerings = {
      "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": (args: Record<string, unknown>) => {
        const where: Record<string, string[]> = { "g6e.xlarge": ["us-east-1a"], "g6e.2xlarge": ["us-east-1c"] };
        const pairs = ((args.filters as { values: string[] }[])[0]!.values).flatMap((t) => (where[t] ?? ["us-east-1a", "us-east-1b", "us-east-1c"]).map((z) => [t, z]));
        return { id: "x", instanceTypes: pairs.map((x) => x[0]), locations: pairs.map((x) => x[1]), locationTypes: pairs.map(() => "availability-zone") };
      },
    };
    const a = await plan(stackConfig([{ ...qwen, instanceType: "g6e.xlarge" }]), offerings);
    const b = await plan(stackConfig([{ ...qwen, instanceType: "g6e.2xlarge" }]), offerings);
    const stable = (p: Plan) => p.resources.filter((r) => /^aws:(ec2|eks|kms)\//.test(r.type)).map((r) => [r.urn, JSON.stringify(r.inputs)]);
    expect(stable(b)).toEqual(stable(a));
  });

  it("protect can be turned off for throwaway environments", async () => {
    const p = await plan(stackConfig([qwen], { "omk:cluster": { mode: "create", protect: false } }));
    expect(ofType(p, "aws:eks/cluster:Cluster")[0]!.protect).toBe(false);
    expect(ofType(p, "aws:kms/key:Key")[0]!.protect).toBe(false);
  });
});
