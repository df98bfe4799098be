/**
 * Which HTTPS destinations a kit pod may reach, as a pod label the serving namespace's NetworkPolicies select on
 * (components/traffic/namespace-policy-spec.ts). No imports: serving and traffic builders both label their pods.
 *
 * NetworkPolicies match addresses, not names, so "the Hub only" cannot be written; what can be: a pod that only
 * reads S3 reaches only the region's S3 address ranges (the AWS-managed prefix list com.amazonaws.<region>.s3, the
 * ranges the S3 gateway endpoint routes), and a pod with no label reaches no HTTPS destination at all.
 */
export const EGRESS_LABEL = "omk.dev/egress";

/** internet: any HTTPS destination (the Hub, the EKS API); s3: the region's S3 ranges only. */
export type EgressClass = "internet" | "s3";
