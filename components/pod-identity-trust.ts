/**
 * The trust policy of a role pods assume through EKS Pod Identity, scoped to one service account of one namespace
 * of one cluster by the session tags Pod Identity sets (EKS user guide, "Create IAM role with trust policy required
 * by EKS Pod Identity", Setting Conditions): without them, any Pod Identity association in the account could be
 * pointed at the role. No imports: serving and add-ons both use it.
 */
export function podIdentityTrustPolicy(clusterName: string, namespace: string, serviceAccount: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{
      Sid: "AllowEksAuthToAssumeRoleForPodIdentity",
      Effect: "Allow",
      Principal: { Service: "pods.eks.amazonaws.com" },
      Action: ["sts:AssumeRole", "sts:TagSession"],
      Condition: {
        StringEquals: {
          "aws:RequestTag/eks-cluster-name": clusterName,
          "aws:RequestTag/kubernetes-namespace": namespace,
          "aws:RequestTag/kubernetes-service-account": serviceAccount,
        },
      },
    }],
  });
}
