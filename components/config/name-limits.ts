/**
 * AWS name lengths the stack's names must fit (pure). Pulumi auto-names a resource from its logical name plus a
 * suffix of 8 characters ("-" and 7 random: Pulumi docs, "Resource names: autonaming"); IAM role names hold at most
 * 64 characters (IAM user guide, "IAM object quotas"). The longest role a model gets is its S3 writer or reader,
 * `omk-<environment>-<model>-writer`; the platform's longest, `omk-<environment>-platform-cluster-cluster`, fits any
 * environment the schema allows (20 characters). Checked up front, so a long name fails `omk plan` and the preview
 * with the key to shorten, not `pulumi up` halfway.
 */
import type { ConfigProblem } from "./errors";

const IAM_ROLE_MAX = 64;
const AUTONAME_SUFFIX = 8;
const LONGEST_MODEL_ROLE = (environment: string, model: string) => `omk-${environment}-${model}-writer`;

/** The longest model name that fits with this environment. */
export function maxModelNameLength(environment: string): number {
  return IAM_ROLE_MAX - AUTONAME_SUFFIX - LONGEST_MODEL_ROLE(environment, "").length;
}

export function nameLengthProblems(environment: string, models: readonly { readonly name: string; readonly index: number; readonly explicit: boolean }[]): ConfigProblem[] {
  const max = maxModelNameLength(environment);
  return models.filter((m) => m.name.length > max).map((m) => ({
    path: `omk:models[${m.index}]${m.explicit ? ".name" : ""}`,
    value: m.name,
    message: `makes the IAM role name ${LONGEST_MODEL_ROLE(environment, m.name)}, ${LONGEST_MODEL_ROLE(environment, m.name).length + AUTONAME_SUFFIX} characters with Pulumi's suffix; IAM allows ${IAM_ROLE_MAX}.`,
    fix: `${m.explicit ? "shorten name" : "set name"} to at most ${max} characters (e.g. "${m.name.slice(0, max).replace(/-+$/, "")}"), or use a shorter omk:environment.`,
  }));
}
