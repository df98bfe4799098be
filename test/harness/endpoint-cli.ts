/** What the omk smoke and omk bench tests share: a stand-in per test, closed after it, and omk run with a key it must never print. */
import { afterEach, expect } from "vitest";
import { main } from "../../cli/omk";
import { startStandIn, type StandIn, type StandInOptions } from "./openai-stand-in";

/** A function starting a stand-in with these defaults; each test's stand-in is closed after it. */
export function standInPerTest(defaults: StandInOptions): (options?: StandInOptions) => Promise<StandIn> {
  let server: StandIn | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  return async (options = {}) => (server = await startStandIn({ ...defaults, ...options }));
}

/** Runs omk with `argv` and checks `key` appears nowhere it printed. */
export async function omkWithout(key: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  const r = { code, out: out.join("\n"), err: err.join("\n") };
  expect(r.out + r.err).not.toContain(key);
  return r;
}
