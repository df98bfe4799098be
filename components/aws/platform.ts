/**
 * The cloud side of a stack: network and cluster (or an existing cluster), GPU capacity for every pool
 * the sizing produced, and the add-ons the stack needs. Workloads get `provider` and `pools`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Provider } from "@pulumi/kubernetes/provider";
import type { ResolvedStack } from "../config/validate";
import { ClusterAddons } from "./addons";
import { EksCluster } from "./cluster";
import { ExistingCluster } from "./existing-cluster";
import { ImageCache } from "./image-cache";
import { KarpenterPools } from "./karpenter-pools";
import { ManagedPools } from "./managed-pools";
import { Network } from "./network";
import type { InfraPlan } from "./preflight";

export interface PlatformArgs {
  readonly stack: ResolvedStack;
  readonly infra: InfraPlan;
  /** Tags on every AWS resource (environment, project, managed-by). */
  readonly tags: Readonly<Record<string, string>>;
  /** Images the workloads pull; the Docker Hub ones get an ECR cache repository when serving.imageCache is set. @default [] */
  readonly images?: readonly string[];
}

export function clusterNameFor(stack: ResolvedStack): string {
  if (stack.cluster.mode === "create") return `omk-${stack.environment}`;
  return stack.cluster.name ?? `kubeconfig context ${stack.cluster.context ?? "(current)"}`;
}

export class Platform extends pulumi.ComponentResource {
  public readonly provider: Provider;
  public readonly clusterName: pulumi.Output<string>;
  public readonly vpcId: pulumi.Output<string> | undefined;
  /** StorageClass provisioner for EBS volumes: Auto Mode's built-in driver or the EBS CSI add-on. */
  public readonly ebsProvisioner: string;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:aws:Platform", name, {}, opts);
    const { stack, infra, tags } = args;
    const parent = { parent: this };
    const clusterName = clusterNameFor(stack);
    this.ebsProvisioner = stack.cluster.mode === "create" || stack.cluster.autoMode ? "ebs.csi.eks.amazonaws.com" : "ebs.csi.aws.com";
    let nodeRoleName: pulumi.Input<string>;
    let nodeRoleArn: pulumi.Input<string> | undefined;
    let securityGroupId: pulumi.Output<string>;
    let subnetsFor: (zones: readonly string[]) => pulumi.Input<string>[];

    if (stack.cluster.mode === "create") {
      const network = new Network(`${name}-net`, { cidr: stack.cluster.vpcCidr, zones: infra.clusterZones, natGateways: stack.cluster.natGateways, clusterName, region: stack.region, tags, flowLogs: stack.cluster.flowLogs }, parent);
      const cluster = new EksCluster(`${name}-cluster`, { clusterName, region: stack.region, settings: stack.cluster, privateSubnetIds: Object.values(network.privateSubnetIds), tags }, parent);
      this.provider = cluster.provider;
      this.clusterName = cluster.name;
      this.vpcId = network.vpcId;
      nodeRoleName = cluster.nodeRoleName;
      securityGroupId = cluster.clusterSecurityGroupId;
      subnetsFor = (zones) => zones.map((az) => network.privateSubnetIds[az]!);
    } else {
      const existing = new ExistingCluster(`${name}-cluster`, { settings: stack.cluster, region: stack.region }, parent);
      this.provider = existing.provider;
      this.clusterName = existing.name;
      this.vpcId = stack.cluster.vpcId ? pulumi.output(stack.cluster.vpcId) : undefined;
      nodeRoleName = stack.cluster.nodeRoleName ?? "";
      nodeRoleArn = existing.nodeRoleArn;
      securityGroupId = existing.clusterSecurityGroupId;
      subnetsFor = (zones) => zones.flatMap((az) => [...(infra.subnetsByZone[az] ?? [])]);
    }

    if (infra.pools.length && stack.capacity.mode === "karpenter") {
      const autoMode = stack.cluster.mode === "create" || stack.cluster.autoMode;
      new KarpenterPools(`${name}-gpu`, {
        pools: infra.pools, flavor: autoMode ? "auto-mode" : "self-managed", nodeRoleName, securityGroupId,
        discoveryTag: stack.cluster.mode === "existing" ? stack.cluster.discoveryTag ?? clusterName : clusterName,
        capacity: stack.capacity, provider: this.provider, tags,
        // A cluster the kit creates gets the tagging permissions on its role (cluster.ts); an existing one only if the stack says so.
        rolePermitsCustomTags: stack.cluster.mode === "create" || stack.cluster.customTagPermissions,
      }, parent);
    } else if (infra.pools.length) {
      new ManagedPools(`${name}-gpu`, {
        clusterName: this.clusterName, pools: infra.pools.map((p) => ({ pool: p.pool, subnetIds: subnetsFor(p.zones) })),
        nodeRoleArn, securityGroupId, installNodeAddons: stack.cluster.mode === "create", capacity: stack.capacity, tags,
        kubernetesVersion: stack.cluster.mode === "create" ? stack.cluster.kubernetesVersion : undefined,
        addonVersions: stack.cluster.mode === "create" ? stack.cluster.addonVersions : undefined,
      }, parent);
    }
    if (stack.serving.imageCache && stack.capacity.mode !== "cpu") {
      new ImageCache(`${name}-image-cache`, { credentialArn: stack.serving.imageCache.dockerHubCredentialArn, environment: stack.environment, images: args.images ?? [], tags }, parent);
    }
    const prometheus = infra.addons.some((a) => a.name === "kube-prometheus-stack" && a.install);
    // Prometheus and Alertmanager are the only volume users (the weights mirror streams: mirror-script.ts).
    const needsVolumes = stack.capacity.mode !== "cpu" && prometheus;
    new ClusterAddons(`${name}-addons`, {
      decisions: infra.addons, provider: this.provider, clusterName: this.clusterName, region: stack.region, vpcId: this.vpcId,
      loadBalancerControllerPolicyArn: stack.addons.loadBalancerControllerPolicyArn, tags,
      observability: stack.observability, storageClass: needsVolumes ? { provisioner: this.ebsProvisioner } : null,
      dcgmRuntimeClassName: stack.addons.dcgmRuntimeClassName,
    }, parent);
    this.registerOutputs({ clusterName: this.clusterName });
  }
}
