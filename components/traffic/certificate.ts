/**
 * A wildcard ACM certificate for `*.<domain>`, validated through DNS records in a Route 53 hosted zone —
 * used when a stack exposes models publicly and gives a domain and zone instead of a certificate ARN.
 */
import * as pulumi from "@pulumi/pulumi";
import { Certificate } from "@pulumi/aws/acm/certificate";
import { CertificateValidation } from "@pulumi/aws/acm/certificateValidation";
import { Record as DnsRecord } from "@pulumi/aws/route53/record";

export interface WildcardCertificateArgs {
  readonly domain: string;
  readonly hostedZoneId: string;
  readonly tags: Readonly<Record<string, string>>;
}

export class WildcardCertificate extends pulumi.ComponentResource {
  /** ARN of the certificate once ACM has validated it. */
  public readonly arn: pulumi.Output<string>;

  constructor(name: string, args: WildcardCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("omk:traffic:Certificate", name, {}, opts);
    const cert = new Certificate(`${name}-cert`, { domainName: `*.${args.domain}`, validationMethod: "DNS", tags: args.tags }, { parent: this });
    // A wildcard certificate has exactly one validation record.
    const option = cert.domainValidationOptions.apply((o) => o[0]!);
    const record = new DnsRecord(`${name}-validation`, {
      zoneId: args.hostedZoneId, name: option.resourceRecordName, type: option.resourceRecordType, records: [option.resourceRecordValue], ttl: 300, allowOverwrite: true,
    }, { parent: this });
    const validation = new CertificateValidation(`${name}-validation`, { certificateArn: cert.arn, validationRecordFqdns: [record.fqdn] }, { parent: this });
    this.arn = validation.certificateArn;
    this.registerOutputs({ arn: this.arn });
  }
}
