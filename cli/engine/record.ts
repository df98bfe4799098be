/**
 * The offline engine: runs the kit's real Pulumi program on Pulumi's mock runtime and records every
 * resource it registers (urn, type, name, parent, inputs). `omk plan` and the tests share it.
 *
 * Nothing here talks to a cloud: ids are deterministic, provider-computed outputs come from a per-type
 * table, and invokes (data sources) are answered from a table too, so a plan is the same on every machine.
 */
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** Parent URN; null for resources parented to the stack. */
  readonly parent: string | null;
  /** True for provider-managed (custom) resources, false for components. */
  readonly custom: boolean;
  /** `protect` option: Pulumi refuses to delete or replace it. */
  readonly protect: boolean;
  /** `retainOnDelete` option: `pulumi destroy` drops it from the stack and leaves it in the cloud. */
  readonly retainOnDelete: boolean;
  /** URNs this resource had before (`aliases`): Pulumi adopts a resource found under one of them instead of replacing it. */
  readonly aliases?: readonly string[];
  /** Input paths Pulumi keeps from state instead (`ignoreChanges`). */
  readonly ignoreChanges?: readonly string[];
  /** URNs this resource waits for (`dependsOn`, expanded through components). */
  readonly dependencies: readonly string[];
  readonly inputs: Record<string, unknown>;
  /**
   * What the resource exposes after registration — a custom resource's state (inputs plus provider-computed
   * values), a component's `registerOutputs`. CrossGuard's stack policies read these.
   */
  readonly outputs: Record<string, unknown>;
}

export interface Recording<T> {
  readonly project: string;
  readonly stack: string;
  readonly result: Awaited<T>;
  readonly resources: readonly RecordedResource[];
  /**
   * The same resources as CrossGuard hands them to policies: secret values unwrapped, in clear (the policy SDK's
   * secretsPreservingProxy). For the policy runner only; never printed or written.
   */
  readonly forPolicies: readonly RecordedResource[];
}

/** Outputs a real provider would compute, per resource type (a mock returns inputs plus these). */
export type ComputedOutputs = (name: string, inputs: Record<string, unknown>) => Record<string, unknown>;
/** Answers to invokes (data sources), per token. */
export type InvokeAnswer = (args: Record<string, unknown>) => Record<string, unknown>;

export interface RecordOptions {
  /** @default "open-model-kit" — `new pulumi.Config()` namespaces by this. */
  readonly project?: string;
  /** @default "dev" */
  readonly stack?: string;
  /** Pulumi config as the engine passes it: `namespace:key` → string (objects as JSON). */
  readonly config?: Readonly<Record<string, string>>;
  readonly computed?: Readonly<Record<string, ComputedOutputs>>;
  /** Outputs for types without an entry in `computed` (e.g. a generic ARN). */
  readonly computedDefault?: (type: string, name: string, inputs: Record<string, unknown>) => Record<string, unknown>;
  readonly invokes?: Readonly<Record<string, InvokeAnswer>>;
}

/** Pulumi's runtime is process-global: recordings run one at a time. */
let queue: Promise<unknown> = Promise.resolve();

export function recordProgram<T>(program: () => T, options: RecordOptions = {}): Promise<Recording<T>> {
  const run = queue.then(() => recordNow(program, options));
  queue = run.catch(() => undefined);
  return run;
}

interface MonitorLike {
  registerResource(req: RegisterRequest, callback: (err: Error | null, resp?: { getUrn(): string; getObject(): unknown }) => void): unknown;
  registerResourceOutputs(req: { getUrn(): string; getOutputs(): unknown }, callback: (err: Error | null, resp?: unknown) => void): unknown;
}
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect(): boolean;
  getRetainondelete(): boolean | undefined;
  getIgnorechangesList?(): string[];
  getAliasesList?(): { getUrn(): string; getSpec(): { getName(): string; getType(): string } | undefined }[];
  getDependenciesList(): string[];
  getObject(): unknown;
}

async function recordNow<T>(program: () => T, options: RecordOptions): Promise<Recording<T>> {
  const project = options.project ?? "open-model-kit";
  const stack = options.stack ?? "dev";
  const resources: RecordedResource[] = [];
  const outputs = new Map<string, Record<string, unknown>>();
  // Only what holds a secret has a clear view of its own; everything else is the same for policies as for the plan.
  const clear = new Map<string, { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }>();
  const failures: Error[] = [];

  pulumi.runtime.setAllConfig({ ...(options.config ?? {}) });
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const computed = options.computed?.[args.type]?.(args.name, args.inputs) ?? (args.custom === false ? {} : options.computedDefault?.(args.type, args.name, args.inputs) ?? {});
        return { id: args.custom === false ? undefined : `${args.name}-id`, state: { ...args.inputs, ...computed } };
      },
      call: (args) => {
        const answer = options.invokes?.[args.token];
        if (!answer) {
          // Pulumi swallows the message of a failed mock invoke; keep it so the run fails with it.
          const error = new Error(`offline engine: no answer for invoke ${args.token}; add one to the invoke table`);
          failures.push(error);
          throw error;
        }
        return answer(args.inputs as Record<string, unknown>);
      },
    },
    project,
    stack,
    false,
  );

  // The mock monitor does not pass parents to `newResource`; wrap it to record the tree.
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) =>
    register(req, (err, resp) => {
      if (err) failures.push(err);
      else if (resp) {
        const inputs = views(pulumi.runtime.deserializeProperties(req.getObject() as never));
        const state = views(pulumi.runtime.deserializeProperties(resp.getObject() as never));
        resources.push({
          urn: resp.getUrn(), type: req.getType(), name: req.getName(), parent: req.getParent() || null, custom: req.getCustom(), protect: req.getProtect(), retainOnDelete: req.getRetainondelete() ?? false,
          ...aliasesOf(resp.getUrn(), req), ...(req.getIgnorechangesList?.().length ? { ignoreChanges: [...req.getIgnorechangesList!()] } : {}), dependencies: [...req.getDependenciesList()].sort(),
          inputs: inputs.masked, outputs: {},
        });
        outputs.set(resp.getUrn(), state.masked);
        if (inputs.clear || state.clear) clear.set(resp.getUrn(), { inputs: inputs.clear, outputs: state.clear });
      }
      callback(err, resp);
    });
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, callback) => {
    const value = req.getOutputs();
    if (value) {
      const v = views(pulumi.runtime.deserializeProperties(value as never));
      outputs.set(req.getUrn(), v.masked);
      const known = clear.get(req.getUrn());
      if (v.clear || known) clear.set(req.getUrn(), { inputs: known?.inputs, outputs: v.clear });
    }
    return registerOutputs(req, callback);
  };

  let result: Awaited<T>;
  try {
    result = await program();
  } finally {
    // Let every pending registration finish before reading the record.
    await pulumi.runtime.disconnect();
  }
  if (failures.length) throw new Error(`offline engine: ${failures.length} call(s) failed: ${failures.map((e) => e.message).join("; ")}`);
  const ordered = treeOrder(resources.map((r) => ({ ...r, outputs: outputs.get(r.urn) ?? {} })));
  const forPolicies = ordered.map((r) => ({ ...r, inputs: clear.get(r.urn)?.inputs ?? r.inputs, outputs: clear.get(r.urn)?.outputs ?? r.outputs }));
  return { project, stack, result, resources: ordered, forPolicies };
}

/**
 * Registration order depends on promise timing; plans must diff cleanly, so resources are listed
 * depth-first from the roots, siblings by URN.
 */
function treeOrder(resources: readonly RecordedResource[]): RecordedResource[] {
  const byParent = new Map<string | null, RecordedResource[]>();
  const urns = new Set(resources.map((r) => r.urn));
  for (const r of resources) {
    const key = r.parent && urns.has(r.parent) ? r.parent : null;
    byParent.set(key, [...(byParent.get(key) ?? []), r]);
  }
  const out: RecordedResource[] = [];
  const visit = (parent: string | null) => {
    for (const r of (byParent.get(parent) ?? []).sort((a, b) => a.urn.localeCompare(b.urn))) {
      out.push(r);
      visit(r.urn);
    }
  };
  visit(null);
  return out;
}

/** A registration's aliases as URNs: a spec alias (a former name or type) keeps the rest of the resource's URN. */
function aliasesOf(urn: string, req: RegisterRequest): { aliases?: string[] } {
  const list = req.getAliasesList?.() ?? [];
  const urns = list.map((a) => {
    if (a.getUrn()) return a.getUrn();
    const spec = a.getSpec();
    if (!spec) return "";
    // The kit aliases former names only (same type and parent).
    const cut = urn.lastIndexOf("::");
    return `${urn.slice(0, cut)}::${spec.getName() || urn.slice(cut + 2)}`;
  }).filter(Boolean);
  return urns.length ? { aliases: urns } : {};
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** The masked view of a value, and its clear view only when it holds a secret (most values hold none: no copy). */
function views(value: unknown): { masked: Record<string, unknown>; clear?: Record<string, unknown> } {
  let secret = false;
  const masked = plain(value, () => { secret = true; });
  return secret ? { masked, clear: unwrapped(value) } : { masked };
}

/** Secret wrappers dropped, their values kept in clear: what CrossGuard's policies receive. */
function unwrapped(value: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (v && typeof v === "object" && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE ? (v as { value?: unknown }).value : v))) as Record<string, unknown>;
}

/** Drops Pulumi's secret/unknown wrappers from recorded inputs; secrets become a visible marker. */
function plain(value: unknown, sawSecret?: () => void): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === "object" && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE) {
      sawSecret?.();
      // Keep the shape (a Secret's keys are not secret), mask every value.
      const inner = (v as { value?: unknown }).value;
      return inner && typeof inner === "object" && !Array.isArray(inner) ? Object.fromEntries(Object.keys(inner).map((k) => [k, "[secret]"])) : "[secret]";
    }
    return v;
  })) as Record<string, unknown>;
}

/**
 * The resolved value of an Output, failing fast on unknowns instead of hanging (outputs a mock does not
 * return stay unknown forever).
 */
export async function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  const internal = output as unknown as { isKnown: Promise<boolean>; promise(): Promise<T> };
  if (!(await internal.isKnown)) throw new Error("offline engine: output is unknown (a mock does not return it)");
  return internal.promise();
}
