/**
 * The VPC for a new cluster: private subnets for nodes, public subnets for load balancers, NAT, and the
 * tags load balancers and Karpenter discover subnets by.
 */
import * as pulumi from "@pulumi/pulumi";
import { Eip } from "@pulumi/aws/ec2/eip";
import { InternetGateway } from "@pulumi/aws/ec2/internetGateway";
import { NatGateway } from "@pulumi/aws/ec2/natGateway";
import { RouteTable } from "@pulumi/aws/ec2/routeTable";
import { RouteTableAssociation } from "@pulumi/aws/ec2/routeTableAssociation";
import { Subnet } from "@pulumi/aws/ec2/subnet";
import { Vpc } from "@pulumi/aws/ec2/vpc";
import { VpcEndpoint } from "@pulumi/aws/ec2/vpcEndpoint";
import { planSubnets, type SubnetPlan } from "./network-plan";
import { partitionOf } from "../catalog/regions";
import { FlowLog } from "@pulumi/aws/ec2/flowLog";
import { LogGroup } from "@pulumi/aws/cloudwatch/logGroup";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";

export interface NetworkArgs {
  /** VPC CIDR. */
  readonly cidr: string;
  /** AZs to span (≥ 2). */
  readonly zones: readonly string[];
  /** One NAT gateway or one per AZ. @default "single" */
  readonly natGateways?: "single" | "per-az";
  /** Cluster name for `kubernetes.io/cluster/<name>` and `karpenter.sh/discovery` tags. */
  readonly clusterName: string;
  /** Region, for the S3 gateway endpoint's service name. */
  readonly region: string;
  /** Tags on every resource. */
  readonly tags: Readonly<Record<string, string>>;
  /** VPC flow logs to CloudWatch Logs: rejected traffic (default), all traffic, or off. @default "reject" */
  readonly flowLogs?: "reject" | "all" | "off";
}

/**
 * The trust policy of the role VPC Flow Logs publishes with, scoped to flow logs of this region (VPC user guide,
 * "IAM role for publishing flow logs to CloudWatch Logs": the aws:SourceArn condition against the confused deputy).
 */
export function flowLogTrustPolicy(region: string): string {
  const partition = partitionOf(region);
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "vpc-flow-logs.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { ArnLike: { "aws:SourceArn": `arn:${partition}:ec2:${region}:*:vpc-flow-log/*` } } }],
  });
}

export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  /** Private subnet ids by AZ. */
  public readonly privateSubnetIds: Readonly<Record<string, pulumi.Output<string>>>;
  public readonly publicSubnetIds: Readonly<Record<string, pulumi.Output<string>>>;
  public readonly plan: readonly SubnetPlan[];

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:aws:Network", name, {}, opts);
    const parent = { parent: this };
    const tag = (extra: Record<string, string>) => ({ ...args.tags, ...extra });
    this.plan = planSubnets(args.cidr, args.zones);
    const vpc = new Vpc(`${name}-vpc`, { cidrBlock: args.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tag({ Name: `${name}-vpc` }) }, parent);
    const igw = new InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tag({ Name: `${name}-igw` }) }, parent);
    const publicRoutes = new RouteTable(`${name}-public`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: tag({ Name: `${name}-public` }) }, parent);

    const clusterTag = { [`kubernetes.io/cluster/${args.clusterName}`]: "shared" };
    const publicSubnets: Record<string, Subnet> = {};
    const privateSubnets: Record<string, Subnet> = {};
    for (const s of this.plan) {
      publicSubnets[s.az] = new Subnet(`${name}-public-${s.az}`, {
        vpcId: vpc.id, cidrBlock: s.publicCidr, availabilityZone: s.az, mapPublicIpOnLaunch: false,
        tags: tag({ Name: `${name}-public-${s.az}`, "kubernetes.io/role/elb": "1", ...clusterTag }),
      }, parent);
      new RouteTableAssociation(`${name}-public-${s.az}`, { subnetId: publicSubnets[s.az]!.id, routeTableId: publicRoutes.id }, parent);
      privateSubnets[s.az] = new Subnet(`${name}-private-${s.az}`, {
        vpcId: vpc.id, cidrBlock: s.privateCidr, availabilityZone: s.az,
        tags: tag({ Name: `${name}-private-${s.az}`, "kubernetes.io/role/internal-elb": "1", "karpenter.sh/discovery": args.clusterName, ...clusterTag }),
      }, parent);
    }

    // NAT per AZ keeps an AZ outage local; a single NAT saves ~$32/month per extra AZ.
    const natZones = args.natGateways === "per-az" ? this.plan.map((s) => s.az) : [this.plan[0]!.az];
    const nats = new Map(natZones.map((az) => {
      const eip = new Eip(`${name}-nat-${az}`, { domain: "vpc", tags: tag({ Name: `${name}-nat-${az}` }) }, parent);
      return [az, new NatGateway(`${name}-nat-${az}`, { allocationId: eip.id, subnetId: publicSubnets[az]!.id, tags: tag({ Name: `${name}-nat-${az}` }) }, { parent: this, dependsOn: [igw] })] as const;
    }));
    const privateRoutes = this.plan.map((s) => {
      const nat = nats.get(s.az) ?? nats.get(natZones[0]!)!;
      const routes = new RouteTable(`${name}-private-${s.az}`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: tag({ Name: `${name}-private-${s.az}` }) }, parent);
      new RouteTableAssociation(`${name}-private-${s.az}`, { subnetId: privateSubnets[s.az]!.id, routeTableId: routes.id }, parent);
      return routes;
    });
    // Weights (hundreds of GB for the largest models) and ECR image layers (served from S3) bypass the NAT
    // gateway: a gateway endpoint has no hourly or per-GB charge, while NAT bills every GB processed
    // (Amazon VPC user guide, "Gateway endpoints for Amazon S3"; ECR user guide, "Amazon ECR interface VPC
    // endpoints": image layers are pulled from S3).
    new VpcEndpoint(`${name}-s3`, {
      vpcId: vpc.id, serviceName: `com.amazonaws.${args.region}.s3`, vpcEndpointType: "Gateway",
      routeTableIds: privateRoutes.map((r) => r.id), tags: tag({ Name: `${name}-s3` }),
    }, parent);

    this.vpcId = vpc.id;
    this.privateSubnetIds = Object.fromEntries(Object.entries(privateSubnets).map(([az, s]) => [az, s.id]));
    this.publicSubnetIds = Object.fromEntries(Object.entries(publicSubnets).map(([az, s]) => [az, s.id]));
    if ((args.flowLogs ?? "reject") !== "off") this.flowLog(name, vpc, args);
    this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds, publicSubnetIds: this.publicSubnetIds });
  }

  /** Flow logs (CIS AWS 3.9): who talked to what, and what the security groups and NetworkPolicies refused. */
  private flowLog(name: string, vpc: Vpc, args: NetworkArgs): void {
    const parent = { parent: this };
    const group = new LogGroup(`${name}-flow-logs`, { retentionInDays: 90, tags: args.tags }, parent);
    const role = new Role(`${name}-flow-logs`, { assumeRolePolicy: flowLogTrustPolicy(args.region), tags: args.tags }, parent);
    const grant = new RolePolicy(`${name}-flow-logs`, {
      role: role.id,
      policy: group.arn.apply((arn) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: [arn, `${arn}:*`] }] })),
    }, parent);
    new FlowLog(`${name}-flow-logs`, {
      vpcId: vpc.id, trafficType: args.flowLogs === "all" ? "ALL" : "REJECT", logDestinationType: "cloud-watch-logs", logDestination: group.arn, iamRoleArn: role.arn,
      maxAggregationInterval: 600, tags: args.tags,
    }, { parent: this, dependsOn: [grant] });
  }
}
