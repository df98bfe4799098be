/**
 * Subnet layout for the VPC (pure). Private subnets (nodes and pods: EKS pods take VPC addresses) get
 * large equal blocks, public subnets (load balancers, NAT) small ones, carved from one VPC CIDR.
 */

export interface SubnetPlan {
  readonly az: string;
  readonly privateCidr: string;
  readonly publicCidr: string;
}

function toInt(ip: string): number {
  return ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/**
 * Splits the VPC into 8 equal private blocks (one per AZ, up to 6) and uses the last of those 8 blocks,
 * split 8 ways again, for the public subnets. A /16 gives /19 private and /22 public subnets.
 */
export function planSubnets(vpcCidr: string, zones: readonly string[]): SubnetPlan[] {
  const [base, bitsText] = vpcCidr.split("/");
  const bits = Number(bitsText);
  if (zones.length > 6) throw new Error("at most 6 availability zones");
  const start = toInt(base!) - (toInt(base!) % 2 ** (32 - bits));
  const privateBits = bits + 3;
  const publicBits = bits + 6;
  const privateSize = 2 ** (32 - privateBits);
  const publicSize = 2 ** (32 - publicBits);
  const publicStart = start + 7 * privateSize;
  return zones.map((az, i) => ({
    az,
    privateCidr: `${toIp(start + i * privateSize)}/${privateBits}`,
    publicCidr: `${toIp(publicStart + i * publicSize)}/${publicBits}`,
  }));
}

/** True when two CIDRs share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const range = (c: string) => {
    const [ip, bits] = c.split("/");
    const size = 2 ** (32 - Number(bits));
    const lo = toInt(ip!) - (toInt(ip!) % size);
    return [lo, lo + size - 1] as const;
  };
  const [a0, a1] = range(a);
  const [b0, b1] = range(b);
  return a0 <= b1 && b0 <= a1;
}
