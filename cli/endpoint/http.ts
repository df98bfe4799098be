/**
 * A small HTTP client for the model endpoint (node:http/https, no dependency): keep-alive connections (a benchmark must
 * not pay a TLS handshake per request), Nagle off (each streamed token leaves at once), an idle timeout that covers
 * connecting, waiting for headers and a stalled stream, and errors that keep Node's code (ENOTFOUND, ECONNREFUSED,
 * CERT_HAS_EXPIRED, …) so explain.ts can say what went wrong. The API key travels in the Authorization header only:
 * no message built here contains it.
 */
import * as http from "node:http";
import * as https from "node:https";

/** A failure below HTTP: DNS, TCP, TLS, a timeout, a connection closed mid-response. `code` is Node's error code. */
export class NetworkError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = "NetworkError";
  }
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The body as it arrives (a stream must be read piece by piece to time its tokens). */
  readonly body: AsyncIterable<Buffer>;
  /** The whole body as text (for small answers). */
  text(): Promise<string>;
}

export interface RequestOptions {
  readonly method?: "GET" | "POST";
  readonly apiKey?: string;
  readonly json?: unknown;
  readonly signal?: AbortSignal;
}

export interface HttpClient {
  /** `path` is relative to the endpoint, e.g. `/models` for `<endpoint>/models`. */
  request(path: string, options?: RequestOptions): Promise<HttpResponse>;
  close(): void;
}

/**
 * The endpoint as the kit's stack outputs give it (`https://<host>/v1`): a URL without /v1 gets it, a trailing slash
 * goes. Throws on anything that is not an http(s) URL.
 */
export function normalizeEndpoint(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`the endpoint "${text}" is not a URL. Fix: give it as http(s)://host[:port]/v1, as the stack output \`endpoints\` shows it.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`the endpoint must be http:// or https://, not ${url.protocol}`);
  if (url.username || url.password) throw new Error("the endpoint must not hold credentials: pass the API key with --api-key or OMK_API_KEY.");
  const path = url.pathname.replace(/\/+$/, "");
  url.pathname = path.endsWith("/v1") ? path : `${path}/v1`;
  url.search = "";
  url.hash = "";
  return url;
}

const TLS_CODE = /CERT|SSL|TLS|EPROTO|ERR_SSL|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/** Whether a Node error code is a TLS (certificate or handshake) problem. */
export function isTlsCode(code: string): boolean {
  return TLS_CODE.test(code);
}

function toNetworkError(e: unknown): NetworkError {
  if (e instanceof NetworkError) return e;
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? (err.message === "aborted" ? "ECONNRESET" : err.name === "AbortError" ? "ABORTED" : "EUNKNOWN");
  return new NetworkError(code, err.message);
}

export function createClient(endpoint: URL, timeoutMs: number): HttpClient {
  const secure = endpoint.protocol === "https:";
  const agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  return {
    close: () => agent.destroy(),
    request: (path, options = {}) => new Promise<HttpResponse>((resolve, reject) => {
      if (options.signal?.aborted) return reject(new NetworkError("ABORTED", "aborted before it started"));
      const url = new URL(endpoint.pathname + path, endpoint);
      const body = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json));
      const headers: Record<string, string> = { accept: "application/json, text/event-stream" };
      if (body) Object.assign(headers, { "content-type": "application/json", "content-length": String(body.length) });
      if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
      const req = (secure ? https : http).request(url, { method: options.method ?? (body ? "POST" : "GET"), headers, agent });
      const onAbort = () => req.destroy(new NetworkError("ABORTED", "aborted"));
      options.signal?.addEventListener("abort", onAbort, { once: true });
      req.on("socket", (socket) => socket.setNoDelay(true));
      // Idle timeout: no byte for timeoutMs while connecting, waiting or streaming.
      req.setTimeout(timeoutMs, () => req.destroy(new NetworkError("ETIMEDOUT", `no answer within ${timeoutMs / 1000} s`)));
      req.on("error", (e) => reject(toNetworkError(e)));
      req.on("close", () => options.signal?.removeEventListener("abort", onAbort));
      req.on("response", (res) => {
        const stream = (async function* () {
          let finished = false;
          try {
            for await (const chunk of res) yield chunk as Buffer;
            finished = true;
          } catch (e) {
            throw toNetworkError(e);
          } finally {
            // A reader that stopped early (an error event mid-stream) frees the connection instead of leaving it busy.
            if (!finished) res.destroy();
          }
          // A body cut short without an error event (the peer closed the socket mid-response).
          if (!res.complete) throw new NetworkError("ECONNRESET", "the connection closed before the response was complete");
        })();
        resolve({
          status: res.statusCode ?? 0, headers: res.headers, body: stream,
          text: async () => {
            const parts: Buffer[] = [];
            for await (const chunk of stream) parts.push(chunk);
            return Buffer.concat(parts).toString("utf8");
          },
        });
      });
      req.end(body);
    }),
  };
}
