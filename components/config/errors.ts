/**
 * Configuration problems: each names the key path as the user wrote it (`omk:models[0].maxModelLen`), the
 * bad value, what is wrong and the fix. They are collected and reported together, never one per run.
 */
import { distance } from "fastest-levenshtein";
import { redactCredentials } from "../credentials";

export interface ConfigProblem {
  /** Key path as written in the stack file, e.g. `omk:models[1].precision`. */
  readonly path: string;
  /** The offending value (undefined when the key is missing). */
  readonly value: unknown;
  /** What is wrong, in one sentence. */
  readonly message: string;
  /** What to change. */
  readonly fix: string;
}

/** Thrown (or returned) when a stack config is invalid; the message lists every problem. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(formatProblems(source, problems));
    this.name = "ConfigError";
  }
}

/** Values, paths and texts as shown: anything shaped like a credential is masked first, wherever it came from. */
export function formatValue(value: unknown): string {
  if (value === undefined) return "(missing)";
  const text = redactCredentials(JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function formatProblem(p: ConfigProblem): string {
  return redactCredentials(`${p.path}: ${formatValue(p.value)} — ${p.message} Fix: ${p.fix}`);
}

export function formatProblems(source: string, problems: readonly ConfigProblem[]): string {
  const n = problems.length;
  return [`${redactCredentials(source)}: ${n} configuration problem${n === 1 ? "" : "s"}; nothing was created.`, ...problems.map((p) => `  - ${formatProblem(p)}`)].join("\n");
}

/** Formats a zod-style path (`["models", 0, "id"]`) as the stack-file key `omk:models[0].id`. */
export function keyPath(namespace: string, path: readonly PropertyKey[]): string {
  let out = namespace;
  path.forEach((seg, i) => {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += i === 0 ? `:${String(seg)}` : `.${String(seg)}`;
  });
  return out;
}

/** Up to `limit` candidates closest to `input` (case-insensitive edit distance, substring hits first). */
export function nearest(input: string, candidates: readonly string[], limit = 3): string[] {
  const needle = input.toLowerCase();
  const tail = needle.split("/").pop() ?? needle;
  // A typo (a couple of edits away) beats containment: "apiKeyPrevous" means apiKeyPrevious, not apiKey.
  const typo = Math.max(2, Math.floor(tail.length / 6));
  const typos = new Set(candidates.filter((c) => distance(tail, c.toLowerCase().split("/").pop() ?? c) <= typo));
  return candidates
    .map((c) => {
      const hay = c.toLowerCase();
      const hayTail = hay.split("/").pop() ?? hay;
      // A candidate inside the input ("qwen3-8b" in "Qwen3-8b-Instruct") is a near-certain match; the longer, the surer.
      const contained = hayTail.length >= 4 && tail.includes(hayTail) ? 50 + hayTail.length : 0;
      const score = Math.min(distance(needle, hay), distance(tail, hayTail)) - (hay.includes(tail) ? 100 : 0) - contained - (typos.has(c) ? 1000 : 0);
      return { c, score };
    })
    .sort((a, b) => a.score - b.score || a.c.localeCompare(b.c))
    .slice(0, limit)
    .map((x) => x.c);
}
