/**
 * Reads and checks a policy pack config file the way CrossGuard does before it runs a pack: every key names a
 * policy of the pack (or `all`), every enforcement level is one CrossGuard knows, every setting is in the
 * policy's `configSchema` with the right type and bounds. A typo must never weaken a mandatory policy
 * silently (Pulumi docs, "Policy pack configuration": values are validated against each policy's schema).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy/policy";
import { ConfigError, nearest, type ConfigProblem } from "../../components/config/errors";
import { PROJECT_ROOT } from "../../components/config/load";
import { INSTANCES } from "../../components/catalog/instances";
import { KNOWN_REGIONS } from "../../components/catalog/regions";

type Policy = ResourceValidationPolicy | StackValidationPolicy;
export type PolicyLevel = "mandatory" | "advisory" | "disabled";
export type PolicyConfigFile = Readonly<Record<string, Record<string, unknown> | PolicyLevel>>;

/** CrossGuard's enforcement levels ("remediate" fixes resources; offline the kit treats it as mandatory). */
export const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;

interface PropertySchema {
  readonly type?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly enum?: readonly unknown[];
  readonly items?: PropertySchema;
}

function typeProblem(value: unknown, schema: PropertySchema): string | null {
  const t = schema.type;
  if (t === "integer" && !Number.isInteger(value)) return "must be a whole number";
  if (t === "number" && (typeof value !== "number" || !Number.isFinite(value))) return "must be a number";
  if (t === "string" && typeof value !== "string") return "must be a string";
  if (t === "boolean" && typeof value !== "boolean") return "must be true or false";
  if (t === "array") {
    if (!Array.isArray(value)) return "must be a list";
    const bad = schema.items ? value.map((v) => typeProblem(v, schema.items!)).find(Boolean) : null;
    if (bad) return `every item ${bad}`;
  }
  if (typeof value === "number" && schema.minimum !== undefined && value < schema.minimum) return `must be ≥ ${schema.minimum}`;
  if (typeof value === "number" && schema.maximum !== undefined && value > schema.maximum) return `must be ≤ ${schema.maximum}`;
  if (schema.enum && !schema.enum.includes(value)) return `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`;
  return null;
}

/** Every problem of a parsed config against the pack: unknown policies and settings, bad levels, types and bounds. */
export function policyConfigProblems(config: unknown, policies: readonly Policy[]): ConfigProblem[] {
  if (!config || typeof config !== "object" || Array.isArray(config)) {
    return [{ path: "(file)", value: config, message: "must be a JSON object of policy name → settings.", fix: 'write e.g. {"gpu-quota-per-stack": {"maxGpus": 8}, "max-hourly-cost": {"maxHourlyUsd": 20, "enforcementLevel": "mandatory"}}.' }];
  }
  const names = policies.map((p) => p.name);
  const levels = ENFORCEMENT_LEVELS.join(", ");
  const problems: ConfigProblem[] = [];
  for (const [name, entry] of Object.entries(config)) {
    const policy = policies.find((p) => p.name === name);
    if (!policy && name !== "all") {
      const settingOf = policies.find((p) => Object.keys(p.configSchema?.properties ?? {}).includes(name));
      problems.push({ path: name, value: entry, message: "is not a policy of the pack.", fix: settingOf ? `settings go under their policy: {"${settingOf.name}": {"${name}": …}}.` : `did you mean ${nearest(name, names).join(", ")}? Policies: ${names.join(", ")}.` });
      continue;
    }
    if (typeof entry === "string") {
      if (!(ENFORCEMENT_LEVELS as readonly string[]).includes(entry)) problems.push({ path: name, value: entry, message: "is not an enforcement level.", fix: `use one of: ${levels}.` });
      continue;
    }
    if (!entry || typeof entry !== "object" || Array.isArray(entry) || !policy) {
      problems.push({ path: name, value: entry, message: policy ? "must be an enforcement level or an object of settings." : "takes an enforcement level for every policy.", fix: `use one of: ${levels}${policy ? ', or {"enforcementLevel": …, <setting>: …}' : ""}.` });
      continue;
    }
    const properties = (policy.configSchema?.properties ?? {}) as Readonly<Record<string, PropertySchema>>;
    for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
      if (key === "enforcementLevel") {
        if (!(ENFORCEMENT_LEVELS as readonly string[]).includes(value as string)) problems.push({ path: `${name}.enforcementLevel`, value, message: "is not an enforcement level.", fix: `use one of: ${levels}.` });
        continue;
      }
      const schema = properties[key];
      if (!schema) {
        const known = Object.keys(properties);
        problems.push({ path: `${name}.${key}`, value, message: "is not a setting of this policy.", fix: known.length ? `did you mean ${nearest(key, known).join(", ")}? Settings: ${known.join(", ")}, enforcementLevel.` : "this policy takes only enforcementLevel." });
        continue;
      }
      const bad = typeProblem(value, schema);
      if (bad) problems.push({ path: `${name}.${key}`, value, message: `${bad}.`, fix: `set a valid value (default ${JSON.stringify((schema as { default?: unknown }).default)}).` });
      else problems.push(...catalogProblems(`${name}.${key}`, value));
    }
  }
  return problems;
}

/** Settings that name catalog things (instance families, regions): a typo would silently allow or forbid nothing. */
const CATALOG_LISTS: Readonly<Record<string, { what: string; known: () => readonly string[] }>> = {
  "allowed-instance-families.allowedFamilies": { what: "an instance family of the GPU catalog", known: () => [...new Set(INSTANCES.map((i) => i.family))].sort() },
  "allowed-regions.allowedRegions": { what: "a region the kit knows", known: () => KNOWN_REGIONS },
};

function catalogProblems(setting: string, value: unknown): ConfigProblem[] {
  const list = CATALOG_LISTS[setting];
  if (!list || !Array.isArray(value)) return [];
  const known = list.known();
  return value.flatMap((v, i) => (typeof v === "string" && !known.includes(v)
    ? [{ path: `${setting}[${i}]`, value: v, message: `is not ${list.what}.`, fix: `${nearest(v, known, 1).length ? `did you mean ${nearest(v, known, 1)[0]}? ` : ""}Known: ${known.join(", ")}.` }]
    : []));
}

/** Reads a policy config file; throws a ConfigError naming the file (and the flag that gave it) with every problem. */
export function readPolicyConfig(file: string | null, policies: readonly Policy[], flag?: string): PolicyConfigFile {
  if (!file) return {};
  const inRepo = path.isAbsolute(file) && !path.relative(PROJECT_ROOT, file).startsWith("..");
  const source = `${flag ? `${flag} ` : ""}${inRepo ? path.relative(PROJECT_ROOT, file) : file}`;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(source, [{ path: "(file)", value: file, message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, fix: `pass the path of a policy config JSON file${shippedPolicyConfigs().length ? `; this repository has ${shippedPolicyConfigs().join(", ")}` : ""}.` }]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(source, [{ path: "(file)", value: undefined, message: `is not valid JSON (${(err as Error).message}).`, fix: "fix the JSON at that position." }]);
  }
  const problems = policyConfigProblems(parsed, policies);
  if (problems.length) throw new ConfigError(source, problems);
  return parsed as PolicyConfigFile;
}

/** The policy configs in policies/config, as paths a user types. */
function shippedPolicyConfigs(): string[] {
  const dir = path.join(PROJECT_ROOT, "policies", "config");
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".json")).sort().map((f) => `policies/config/${f}`) : [];
}
