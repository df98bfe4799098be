/**
 * IAM policy documents for the S3 model store (pure): what a pod's Pod Identity role may do, per key prefix.
 * `aws s3 sync` and the Run:ai streamer list before they read or write (ListObjectsV2 on both sides of a sync:
 * aws/aws-cli#2408), so every prefix a role reads or writes is also listable, and nothing outside it is.
 */
export interface StoreAccess {
  /** Prefixes the role may read (GetObject). */
  readonly read: readonly string[];
  /** Prefixes the role may write (PutObject, AbortMultipartUpload). */
  readonly write: readonly string[];
}

export function storeAccessPolicy(bucketArn: string, access: StoreAccess): string {
  const all = [...new Set([...access.read, ...access.write])];
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      ...(access.read.length ? [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: access.read.map((p) => `${bucketArn}/${p}/*`) }] : []),
      ...(access.write.length ? [{ Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload"], Resource: access.write.map((p) => `${bucketArn}/${p}/*`) }] : []),
      { Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucketArn, Condition: { StringLike: { "s3:prefix": all.flatMap((p) => [`${p}/*`, p]) } } },
    ],
  });
}
