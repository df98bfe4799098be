/** The readiness probe's script, run for real with python3 against a local stand-in of vLLM's /v1/models. */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { READINESS_SCRIPT } from "../../components/serving/lifecycle-spec";
import { VLLM_LOCAL_PORT } from "../../components/serving/api-guard-spec";

let port = 0;
let lastAuth = "";
const server = createServer((req, res) => {
  lastAuth = req.headers.authorization ?? "";
  if (req.url !== "/v1/models") return void res.writeHead(404).end();
  if (lastAuth !== "Bearer k-123") return void res.writeHead(401).end();
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", data: [{ id: "qwen3-8b", object: "model" }] }));
});

beforeAll(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => { port = (server.address() as AddressInfo).port; resolve(); })));
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Runs the probe asynchronously (a blocking spawn would stall the in-process server it calls). */
function run(script: string, model: string, key?: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn("python3", ["-c", script, model], { env: { ...process.env, VLLM_API_KEY: key ?? "" }, stdio: "ignore", timeout: 10_000 });
    child.on("close", (code) => resolve(code ?? -1));
  });
}

const probe = (model: string, key?: string) => run(READINESS_SCRIPT.replace(`127.0.0.1:${VLLM_LOCAL_PORT}`, `127.0.0.1:${port}`), model, key);

describe("readiness probe script", () => {
  it("passes when the API lists the served model, with the pod's API key", async () => {
    expect(await probe("qwen3-8b", "k-123")).toBe(0);
    expect(lastAuth).toBe("Bearer k-123");
  });

  it("fails for another model, a wrong key, or no server", async () => {
    expect(await probe("llama", "k-123")).not.toBe(0);
    expect(await probe("qwen3-8b", "wrong")).not.toBe(0);
    expect(await run(READINESS_SCRIPT.replace(`127.0.0.1:${VLLM_LOCAL_PORT}`, "127.0.0.1:1"), "qwen3-8b")).not.toBe(0);
  });
});
