/**
 * The S3 model store: one bucket per stack holding mirrored weights under `<repo>/<revision>/`.
 * Encrypted, versioned, never public, owner-enforced, TLS-only; old object versions expire after 30 days.
 */
import * as pulumi from "@pulumi/pulumi";
import { Bucket } from "@pulumi/aws/s3/bucket";
import { BucketLifecycleConfiguration } from "@pulumi/aws/s3/bucketLifecycleConfiguration";
import { BucketOwnershipControls } from "@pulumi/aws/s3/bucketOwnershipControls";
import { BucketPublicAccessBlock } from "@pulumi/aws/s3/bucketPublicAccessBlock";
import { BucketPolicy } from "@pulumi/aws/s3/bucketPolicy";
import { BucketServerSideEncryptionConfiguration } from "@pulumi/aws/s3/bucketServerSideEncryptionConfiguration";
import { BucketVersioning } from "@pulumi/aws/s3/bucketVersioning";

export interface ModelStoreArgs {
  readonly tags: Readonly<Record<string, string>>;
  /** Keep the bucket (and its terabytes of weights) from `pulumi destroy` and replacement. @default true */
  readonly protect?: boolean;
  /** Once unprotected, what `pulumi destroy` does with it: leave it in the account, or delete it with its contents. @default "retain" */
  readonly onDestroy?: "retain" | "empty";
}

/** Denies every request to the bucket that does not use TLS. */
export function tlsOnlyPolicy(bucketArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [bucketArn, `${bucketArn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } }],
  });
}

export class ModelStore extends pulumi.ComponentResource {
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;

  constructor(name: string, args: ModelStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:serving:ModelStore", name, {}, opts);
    const parent = { parent: this };
    // A versioned bucket is deleted only empty of every version: forceDestroy makes the provider empty it first.
    // retainOnDelete instead drops it from the stack and leaves it (Pulumi resource options, "retainOnDelete").
    const empty = args.onDestroy === "empty";
    const bucket = new Bucket(`${name}-weights`, { forceDestroy: empty, tags: args.tags }, { parent: this, protect: args.protect ?? true, retainOnDelete: !empty });
    new BucketOwnershipControls(`${name}-weights`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, parent);
    const block = new BucketPublicAccessBlock(`${name}-weights`, { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, parent);
    // TLS only (S3 user guide, "Security best practices": deny aws:SecureTransport false): weights and compile
    // caches never cross the network in clear text, whoever asks.
    new BucketPolicy(`${name}-weights`, { bucket: bucket.id, policy: bucket.arn.apply(tlsOnlyPolicy) }, { parent: this, dependsOn: [block] });
    new BucketServerSideEncryptionConfiguration(`${name}-weights`, { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }] }, parent);
    new BucketVersioning(`${name}-weights`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, parent);
    new BucketLifecycleConfiguration(`${name}-weights`, {
      bucket: bucket.id,
      rules: [{ id: "expire-old-versions", status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: 30 }, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } }],
    }, parent);
    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName });
  }
}
