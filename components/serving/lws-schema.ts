/**
 * LeaderWorkerSet (leaderworkerset.x-k8s.io/v1) has no published model package, so its schema is typed
 * here from the documented API (kubernetes-sigs/lws): replicas, startupPolicy, rolloutStrategy and the
 * leader/worker templates with group size and restart policy. Pod templates are validated separately
 * against the Kubernetes Pod schema.
 */
import { z } from "zod";

const podTemplate = z.object({ metadata: z.object({ labels: z.record(z.string(), z.string()).optional(), annotations: z.record(z.string(), z.string()).optional() }).optional(), spec: z.record(z.string(), z.unknown()) });

export const leaderWorkerSetSchema = z.strictObject({
  apiVersion: z.literal("leaderworkerset.x-k8s.io/v1"),
  kind: z.literal("LeaderWorkerSet"),
  metadata: z.object({ name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63), namespace: z.string().optional(), labels: z.record(z.string(), z.string()).optional() }),
  spec: z.strictObject({
    replicas: z.number().int().min(0),
    startupPolicy: z.enum(["LeaderCreated", "LeaderReady"]).optional(),
    rolloutStrategy: z.strictObject({
      type: z.literal("RollingUpdate"),
      rollingUpdateConfiguration: z.strictObject({ maxUnavailable: z.union([z.number().int().min(0), z.string()]), maxSurge: z.union([z.number().int().min(0), z.string()]) }).optional(),
    }).optional(),
    leaderWorkerTemplate: z.strictObject({
      size: z.number().int().min(1),
      restartPolicy: z.enum(["RecreateGroupOnPodRestart", "None"]).optional(),
      leaderTemplate: podTemplate.optional(),
      workerTemplate: podTemplate,
    }),
  }),
});
