/**
 * Where raw stack config comes from: a `Pulumi.<stack>.yaml` file (for `omk plan` and tests) or the running
 * Pulumi program's config (for `pulumi preview/up`). Both produce the same flat `namespace:key` map.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { ConfigError, nearest } from "./errors";
import type { RawStackConfig } from "./validate";

/** Repository root (this file lives in components/config/). */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
/**
 * The stack `npx omk plan`, `omk validate` and `omk sync` use when none is named: `"omk": {"defaultStack": …}` in
 * package.json if set, else `dev` when stacks/Pulumi.dev.yaml exists, else the first stack in stacks/ — so a fork
 * that names its stacks otherwise still plans and syncs.
 */
export function defaultStack(root: string = PROJECT_ROOT): string {
  const stacks = stacksIn(path.join(root, "stacks"));
  const pkg = path.join(root, "package.json");
  const configured = existsSync(pkg) ? (JSON.parse(readFileSync(pkg, "utf8")) as { omk?: { defaultStack?: unknown } }).omk?.defaultStack : undefined;
  if (typeof configured === "string" && configured) return configured;
  if (stacks.includes("dev") || stacks.length === 0) return "dev";
  return stacks[0]!;
}

export function stackFilePath(stack: string): string {
  return path.join(PROJECT_ROOT, "stacks", `Pulumi.${stack}.yaml`);
}

/** The stack a config file describes: `Pulumi.prod.yaml` → `prod` (any other name loses only its extension). */
export function stackNameOf(file: string): string {
  return path.basename(file).replace(/^Pulumi\.|\.ya?ml$/g, "");
}

/** Stacks with a `Pulumi.<stack>.yaml` file in a folder, sorted (none when the folder is missing). */
export function stacksIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).map(stackNameOf).sort() : [];
}

/** Files in a stacks folder that look like stack configs but that Pulumi and the kit ignore (e.g. `.yml`). */
export function strayStackFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/i.test(f) && !/^Pulumi\..+\.yaml$/.test(f)).sort() : [];
}

/**
 * Reads a file in Pulumi's stack config format (`config:` map of `namespace:key` → value).
 * `secure:` values stay as `{ secure: "…" }` objects: they are ciphertext, never decrypted offline.
 */
export function readStackFile(file: string): RawStackConfig {
  if (!existsSync(file)) {
    const known = stacksIn(path.dirname(file));
    const asked = stackNameOf(file);
    const yml = file.replace(/\.yaml$/, ".yml");
    const hint = existsSync(yml) && yml !== file ? ` ${path.basename(yml)} exists: Pulumi reads only .yaml stack files — rename it to ${path.basename(file)}.`
      : known.length ? ` Stacks here: ${known.join(", ")}${nearest(asked, known, 1).length ? `; did you mean --stack ${nearest(asked, known, 1)[0]}?` : "."}` : "";
    throw new ConfigError(file, [{ path: "(file)", value: file, message: "does not exist.", fix: `pass --stack <name> for stacks/Pulumi.<name>.yaml or --config <path> to an existing file.${hint}` }]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ConfigError(file, [{ path: "(file)", value: file, message: `is not valid YAML: ${(err as Error).message.split("\n")[0]!.replace(/[:.]+$/, "")}.`, fix: "fix the YAML syntax there." }]);
  }
  const config = doc !== null && typeof doc === "object" ? (doc as Record<string, unknown>).config : undefined;
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new ConfigError(file, [{ path: "config", value: config, message: "must be a map of `namespace:key` settings (Pulumi stack config format).", fix: "put settings under a top-level `config:` key, e.g. `config: {aws:region: us-east-1, omk:environment: dev}`." }]);
  }
  return config as RawStackConfig;
}

/** Keys of a stack file whose values are `secure:` ciphertext. */
export function secureKeys(raw: RawStackConfig): Set<string> {
  return new Set(Object.entries(raw).filter(([, v]) => v !== null && typeof v === "object" && "secure" in v).map(([k]) => k));
}

/**
 * The running program's config as the same flat map. Pulumi hands structured values to the program as
 * JSON strings; plain strings stay strings.
 */
export function fromPulumiConfig(all: Readonly<Record<string, string>>): RawStackConfig {
  const out: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(all)) {
    out[key] = parseMaybeJson(text);
  }
  return out;
}

function parseMaybeJson(text: string): unknown {
  const t = text.trim();
  if (!/^[[{]|^-?\d|^(true|false|null)$/.test(t)) return text;
  try {
    return JSON.parse(t);
  } catch {
    return text;
  }
}
