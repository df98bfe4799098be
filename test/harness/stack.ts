/** Test helpers: raw stack configs as a stack file would hold them, and the shared offline engine. */
import type { RawStackConfig } from "../../components/config/validate";
import { planStack, type Plan } from "../../cli/engine/plan";
import type { InvokeAnswer, RecordedResource } from "../../cli/engine/record";

export function stackConfig(models: unknown[], extra: Record<string, unknown> = {}): RawStackConfig {
  return { "aws:region": "us-east-1", "omk:environment": "test", "omk:models": models, ...extra };
}

/**
 * Plans already made in this worker, by config (plans are pure functions of the config and the offline answers):
 * the same stack planned by several tests is planned once. Only without invoke overrides, whose answers a key
 * could not capture. Tests read plans, never change them (they copy what they edit).
 */
const planned = new Map<string, Promise<Plan>>();

/** Plans a config with the offline engine and fails the test with the config error if it is rejected. */
export async function plan(raw: RawStackConfig, invokes: Record<string, InvokeAnswer> = {}): Promise<Plan> {
  const key = Object.keys(invokes).length ? null : JSON.stringify(raw);
  const cached = key === null ? undefined : planned.get(key);
  if (cached) return cached;
  const run = (async () => {
    // As the engine would: the credential keys were set with `pulumi config set --secret`.
    const r = await planStack(raw, { stack: "test", source: "test", invokes, secretKeys: ["omk:hfToken", "omk:apiKey", "omk:apiKeyPrevious", "omk:alertSlackWebhookUrl", "omk:alertWebhookUrl"] });
    if (!r.ok) throw r.error;
    return r.plan;
  })();
  if (key !== null) {
    planned.set(key, run);
    run.catch(() => planned.delete(key));
  }
  return run;
}

export function ofType(p: Plan, type: string): RecordedResource[] {
  return p.resources.filter((r) => r.type === type);
}

export function quotaAnswer(values: Record<string, number>): Record<string, InvokeAnswer> {
  return { "aws:servicequotas/getServiceQuota:getServiceQuota": (args) => ({ value: values[String(args.quotaCode)] ?? 0, quotaCode: args.quotaCode, serviceCode: "ec2", id: String(args.quotaCode) }) };
}

export { recordProgram, valueOf } from "../../cli/engine/record";
export { planStack } from "../../cli/engine/plan";
