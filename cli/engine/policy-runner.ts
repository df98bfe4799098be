/**
 * Runs the policy pack offline against recorded resources the way CrossGuard calls it: resource policies
 * once per resource, stack policies once on the whole set, each with its config (JSON-schema defaults
 * merged with the environment's file) and enforcement level.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy/policy";
import { PROJECT_ROOT } from "../../components/config/load";
import type { PolicyConfigFile, PolicyLevel } from "./policy-config";
import type { RecordedResource } from "./record";

type Policy = ResourceValidationPolicy | StackValidationPolicy;
export type { PolicyConfigFile, PolicyLevel } from "./policy-config";

export interface Violation {
  readonly policy: string;
  readonly level: "mandatory" | "advisory";
  /** The resource the violation is about, when it is about one. */
  readonly urn: string | null;
  readonly message: string;
}

/**
 * The default policy config of a stack's environment: `policies/config/<environment>.json`, else the file
 * of its first dash-separated word (`prod-jakarta` → `prod.json`), when one exists.
 */
export function environmentPolicyConfig(environment: string, root: string = PROJECT_ROOT): string | null {
  for (const name of policyConfigNames(environment)) {
    const file = path.join(root, "policies", "config", `${name}.json`);
    if (existsSync(file)) return file;
  }
  return null;
}

/** The file names (without .json) an environment's policy config may have, most specific first. */
export function policyConfigNames(environment: string): string[] {
  return [...new Set([environment, environment.split("-")[0]!])];
}

/** A policy's level and settings: its own entry over the file's `all` level over the pack's level; schema defaults under the settings. */
function configFor(policy: Policy, file: PolicyConfigFile): { level: PolicyLevel | "remediate"; config: Record<string, unknown> } {
  const entry = file[policy.name];
  const defaults = Object.fromEntries(Object.entries(policy.configSchema?.properties ?? {}).flatMap(([k, s]) => ((s as { default?: unknown }).default === undefined ? [] : [[k, (s as { default: unknown }).default]])));
  const own = typeof entry === "object" ? entry : {};
  const all = typeof file.all === "string" ? file.all : undefined;
  const level = (typeof entry === "string" ? entry : (own.enforcementLevel as PolicyLevel | undefined)) ?? all ?? (policy.enforcementLevel as PolicyLevel | undefined) ?? "advisory";
  return { level, config: { ...defaults, ...own } };
}

function notApplicable(): never {
  throw new NotApplicable();
}
class NotApplicable extends Error {}

export async function runPolicies(resources: readonly RecordedResource[], policies: readonly Policy[], file: PolicyConfigFile): Promise<Violation[]> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  // As CrossGuard does: resource policies see a resource's inputs, stack policies its outputs.
  const asPolicyResource = (r: RecordedResource, props: "inputs" | "outputs" = "inputs"): Record<string, unknown> => ({
    type: r.type, props: r[props], urn: r.urn, name: r.name,
    opts: { protect: r.protect, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [], parent: r.parent ?? undefined },
    dependencies: [], propertyDependencies: {},
    isType: () => { throw new Error("isType is not available offline; match on `type`"); },
    asType: () => { throw new Error("asType is not available offline; read `props`"); },
  });
  const violations: Violation[] = [];
  for (const policy of policies) {
    const { level, config } = configFor(policy, file);
    if (level === "disabled") continue;
    const reportAs = (urn: string | null) => (message: string, at?: string) => violations.push({ policy: policy.name, level: level === "advisory" ? "advisory" : "mandatory", urn: at ?? urn, message });
    const common = { stackTags: new Map<string, string>(), getConfig: <T>() => config as T, notApplicable };
    try {
      if ("validateStack" in policy) {
        await policy.validateStack({ ...common, resources: resources.map((r) => ({ ...asPolicyResource(r, "outputs"), parent: r.parent && byUrn.get(r.parent) ? asPolicyResource(byUrn.get(r.parent)!, "outputs") : undefined })) } as never, reportAs(null));
      } else {
        const checks = Array.isArray(policy.validateResource) ? policy.validateResource : policy.validateResource ? [policy.validateResource] : [];
        for (const r of resources) {
          for (const check of checks) {
            try {
              await check({ ...common, ...asPolicyResource(r) } as never, reportAs(r.urn));
            } catch (err) {
              if (!(err instanceof NotApplicable)) throw err;
            }
          }
        }
      }
    } catch (err) {
      if (!(err instanceof NotApplicable)) throw err;
    }
  }
  return violations;
}
