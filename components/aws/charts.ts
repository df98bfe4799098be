/** Reads the pinned chart descriptors in charts/<name>/ (chart.yaml + values.yaml). */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { z } from "zod";

export const CHARTS_DIR = path.resolve(__dirname, "..", "..", "charts");

const chartFile = z.strictObject({
  name: z.string(),
  repository: z.string().url().or(z.string().startsWith("oci://")),
  chart: z.string(),
  version: z.string().regex(/^v?\d+\.\d+\.\d+$/, "must be an exact version"),
  namespace: z.string(),
  installedWhen: z.string(),
  source: z.string(),
  computedValues: z.array(z.string()),
});

export type ChartSpec = z.output<typeof chartFile> & { readonly values: Record<string, unknown> };

export const ADDON_CHARTS = ["nvidia-device-plugin", "aws-efa-k8s-device-plugin", "keda", "keda-add-ons-http", "kube-prometheus-stack", "dcgm-exporter", "lws", "aws-load-balancer-controller"] as const;
export type AddonName = (typeof ADDON_CHARTS)[number];

export function loadChart(name: AddonName): ChartSpec {
  const dir = path.join(CHARTS_DIR, name);
  const spec = chartFile.parse(parse(readFileSync(path.join(dir, "chart.yaml"), "utf8")));
  const values = (parse(readFileSync(path.join(dir, "values.yaml"), "utf8")) ?? {}) as Record<string, unknown>;
  return { ...spec, values };
}
