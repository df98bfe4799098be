/**
 * The API guard's nginx.conf, run for real: Debian's nginx in front of a stand-in vLLM on loopback. What a caller
 * inside the cluster can reach, with and without a key, during a rotation, and whether streams pass unbuffered.
 * `.ci/run` installs nginx (OMK_REQUIRE_NGINX=1 makes its absence a failure there); elsewhere, without nginx, this file
 * is skipped and says so.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guardConfig, guardKeys, guardRequiresKey, guardScript } from "../../components/serving/api-guard-spec";

const nginx = ["nginx", "/usr/sbin/nginx"].find((bin) => !spawnSync(bin, ["-v"]).error) ?? null;
if (!nginx && process.env.OMK_REQUIRE_NGINX) throw new Error("OMK_REQUIRE_NGINX is set but nginx is not installed (apt-get install nginx-light)");
if (!nginx) console.warn("api-guard.test.ts: nginx is not installed, the guard's proxy tests are skipped (apt-get install nginx-light runs them)");

const CURRENT = "k3yCurrentABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab";
const PREVIOUS = "k3yPreviousabcdefghijklmnopqrstuvwxyz012345678";

/** What the stand-in vLLM saw: every path and the Authorization header it arrived with. */
const seen: { path: string; auth: string | undefined }[] = [];
const headers: Record<string, string | string[] | undefined>[] = [];
const upstream = createServer((req, res) => {
  seen.push({ path: req.url ?? "", auth: req.headers.authorization });
  headers.push(req.headers);
  if (req.url === "/v1/chat/completions") {
    // Two server-sent events 400 ms apart: the first must reach the client before the second is written.
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write("data: first\n\n");
    setTimeout(() => res.end("data: second\n\ndata: [DONE]\n\n"), 400);
    return;
  }
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, path: req.url }));
});

interface Guard { port: number; dir: string; proc: ChildProcess }
const guards: Guard[] = [];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function startGuard(auth: boolean, keys: string[], viaScript = false): Promise<Guard> {
  const dir = mkdtempSync(join(tmpdir(), "omk-guard-"));
  chmodSync(dir, 0o777); // nginx's workers run as another user when the tests run as root
  const port = await freePort();
  const conf = guardConfig({ auth, listenPort: port, upstreamPort: (upstream.address() as AddressInfo).port, readTimeoutSeconds: 30, keepAliveSeconds: 30, tmpDir: dir, keysDir: dir });
  writeFileSync(join(dir, "nginx.conf"), conf);
  if (auth) writeFileSync(join(dir, "keys.conf"), guardKeys(keys, keys.map((_, i) => `key ${i}`)));
  // The container's own process (guardScript: nginx plus the key-reload loop, polling every second here), or nginx alone.
  const proc = viaScript
    ? spawn("sh", ["-c", guardScript(join(dir, "nginx.conf"), join(dir, "keys.conf"), 1)], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` } })
    : spawn(nginx!, ["-e", "stderr", "-p", dir, "-c", join(dir, "nginx.conf"), "-g", "daemon off;"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr!.on("data", (d) => (stderr += d));
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    const up = await call(port, "GET", "/health").then(() => true, () => false);
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const guard = { port, dir, proc };
  guards.push(guard);
  return guard;
}

interface Reply { status: number; body: string; firstChunkMs: number; totalMs: number }
function call(port: number, method: string, path: string, key?: string, body?: string, scheme = "Bearer"): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const req = request({ host: "127.0.0.1", port, method, path, headers: { ...(key ? { authorization: `${scheme} ${key}` } : {}), ...(body ? { "content-type": "application/json" } : {}) } }, (res: IncomingMessage) => {
      let text = "";
      let first = -1;
      res.on("data", (d) => { if (first < 0) first = Date.now() - start; text += d; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text, firstChunkMs: first, totalMs: Date.now() - start }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

beforeAll(() => new Promise<void>((r) => upstream.listen(0, "127.0.0.1", () => r())));
afterAll(async () => {
  for (const g of guards) { g.proc.kill("SIGQUIT"); rmSync(g.dir, { recursive: true, force: true }); }
  await new Promise<void>((r) => upstream.close(() => r()));
});

describe("the API guard's configuration", () => {
  it("requires a key exactly when the model does (what the policy pack reads)", () => {
    const base = { readTimeoutSeconds: 900, keepAliveSeconds: 960 };
    expect(guardRequiresKey(guardConfig({ ...base, auth: true }))).toBe(true);
    expect(guardRequiresKey(guardConfig({ ...base, auth: false }))).toBe(false);
  });

  it("refuses a key nginx or an OpenAI client could not carry, naming its setting and never its value", () => {
    expect(() => guardKeys(['abc"; default 1; "x'], ["omk:apiKey"])).toThrow(/^omk:apiKey is not usable as a bearer token/);
    expect(() => guardKeys(['abc"; default 1; "x'], ["omk:apiKey"])).not.toThrow(/default 1/);
    expect(() => guardKeys(["a".repeat(201)], ["omk:apiKeyPrevious"])).toThrow(/^omk:apiKeyPrevious is longer than 200/);
    expect(guardKeys(["abc-DEF_1.2~3+4/5=="], ["omk:apiKey"])).toBe(String.raw`"~^(?i:Bearer) abc-DEF_1\.2~3\+4/5==$" 1;` + "\n");
  });
});

describe.skipIf(!nginx)("the API guard in front of vLLM (real nginx)", () => {
  let guard: Guard;
  beforeAll(async () => { guard = await startGuard(true, [CURRENT, PREVIOUS]); });

  it("serves /v1 only with an accepted key, current or previous, and never passes the key on", async () => {
    seen.length = 0;
    const none = await call(guard.port, "GET", "/v1/models");
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error.type).toBe("authentication_error");
    expect((await call(guard.port, "GET", "/v1/models", "wrong-key")).status).toBe(401);
    expect(seen).toEqual([]);
    expect((await call(guard.port, "GET", "/v1/models", CURRENT)).status).toBe(200);
    expect((await call(guard.port, "GET", "/v1/models", PREVIOUS)).status).toBe(200);
    expect(seen).toEqual([{ path: "/v1/models", auth: undefined }, { path: "/v1/models", auth: undefined }]);
    // Keys are exact: another case is another key; the scheme's case does not matter (RFC 7235).
    expect((await call(guard.port, "GET", "/v1/models", CURRENT.toLowerCase())).status).toBe(401);
    expect((await call(guard.port, "GET", "/v1/models", CURRENT, undefined, "bearer")).status).toBe(200);
    expect((await call(guard.port, "GET", "/v1/models", CURRENT.replace(/\w$/, "."))).status).toBe(401);
    expect((await call(guard.port, "GET", "/v1/models")).body).toContain("authentication_error");
  });

  it("passes on what vLLM needs on /v1 too: pooled connections (no Connection: close), Host, X-Forwarded-For", async () => {
    headers.length = 0;
    await call(guard.port, "GET", "/v1/models", CURRENT);
    expect(headers[0]!.connection).not.toBe("close");
    expect(headers[0]!["x-forwarded-for"]).toBe("127.0.0.1");
    expect(headers[0]!.host).toBe("127.0.0.1");
  });

  it("answers 404 on vLLM's routes outside /v1 that its key does not guard, even with a key", async () => {
    seen.length = 0;
    for (const path of ["/invocations", "/pause", "/resume", "/abort_requests", "/tokenize", "/pooling", "/score", "/update_weights", "/inference/v1/generate", "/v2/models"]) {
      const reply = await call(guard.port, "POST", path, CURRENT, "{}");
      expect(reply.status, path).toBe(404);
      expect(JSON.parse(reply.body).error.type).toBe("not_found_error");
    }
    expect(seen).toEqual([]);
  });

  it("cannot be walked around with dot segments or encoded slashes", async () => {
    seen.length = 0;
    for (const path of ["/v1/../invocations", "/v1/%2e%2e/invocations", "/v1/..%2Finvocations", "/v1/models/..%2F..%2Fpause"]) {
      expect([400, 404], path).toContain((await call(guard.port, "POST", path, CURRENT, "{}")).status);
    }
    expect(seen).toEqual([]);
  });

  it("lets /health and /metrics through without a key, for GET only", async () => {
    seen.length = 0;
    expect((await call(guard.port, "GET", "/health")).status).toBe(200);
    expect((await call(guard.port, "GET", "/metrics")).status).toBe(200);
    expect((await call(guard.port, "POST", "/metrics", undefined, "{}")).status).toBe(403);
    expect(seen.map((s) => s.path)).toEqual(["/health", "/metrics"]);
  });

  it("streams server-sent events as vLLM writes them (no proxy buffering)", async () => {
    const reply = await call(guard.port, "POST", "/v1/chat/completions", CURRENT, JSON.stringify({ stream: true }));
    expect(reply.status).toBe(200);
    expect(reply.body).toContain("data: second");
    // The first event arrives well before the second is written (400 ms later).
    expect(reply.firstChunkMs).toBeLessThan(250);
    expect(reply.totalMs).toBeGreaterThanOrEqual(390);
  });

  it("says in OpenAI's error shape when vLLM is not answering", async () => {
    const dir = mkdtempSync(join(tmpdir(), "omk-guard-"));
    chmodSync(dir, 0o777);
    const port = await freePort();
    writeFileSync(join(dir, "nginx.conf"), guardConfig({ auth: false, listenPort: port, upstreamPort: await freePort(), readTimeoutSeconds: 5, keepAliveSeconds: 5, tmpDir: dir }));
    const proc = spawn(nginx!, ["-e", "stderr", "-p", dir, "-c", join(dir, "nginx.conf"), "-g", "daemon off;"], { stdio: "ignore" });
    guards.push({ port, dir, proc });
    let reply: Reply | undefined;
    for (let i = 0; i < 50 && !reply; i++) reply = await call(port, "GET", "/health").catch(() => undefined) ?? (await new Promise((r) => setTimeout(r, 50)), undefined);
    expect(reply!.status).toBe(502);
    expect(JSON.parse(reply!.body).error.type).toBe("server_error");
  });

  it("answers its own refusals in OpenAI's error shape", async () => {
    const post = await call(guard.port, "POST", "/health", undefined, "{}");
    expect(post.status).toBe(403);
    expect(JSON.parse(post.body).error.type).toBe("permission_error");
    const bare = await call(guard.port, "GET", "/v1", CURRENT);
    expect(bare.status).toBe(404);
    expect(JSON.parse(bare.body).error.type).toBe("not_found_error");
  });

  it("picks up new keys without a restart, and stops gracefully: a stream in flight finishes", async () => {
    const g = await startGuard(true, [CURRENT], true);
    expect((await call(g.port, "GET", "/v1/models", CURRENT)).status).toBe(200);
    const master = readFileSync(join(g.dir, "nginx.pid"), "utf8");
    // What the kubelet does when the Secret changes: the mounted file's content is replaced.
    writeFileSync(join(g.dir, "keys.conf"), guardKeys([PREVIOUS], ["test"]));
    let status = 0;
    for (let i = 0; i < 60 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await call(g.port, "GET", "/v1/models", PREVIOUS)).status;
    }
    expect(status).toBe(200);
    expect((await call(g.port, "GET", "/v1/models", CURRENT)).status).toBe(401);
    expect(readFileSync(join(g.dir, "nginx.pid"), "utf8")).toBe(master);
    // SIGQUIT (the image's stop signal) while a stream is in flight: the stream completes, then the guard exits.
    const stream = call(g.port, "POST", "/v1/chat/completions", PREVIOUS, JSON.stringify({ stream: true }));
    await new Promise((r) => setTimeout(r, 100));
    const exited = new Promise<number | null>((r) => g.proc.on("exit", (code) => r(code)));
    g.proc.kill("SIGQUIT");
    const reply = await stream;
    expect(reply.status).toBe(200);
    expect(reply.body).toContain("data: [DONE]");
    expect(await exited).toBe(0);
  });

  it("without auth, /v1 is open but the allow-list still holds", async () => {
    const open = await startGuard(false, []);
    expect((await call(open.port, "GET", "/v1/models")).status).toBe(200);
    expect((await call(open.port, "POST", "/invocations", undefined, "{}")).status).toBe(404);
  });
});
