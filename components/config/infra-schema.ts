/**
 * Stack config sections for the cloud side: `omk:cluster`, `omk:capacity`, `omk:addons`.
 * Every key is optional: a stack that says nothing gets a new VPC + EKS cluster (Auto Mode) with
 * Karpenter GPU pools sized from its models.
 */
import { z } from "zod";

const dnsLabel = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const cidr = /^(\d{1,3}\.){3}\d{1,3}\/(1[6-9]|2[0-4])$/;
const iamPrincipalArn = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;
const duration = /^\d+(s|m|h)$/;

/** EKS Kubernetes version the kit pins by default (supported by EKS standard support in 2026). */
export const DEFAULT_KUBERNETES_VERSION = "1.33";

/** The EKS add-ons managed node groups need (EKS Auto Mode runs their equivalents itself). */
export const EKS_NODE_ADDONS = ["eks-pod-identity-agent", "vpc-cni", "kube-proxy", "coredns"] as const;
export type EksNodeAddon = (typeof EKS_NODE_ADDONS)[number];
/** An EKS add-on version as DescribeAddonVersions lists it. */
const addonVersion = z.string().regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/, "must be an EKS add-on version like v1.19.2-eksbuild.1 (aws eks describe-addon-versions)");

export const createClusterSchema = z.strictObject({
  mode: z.literal("create"),
  /** EKS Kubernetes version, pinned. @default "1.33" */
  kubernetesVersion: z.string().regex(/^1\.\d{2}$/, "must look like 1.33").default(DEFAULT_KUBERNETES_VERSION),
  /** Number of AZs (≥ 2) or their exact names; GPU pools use the subset that offers their instance type. @default 3 */
  availabilityZones: z.union([z.number().int().min(2).max(6), z.array(z.string().regex(/^[a-z]{2}-[a-z]+-\d[a-z]$/, "must be an AZ name like us-east-1a")).min(2).max(6)]).default(3),
  /** VPC CIDR (/16–/24): private subnets get the larger share (pods take VPC IPs). @default "10.40.0.0/16" */
  vpcCidr: z.string().regex(cidr, "must be an IPv4 CIDR between /16 and /24, e.g. 10.40.0.0/16").default("10.40.0.0/16"),
  /** One NAT gateway (cheaper) or one per AZ (no cross-AZ dependency). @default "single" */
  natGateways: z.enum(["single", "per-az"]).default("single"),
  endpoint: z.strictObject({
    /** Public API endpoint. @default true */
    public: z.boolean().default(true),
    /** Private API endpoint inside the VPC. @default true */
    private: z.boolean().default(true),
    /** CIDRs allowed to reach the public endpoint. @default ["0.0.0.0/0"] */
    publicAccessCidrs: z.array(z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, "must be an IPv4 CIDR, e.g. 203.0.113.0/24")).min(1).default(["0.0.0.0/0"]),
  }).prefault({}),
  /** IAM roles/users given cluster-admin through EKS access entries. @default [] */
  admins: z.array(z.string().superRefine((arn, ctx) => {
    if (iamPrincipalArn.test(arn)) return;
    // What `aws sts get-caller-identity` prints for a role session: an access entry names the role itself.
    const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(arn);
    ctx.addIssue({
      code: "custom",
      message: session
        ? `is a role session (assumed-role), not a role: use arn:${session[1]}:iam::${session[2]}:role/${session[3]} (with the role's path, if it has one: aws iam get-role --role-name ${session[3]})`
        : "must be an IAM role or user ARN, e.g. arn:aws:iam::123456789012:role/platform-admin",
    });
  })).default([]).superRefine((admins, ctx) => {
    // IAM names are unique whatever their case, and EKS allows one access entry per principal.
    admins.forEach((arn, i) => {
      const first = admins.findIndex((a) => a.toLowerCase() === arn.toLowerCase());
      if (first < i) ctx.addIssue({ code: "custom", path: [i], message: `repeats admins[${first}] (${admins[first]}): EKS allows one access entry per principal; remove one` });
    });
  }),
  /** Control-plane log types sent to CloudWatch. @default ["api", "audit", "authenticator"] */
  logTypes: z.array(z.enum(["api", "audit", "authenticator", "controllerManager", "scheduler"])).default(["api", "audit", "authenticator"]),
  /** Protect the cluster and its KMS key from `pulumi destroy` and replacement. @default true */
  protect: z.boolean().default(true),
  /**
   * Versions of the EKS add-ons the kit installs beside managed node groups, pinned. Unpinned, each takes EKS's
   * default version for kubernetesVersion, read at every `pulumi up`: AWS promotes new builds to default (the EKS
   * user guide's kube-proxy table moves from v1.33.3-eksbuild.6 to v1.33.10-eksbuild.13 within one Kubernetes
   * version), so an unrelated `up` may update an add-on. List them: `aws eks describe-addon-versions --addon-name
   * vpc-cni --kubernetes-version 1.33`. @default {} (EKS's default version for kubernetesVersion)
   */
  addonVersions: z.strictObject(Object.fromEntries(EKS_NODE_ADDONS.map((a) => [a, addonVersion.optional()])) as Record<EksNodeAddon, z.ZodOptional<typeof addonVersion>>).default({}),
  /** VPC flow logs to CloudWatch Logs (90 days): rejected traffic, all traffic, or off. @default "reject" */
  flowLogs: z.enum(["reject", "all", "off"]).default("reject"),
});

export const existingClusterSchema = z.strictObject({
  mode: z.literal("existing"),
  /** Name of the EKS cluster to add GPU capacity and workloads to. */
  name: z.string().min(1).max(100).optional(),
  /** Or a kubeconfig file path (e.g. a kind cluster); with `context` to pick one. */
  kubeconfig: z.string().min(1).optional(),
  context: z.string().min(1).optional(),
  /** Whether the cluster runs EKS Auto Mode (GPU NodePools then use its NodeClass, and it has ingress). @default false */
  autoMode: z.boolean().default(false),
  /**
   * With autoMode: the cluster's IAM role has the EKS user guide's "Custom AWS tags for EKS Auto resources"
   * permissions (https://docs.aws.amazon.com/eks/latest/userguide/auto-cluster-iam-role.html#tag-prop). Only then do
   * the kit's NodeClasses tag GPU nodes (environment, stack, pool); without them a tagged NodeClass never launches a
   * node, so the kit leaves the tags off. @default false
   */
  customTagPermissions: z.boolean().default(false),
  /** Whether self-managed Karpenter is installed (used when autoMode is false and capacity is karpenter). @default false */
  karpenter: z.boolean().default(false),
  /** Protect what the kit keeps state in (the S3 model store) from `pulumi destroy` and replacement. @default true */
  protect: z.boolean().default(true),
  /** IAM role the GPU nodes run as (self-managed Karpenter's EC2NodeClass, managed node groups). */
  nodeRoleName: z.string().min(1).optional(),
  /** Subnets for managed node groups (private, tagged for the cluster). */
  subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, "must be a subnet id, e.g. subnet-0123456789abcdef0")).optional(),
  /** VPC of the cluster (for the AWS Load Balancer Controller). */
  vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, "must be a VPC id, e.g. vpc-0123456789abcdef0").optional(),
  /** Tag value Karpenter discovers subnets and security groups by (`karpenter.sh/discovery`). @default the cluster name */
  discoveryTag: z.string().min(1).optional(),
});

/** `mode` may be left out: a cluster section without it describes a new cluster. */
export const clusterSchema = z.preprocess(
  (v) => (v !== null && typeof v === "object" && !Array.isArray(v) && !("mode" in v) ? { ...v, mode: "create" } : v ?? { mode: "create" }),
  z.discriminatedUnion("mode", [createClusterSchema, existingClusterSchema]),
);

export const capacitySchema = z.strictObject({
  /**
   * karpenter: NodePools (EKS Auto Mode or self-managed Karpenter); managed: EKS managed node groups;
   * cpu: no GPUs at all — small models on an existing cluster's CPUs (a laptop kind cluster). @default "karpenter"
   */
  mode: z.enum(["karpenter", "managed", "cpu"]).default("karpenter"),
  /** Purchase option for GPU nodes; spot-then-on-demand falls back when spot is short. @default "on-demand" */
  capacityType: z.enum(["on-demand", "spot", "spot-then-on-demand"]).default("on-demand"),
  /** Node OS for managed node groups and self-managed Karpenter (EKS Auto Mode chooses its own). @default "al2023" */
  nodeImage: z.enum(["al2023", "bottlerocket"]).default("al2023"),
  /** Minimum root/ephemeral disk per GPU node (GiB); the kit raises it to hold the image and the weights. @default 200 */
  diskGiB: z.number().int().min(200).max(16_384).default(200),
  /** How long an empty GPU node stays before it is removed. @default "10m" */
  consolidateAfter: z.string().regex(duration, "must be a duration like 10m or 1h").default("10m"),
  /** On-Demand Capacity Reservations or Capacity Blocks to launch GPU nodes into. @default [] */
  reservations: z.array(z.strictObject({
    id: z.string().regex(/^cr-[0-9a-f]+$/, "must be a capacity reservation id, e.g. cr-0123456789abcdef0"),
    /** An On-Demand Capacity Reservation, or an EC2 Capacity Block for ML. @default "capacity-reservation" */
    type: z.enum(["capacity-reservation", "capacity-block"]).default("capacity-reservation"),
  })).default([]),
  /** Budget: GPUs the whole stack may ever run (sum over models of replicas.max × GPUs per replica). */
  maxGpus: z.number().int().min(1).max(10_000).optional(),
  /** Service Quotas preflight: fail the preview, only warn, or skip. @default "enforce" */
  quotaCheck: z.enum(["enforce", "warn", "off"]).default("enforce"),
});

const toggle = z.enum(["auto", "on", "off"]);
export const addonsSchema = z.strictObject({
  /** KEDA, for queue-based autoscaling. auto: when any model has replicas.max > replicas.min. @default "auto" */
  keda: toggle.default("auto"),
  /** kube-prometheus-stack. auto: whenever the stack has GPU nodes, KEDA (its triggers read Prometheus) or alert receivers. @default "auto" */
  prometheus: toggle.default("auto"),
  /** AWS Load Balancer Controller for clusters without EKS Auto Mode. auto: never until a model is exposed by ALB. @default "auto" */
  loadBalancerController: toggle.default("auto"),
  /**
   * NVIDIA's DCGM exporter (GPU utilisation, memory, power, temperature, XID errors) on GPU nodes, scraped by
   * Prometheus. auto: wherever Prometheus runs on GPU nodes. @default "auto"
   */
  dcgmExporter: toggle.default("auto"),
  /**
   * RuntimeClass for the DCGM exporter pods, when the nodes need one for NVML access (NVIDIA/dcgm-exporter#612:
   * "Cannot init NVML library" without it). @default none
   */
  dcgmRuntimeClassName: z.string().regex(dnsLabel, "must be a RuntimeClass name like nvidia").optional(),
  /** IAM policy ARN for the Load Balancer Controller (AWS publishes its policy document with the controller). */
  loadBalancerControllerPolicyArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:policy\/[\w+=,.@/-]+$/, "must be an IAM policy ARN, e.g. arn:aws:iam::123456789012:policy/AWSLoadBalancerControllerIAMPolicy").optional(),
});

/** `omk:observability`: Prometheus storage and where alerts go (the URLs are Pulumi secrets, see schema.ts). */
export const observabilitySchema = z.strictObject({
  /** How long Prometheus keeps metrics. @default "15d" */
  retention: z.string().regex(/^\d+(h|d|w)$/, "must be a duration like 15d").default("15d"),
  /** Prometheus's gp3 volume (GiB); it also stops writing at 85 % of it (retentionSize). @default 50 */
  storageGiB: z.number().int().min(10).max(16_384).default(50),
  /** SNS topic Alertmanager publishes to (through Pod Identity, sns:Publish on this topic only). */
  alertSnsTopicArn: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, "must be an SNS topic ARN, e.g. arn:aws:sns:us-east-1:123456789012:llm-alerts").optional(),
});

export type ObservabilitySettings = z.output<typeof observabilitySchema>;
export type ClusterSettings = z.output<typeof clusterSchema>;
export type CreateClusterSettings = z.output<typeof createClusterSchema>;
export type ExistingClusterSettings = z.output<typeof existingClusterSchema>;
export type CapacitySettings = z.output<typeof capacitySchema>;
export type AddonsSettings = z.output<typeof addonsSchema>;

export { dnsLabel };
