/**
 * A credential typed where it does not belong — a flag value, a stack name, a file path — never comes back in any
 * output of the CLI (errors, plans, JSON), whatever command received it.
 */
import { describe, expect, it } from "vitest";
import { main } from "../../cli/omk";

const TOKENS = ["hf_abcdefghijklmnopqrstuvwxyz0123", "sk-abcdefghijklmnopqrstuvwx0123", "AKIAABCDEFGHIJKLMNOP", "https://admin:hunter2secret@example.com/x"];

async function run(args: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await main(args, { out: (s) => lines.push(s), err: (s) => lines.push(s) });
  return { code, text: lines.join("\n") };
}

describe("credentials in CLI input", () => {
  it.each(TOKENS)("are masked in every output: %s", async (token) => {
    const secretPart = token.includes("@") ? "hunter2secret" : token;
    for (const args of [
      ["plan", "--stack", token], ["validate", "--stack", token], ["plan", "--stack", "dev", "--format", token],
      ["size", "--model", token], ["size", "--model", "Qwen/Qwen3-8B", "--region", token], ["perf", "--model", token, "--input-tokens", "10", "--output-tokens", "10"],
      ["plan", "--config", `/tmp/${token}.yaml`], ["diff", "--base", token],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(r.text, args.join(" ")).not.toContain(secretPart);
      expect(r.text, args.join(" ")).toMatch(/\[redacted\]|\[secret\]/);
    }
  });
});
