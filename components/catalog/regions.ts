/**
 * AWS regions the kit knows. A region outside this list is a configuration error, never a silent default:
 * prices and GPU availability differ per region, and guessing would put a wrong figure in a review.
 */

/** Commercial regions where at least one catalog GPU type is offered (region codes as AWS spells them). */
export const KNOWN_REGIONS = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1",
  "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "eu-south-2",
  "ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
  "me-central-1", "sa-east-1",
] as const;
export type Region = (typeof KNOWN_REGIONS)[number];

export function isKnownRegion(region: string): region is Region {
  return (KNOWN_REGIONS as readonly string[]).includes(region);
}

/** An hourly price with how it was obtained, so every output can mark estimates. */
export interface PriceQuote {
  readonly usdPerHour: number;
  /** True when no source published this region's price and the kit derived it. */
  readonly estimate: boolean;
  /** The source, or how the estimate was made. */
  readonly basis: string;
}

/** The AWS partition of a region: ARNs differ in China (aws-cn) and GovCloud (aws-us-gov). */
export function partitionOf(region: string): string {
  return region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
}
