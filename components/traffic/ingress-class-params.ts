/**
 * IngressClassParams for the two ALB controllers, typed from their documented APIs (no model package):
 * EKS Auto Mode (eks.amazonaws.com/v1, `certificateARNs`) and the AWS Load Balancer Controller
 * (elbv2.k8s.aws/v1beta1, `certificateArn`), per the EKS user guide's comparison table.
 */
import { z } from "zod";

const common = {
  scheme: z.enum(["internal", "internet-facing"]),
  group: z.strictObject({ name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63) }).optional(),
  loadBalancerAttributes: z.array(z.strictObject({ key: z.string(), value: z.string() })).optional(),
  ipAddressType: z.enum(["ipv4", "dualstack"]).optional(),
  namespaceSelector: z.strictObject({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z.array(z.strictObject({ key: z.string(), operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]), values: z.array(z.string()).optional() })).optional(),
  }).optional(),
};

export const ingressClassParamsSchema = z.discriminatedUnion("apiVersion", [
  z.strictObject({ apiVersion: z.literal("eks.amazonaws.com/v1"), kind: z.literal("IngressClassParams"), metadata: z.object({ name: z.string() }), spec: z.strictObject({ ...common, certificateARNs: z.array(z.string().startsWith("arn:")).optional() }) }),
  z.strictObject({ apiVersion: z.literal("elbv2.k8s.aws/v1beta1"), kind: z.literal("IngressClassParams"), metadata: z.object({ name: z.string() }), spec: z.strictObject({ ...common, certificateArn: z.array(z.string().startsWith("arn:")).optional() }) }),
]);
