/**
 * `omk sync`: everything generated from the stacks and the catalog. The README's sections come from the commands
 * that print them — the default stack's `omk plan`, `omk stacks --markdown`, `omk models --markdown`,
 * `omk instances --markdown`, the performance model's error on published measurements (`npm run calibrate`) — so
 * every number there comes from a fresh run; each stack's resource graph is
 * committed as a snapshot a pull request diffs.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { defaultStack, PROJECT_ROOT, readStackFile, stackFilePath, strayStackFiles } from "../../components/config/load";
import { planStack } from "../engine/plan";
import { instancesCommand } from "./instances";
import { modelsCommand } from "./models";
import { planText } from "./plan";
import { resourceGraph } from "../engine/graph";
import { shippedStacks, stacksCommand } from "./stacks";
import { accuracyMarkdown } from "../../components/sizing/perf/accuracy";

export const README = path.join(PROJECT_ROOT, "README.md");

function captured(run: (out: (s: string) => void) => unknown): string {
  const lines: string[] = [];
  run((s) => lines.push(s));
  return lines.join("\n");
}

/** Section name → its generated content (without the markers). */
export async function generatedSections(): Promise<Record<string, string>> {
  const stack = defaultStack();
  const plan = await planStack(readStackFile(stackFilePath(stack)), { stack, source: path.relative(PROJECT_ROOT, stackFilePath(stack)) });
  if (!plan.ok) throw plan.error;
  return {
    "plan:default": ["```", planText(plan.plan), "```"].join("\n"),
    "stacks:table": captured((out) => stacksCommand({ markdown: true }, out)),
    "catalog:models": captured((out) => modelsCommand({ markdown: true }, out)),
    "catalog:instances": captured((out) => instancesCommand({ markdown: true, region: "us-east-1" }, out, () => undefined)),
    "perf:accuracy": accuracyMarkdown(),
  };
}

/** The README with every generated section replaced; sections whose markers are missing are reported. */
export function applySections(readme: string, sections: Readonly<Record<string, string>>): { text: string; missing: string[] } {
  let text = readme;
  const missing: string[] = [];
  for (const [name, body] of Object.entries(sections)) {
    const open = `<!-- ${name} -->\n`;
    const close = `\n<!-- /${name} -->`;
    const start = text.indexOf(open);
    const end = text.indexOf(close, start);
    if (start < 0 || end < 0) {
      missing.push(name);
      continue;
    }
    text = text.slice(0, start + open.length) + body + text.slice(end);
  }
  return { text, missing };
}

/** Where `omk sync` keeps each stack's resource-graph snapshot. */
export const SNAPSHOT_DIR = path.join(PROJECT_ROOT, "test", "stacks", "__snapshots__");

/** Snapshot file → its fresh content, for every stack in stacks/ (plans them all, offline). */
export async function stackSnapshots(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const stack of shippedStacks()) {
    const r = await planStack(readStackFile(stackFilePath(stack)), { stack, source: path.relative(PROJECT_ROOT, stackFilePath(stack)) });
    if (!r.ok) throw r.error;
    out[`${stack}.txt`] = resourceGraph(r.plan.resources);
  }
  return out;
}

/** Files that differ from a fresh run: stale or missing snapshots, snapshots of stacks that are gone, README sections. */
export interface SyncState {
  readonly readme: { readonly current: string; readonly fresh: string; readonly missing: readonly string[] };
  readonly snapshots: { readonly write: Readonly<Record<string, string>>; readonly remove: readonly string[] };
}

export async function syncState(): Promise<SyncState> {
  const current = readFileSync(README, "utf8");
  const { text, missing } = applySections(current, await generatedSections());
  const fresh = await stackSnapshots();
  const existing = existsSync(SNAPSHOT_DIR) ? readdirSync(SNAPSHOT_DIR).filter((f) => f.endsWith(".txt")) : [];
  const write = Object.fromEntries(Object.entries(fresh).filter(([f, body]) => !existing.includes(f) || readFileSync(path.join(SNAPSHOT_DIR, f), "utf8") !== body));
  return { readme: { current, fresh: text, missing }, snapshots: { write, remove: existing.filter((f) => !(f in fresh)) } };
}

/**
 * `omk sync [--check]`: rebuilds everything generated from the stacks and the catalog — the README's sections
 * (default plan, stack and catalog tables) and one resource-graph snapshot per stack in stacks/ — so after
 * adding or editing a stack, `npx omk sync` and `npm test` pass. `--check` only lists what is stale (exit 1).
 */
export async function syncCommand(opts: { check?: boolean }, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const stray = strayStackFiles(path.join(PROJECT_ROOT, "stacks"));
  if (stray.length) err(`omk sync: ignoring ${stray.map((f) => `stacks/${f}`).join(", ")}: Pulumi and the kit read only stacks/Pulumi.<stack>.yaml — rename to that form to include it.`);
  const state = await syncState();
  if (state.readme.missing.length) {
    err(`omk sync: README.md lacks the markers of ${state.readme.missing.map((m) => `<!-- ${m} -->…<!-- /${m} -->`).join(", ")}; add them where the section belongs.`);
    return 1;
  }
  const stale = [
    ...(state.readme.fresh !== state.readme.current ? ["README.md"] : []),
    ...Object.keys(state.snapshots.write).map((f) => path.relative(PROJECT_ROOT, path.join(SNAPSHOT_DIR, f))),
    ...state.snapshots.remove.map((f) => `${path.relative(PROJECT_ROOT, path.join(SNAPSHOT_DIR, f))} (its stack is gone)`),
  ];
  if (!stale.length) {
    out("omk sync: everything generated is up to date.");
    return 0;
  }
  if (opts.check) {
    err(`omk sync: out of date: ${stale.join(", ")}. Run \`npx omk sync\` and commit the result.`);
    return 1;
  }
  if (state.readme.fresh !== state.readme.current) writeFileSync(README, state.readme.fresh);
  mkdirSync(SNAPSHOT_DIR, { recursive: true });
  for (const [f, body] of Object.entries(state.snapshots.write)) writeFileSync(path.join(SNAPSHOT_DIR, f), body);
  for (const f of state.snapshots.remove) rmSync(path.join(SNAPSHOT_DIR, f));
  out(`omk sync: rebuilt ${stale.join(", ")}.`);
  return 0;
}
