/**
 * A small OpenAI-compatible stand-in for a kit endpoint (node:http on loopback, port 0), for `omk smoke` and
 * `omk bench` tests: GET /v1/models, POST /v1/chat/completions (non-streamed, or streamed as server-sent events with
 * stream_options.include_usage), the API guard's 401 body for a missing or wrong key, and injectable faults.
 *
 * Timing: token k of a stream is written at arrival + firstTokenDelayMs + k × tokenIntervalMs, each scheduled against
 * the clock rather than after the previous one, so timer lateness does not accumulate into the measured TPOT.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";

/** What to do with the n-th request (1-based, all paths): answer with a status, hang, or drop the stream mid-way. */
export type Fault = { readonly status: number; readonly body?: string; readonly headers?: Record<string, string> } | "hang" | { readonly dropAfterTokens: number };

export interface StandInOptions {
  /** The served model name. @default "qwen3-8b" */
  readonly model?: string;
  /** The key the guard accepts; null: no auth. @default null */
  readonly apiKey?: string | null;
  /** @default 200 */
  readonly firstTokenDelayMs?: number;
  /** @default 30 */
  readonly tokenIntervalMs?: number;
  /** Tokens per answer; default: the request's max_tokens (ignore_eos honoured), else 8. */
  readonly outputTokens?: number;
  /** "separate": reasoning in `reasoning` / `reasoning_content`; "inline": inside content with <think> tags (no parser); "none". @default "none" */
  readonly reasoning?: "separate" | "inline" | "none";
  /** The model name answers carry (a wrong one to test the served-name check). @default model */
  readonly answerModel?: string;
  readonly fault?: (n: number, path: string) => Fault | null;
}

export interface StandIn {
  /** The endpoint, http://127.0.0.1:<port>/v1. */
  readonly url: string;
  /** Requests received so far. */
  readonly requests: () => number;
  close(): Promise<void>;
}

/** The API guard's refusal (components/serving/api-guard-spec.ts). */
export const GUARD_401 = '{"error":{"message":"Unauthorized: send the API key of this model as Authorization: Bearer <key>","type":"authentication_error","code":401}}';
export const GUARD_502 = '{"error":{"message":"The model server is not answering (starting, restarting or overloaded); retry","type":"server_error","code":502}}';
/** An ALB with no healthy target. */
export const ALB_503 = "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n";

const at = (t: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, t - performance.now())));

function tokenText(k: number, n: number, reasoning: StandInOptions["reasoning"]): { content?: string; reasoning?: string } {
  const thinking = reasoning !== "none" && k < Math.min(3, n - 1);
  if (reasoning === "separate" && thinking) return { reasoning: ` think${k}` };
  if (reasoning === "inline") {
    if (k === 0) return { content: "<think> think0" };
    if (k === Math.min(3, n - 1) - 1) return { content: ` think${k} </think>` };
  }
  return { content: ` word${k}` };
}

export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const o = { model: "qwen3-8b", apiKey: null, firstTokenDelayMs: 200, tokenIntervalMs: 30, reasoning: "none" as const, ...options };
  let count = 0;
  const server = http.createServer({ noDelay: true }, async (req, res) => {
    const n = ++count;
    const arrival = performance.now();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? "/").split("?")[0]!;
    const fault = o.fault?.(n, path) ?? null;
    if (fault === "hang") return;
    if (fault && "status" in fault) {
      res.writeHead(fault.status, { "content-type": fault.body?.startsWith("{") ? "application/json" : "text/html", ...fault.headers });
      return void res.end(fault.body ?? "");
    }
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    if (!path.startsWith("/v1/")) return json(404, '{"error":{"message":"Not found: this server answers /v1/..., /health and /metrics only","type":"not_found_error","code":404}}');
    if (o.apiKey !== null && req.headers.authorization !== `Bearer ${o.apiKey}`) {
      res.setHeader("www-authenticate", "Bearer");
      return json(401, GUARD_401);
    }
    const answerModel = o.answerModel ?? o.model;
    if (path === "/v1/models" && req.method === "GET") return json(200, { object: "list", data: [{ id: o.model, object: "model", owned_by: "vllm" }] });
    if (path !== "/v1/chat/completions" || req.method !== "POST") return json(404, { error: { message: "Not Found", type: "NotFoundError", code: 404 } });
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { model: string; messages: { content: string }[]; max_tokens?: number; stream?: boolean; ignore_eos?: boolean };
    if (body.model !== o.model) return json(404, { error: { message: `The model \`${body.model}\` does not exist.`, type: "NotFoundError", code: 404 } });
    const outputTokens = o.outputTokens ?? body.max_tokens ?? 8;
    const words = body.messages.map((m) => m.content).join(" ").split(/\s+/).filter(Boolean).length;
    const usage = { prompt_tokens: Math.ceil(words / 0.75), completion_tokens: outputTokens, total_tokens: Math.ceil(words / 0.75) + outputTokens };
    const first = arrival + o.firstTokenDelayMs;
    if (!body.stream) {
      await at(first + (outputTokens - 1) * o.tokenIntervalMs);
      const parts = Array.from({ length: outputTokens }, (_, k) => tokenText(k, outputTokens, o.reasoning));
      const reasoning = parts.map((p) => p.reasoning ?? "").join("");
      return json(200, {
        id: `chatcmpl-${n}`, object: "chat.completion", model: answerModel,
        choices: [{ index: 0, finish_reason: "length", message: { role: "assistant", content: parts.map((p) => p.content ?? "").join(""), ...(reasoning ? { reasoning_content: reasoning } : {}) } }], usage,
      });
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const event = (data: unknown) => res.write(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({ id: `chatcmpl-${n}`, object: "chat.completion.chunk", model: answerModel, choices: [{ index: 0, delta, finish_reason: finish }] });
    // vLLM's first event carries the role and no text: it must not count as the first token.
    event(chunk({ role: "assistant", content: "" }));
    for (let k = 0; k < outputTokens; k++) {
      await at(first + k * o.tokenIntervalMs);
      if (res.destroyed) return;
      if (fault && "dropAfterTokens" in fault && k === fault.dropAfterTokens) return void res.socket?.destroy();
      event(chunk(tokenText(k, outputTokens, o.reasoning), k === outputTokens - 1 ? "length" : null));
    }
    event({ id: `chatcmpl-${n}`, object: "chat.completion.chunk", model: answerModel, choices: [], usage });
    event("[DONE]");
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`, requests: () => count,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
