/** Test helpers: raw stack configs as a stack file would hold them, and one-model shortcuts. */
import type { RawStackConfig } from "../../components/config/validate";

export function stackConfig(models: unknown[], extra: Record<string, unknown> = {}): RawStackConfig {
  return { "aws:region": "us-east-1", "omk:environment": "test", "omk:models": models, ...extra };
}

export { recordProgram, valueOf } from "../../cli/engine/record";
export { planStack } from "../../cli/engine/plan";
