/**
 * Validates a rendered Kubernetes object against its official schema: kubernetes-models for built-in
 * kinds, the Karpenter and KEDA model packages for their CRDs, and the kit's typed schemas where no package
 * exists (EKS Auto Mode NodeClass, IngressClassParams, LeaderWorkerSet, the KEDA HTTP add-on's InterceptorRoute). Throws with the JSON path of each problem.
 */
import { autoModeNodeClassSchema } from "../../components/aws/auto-mode-nodeclass";
import { leaderWorkerSetSchema } from "../../components/serving/lws-schema";
import { ingressClassParamsSchema } from "../../components/traffic/ingress-class-params";
import { interceptorRouteSchema } from "../../components/traffic/interceptor-route-schema";

type Model = new (data: unknown) => { validate(): void };

async function modelFor(apiVersion: string, kind: string): Promise<Model> {
  switch (`${apiVersion}/${kind}`) {
    case "karpenter.sh/v1/NodePool": return (await import("@kubernetes-models/karpenter/karpenter.sh/v1/NodePool")).NodePool as unknown as Model;
    case "karpenter.k8s.aws/v1/EC2NodeClass": return (await import("@kubernetes-models/karpenter/karpenter.k8s.aws/v1/EC2NodeClass")).EC2NodeClass as unknown as Model;
    case "keda.sh/v1alpha1/ScaledObject": return (await import("@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject")).ScaledObject as unknown as Model;
    case "monitoring.coreos.com/v1/PodMonitor": return (await import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor")).PodMonitor as unknown as Model;
    case "monitoring.coreos.com/v1alpha1/AlertmanagerConfig": return (await import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/AlertmanagerConfig")).AlertmanagerConfig as unknown as Model;
    case "monitoring.coreos.com/v1/PrometheusRule": return (await import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule")).PrometheusRule as unknown as Model;
    default: {
      const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
      const mod = (await import(`kubernetes-models/${group === "core" ? "v1" : `${group}/${version}`}`)) as Record<string, Model>;
      const model = mod[kind];
      if (!model) throw new Error(`no schema for ${apiVersion} ${kind}`);
      return model;
    }
  }
}

/** Every problem of every object, as "<Kind> <namespace/name>: <error>" lines (empty when all are valid). */
export async function validateManifests(objects: readonly Record<string, unknown>[]): Promise<string[]> {
  const problems: string[] = [];
  for (const o of objects) {
    const meta = (o.metadata ?? {}) as { name?: string; namespace?: string };
    try {
      await validateManifest(o);
    } catch (err) {
      problems.push(`${String(o.kind)} ${meta.namespace ? `${meta.namespace}/` : ""}${meta.name ?? "?"}: ${(err as Error).message.split("\n").slice(0, 3).join("; ")}`);
    }
  }
  return problems;
}

export async function validateManifest(object: Record<string, unknown>): Promise<void> {
  const { apiVersion, kind } = object as { apiVersion: string; kind: string };
  if (apiVersion === "http.keda.sh/v1beta1" && kind === "InterceptorRoute") {
    interceptorRouteSchema.parse(object);
    return;
  }
  if (kind === "IngressClassParams") {
    ingressClassParamsSchema.parse(object);
    return;
  }
  if (apiVersion === "eks.amazonaws.com/v1" && kind === "NodeClass") {
    autoModeNodeClassSchema.parse(object);
    return;
  }
  if (apiVersion === "leaderworkerset.x-k8s.io/v1" && kind === "LeaderWorkerSet") {
    const lws = leaderWorkerSetSchema.parse(object);
    const { leaderTemplate, workerTemplate } = lws.spec.leaderWorkerTemplate;
    const Pod = await modelFor("v1", "Pod");
    for (const t of [leaderTemplate, workerTemplate]) if (t) new Pod({ apiVersion: "v1", kind: "Pod", metadata: t.metadata ?? {}, spec: t.spec }).validate();
    return;
  }
  const Model = await modelFor(apiVersion, kind);
  new Model(object).validate();
}
