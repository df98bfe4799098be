/** `omk stacks [--json|--markdown]`: every shipped stack with its models, GPUs, instances and $/hour. */
import * as path from "node:path";
import { PROJECT_ROOT, strayStackFiles, readStackFile, stackFilePath, stacksIn } from "../../components/config/load";
import { gpusPerReplica, resolveStack } from "../../components/config/validate";
import { environmentPolicyConfig } from "../engine/policy-runner";
import { markdownTable, table } from "../format";

export interface StackRow {
  readonly stack: string;
  readonly region: string;
  readonly model: string;
  readonly instance: string;
  readonly gpus: string;
  readonly hourlyUsd: { readonly min: number; readonly max: number };
  readonly priceEstimate: boolean;
}

export function shippedStacks(): string[] {
  return stacksIn(path.join(PROJECT_ROOT, "stacks"));
}

/** Rows from the same sizing `omk plan` runs, so the README table cannot drift from the code. */
export function stackRows(): StackRow[] {
  return shippedStacks().flatMap((stack) => {
    const r = resolveStack(readStackFile(stackFilePath(stack)), stack);
    if (!r.ok) throw r.error;
    return r.stack.models.map((m) => {
      const gpus = gpusPerReplica(m);
      return {
        stack, region: r.stack.region, model: m.spec.id,
        instance: m.device === "cpu" ? "cluster CPUs" : `${m.placement.instanceType}${m.placement.nodes > 1 ? ` × ${m.placement.nodes}` : ""}`,
        gpus: `${gpus * m.replicas.min}–${gpus * m.replicas.max}`, hourlyUsd: m.hourlyUsd, priceEstimate: m.placement.priceEstimate,
      };
    });
  });
}

/**
 * The CI matrix: every stack in stacks/ that deploys to AWS (not CPU-only kind stacks), with its environment's
 * policy config — what the workflows' preview and deploy jobs run, so a stack added to stacks/ is picked up.
 * `only`: the stacks a change can affect (a stack file deleted in it has nothing left to deploy).
 */
export function stackMatrix(only?: readonly string[]): { include: { stack: string; policy: string }[] } {
  return {
    include: shippedStacks().filter((s) => !only || only.includes(s)).flatMap((stack) => {
      const r = resolveStack(readStackFile(stackFilePath(stack)), stack, undefined, { purpose: "sizing" });
      if (!r.ok) throw r.error;
      if (r.stack.capacity.mode === "cpu") return [];
      const policy = environmentPolicyConfig(r.stack.environment);
      return [{ stack, policy: policy ? path.relative(PROJECT_ROOT, policy) : "" }];
    }),
  };
}

export function stacksCommand(opts: { json?: boolean; markdown?: boolean; matrix?: boolean; only?: readonly string[] }, out: (s: string) => void, err: (s: string) => void = () => undefined): number {
  const stray = strayStackFiles(path.join(PROJECT_ROOT, "stacks"));
  if (stray.length) err(`omk stacks: ignoring ${stray.map((f) => `stacks/${f}`).join(", ")}: only stacks/Pulumi.<stack>.yaml files are stacks — rename to include it.`);
  // A cloud stack without a policy config runs the pack's defaults in CI: say so where the matrix is built.
  if (opts.matrix) for (const m of stackMatrix(opts.only).include.filter((x) => !x.policy)) err(`omk stacks: ${m.stack} has no policies/config file for its environment: CI previews and deploys it with the pack's defaults (16 GPUs, $50/hour).`);
  if (opts.matrix) {
    out(JSON.stringify(stackMatrix(opts.only)));
    return 0;
  }
  const rows = stackRows();
  if (opts.json) {
    out(JSON.stringify(rows, null, 2));
    return 0;
  }
  const header = ["STACK", "REGION", "MODEL", "INSTANCE", "GPUS (min–max)", "$/HOUR (min–max)"];
  const cells = rows.map((r) => [r.stack, r.region, r.model, r.instance, r.gpus, `$${r.hourlyUsd.min.toFixed(2)}–$${r.hourlyUsd.max.toFixed(2)}${r.priceEstimate ? " (est.)" : ""}`]);
  out(opts.markdown ? markdownTable(header, cells) : table([header, ...cells], ""));
  return 0;
}
