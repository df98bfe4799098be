/**
 * The EKS Auto Mode `NodeClass` (eks.amazonaws.com/v1) has no published model package, so its schema is
 * typed here from the documented API (EKS user guide, "Create a Node Class for Amazon EKS"):
 * role, subnet and security-group selector terms, ephemeral storage (size; IOPS 3000–16000; throughput
 * 125–1000 MiB/s), SNAT and network policy, tags, capacity reservation selector terms.
 */
import { z } from "zod";
import { isReservedTagKey } from "./auto-mode-tags";

const selectorTerm = z.strictObject({ id: z.string().optional(), tags: z.record(z.string(), z.string()).optional(), name: z.string().optional() })
  .refine((t) => Boolean(t.id) !== Boolean(t.tags || t.name), "a selector term has either an id, or tags/name");

export const autoModeNodeClassSchema = z.strictObject({
  apiVersion: z.literal("eks.amazonaws.com/v1"),
  kind: z.literal("NodeClass"),
  metadata: z.object({ name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/).max(63), labels: z.record(z.string(), z.string()).optional() }),
  spec: z.strictObject({
    role: z.string().min(1),
    subnetSelectorTerms: z.array(selectorTerm).min(1).max(30),
    securityGroupSelectorTerms: z.array(selectorTerm).min(1).max(30),
    ephemeralStorage: z.strictObject({
      size: z.string().regex(/^\d+(Gi|Ti)$/),
      iops: z.number().int().min(3000).max(16_000).optional(),
      throughput: z.number().int().min(125).max(1000).optional(),
      kmsKeyID: z.string().optional(),
    }).optional(),
    snatPolicy: z.enum(["Random", "Disabled"]).optional(),
    networkPolicy: z.enum(["DefaultAllow", "DefaultDeny"]).optional(),
    networkPolicyEventLogs: z.enum(["Enabled", "Disabled"]).optional(),
    // Keys EKS reserves for itself must not be set by users.
    tags: z.record(z.string().refine((k) => !isReservedTagKey(k), "reserved tag key"), z.string()).optional(),
    capacityReservationSelectorTerms: z.array(z.strictObject({ id: z.string().optional(), tags: z.record(z.string(), z.string()).optional(), owner: z.string().optional() })).optional(),
  }),
});
