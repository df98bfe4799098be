/**
 * Reading resources as CrossGuard hands them to policies (`type`, `props`): pod templates of workloads,
 * GPU node pools and their bounds, the models' sizing. Pure, so the offline runner and the real engine agree.
 */
import { findInstance } from "../components/catalog/instances";

export interface Inspectable {
  readonly type: string;
  readonly props: Record<string, any>;
  readonly urn: string;
  readonly name: string;
}

export const TYPES = {
  nodePool: "kubernetes:karpenter.sh/v1:NodePool",
  nodeGroup: "aws:eks/nodeGroup:NodeGroup",
  modelService: "omk:serving:ModelService",
  kit: "omk:index:Kit",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  configMap: "kubernetes:core/v1:ConfigMap",
} as const;

const POD_TEMPLATE_TYPES: Readonly<Record<string, (props: any) => any[]>> = {
  "kubernetes:apps/v1:Deployment": (p) => [p.spec?.template],
  "kubernetes:apps/v1:StatefulSet": (p) => [p.spec?.template],
  "kubernetes:apps/v1:DaemonSet": (p) => [p.spec?.template],
  "kubernetes:batch/v1:Job": (p) => [p.spec?.template],
  "kubernetes:batch/v1:CronJob": (p) => [p.spec?.jobTemplate?.spec?.template],
  "kubernetes:core/v1:Pod": (p) => [{ metadata: p.metadata, spec: p.spec }],
  "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet": (p) => [p.spec?.leaderWorkerTemplate?.leaderTemplate, p.spec?.leaderWorkerTemplate?.workerTemplate],
};

/** An Ingress of the kit as its ALB serves it: the scheme and certificates of its class's parameters, its listen ports. */
export interface AlbEndpoint {
  readonly ingress: Inspectable;
  readonly scheme: "internet-facing" | "internal" | undefined;
  readonly certificates: readonly string[];
  /** The `alb.ingress.kubernetes.io/listen-ports` annotation as written (JSON text). */
  readonly listenPorts: string;
}

/** Every Ingress with what its IngressClass → IngressClassParams say about its ALB (either controller's field names). */
export function albEndpoints(resources: readonly Inspectable[]): AlbEndpoint[] {
  const params = resources.filter((r) => r.props.kind === "IngressClassParams");
  const classes = resources.filter((r) => r.props.kind === "IngressClass");
  return resources.filter((r) => r.type === TYPES.ingress).map((ingress) => {
    const cls = classes.find((c) => c.props.metadata?.name === ingress.props.spec?.ingressClassName);
    const spec = params.find((x) => x.props.metadata?.name === cls?.props.spec?.parameters?.name)?.props.spec;
    return {
      ingress, scheme: spec?.scheme, certificates: spec?.certificateARNs ?? spec?.certificateArn ?? [],
      listenPorts: String(ingress.props.metadata?.annotations?.["alb.ingress.kubernetes.io/listen-ports"] ?? ""),
    };
  });
}

/** Pod templates (metadata + spec) a workload resource creates; empty for anything else. */
export function podTemplates(r: Inspectable): { metadata?: any; spec: any }[] {
  return (POD_TEMPLATE_TYPES[r.type]?.(r.props) ?? []).filter((t) => t && t.spec);
}

/** A container's command line as the runtime starts it: command, then args. */
export function argvOf(container: any): string[] {
  return [...(container?.command ?? []), ...(container?.args ?? [])].map(String);
}

export function containersOf(spec: any): any[] {
  return [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
}

export function gpuRequest(container: any): number {
  const r = container?.resources ?? {};
  return Number(r.limits?.["nvidia.com/gpu"] ?? r.requests?.["nvidia.com/gpu"] ?? 0);
}

export function gpusPerInstance(instanceType: string): number {
  return findInstance(instanceType)?.gpu.count ?? 0;
}

/** Instance types a NodePool may launch (its `node.kubernetes.io/instance-type` requirement). */
export function nodePoolInstanceTypes(props: any): string[] {
  const req = (props.spec?.template?.spec?.requirements ?? []).find((r: any) => r.key === "node.kubernetes.io/instance-type" && r.operator === "In");
  return req?.values ?? [];
}

export function nodePoolCapacityTypes(props: any): string[] {
  const req = (props.spec?.template?.spec?.requirements ?? []).find((r: any) => r.key === "karpenter.sh/capacity-type" && r.operator === "In");
  return req?.values ?? ["on-demand", "spot"];
}

/** A NodePool is a GPU pool when it is tainted for GPUs or may launch GPU instance types. */
export function isGpuNodePool(props: any): boolean {
  const tainted = (props.spec?.template?.spec?.taints ?? []).some((t: any) => t.key === "nvidia.com/gpu");
  return tainted || nodePoolInstanceTypes(props).some((t) => gpusPerInstance(t) > 0);
}

export function familyOf(instanceType: string): string {
  return instanceType.split(".")[0]!;
}

/** The `placement` a ModelService records (sizing summary), or undefined. */
export function placementOf(r: Inspectable): Record<string, any> | undefined {
  return r.type === TYPES.modelService ? r.props.placement : undefined;
}
