/** The AWS provider's identity a cluster token must be minted as. */
export interface AwsIdentity {
  /** `aws:profile` of the stack. */
  readonly profile?: string;
  /** The role the provider assumes (`aws:assumeRoles[0].roleArn`, or the older `aws:assumeRole.roleArn`). */
  readonly roleArn?: string;
}

/**
 * Kubeconfig for an EKS cluster that authenticates with `aws eks get-token` (no static credentials), as the identity
 * the AWS provider uses: the stack's `aws:profile` and the role it assumes (`aws:assumeRoles`), when set. Without
 * them the token would come from the ambient credentials — another principal than the one the preflight checked
 * against omk:cluster.admins, and maybe one with no access entry.
 */
export function kubeconfigFor(clusterName: string, endpoint: string, caData: string, region: string, identity: AwsIdentity = {}): string {
  const args = ["eks", "get-token", "--cluster-name", clusterName, "--region", region, ...(identity.roleArn ? ["--role-arn", identity.roleArn] : [])];
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": caData } }],
    contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
    "current-context": clusterName,
    users: [{
      name: clusterName,
      user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args, interactiveMode: "Never", ...(identity.profile ? { env: [{ name: "AWS_PROFILE", value: identity.profile }] } : {}) } },
    }],
  });
}

/** The AWS provider's identity settings from the stack's `aws:` config (`new pulumi.Config("aws")`; JSON values as Pulumi stores them). */
export function awsIdentityOf(config: { get(key: string): string | undefined }): AwsIdentity {
  const get = (key: string) => config.get(key);
  const parse = (v: string | undefined): any => {
    if (v === undefined) return undefined;
    try { return JSON.parse(v); } catch { return v; }
  };
  const roles = parse(get("assumeRoles"));
  const role = Array.isArray(roles) ? roles[0]?.roleArn : parse(get("assumeRole"))?.roleArn;
  const profile = get("profile");
  return { ...(profile ? { profile } : {}), ...(typeof role === "string" ? { roleArn: role } : {}) };
}

/**
 * How the kit's Kubernetes providers apply objects. Server-side apply: fields other managers own (an autoscaler's
 * replicas, API-server defaults) stay theirs. Mutable Secrets: pulumi-kubernetes otherwise replaces a Secret whose
 * data changes (provider docs, `enableSecretMutable`; pulumi-kubernetes#1772, #2291): delete, then create under the
 * same name, so an API-key rotation would leave a moment without the keys file new pods mount. Updated in place, the
 * kubelet refreshes the mounted file and the API guard reloads (api-guard-spec.ts). ConfigMaps keep the default
 * (replaced on change): a guard configuration change rolls the pods anyway (its digest is in the pod template).
 */
export const PROVIDER_APPLY = { enableServerSideApply: true, enableSecretMutable: true } as const;
