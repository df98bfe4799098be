/**
 * OpenAI-compatible calls as vLLM serves them (docs.vllm.ai, "OpenAI-Compatible Server"): GET /v1/models, POST
 * /v1/chat/completions, streamed as server-sent events. Streams are timed as they arrive, the way vLLM's own
 * benchmark client does (vllm/benchmarks/lib/endpoint_request_func.py, `async_request_openai_chat_completions`):
 * the first chunk carrying generated text is the first token; every later one adds an inter-token gap.
 */
import { performance } from "node:perf_hooks";
import { explainNetwork, explainStatus, type Failure, type FailureContext } from "./explain";
import { NetworkError, type HttpClient } from "./http";
import { SseParser } from "./sse";

/**
 * The separated reasoning of a message or delta: vLLM renamed `reasoning_content` to `reasoning` (vllm-project/vllm#27752,
 * then #33402 dropped the old name); either is read.
 */
export function reasoningOf(m: { reasoning?: string | null; reasoning_content?: string | null } | undefined): string {
  return m?.reasoning ?? m?.reasoning_content ?? "";
}

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: Failure };

export interface ChatRequest {
  readonly model: string;
  readonly prompt: string;
  readonly maxTokens: number;
  /**
   * vLLM's sampling extension: keep generating past the end-of-sequence token, so every request yields exactly
   * max_tokens (docs.vllm.ai "OpenAI-Compatible Server", extra parameters: `ignore_eos`). Other servers ignore it.
   */
  readonly ignoreEos?: boolean;
}

function chatBody(r: ChatRequest, stream: boolean): Record<string, unknown> {
  return {
    model: r.model, messages: [{ role: "user", content: r.prompt }], max_tokens: r.maxTokens, temperature: 0,
    ...(r.ignoreEos ? { ignore_eos: true } : {}),
    // include_usage: one more chunk before [DONE] with the request's token counts and empty choices (OpenAI API
    // reference, chat streaming `stream_options`; vLLM honours it).
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}

function networkFailure(e: unknown, ctx: FailureContext): Failure {
  if (e instanceof NetworkError) return explainNetwork(e.code, e.message, ctx);
  throw e;
}

/** A JSON answer (models list, non-streamed chat), or what went wrong. */
export async function getJson(client: HttpClient, path: string, ctx: FailureContext, options: { apiKey?: string; json?: unknown } = {}): Promise<Outcome<{ status: number; body: unknown }>> {
  try {
    const res = await client.request(path, { apiKey: options.apiKey, json: options.json });
    const text = await res.text();
    if (res.status !== 200) return { ok: false, failure: explainStatus(res.status, text, ctx, res.headers["retry-after"] as string | undefined) };
    try {
      return { ok: true, value: { status: res.status, body: JSON.parse(text) as unknown } };
    } catch {
      return { ok: false, failure: { kind: "not-json", what: "HTTP 200 but the body is not JSON.", cause: "something other than an OpenAI-compatible server answered (a proxy's page?).", fix: "check that the URL is the model's endpoint from the stack output endpoints." } };
    }
  } catch (e) {
    return { ok: false, failure: networkFailure(e, ctx) };
  }
}

/** Just the status of a request (for the auth checks: they expect a refusal). */
export async function statusOf(client: HttpClient, path: string, ctx: FailureContext, options: { apiKey?: string; json?: unknown }): Promise<Outcome<{ status: number; text: string }>> {
  try {
    const res = await client.request(path, options);
    return { ok: true, value: { status: res.status, text: await res.text() } };
  } catch (e) {
    return { ok: false, failure: networkFailure(e, ctx) };
  }
}

export function nonStreamedChat(client: HttpClient, r: ChatRequest, apiKey: string | undefined, ctx: FailureContext) {
  return getJson(client, "/chat/completions", ctx, { apiKey, json: chatBody(r, false) });
}

/** One streamed request, timed (milliseconds on the performance clock). */
export interface StreamedChat {
  readonly startMs: number;
  /** When each chunk carrying generated text (content or reasoning) arrived. */
  readonly tokenTimesMs: readonly number[];
  readonly content: string;
  readonly reasoning: string;
  readonly model: string | null;
  /** From the include_usage chunk; null when the server sent none. */
  readonly usage: { readonly promptTokens: number; readonly completionTokens: number } | null;
  /** The stream ended with `data: [DONE]`. */
  readonly done: boolean;
}

interface ChunkJson {
  model?: string;
  choices?: { delta?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null } }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string };
}

export async function streamedChat(client: HttpClient, r: ChatRequest, apiKey: string | undefined, ctx: FailureContext, signal?: AbortSignal): Promise<Outcome<StreamedChat>> {
  const startMs = performance.now();
  const tokenTimesMs: number[] = [];
  let content = "";
  let reasoning = "";
  let model: string | null = null;
  let usage: StreamedChat["usage"] = null;
  let done = false;
  try {
    const res = await client.request("/chat/completions", { apiKey, json: chatBody(r, true), signal });
    if (res.status !== 200) return { ok: false, failure: explainStatus(res.status, await res.text(), ctx, res.headers["retry-after"] as string | undefined) };
    const parser = new SseParser();
    const decoder = new TextDecoder();
    for await (const piece of res.body) {
      for (const data of parser.push(decoder.decode(piece, { stream: true }))) {
        if (data === "[DONE]") {
          done = true;
          continue;
        }
        const chunk = JSON.parse(data) as ChunkJson;
        // vLLM reports an error that happens mid-stream as an event with an `error` object.
        if (chunk.error) return { ok: false, failure: { kind: "stream-error", what: `the server reported an error mid-stream: "${String(chunk.error.message ?? "").slice(0, 160)}".`, cause: "the model server failed while generating.", fix: "look at the server's log (`kubectl -n omk logs <pod> -c vllm`)." } };
        model ??= chunk.model ?? null;
        if (chunk.usage) usage = { promptTokens: chunk.usage.prompt_tokens ?? 0, completionTokens: chunk.usage.completion_tokens ?? 0 };
        const delta = chunk.choices?.[0]?.delta;
        // Reasoning is generated text too, for timing.
        const text = delta?.content ?? "";
        const thought = reasoningOf(delta);
        if (text || thought) {
          content += text;
          reasoning += thought;
          // One timestamp per event, taken as it is parsed: vLLM's client does the same for events that arrive in
          // one read (benchmarks endpoint_request_func, StreamedResponseHandler: perf_counter per message).
          tokenTimesMs.push(performance.now());
        }
      }
    }
  } catch (e) {
    if (e instanceof SyntaxError) return { ok: false, failure: { kind: "bad-stream", what: "the stream held an event that is not JSON.", cause: "something other than an OpenAI-compatible server answered.", fix: "check that the URL is the model's endpoint." } };
    return { ok: false, failure: networkFailure(e, ctx) };
  }
  return { ok: true, value: { startMs, tokenTimesMs, content, reasoning, model, usage, done } };
}
