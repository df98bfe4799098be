/**
 * `omk smoke` against the OpenAI-compatible stand-in (test/harness/openai-stand-in.ts): a healthy endpoint passes
 * every check; each broken case fails with a message that names the cause and the fix. The API key used here does not
 * look like a credential, so cli/omk.ts's redaction would not hide it: the commands themselves must never print it.
 */
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { smokeCommand } from "../../cli/commands/smoke";
import { ALB_503, GUARD_502 } from "../harness/openai-stand-in";
import { omkWithout, standInPerTest } from "../harness/endpoint-cli";

const KEY = "omkSmokeKey4f9c2a7e";
const fast = { firstTokenDelayMs: 5, tokenIntervalMs: 1 };
const standIn = standInPerTest({ apiKey: KEY, ...fast });
const omk = (...argv: string[]) => omkWithout(KEY, ...argv);
const smoke = (url: string, ...extra: string[]) => omk("smoke", "--endpoint", url, "--model", "qwen3-8b", "--api-key", KEY, "--timeout", "2", ...extra);
/** The FAIL paragraph of one check: what, likely cause, fix. */
const failureOf = (out: string, check: string) => out.split("\n\n").find((p) => p.startsWith(`FAIL qwen3-8b: ${check}:`)) ?? `(no FAIL for ${check} in)\n${out}`;

describe("omk smoke: a healthy endpoint", () => {
  it("passes every check, prints the table and exits 0", async () => {
    const s = await standIn({ reasoning: "separate" });
    const r = await smoke(s.url, "--expect-reasoning");
    expect(r.code).toBe(0);
    for (const check of ["GET /v1/models", "chat completion", "served model name", "streamed chat completion", "refused without a key", "refused with a wrong key", "reasoning separated"]) {
      expect(r.out).toMatch(new RegExp(`qwen3-8b\\s+${check.replace(/\//g, "\\/")}\\s+PASS`));
    }
    expect(r.out).toMatch(/PASS: 7 passed, 0 failed, 0 not run, 0 skipped\./);
  });

  it("takes the key from OMK_API_KEY, so it need not be on the command line", async () => {
    const s = await standIn();
    const before = process.env.OMK_API_KEY;
    process.env.OMK_API_KEY = KEY;
    try {
      const r = await omk("smoke", "--endpoint", s.url, "--model", "qwen3-8b");
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/refused without a key\s+PASS/);
      expect(r.out).toMatch(/reasoning separated\s+SKIP\s+no reasoning parser/);
    } finally {
      if (before === undefined) delete process.env.OMK_API_KEY;
      else process.env.OMK_API_KEY = before;
    }
  });

  it("--wait retries while the ALB has no healthy target, then passes", async () => {
    const s = await standIn({ fault: (n) => (n <= 2 ? { status: 503, body: ALB_503 } : null) });
    const r = await smoke(s.url, "--wait", "10s", "--retry-every", "0.05");
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/HTTP 503\. Retrying in 0 s \(--wait: \d+ s left\)/);
  });

  it("--json lists every check with its status", async () => {
    const s = await standIn();
    const r = await smoke(s.url, "--json");
    const j = JSON.parse(r.out) as { passed: boolean; checks: { check: string; status: string }[] };
    expect(j.passed).toBe(true);
    expect(j.checks.map((c) => c.status)).toEqual(["pass", "pass", "pass", "pass", "pass", "pass", "skip"]);
  });
});

describe("omk smoke: each broken case fails with the cause and the fix", () => {
  it("a wrong key: the guard's 401", async () => {
    const s = await standIn({ apiKey: "anotherKey12345" });
    const r = await smoke(s.url);
    expect(r.code).toBe(1);
    const f = failureOf(r.out, "GET /v1/models");
    expect(f).toMatch(/HTTP 401: "Unauthorized: send the API key/);
    expect(f).toMatch(/likely cause: the API guard refused the key/);
    expect(f).toMatch(/fix: pass the model's key with --api-key or the OMK_API_KEY variable/);
    expect(r.out).toMatch(/chat completion\s+NOT RUN/);
  });

  it("auth not enforced: a request without a key is answered", async () => {
    const s = await standIn({ apiKey: null });
    const r = await smoke(s.url);
    expect(r.code).toBe(1);
    const f = failureOf(r.out, "refused without a key");
    expect(f).toMatch(/HTTP 200: the endpoint answered without a key/);
    expect(f).toMatch(/likely cause: the API key is not enforced/);
    expect(f).toMatch(/fix: send requests to the endpoint from the stack output endpoints; set auth: true/);
  });

  it("the wrong served model name", async () => {
    const s = await standIn({ answerModel: "llama-3-8b" });
    const r = await smoke(s.url);
    expect(r.code).toBe(1);
    const f = failureOf(r.out, "served model name");
    expect(f).toMatch(/the answer names model "llama-3-8b", not "qwen3-8b"/);
    expect(f).toMatch(/likely cause: another server answers at this endpoint/);
    expect(f).toMatch(/fix: check the endpoint's host/);
  });

  it("no reasoning split: <think> inside the answer", async () => {
    const s = await standIn({ reasoning: "inline" });
    const r = await smoke(s.url, "--expect-reasoning");
    expect(r.code).toBe(1);
    const f = failureOf(r.out, "reasoning separated");
    expect(f).toMatch(/the reasoning came inside the answer/);
    expect(f).toMatch(/likely cause: vLLM runs without --reasoning-parser/);
    expect(f).toMatch(/fix: serve it with the kit's vLLM arguments/);
  });

  it("ALB 503 (no healthy targets): the model is still starting", async () => {
    const s = await standIn({ fault: () => ({ status: 503, body: ALB_503 }) });
    const r = await smoke(s.url);
    expect(r.code).toBe(1);
    const f = failureOf(r.out, "GET /v1/models");
    expect(f).toMatch(/likely cause: the ALB has no registered targets: a server pod is registered only once ready, so the model is still starting \(cold start several minutes\)/);
    expect(f).toMatch(/fix: wait and retry: `omk smoke --wait 20m`/);
  });

  it("the guard's 502: vLLM in the pod is not up yet", async () => {
    const s = await standIn({ fault: () => ({ status: 502, body: GUARD_502 }) });
    const f = failureOf((await smoke(s.url)).out, "GET /v1/models");
    expect(f).toMatch(/HTTP 502: "The model server is not answering/);
    expect(f).toMatch(/likely cause: the API guard is up but vLLM in the pod is not answering yet/);
    expect(f).toMatch(/fix: wait and retry/);
  });

  it.each([
    [403, '{"error":{"message":"Forbidden: /health and /metrics answer GET only","type":"permission_error","code":403}}', /GET only/, /POST/],
    [404, "<html>404 Not Found</html>", /no rule for this host or path/, /endpoint URL from the stack output endpoints/],
    [429, '{"error":{"message":"Too many requests"}}', /rate limit/, /retry later, or ask whoever runs the gateway or WAF/],
    [500, '{"error":{"message":"CUDA error: an illegal memory access"}}', /failed on this request/, /kubectl -n omk logs/],
  ])("HTTP %d on the chat completion", async (status, body, cause, fix) => {
    const s = await standIn({ fault: (_n, path) => (path === "/v1/chat/completions" ? { status: status as number, body: body as string } : null) });
    const r = await smoke(s.url);
    expect(r.code).toBe(1);
    const f = failureOf(r.out, "chat completion");
    expect(f).toMatch(new RegExp(`HTTP ${status}`));
    expect(f).toMatch(cause as RegExp);
    expect(f).toMatch(fix as RegExp);
  });

  it("a server that echoes the key in an error body: the key is still never printed", async () => {
    const s = await standIn({ fault: (_n, path) => (path === "/v1/chat/completions" ? { status: 500, body: `{"error":{"message":"bad header Authorization: Bearer ${KEY}"}}` } : null) });
    const r = await smoke(s.url); // smoke() asserts the key is absent from stdout and stderr
    expect(failureOf(r.out, "chat completion")).toMatch(/Bearer \[redacted\]/);
  });

  it("a server that hangs: timeout", async () => {
    const s = await standIn({ fault: () => "hang" });
    const r = await omk("smoke", "--endpoint", s.url, "--model", "qwen3-8b", "--api-key", KEY, "--timeout", "0.3");
    const f = failureOf(r.out, "GET /v1/models");
    expect(r.code).toBe(1);
    expect(f).toMatch(/timeout: no answer within 0\.3 s/);
    expect(f).toMatch(/likely cause: the address is not reachable from here \(a private or internal model is reachable only from inside the VPC/);
    expect(f).toMatch(/fix: run from inside the VPC/);
  });

  it("a connection dropped mid-stream", async () => {
    const s = await standIn({ fault: (_n, path) => (path === "/v1/chat/completions" ? { dropAfterTokens: 3 } : null) });
    const r = await smoke(s.url);
    expect(r.code).toBe(1);
    const f = failureOf(r.out, "streamed chat completion");
    expect(f).toMatch(/the connection was closed mid-response/);
    expect(f).toMatch(/likely cause: the server pod restarted or was replaced/);
    expect(f).toMatch(/fix: retry; if it repeats, look at the server's restarts/);
  });

  it("connection refused", async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const f = failureOf((await smoke(`http://127.0.0.1:${port}/v1`)).out, "GET /v1/models");
    expect(f).toMatch(/connection refused by 127\.0\.0\.1:\d+/);
    expect(f).toMatch(/likely cause: nothing listens on that address and port/);
    expect(f).toMatch(/fix: use the URL from the stack output endpoints/);
  });

  it("DNS: a host that does not resolve", async () => {
    const f = failureOf((await smoke("https://qwen3-8b.omk-smoke-test.invalid/v1")).out, "GET /v1/models");
    expect(f).toMatch(/DNS: qwen3-8b\.omk-smoke-test\.invalid does not resolve/);
    expect(f).toMatch(/likely cause: the model's host name has no DNS record yet/);
    expect(f).toMatch(/fix: point qwen3-8b\.omk-smoke-test\.invalid at the model's ALB/);
  });

  it("TLS: https:// to a plain-HTTP listener", async () => {
    const s = await standIn();
    const f = failureOf((await smoke(s.url.replace("http:", "https:"))).out, "GET /v1/models");
    expect(f).toMatch(/TLS: /);
    expect(f).toMatch(/likely cause: the server does not speak TLS on this port/);
    expect(f).toMatch(/fix: use http:\/\//);
  });
});

describe("omk smoke --stack", () => {
  const outputs = (url: string, models: unknown[] = [{ name: "qwen3-8b", model: "Qwen/Qwen3-8B", servedModels: ["qwen3-8b"], auth: true, coldStart: { scaleUpSeconds: 540 } }]) =>
    JSON.stringify({ environment: "dev", endpoints: { "qwen3-8b": url }, apiKeys: { "qwen3-8b": KEY }, models });
  async function run(stdout: string) {
    const out: string[] = [];
    const err: string[] = [];
    // No stack file: what the outputs and the catalog say (a fork's stacks/ may hold anything).
    const code = await smokeCommand({ stack: "team/test", timeout: 2 }, { out: (s) => out.push(s), err: (s) => err.push(s) }, { runPulumi: async () => ({ code: 0, stdout, stderr: "" }), stackConfig: () => null });
    const r = { code, out: out.join("\n"), err: err.join("\n") };
    expect(r.out + r.err).not.toContain(KEY);
    return r;
  }

  it("reads endpoint, key and models from the outputs; Qwen3 (a reasoning parser in the catalog) must separate its reasoning", async () => {
    const s = await standIn({ reasoning: "separate" });
    const r = await run(outputs(s.url));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\(stack team\/test\)/);
    expect(r.out).toMatch(/reasoning separated\s+PASS/);
  });

  it("--public-only skips (and passes over) models a runner outside the VPC cannot reach, and needs --stack", async () => {
    const s = await standIn({ reasoning: "separate" });
    const summary = (name: string, exposure: string) => ({ name, model: "Qwen/Qwen3-8B", servedModels: [name], auth: true, exposure, coldStart: { scaleUpSeconds: 540 } });
    const stdout = JSON.stringify({ endpoints: { "qwen3-8b": s.url, internal: "http://internal.omk.svc.cluster.local:8000/v1" }, apiKeys: { "qwen3-8b": KEY, internal: KEY }, models: [summary("qwen3-8b", "public"), summary("internal", "internal")] });
    const out: string[] = [];
    const code = await smokeCommand({ stack: "team/test", timeout: 2, publicOnly: true }, { out: (x) => out.push(x), err: (x) => out.push(x) }, { runPulumi: async () => ({ code: 0, stdout, stderr: "" }), stackConfig: () => null });
    expect(code).toBe(0);
    expect(out.join("\n")).toMatch(/internal\s+reachable from here\s+SKIP\s+exposure internal: reachable only inside the cluster/);
    expect(out.join("\n")).toMatch(/qwen3-8b\s+streamed chat completion\s+PASS/);
    expect((await omk("smoke", "--endpoint", "http://x/v1", "--model", "m", "--public-only")).err).toMatch(/--public-only .* needs --stack <name>/);
  });

  it("fails when the reasoning parser is configured but no reasoning comes back", async () => {
    const s = await standIn({ reasoning: "none" });
    const f = failureOf((await run(outputs(s.url))).out, "reasoning separated");
    expect(f).toMatch(/no reasoning field/);
    expect(f).toMatch(/fix: check the server's --reasoning-parser/);
  });

  it("a 503 names the stack's cold-start estimate", async () => {
    const s = await standIn({ fault: () => ({ status: 503, body: ALB_503 }) });
    const f = failureOf((await run(outputs(s.url))).out, "GET /v1/models");
    expect(f).toMatch(/still starting \(cold start ~9 min \(ESTIMATE: the kit's cold start for this model\)\)/);
  });

  it("no outputs yet: run pulumi up first; pulumi missing: install it or use --endpoint", async () => {
    expect((await run("{}")).err).toMatch(/stack team\/test has no outputs yet.*run `pulumi up`/);
    const err: string[] = [];
    const code = await smokeCommand({ stack: "dev" }, { out: () => {}, err: (s) => err.push(s) }, { runPulumi: async () => { throw Object.assign(new Error("spawn pulumi ENOENT"), { code: "ENOENT" }); } });
    expect(code).toBe(1);
    expect(err.join("\n")).toMatch(/Pulumi CLI, which is not installed\. Fix: install it/);
  });

  it("refuses --stack with --endpoint, and neither", async () => {
    expect((await omk("smoke", "--stack", "dev", "--endpoint", "http://x/v1")).err).toMatch(/either --stack <name> or --endpoint <url>, not both/);
    expect((await omk("smoke")).err).toMatch(/give --stack <name>.*or --endpoint <url> --model <name>/);
  });
});
