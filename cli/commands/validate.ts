/**
 * `omk validate [--stack <name> | --config <file>] [--policy-config <file>]`: the stack config (every problem at
 * once, with the fix) and its environment's policy config, without running the program — for an editor's save
 * hook or a pre-commit check. `omk plan` does the rest (resources, manifests, policies on them).
 */
import * as path from "node:path";
import { ConfigError } from "../../components/config/errors";
import { defaultStack, readStackFile, stackFilePath, stackNameOf } from "../../components/config/load";
import { resolveStack } from "../../components/config/validate";
import { accessWarnings } from "../../components/aws/cluster-access";
import { ALL_POLICIES } from "../../policies/all";
import { readPolicyConfig } from "../engine/policy-config";
import { environmentPolicyConfig } from "../engine/policy-runner";

export interface ValidateOptions {
  readonly stack?: string;
  readonly config?: string;
  readonly policyConfig?: string;
}

export async function validateCommand(opts: ValidateOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  if (opts.stack && opts.config) {
    err("omk validate: use either --stack <name> or --config <file>, not both.");
    return 1;
  }
  const stack = opts.stack ?? (opts.config ? stackNameOf(opts.config) : defaultStack());
  const file = opts.config ? path.resolve(opts.config) : stackFilePath(stack);
  try {
    const raw = readStackFile(file);
    const resolved = resolveStack(raw, path.relative(process.cwd(), file) || file);
    if (!resolved.ok) throw resolved.error;
    const s = resolved.stack;
    const policyFile = opts.policyConfig ? path.resolve(opts.policyConfig) : environmentPolicyConfig(s.environment);
    readPolicyConfig(policyFile, ALL_POLICIES, opts.policyConfig ? "--policy-config" : undefined);
    out(`omk validate: ${path.relative(process.cwd(), file) || file} is valid — ${s.models.length} model(s) in ${s.region} (${s.models.map((m) => `${m.name} on ${m.device === "cpu" ? "CPUs" : m.placement.instanceType}`).join(", ")}); policy config ${policyFile ? path.relative(process.cwd(), policyFile) || policyFile : "none (the pack's defaults)"} checked. Run \`npx omk plan\` for resources, manifests and the policy verdict.`);
    // What stops the first `pulumi up` although the config is valid.
    for (const w of accessWarnings(s.cluster)) out(`  note: ${w}`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      err(e.message);
      return 1;
    }
    throw e;
  }
}
