/**
 * Every stack config the README shows is planned here: the full example, and the optional cloud sections on
 * top of it. A reader who copies them gets a stack that plans and passes its environment's policies.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { plan } from "../harness/stack";

const README = readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");
const blocks = [...README.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe("README stack examples", () => {
  const full = blocks.filter((b) => b.startsWith("config:"));
  const sections = blocks.filter((b) => /^ {2}omk:/.test(b));

  it("the README shows a full example and the optional sections", () => {
    expect(full.length).toBeGreaterThan(0);
    expect(sections.length).toBeGreaterThan(0);
  });

  it.each(full.map((b, i) => [i, b]))("example %i plans and passes its environment's policies", async (_i, text) => {
    const p = await plan((parse(text as string) as { config: Record<string, unknown> }).config);
    expect(p.policy.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy}: ${v.message}`)).toEqual([]);
  });

  it.each(sections.map((b, i) => [i, b]))("the optional sections %i on top of the full example plan and pass", async (_i, text) => {
    const base = (parse(full[0]!) as { config: Record<string, unknown> }).config;
    const extra = parse(`config:\n${text as string}`) as { config: Record<string, unknown> };
    const p = await plan({ ...base, ...extra.config });
    expect(p.policy.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy}: ${v.message}`)).toEqual([]);
  });
});
