/**
 * Stack-config problems in the user's key syntax (pure): zod's issues turned into "key: value — what is wrong.
 * Fix: …" lines, and the catalog look-ups an entry too broken to size still gets.
 */
import type { z as zod } from "zod";
import { INSTANCES, findInstance } from "../catalog/instances";
import { MODELS, findModel } from "../catalog/models";
import { keyPath, nearest, type ConfigProblem } from "./errors";
import { KNOWN_KEYS, NAMESPACE } from "./schema";

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, seg) => (v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[seg] : undefined), root);
}

function knownKeysFor(path: readonly PropertyKey[]): readonly string[] {
  if (path.length === 0) return KNOWN_KEYS.root!;
  const named = [...path].reverse().find((seg): seg is string => typeof seg === "string");
  if (named === "models") return KNOWN_KEYS.model!;
  return KNOWN_KEYS[named ?? "root"] ?? KNOWN_KEYS.root!;
}

/** One problem per zod issue (one per key for unknown keys), in the user's key syntax. */
export function fromZod(issues: readonly zod.core.$ZodIssue[], settings: unknown): ConfigProblem[] {
  return issues.flatMap((issue): ConfigProblem[] => {
    const value = valueAt(settings, issue.path);
    const path = keyPath(NAMESPACE, issue.path);
    switch (issue.code) {
      case "unrecognized_keys":
        return issue.keys.map((key) => {
          const known = knownKeysFor(issue.path);
          const at = { path: keyPath(NAMESPACE, [...issue.path, key]), value: valueAt(settings, [...issue.path, key]) };
          // Credentials are stack-wide secrets, never per-model keys.
          if (key === "hfToken" || key === "apiKey") {
            return { ...at, message: "is not a model key: credentials are stack-wide Pulumi secrets.", fix: `remove it here and run \`pulumi config set --secret omk:${key} …\`.` };
          }
          // A key of the other cluster mode: say which mode it belongs to, not "did you mean" itself.
          const cluster = issue.path.length === 1 && issue.path[0] === "cluster" ? valueAt(settings, ["cluster"]) as { mode?: unknown } | undefined : undefined;
          if (cluster && known.includes(key)) {
            const mode = cluster.mode === "existing" ? "create" : "existing";
            return { ...at, message: `applies only to cluster.mode: ${mode} (this cluster is ${mode === "create" ? "an existing one: its access and add-ons are yours to manage" : "one the kit creates"}).`, fix: `remove it, or set cluster.mode: ${mode}.` };
          }
          const [guess] = nearest(key, known, 1);
          return { ...at, message: "is not a known key.", fix: `${guess ? `did you mean "${guess}"? ` : ""}Known keys here: ${known.join(", ")}.` };
        });
      case "invalid_type":
        return [value === undefined
          ? { path, value, message: "is required.", fix: `set ${path} (${issue.expected}).` }
          : (() => {
            const key = [...issue.path].reverse().find((seg): seg is string => typeof seg === "string") ?? "";
            const shape = SHAPES[key];
            const kind = issue.expected === "object" ? "an object" : issue.expected === "array" ? "a list" : `a ${issue.expected}`;
            // YAML reads an unquoted 1.30 as the number 1.3: the trailing zero is gone before the kit sees it.
            if (issue.expected === "string" && typeof value === "number") {
              return { path, value, message: `must be a string; YAML read the unquoted value as the number ${value}.`, fix: `quote it, e.g. "${key === "kubernetesVersion" && /^1\.\d$/.test(String(value)) ? `${value}0` : value}".` };
            }
            return { path, value, message: `must be ${shape ? `${kind}: ${shape}` : kind}.`, fix: shape ? `write it as ${shape.split(", e.g. ").pop()}.` : `write ${kind} here.` };
          })()];
      case "too_small":
        if (issue.origin === "array") return [{ path, value, message: "must not be empty.", fix: "list at least one entry." }];
        if (issue.origin === "string") return [{ path, value, message: `must be at least ${String(issue.minimum)} characters.`, fix: `use a value of at least ${String(issue.minimum)} characters.` }];
        // positive() is an exclusive minimum of 0: "≥ 0" would wrongly admit 0.
        if (issue.inclusive === false) return [{ path, value, message: `must be > ${String(issue.minimum)}.`, fix: `use a value above ${String(issue.minimum)}.` }];
        return [{ path, value, message: `must be ≥ ${String(issue.minimum)}.`, fix: `use a value of at least ${String(issue.minimum)}.` }];
      case "too_big":
        if (issue.origin === "string") return [{ path, value, message: `must be at most ${String(issue.maximum)} characters.`, fix: `shorten it to ${String(issue.maximum)} characters or fewer.` }];
        if (issue.origin === "array") return [{ path, value, message: `must have at most ${String(issue.maximum)} entries.`, fix: `list ${String(issue.maximum)} or fewer.` }];
        return [{ path, value, message: `must be ≤ ${String(issue.maximum)}.`, fix: `use a value of at most ${String(issue.maximum)}.` }];
      case "invalid_value":
        return [{ path, value, message: "is not an allowed value.", fix: `use one of: ${issue.values.map(String).join(", ")}.` }];
      case "invalid_union": {
        const expected = /Expected (.+)$/.exec(issue.message)?.[1]?.replace(/'/g, "").split(" | ");
        return [{ path, value, message: "is not an allowed value.", fix: expected ? `use one of: ${expected.join(", ")}.` : "correct the value as described." }];
      }
      case "invalid_format":
        return [{ path, value, message: `${issue.message}.`, fix: formatFix(issue.message, value) }];
      case "custom": {
        // The kit's own refinements say "<what is wrong>: <the fix>".
        const [what, fix] = issue.message.split(/: (.+)/s);
        return [{ path, value, message: `${what}.`, fix: fix ? `${fix.replace(/\.$/, "")}.` : "correct the value as described." }];
      }
      default:
        return [{ path, value, message: `${issue.message}.`, fix: "correct the value as described." }];
    }
  });
}

const DNS_LABEL = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

/**
 * The fix for a value of the wrong format: the example its message gives ("e.g. …", "like …"), never the value
 * itself reworked — except a DNS label, where the lower-cased, dashed value is a real suggestion.
 */
function formatFix(message: string, value: unknown): string {
  if (/DNS label/.test(message) && typeof value === "string") {
    const slug = value.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^[^a-z]+|-+$/g, "");
    if (slug && slug !== value && DNS_LABEL.test(slug)) return `use "${slug}" or another such name.`;
    return "use lower-case letters, digits and '-', starting with a letter, e.g. \"dev\".";
  }
  if (typeof value === "string" && /^--?[\w-]+\s+\S/.test(value)) return `write the flag and its value as two list items, [${value.split(/\s+/)[0]}, ${JSON.stringify(value.split(/\s+/).slice(1).join(" "))}], or as ${value.split(/\s+/)[0]}=${value.split(/\s+/).slice(1).join(" ")}.`;
  const match = /(?:e\.g\.|like) ("[^"]+"|\S+(?: \S+)*?)(?:,|\.?$| or )/.exec(message);
  const example = match?.[1];
  // "e.g. A or B": both forms are examples.
  const other = match?.[0].endsWith(" or ") ? /^(\S+?)\.?(?:,|$)/.exec(message.slice(match.index + match[0].length))?.[1] : undefined;
  return example ? `write it like ${example.replace(/\.$/, "")}${other ? ` or ${other}` : ""}.` : "correct the value to the format described.";
}

/** An entry too broken to size still gets its model id and instance type looked up, so one run reports both. */
export function namedThingsExist(entry: unknown, i: number): ConfigProblem[] {
  if (!entry || typeof entry !== "object") return [];
  const e = entry as { id?: unknown; instanceType?: unknown; modelConfig?: unknown };
  const at = (key: string) => `${NAMESPACE}:models[${i}].${key}`;
  const out: ConfigProblem[] = [];
  if (typeof e.id === "string" && e.modelConfig === undefined && !findModel(e.id)) {
    out.push({ path: at("id"), value: e.id, message: "is not in the model catalog.", fix: `did you mean ${nearest(e.id, MODELS.map((m) => m.id)).join(", ")}? Run \`npx omk models\` for the full list.` });
  }
  if (typeof e.instanceType === "string" && !findInstance(e.instanceType)) {
    out.push({ path: at("instanceType"), value: e.instanceType, message: "is not a GPU instance type the kit knows.", fix: `did you mean ${nearest(e.instanceType, INSTANCES.map((x) => x.type)).join(", ")}? Run \`npx omk instances\` for the list.` });
  }
  return out;
}

/** What an object- or list-valued key looks like, for "must be …" messages. */
const SHAPES: Readonly<Record<string, string>> = {
  replicas: "{min, max}, e.g. {min: 1, max: 2}", weights: "{source, revision}, e.g. {source: s3}", autoscaling: "{targetQueueLength, …}, e.g. {targetQueueLength: 4}",
  models: "a list of model entries, e.g. [{id: Qwen/Qwen3-8B}]", extraArgs: "a list of flags, e.g. [--enable-chunked-prefill]", modelConfig: "a path, or {file, trustRemoteCode, …}",
  warmWindows: "a list of {start, end, timezone}", cluster: "{mode, …}", capacity: "{mode, capacityType, …}", addons: "{keda, prometheus, …}", serving: "{namespace, image, …}", traffic: "{domain, …}",
};

