/** GPU capacity through Karpenter: one node class and one NodePool per GPU pool. */
import * as pulumi from "@pulumi/pulumi";
import { CustomResource } from "@pulumi/kubernetes/apiextensions/customResource";
import type { Provider } from "@pulumi/kubernetes/provider";
import type { CapacitySettings } from "../config/infra-schema";
import { buildNodeClass, buildNodePool, nodeClassType, type KarpenterFlavor } from "./gpu-capacity-spec";
import type { GpuPool } from "./gpu-pools";

export interface KarpenterPoolsArgs {
  readonly pools: readonly { readonly pool: GpuPool; readonly zones: readonly string[] }[];
  /** EKS Auto Mode's built-in Karpenter, or a self-managed installation. */
  readonly flavor: KarpenterFlavor;
  readonly nodeRoleName: pulumi.Input<string>;
  readonly discoveryTag: string;
  /** Cluster security group (Auto Mode NodeClass). */
  readonly securityGroupId: pulumi.Input<string>;
  readonly capacity: CapacitySettings;
  /** Auto Mode: the cluster role may apply user-defined tags (see ./auto-mode-tags.ts). */
  readonly rolePermitsCustomTags: boolean;
  readonly provider: Provider;
  readonly tags: Readonly<Record<string, string>>;
}

export class KarpenterPools extends pulumi.ComponentResource {
  public readonly nodePools: readonly CustomResource[];

  constructor(name: string, args: KarpenterPoolsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:aws:KarpenterPools", name, {}, opts);
    const k8s = { parent: this, provider: args.provider };
    this.nodePools = args.pools.map(({ pool, zones }) => {
      const nodeClass = pulumi.all([args.nodeRoleName, args.securityGroupId]).apply(([nodeRoleName, securityGroupId]) =>
        buildNodeClass({ pool, flavor: args.flavor, nodeRoleName, securityGroupId, discoveryTag: args.discoveryTag, capacity: args.capacity, tags: args.tags, rolePermitsCustomTags: args.rolePermitsCustomTags }));
      const nodeClassResource = new CustomResource(`${name}-${pool.name}-class`, {
        ...nodeClassType(args.flavor),
        metadata: nodeClass.apply((o) => o.metadata as Record<string, unknown>), spec: nodeClass.apply((o) => o.spec as Record<string, unknown>),
      }, k8s);
      const nodePool = buildNodePool({ pool, flavor: args.flavor, zones, capacity: args.capacity });
      return new CustomResource(`${name}-${pool.name}`, nodePool as ConstructorParameters<typeof CustomResource>[1], { ...k8s, dependsOn: [nodeClassResource] });
    });
    this.registerOutputs({});
  }
}
