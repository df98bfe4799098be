/**
 * The checks `omk smoke` runs against one model's endpoint: the models list, a chat completion non-streamed and
 * streamed, the served name, auth (no key, a wrong key: both refused), reasoning separated where a parser runs.
 * Each check is a row: pass, fail (with the failure's cause and fix), skip (does not apply) or not run (an earlier
 * failure made it meaningless).
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Failure, FailureContext } from "./explain";
import { createClient, normalizeEndpoint, type HttpClient } from "./http";
import { getJson, nonStreamedChat, reasoningOf, statusOf, streamedChat } from "./openai";
import type { Target } from "./stack-outputs";

export type CheckStatus = "pass" | "fail" | "skip" | "not run";
export interface CheckRow {
  readonly model: string;
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly failure?: Failure;
}

export interface SmokeSettings {
  readonly timeoutMs: number;
  /** Retry the first check this long while the model is starting (0: no retry). */
  readonly waitSeconds: number;
  readonly retryEveryMs: number;
  /** Progress lines while waiting (stderr). */
  readonly progress: (line: string) => void;
}

/** Failures a starting deployment produces: DNS not yet propagated, no listener or target yet, 502/503/504. */
const STARTING = new Set(["dns", "refused", "timeout", "dropped", "HTTP 502", "HTTP 503", "HTTP 504"]);

const PROMPT = "Reply with one short word: hello.";

interface ChatMessage { content?: string | null; reasoning_content?: string | null; reasoning?: string | null }
interface ChatJson { model?: string; choices?: { message?: ChatMessage; finish_reason?: string }[]; usage?: { completion_tokens?: number } }

/** What explanations of a failed request to `t` need to know (smoke's and bench's). */
export function contextOf(t: Target, url: URL, fromStack: boolean, command: "smoke" | "bench"): FailureContext {
  const coldStart = t.coldStartSeconds ? `~${Math.max(1, Math.round(t.coldStartSeconds / 60))} min (ESTIMATE: the kit's cold start for this model)` : "several minutes";
  return { host: url.host, coldStart, model: t.model, fromStack, keySent: t.apiKey !== undefined, command };
}

async function listModels(client: HttpClient, t: Target, ctx: FailureContext, s: SmokeSettings) {
  const deadline = Date.now() + s.waitSeconds * 1000;
  for (;;) {
    const r = await getJson(client, "/models", ctx, { apiKey: t.apiKey });
    if (r.ok || !STARTING.has(r.failure.kind) || Date.now() + s.retryEveryMs > deadline) return r;
    s.progress(`omk smoke: ${t.model}: ${r.failure.what} Retrying in ${Math.round(s.retryEveryMs / 1000)} s (--wait: ${Math.max(0, Math.round((deadline - Date.now()) / 1000))} s left).`);
    await sleep(s.retryEveryMs);
  }
}

const fail = (model: string, check: string, failure: Failure): CheckRow => ({ model, check, status: "fail", detail: failure.what, failure });
const plain = (model: string, check: string, what: string, cause: string, fix: string): CheckRow => fail(model, check, { kind: "check", what, cause, fix });

/** Refused without a key and with a wrong one (the API guard's 401), when the model requires a key. */
async function authChecks(client: HttpClient, t: Target, ctx: FailureContext): Promise<CheckRow[]> {
  const cases: [string, string | undefined][] = [["refused without a key", undefined], ["refused with a wrong key", `omk-smoke-wrong-${randomBytes(12).toString("hex")}`]];
  if (!t.auth) {
    const why = t.apiKey === undefined ? "no key given (pass --api-key or OMK_API_KEY to check that the endpoint refuses requests without it)" : "the model takes no key (auth: false in the stack)";
    return cases.map(([check]) => ({ model: t.model, check, status: "skip", detail: why }));
  }
  const rows: CheckRow[] = [];
  for (const [check, key] of cases) {
    const r = await statusOf(client, "/models", ctx, { apiKey: key });
    if (!r.ok) rows.push(fail(t.model, check, r.failure));
    else if (r.value.status === 401 || r.value.status === 403) rows.push({ model: t.model, check, status: "pass", detail: `HTTP ${r.value.status}` });
    else if (r.value.status === 200) {
      rows.push(plain(t.model, check, `HTTP 200: the endpoint answered ${key ? "a wrong key" : "without a key"}.`, "the API key is not enforced: the request did not pass through the kit's API guard (a port-forward to vLLM's own port, or a model with auth: false).",
        "send requests to the endpoint from the stack output endpoints; set auth: true for the model and run `pulumi up`."));
    } else rows.push(plain(t.model, check, `HTTP ${r.value.status} instead of 401.`, "something other than the API guard answered.", "use the endpoint URL from the stack output endpoints."));
  }
  return rows;
}

function reasoningRow(t: Target, message: ChatMessage | undefined): CheckRow {
  const check = "reasoning separated";
  if (!t.expectReasoning) return { model: t.model, check, status: "skip", detail: "no reasoning parser for this model" };
  const reasoning = reasoningOf(message);
  const content = message?.content ?? "";
  if (/<\/?think>/.test(content)) {
    return plain(t.model, check, "the reasoning came inside the answer (<think> tags in content).", "vLLM runs without --reasoning-parser for this model, or with the wrong parser.", "serve it with the kit's vLLM arguments (the catalog's reasoning parser; modelConfig.reasoningParser for a model the catalog lacks) and run `pulumi up`.");
  }
  if (!reasoning) {
    return plain(t.model, check, "no reasoning field (reasoning / reasoning_content) in the answer.", "the reasoning parser is not configured, or reasoning is turned off (e.g. Qwen3 with enable_thinking=false in a chat template default).", "check the server's --reasoning-parser (`omk plan` shows the vllm serve line); with --endpoint, drop --expect-reasoning if the model does not reason.");
  }
  return { model: t.model, check, status: "pass", detail: `${reasoning.length} characters of reasoning apart from the answer` };
}

/** Every check for one target, in order. */
export async function smokeTarget(t: Target, s: SmokeSettings, fromStack: boolean): Promise<CheckRow[]> {
  const url = normalizeEndpoint(t.endpoint);
  const ctx = contextOf(t, url, fromStack, "smoke");
  const client = createClient(url, s.timeoutMs);
  const rows: CheckRow[] = [];
  const notRun = (checks: string[], why: string) => checks.forEach((check) => rows.push({ model: t.model, check, status: "not run", detail: why }));
  try {
    const models = await listModels(client, t, ctx, s);
    if (!models.ok) {
      rows.push(fail(t.model, "GET /v1/models", models.failure));
      notRun(["chat completion", "served model name", "streamed chat completion", "refused without a key", "refused with a wrong key", "reasoning separated"], "GET /v1/models failed first");
      return rows;
    }
    const listed = ((models.value.body as { data?: { id?: unknown }[] }).data ?? []).map((m) => String(m.id));
    const missing = t.servedModels.filter((n) => !listed.includes(n));
    rows.push(missing.length
      ? plain(t.model, "GET /v1/models", `${missing.join(", ")} not listed (listed: ${listed.join(", ") || "none"}).`, "the server serves other names: --served-model-name differs, or the host points at another model's ALB rule.", "use a listed name with --model, or check the model's host in the stack (omk:models[].host) and its DNS record.")
      : { model: t.model, check: "GET /v1/models", status: "pass", detail: `lists ${t.servedModels.join(", ")}` });

    const chat = await nonStreamedChat(client, { model: t.model, prompt: PROMPT, maxTokens: t.expectReasoning ? 64 : 16 }, t.apiKey, ctx);
    let message: ChatMessage | undefined;
    if (!chat.ok) {
      rows.push(fail(t.model, "chat completion", chat.failure));
      notRun(["served model name"], "no completion to read it from");
    } else {
      const body = chat.value.body as ChatJson;
      message = body.choices?.[0]?.message;
      const text = (message?.content ?? "").trim() || reasoningOf(message).trim();
      rows.push(message ? { model: t.model, check: "chat completion", status: "pass", detail: `"${text.slice(0, 40)}${text.length > 40 ? "…" : ""}" (${body.usage?.completion_tokens ?? "?"} tokens, finish ${body.choices?.[0]?.finish_reason ?? "?"})` }
        : plain(t.model, "chat completion", "the answer has no choices[0].message.", "the server is not OpenAI-compatible.", "check that the endpoint is the model's."));
      rows.push(body.model === t.model ? { model: t.model, check: "served model name", status: "pass", detail: body.model }
        : plain(t.model, "served model name", `the answer names model "${body.model ?? "(none)"}", not "${t.model}".`, "another server answers at this endpoint, or it serves the model under another --served-model-name.", "check the endpoint's host (each model has its own) and the stack's model name."));
    }

    const streamed = await streamedChat(client, { model: t.model, prompt: PROMPT, maxTokens: 16 }, t.apiKey, ctx);
    if (!streamed.ok) rows.push(fail(t.model, "streamed chat completion", streamed.failure));
    else if (!streamed.value.done || !streamed.value.tokenTimesMs.length) {
      rows.push(plain(t.model, "streamed chat completion", streamed.value.done ? "the stream held no generated text." : "the stream ended without data: [DONE].", "a proxy buffers or cuts server-sent events, or the server stopped mid-answer.", "check what sits between you and the ALB (a corporate proxy?) and the server's log."));
    } else {
      const v = streamed.value;
      rows.push({ model: t.model, check: "streamed chat completion", status: "pass", detail: `${v.tokenTimesMs.length} chunks, first after ${Math.round(v.tokenTimesMs[0]! - v.startMs)} ms` });
    }

    rows.push(...await authChecks(client, t, ctx));
    if (chat.ok) rows.push(reasoningRow(t, message));
    else notRun(["reasoning separated"], "no completion to read it from");
    return rows;
  } finally {
    client.close();
  }
}
