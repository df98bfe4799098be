/**
 * `omk docs [--check]`: rebuilds the README's generated sections from the commands that print them — the
 * default stack's `omk plan`, `omk stacks --markdown`, `omk models --markdown`, `omk instances --markdown` —
 * so every number there comes from a fresh run. `--check` only reports what is out of date (exit 1).
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { DEFAULT_STACK, PROJECT_ROOT, readStackFile, stackFilePath } from "../../components/config/load";
import { planStack } from "../engine/plan";
import { instancesCommand } from "./instances";
import { modelsCommand } from "./models";
import { planText } from "./plan";
import { stacksCommand } from "./stacks";

export const README = path.join(PROJECT_ROOT, "README.md");

function captured(run: (out: (s: string) => void) => unknown): string {
  const lines: string[] = [];
  run((s) => lines.push(s));
  return lines.join("\n");
}

/** Section name → its generated content (without the markers). */
export async function generatedSections(): Promise<Record<string, string>> {
  const plan = await planStack(readStackFile(stackFilePath(DEFAULT_STACK)), { stack: DEFAULT_STACK, source: path.relative(PROJECT_ROOT, stackFilePath(DEFAULT_STACK)) });
  if (!plan.ok) throw plan.error;
  return {
    "plan:default": ["```", planText(plan.plan), "```"].join("\n"),
    "stacks:table": captured((out) => stacksCommand({ markdown: true }, out)),
    "catalog:models": captured((out) => modelsCommand({ markdown: true }, out)),
    "catalog:instances": captured((out) => instancesCommand({ markdown: true, region: "us-east-1" }, out, () => undefined)),
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

export async function docsCommand(opts: { check?: boolean }, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const readme = readFileSync(README, "utf8");
  const { text, missing } = applySections(readme, await generatedSections());
  if (missing.length) {
    err(`omk docs: README.md lacks the markers of ${missing.map((m) => `<!-- ${m} -->…<!-- /${m} -->`).join(", ")}; add them where the section belongs.`);
    return 1;
  }
  if (text === readme) {
    out("omk docs: README.md is up to date.");
    return 0;
  }
  if (opts.check) {
    err("omk docs: README.md is out of date; run `npx omk docs` and commit the result.");
    return 1;
  }
  writeFileSync(README, text);
  out("omk docs: README.md rebuilt from omk plan, stacks, models and instances.");
  return 0;
}
