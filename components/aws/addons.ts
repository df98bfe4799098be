/** Cluster add-ons as Helm releases of the charts pinned in charts/, only those the stack needs. */
import * as pulumi from "@pulumi/pulumi";
import { PodIdentityAssociation } from "@pulumi/aws/eks/podIdentityAssociation";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicyAttachment } from "@pulumi/aws/iam/rolePolicyAttachment";
import { Release } from "@pulumi/kubernetes/helm/v3/release";
import type { Provider } from "@pulumi/kubernetes/provider";
import { Namespace } from "@pulumi/kubernetes/core/v1/namespace";
import { Secret } from "@pulumi/kubernetes/core/v1/secret";
import { StorageClass } from "@pulumi/kubernetes/storage/v1/storageClass";
import { RandomPassword } from "@pulumi/random/randomPassword";
import type { ObservabilitySettings } from "../config/infra-schema";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { ALERTMANAGER_SERVICE_ACCOUNT, snsPublishPolicy } from "../observability/alerting-spec";
import { GP3_STORAGE_CLASS } from "../storage";
import { podIdentityTrustPolicy } from "../pod-identity-trust";
import type { AddonDecision } from "./addon-plan";
import { loadChart, type AddonName } from "./charts";

export interface ClusterAddonsArgs {
  readonly decisions: readonly AddonDecision[];
  readonly provider: Provider;
  readonly clusterName: pulumi.Input<string>;
  readonly region: string;
  readonly vpcId?: pulumi.Input<string>;
  /** IAM policy for the AWS Load Balancer Controller (required when it is installed). */
  readonly loadBalancerControllerPolicyArn?: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Prometheus retention and volume size. */
  readonly observability: ObservabilitySettings;
  /**
   * The encrypted gp3 StorageClass (`omk-gp3`) for Prometheus and Alertmanager volumes: EKS Auto Mode
   * creates none ("Create a storage class", EKS user guide). Null: nothing needs it (or no EBS, e.g. kind).
   */
  readonly storageClass: { readonly provisioner: string } | null;
  /** RuntimeClass for the DCGM exporter pods, when the GPU nodes need one for NVML. */
  readonly dcgmRuntimeClassName?: string;
}


/** Prometheus keeps data for `retention` and stops writing at 85 % of its volume (`retentionSize`). */
export function prometheusValues(o: ObservabilitySettings): Record<string, unknown> {
  return {
    prometheus: {
      prometheusSpec: {
        retention: o.retention,
        retentionSize: `${Math.floor(o.storageGiB * 0.85)}GiB`,
        storageSpec: { volumeClaimTemplate: { spec: { storageClassName: GP3_STORAGE_CLASS, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${o.storageGiB}Gi` } } } } },
      },
    },
  };
}

/** Deep merge of plain objects (computed values over the chart's values.yaml). */
function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = base[k];
    out[k] = v && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object" && !Array.isArray(b) ? merge(b as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** Secret holding Grafana's admin login (keys admin-user, admin-password), instead of the chart's well-known default. */
export const GRAFANA_ADMIN_SECRET = "omk-grafana-admin";

export class ClusterAddons extends pulumi.ComponentResource {
  public readonly releases: Readonly<Partial<Record<AddonName, Release>>>;
  public readonly storageClass: StorageClass | undefined;

  constructor(name: string, args: ClusterAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:aws:Addons", name, {}, opts);
    const releases: Partial<Record<AddonName, Release>> = {};
    const installed = args.decisions.filter((d) => d.install);
    const storageClass = args.storageClass ? new StorageClass(`${name}-gp3`, {
      metadata: { name: GP3_STORAGE_CLASS },
      provisioner: args.storageClass.provisioner,
      // An explicit fstype: the kubelet applies a pod's fsGroup (non-root Prometheus writes its volume) only to volumes
      // whose driver or class names one (Kubernetes "Configure a Security Context", fsGroup; aws-ebs-csi-driver#1365).
      parameters: { type: "gp3", encrypted: "true", throughput: "500", iops: "6000", "csi.storage.k8s.io/fstype": "ext4" },
      volumeBindingMode: "WaitForFirstConsumer",
      reclaimPolicy: "Delete",
    }, { parent: this, provider: args.provider }) : undefined;
    this.storageClass = storageClass;
    // The Load Balancer Controller calls AWS, and Alertmanager publishes to SNS, with Pod Identity credentials
    // (EKS user guide "Understand how EKS Pod Identity works": the SDKs' container credential provider). EKS
    // injects them when a pod is created, so each association precedes the release that starts the pods.
    const snsTopic = args.observability.alertSnsTopicArn;
    const alertmanagerIdentity = snsTopic && installed.some((d) => d.name === "kube-prometheus-stack")
      ? this.podIdentity(`${name}-alertmanager-sns`, args, "monitoring", ALERTMANAGER_SERVICE_ACCOUNT, snsPublishPolicy(snsTopic))
      : undefined;
    const lbcIdentity = installed.some((d) => d.name === "aws-load-balancer-controller") && args.loadBalancerControllerPolicyArn
      ? this.podIdentity(`${name}-lbc`, args, "kube-system", "aws-load-balancer-controller", args.loadBalancerControllerPolicyArn)
      : undefined;
    // Grafana's chart default admin password is public ("prom-operator"): a generated one, kept in a Secret the
    // chart reads (grafana chart values admin.existingSecret / userKey / passwordKey).
    const grafanaAdmin = installed.some((d) => d.name === "kube-prometheus-stack") ? (() => {
      const monitoring = loadChart("kube-prometheus-stack").namespace;
      // An existing cluster may already have it (server-side apply upserts it); never deleted with the stack.
      const ns = new Namespace(`${name}-monitoring`, { metadata: { name: monitoring } }, { parent: this, provider: args.provider, retainOnDelete: true });
      const password = new RandomPassword(`${name}-grafana-admin`, { length: 32, special: false }, { parent: this });
      return new Secret(`${name}-grafana-admin`, {
        metadata: { name: GRAFANA_ADMIN_SECRET, namespace: monitoring },
        type: "Opaque", stringData: { "admin-user": "admin", "admin-password": password.result },
      }, { parent: this, provider: args.provider, dependsOn: [ns] });
    })() : undefined;
    const computedFor = (addon: AddonName): Record<string, unknown> => {
      if (addon === "aws-load-balancer-controller") return { clusterName: args.clusterName, region: args.region, vpcId: args.vpcId };
      if (addon === "kube-prometheus-stack") return merge(prometheusValues(args.observability), { grafana: { admin: { existingSecret: GRAFANA_ADMIN_SECRET, userKey: "admin-user", passwordKey: "admin-password" } } });
      if (addon === "dcgm-exporter" && args.dcgmRuntimeClassName) return { runtimeClassName: args.dcgmRuntimeClassName };
      return {};
    };
    for (const decision of installed) {
      const chart = loadChart(decision.name);
      const computed = computedFor(decision.name);
      const oci = chart.repository.startsWith("oci://");
      // Prometheus must exist before KEDA's triggers are created (and its volume class before Prometheus), KEDA
      // before the ScaledObjects, and the ServiceMonitor CRD before the DCGM exporter's ServiceMonitor.
      const prom = releases["kube-prometheus-stack"];
      const kedaRelease = releases["keda"];
      const after: pulumi.Resource[] = decision.name === "keda" || decision.name === "dcgm-exporter" ? (prom ? [prom] : [])
        : decision.name === "keda-add-ons-http" ? (kedaRelease ? [kedaRelease] : [])
        : decision.name === "kube-prometheus-stack" ? [...(storageClass ? [storageClass] : []), ...(alertmanagerIdentity ? [alertmanagerIdentity] : []), ...(grafanaAdmin ? [grafanaAdmin] : [])]
        : decision.name === "aws-load-balancer-controller" && lbcIdentity ? [lbcIdentity] : [];
      releases[decision.name] = new Release(`${name}-${decision.name}`, {
        name: decision.name,
        chart: oci ? `${chart.repository}/${chart.chart}` : chart.chart,
        repositoryOpts: oci ? undefined : { repo: chart.repository },
        version: chart.version,
        namespace: chart.namespace,
        createNamespace: true,
        values: merge(chart.values, computed),
        atomic: true,
        cleanupOnFail: true,
        timeout: 900,
        description: decision.reason,
      }, { parent: this, provider: args.provider, dependsOn: after });
    }
    this.releases = releases;
    this.registerOutputs({});
  }

  /** A role pods of one service account assume through EKS Pod Identity, with a managed policy ARN or an inline policy. */
  private podIdentity(name: string, args: ClusterAddonsArgs, namespace: string, serviceAccount: string, policy: string): PodIdentityAssociation {
    const role = new Role(name, { assumeRolePolicy: pulumi.output(args.clusterName).apply((cluster) => podIdentityTrustPolicy(cluster, namespace, serviceAccount)), tags: args.tags }, { parent: this });
    const grant = policy.startsWith("arn:")
      ? new RolePolicyAttachment(name, { role: role.name, policyArn: policy }, { parent: this })
      : new RolePolicy(name, { role: role.id, policy }, { parent: this });
    return new PodIdentityAssociation(name, { clusterName: args.clusterName, namespace, serviceAccount, roleArn: role.arn, tags: args.tags }, { parent: this, dependsOn: [grant] });
  }
}
