/**
 * InterceptorRoute (http.keda.sh/v1beta1, KEDA HTTP add-on ≥ 0.14) has no published model package, so its schema
 * is typed here from the add-on's CRD (charts http-add-on/templates/crds/crd-interceptorroutes.yaml, 0.16) and
 * reference (keda.sh/http-add-on/0.16/reference/interceptorroute): target with exactly one of port/portName,
 * rules of hosts/paths/headers, a scaling metric with an explicit target, per-route timeouts and cold-start options.
 */
import { z } from "zod";

const duration = z.string().regex(/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/, "must be a Go duration like 30s or 15m");
const backend = z.strictObject({ name: z.string().min(1), port: z.number().int().min(1).max(65535).optional(), portName: z.string().optional() })
  .refine((s) => (s.port === undefined) !== (s.portName === undefined), "exactly one of port and portName");
const rule = z.strictObject({
  hosts: z.array(z.string().min(1)).optional(),
  paths: z.array(z.strictObject({ value: z.string().startsWith("/") })).optional(),
  headers: z.array(z.strictObject({ name: z.string().min(1), value: z.string().optional() })).optional(),
});

export const interceptorRouteSchema = z.strictObject({
  apiVersion: z.literal("http.keda.sh/v1beta1"),
  kind: z.literal("InterceptorRoute"),
  metadata: z.object({ name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63), namespace: z.string().optional(), labels: z.record(z.string(), z.string()).optional() }),
  spec: z.strictObject({
    target: z.strictObject({ service: z.string().min(1), port: z.number().int().min(1).max(65535).optional(), portName: z.string().optional() })
      .refine((t) => (t.port === undefined) !== (t.portName === undefined), "exactly one of port and portName"),
    rules: z.array(rule).optional(),
    scalingMetric: z.strictObject({
      concurrency: z.strictObject({ targetValue: z.number().int().min(1) }).optional(),
      requestRate: z.strictObject({ targetValue: z.number().int().min(1), window: duration.optional(), granularity: duration.optional() }).optional(),
    }).refine((m) => m.concurrency || m.requestRate, "at least one of concurrency and requestRate"),
    timeouts: z.strictObject({ readiness: duration.optional(), request: duration.optional(), responseHeader: duration.optional() }).optional(),
    coldStart: z.strictObject({
      fallback: z.strictObject({ service: backend }).optional(),
      placeholder: z.strictObject({ response: z.strictObject({ statusCode: z.number().int().min(100).max(599).optional(), body: z.string().max(32768).optional(), headers: z.record(z.string(), z.string()).optional() }) }).optional(),
      maxPendingRequests: z.number().int().min(1).optional(),
      overflow: z.enum(["Reject", "Placeholder"]).optional(),
    }).refine((c) => c.fallback || c.placeholder || c.maxPendingRequests, "at least one of fallback, placeholder and maxPendingRequests").optional(),
  }),
});
