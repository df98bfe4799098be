/**
 * What the offline engine answers in place of AWS: data-source lookups and provider-computed outputs.
 * These are ASSUMPTIONS, printed as such by `omk plan`: every AZ `a`–`c` of the region is available and
 * offers every GPU type the catalog lists for the region; Service Quotas cannot be read offline (the
 * preview then warns instead of checking). `pulumi preview` asks AWS for the real answers.
 */
import { INSTANCES, offeredIn } from "../../components/catalog/instances";
import type { ComputedOutputs, InvokeAnswer } from "./record";

const ACCOUNT = "000000000000";

export function offlineZones(region: string): string[] {
  return ["a", "b", "c"].map((l) => `${region}${l}`);
}

/** RFC 5737 TEST-NET-2: unmistakably not S3, so an offline manifest cannot be taken for the real ranges. */
export const OFFLINE_S3_CIDR = "198.51.100.0/24";

export const OFFLINE_ASSUMPTIONS = [
  "AZs a–c of the region are available and offer every GPU type the catalog lists there",
  "Service Quotas are not read offline (pulumi preview checks them)",
  "the principal running Pulumi is not known offline (pulumi preview checks that omk:cluster.admins lists it)",
  `the region's S3 address ranges are a stand-in (${OFFLINE_S3_CIDR}, a documentation range); pulumi preview reads the prefix list com.amazonaws.<region>.s3`,
];

/** Invoke answers keyed by token; tests override single entries (e.g. a quota value). */
export function offlineInvokes(region: string): Record<string, InvokeAnswer> {
  const zones = offlineZones(region);
  return {
    "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({ names: zones, zoneIds: zones.map((_, i) => `${region.replace(/-/g, "")}-az${i + 1}`), state: "available", id: region }),
    "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": (args) => {
      const filters = (args.filters ?? []) as { name: string; values: string[] }[];
      const wanted = filters.find((f) => f.name === "instance-type")?.values ?? [];
      const pairs = wanted.flatMap((type) => {
        const inst = INSTANCES.find((i) => i.type === type);
        return inst && offeredIn(inst, region) !== "not-offered" ? zones.map((az) => [type, az] as const) : [];
      });
      return { id: region, instanceTypes: pairs.map((p) => p[0]), locations: pairs.map((p) => p[1]), locationTypes: pairs.map(() => "availability-zone") };
    },
    "aws:servicequotas/getServiceQuota:getServiceQuota": () => {
      throw new Error("Service Quotas are not read offline");
    },
    "aws:ec2/getSubnet:getSubnet": (args) => ({ id: args.id, availabilityZone: zones[Number.parseInt(String(args.id).slice(-1), 16) % zones.length], vpcId: "vpc-offline" }),
    "aws:eks/getCluster:getCluster": (args) => ({
      id: args.name, name: args.name, arn: `arn:aws:eks:${region}:${ACCOUNT}:cluster/${String(args.name)}`, endpoint: `https://${String(args.name)}.offline.eks.amazonaws.com`,
      certificateAuthorities: [{ data: "T0ZGTElORQ==" }], vpcConfig: { clusterSecurityGroupId: "sg-offlinecluster", vpcId: "vpc-offline", subnetIds: [] }, version: "1.33",
    }),
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({ id: ACCOUNT, accountId: ACCOUNT, arn: "", userId: "" }),
    "aws:iam/getSessionContext:getSessionContext": () => ({ id: "", arn: "", issuerArn: "", issuerId: "", issuerName: "", sessionName: "" }),
    // The add-on's default version for a Kubernetes version: a stand-in naming both, so a version bump shows.
    "aws:eks/getAddonVersion:getAddonVersion": (args) => ({ id: String(args.addonName), addonName: args.addonName, kubernetesVersion: args.kubernetesVersion, version: `offline-default-for-${String(args.kubernetesVersion)}` }),
    "aws:ec2/getPrefixList:getPrefixList": (args) => ({ id: "pl-offline", prefixListId: "pl-offline", name: args.name, cidrBlocks: [OFFLINE_S3_CIDR] }),
    "aws:iam/getRole:getRole": (args) => ({ id: args.name, name: args.name, arn: `arn:aws:iam::${ACCOUNT}:role/${String(args.name)}` }),
  };
}

/** Provider-computed outputs per type: ids, ARNs, endpoints. Deterministic, so plans diff cleanly. */
export function offlineComputed(region: string): Record<string, ComputedOutputs> {
  return {
    "aws:eks/cluster:Cluster": (name, inputs) => ({
      arn: `arn:aws:eks:${region}:${ACCOUNT}:cluster/${String(inputs.name ?? name)}`,
      endpoint: `https://${String(inputs.name ?? name)}.offline.eks.amazonaws.com`,
      certificateAuthority: { data: "T0ZGTElORQ==" },
      vpcConfig: { ...(inputs.vpcConfig as object), clusterSecurityGroupId: `sg-${name}` },
    }),
    "aws:iam/role:Role": (name) => ({ name, arn: `arn:aws:iam::${ACCOUNT}:role/${name}` }),
    "aws:acm/certificate:Certificate": (name, inputs) => ({
      arn: `arn:aws:acm:${region}:${ACCOUNT}:certificate/${name}`,
      domainValidationOptions: [{ domainName: inputs.domainName, resourceRecordName: `_offline.${String(inputs.domainName).replace("*.", "")}.`, resourceRecordType: "CNAME", resourceRecordValue: "_offline.acm-validations.aws." }],
    }),
    "aws:route53/record:Record": (_name, inputs) => ({ fqdn: inputs.name }),
    // Pulumi auto-names buckets with a random suffix; offline it is a fixed one.
    "aws:s3/bucket:Bucket": (name) => ({ bucket: `${name}-0000000`, arn: `arn:aws:s3:::${name}-0000000` }),
    "aws:ec2/launchTemplate:LaunchTemplate": () => ({ latestVersion: 1 }),
    "aws:ec2/placementGroup:PlacementGroup": (name) => ({ name }),
    // A stand-in key: the real one is generated by `pulumi up` and only ever shown as a secret.
    "random:index/randomPassword:RandomPassword": (name) => ({ result: `offline-${name}` }),
  };
}

export function offlineDefault(region: string) {
  return (type: string, name: string): Record<string, unknown> => ({ arn: `arn:aws:offline:${region}:${ACCOUNT}:${type.split(":").pop()?.toLowerCase()}/${name}` });
}
