/**
 * What a failed request means for a kit deployment, and what to do (pure). The kit's request path is: DNS name →
 * ALB (listener 443 with the stack's certificate, or 80) → the API guard (nginx in the server pod,
 * components/serving/api-guard-spec.ts) → vLLM. Each answers differently, so the body tells who refused:
 *   - the guard answers OpenAI-shaped JSON: 401 "Unauthorized: send the API key of this model as Authorization: Bearer
 *     <key>", 403 "Forbidden: /health and /metrics answer GET only", 404 "Not found: this server answers /v1/..., /health
 *     and /metrics only", 413 "Request too large", 502 "The model server is not answering (starting, restarting or
 *     overloaded); retry" (vLLM in the pod is not up yet);
 *   - vLLM answers JSON too (404 for a model name it does not serve: "The model `x` does not exist.");
 *   - the ALB answers HTML: 503 when the target group has no registered target (a pod registers once ready), 502 when
 *     a target fails, 504 when it cannot reach one or a request outlives the idle timeout (Elastic Load Balancing user
 *     guide, "Troubleshoot your Application Load Balancers"; the guard turns its own upstream timeouts into 502);
 *   - the KEDA HTTP interceptor (models that wake on request) answers 503 with Retry-After when the model did not wake
 *     in time.
 */
import { isTlsCode } from "./http";

export interface Failure {
  /** A short name to count failures by: dns, tls, refused, timeout, dropped, "HTTP 503", … */
  readonly kind: string;
  /** What happened, in one line. */
  readonly what: string;
  readonly cause: string;
  readonly fix: string;
}

export interface FailureContext {
  /** host[:port] of the endpoint. */
  readonly host: string;
  /** "~9 min (ESTIMATE, the stack's cold start)" when the stack is known, else "several minutes". */
  readonly coldStart: string;
  readonly model: string;
  /** Whether the endpoint came from a stack (fixes then name stack outputs). */
  readonly fromStack: boolean;
  /** Whether the request carried a key (a 401 without one is a missing key, not a refused one). @default true */
  readonly keySent?: boolean;
  /** The command asking: only bench has a load to lower. @default "smoke" */
  readonly command?: "smoke" | "bench";
}

const KEY_FIX = (c: FailureContext) => c.fromStack
  ? "the key comes from the stack output apiKeys; if it was just rotated (omk:apiKeyVersion), the guards reload keys within about a minute — retry, or run `pulumi up` if the stack is behind"
  : "pass the model's key with --api-key or the OMK_API_KEY variable (`pulumi stack output apiKeys --show-secrets --json` shows it; omk never prints it)";

/** Node's codes for a name that does not resolve. */
const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME"]);

/** A failure below HTTP (Node error code from http.ts). */
export function explainNetwork(code: string, message: string, c: FailureContext): Failure {
  const host = c.host.replace(/:\d+$/, "");
  const dns = DNS_CODES.has(code);
  if (dns && host.endsWith(".svc.cluster.local")) {
    return {
      kind: "dns", what: `DNS: ${host} does not resolve here (${code}).`,
      cause: "an internal model (exposure: internal) has only an in-cluster address, which resolves inside the cluster only.",
      fix: `port-forward its Service (\`kubectl -n omk port-forward svc/${host.split(".")[0]} 8000:8000\`) and pass --endpoint http://127.0.0.1:8000/v1 --model ${c.model}, or run omk from a pod in a namespace labelled omk.dev/llm-client=true.`,
    };
  }
  if (dns) {
    return {
      kind: "dns", what: `DNS: ${host} does not resolve (${code}).`,
      cause: "the model's host name has no DNS record yet: the kit does not manage DNS records (README, Known limits), or the record is new and not yet propagated, or the URL has a typo.",
      fix: `point ${host} at the model's ALB (its address: \`kubectl -n omk get ingress\`) or run external-dns; check with \`dig ${host}\`.`,
    };
  }
  if (isTlsCode(code)) {
    const plainHttp = /wrong version number|EPROTO|packet length too long/i.test(`${code} ${message}`);
    return {
      kind: "tls", what: `TLS: ${code}${message && !message.includes(code) ? ` (${message})` : ""}.`,
      cause: plainHttp ? "the server does not speak TLS on this port: an https:// URL to a plain-HTTP listener." :
        "the certificate does not cover the host, is not yet valid or expired, or is self-signed: omk:traffic.certificateArn (or the wildcard certificate the kit requests for omk:traffic.domain) must cover this host, and a new ACM certificate answers only once its DNS validation completed.",
      fix: plainHttp ? "use http:// (or the port the TLS listener uses): the ALB listens with TLS on 443 only when the stack has a certificate." :
        `check the certificate the ALB serves (\`openssl s_client -connect ${host}:443 -servername ${host}\`) and its ACM status; use the host name from the stack output endpoints, not the ALB's own DNS name.`,
    };
  }
  if (code === "ECONNREFUSED") {
    return {
      kind: "refused", what: `connection refused by ${c.host}.`,
      cause: "nothing listens on that address and port: the wrong port or scheme (the ALB listens on 443 with a certificate, else 80), or a `kubectl port-forward` that is not running.",
      fix: "use the URL from the stack output endpoints (scheme and port included); for an internal model, port-forward the Service first.",
    };
  }
  if (code === "ETIMEDOUT" || code === "ESOCKETTIMEDOUT" || code === "ECONNABORTED") {
    return {
      kind: "timeout", what: `timeout: ${message || "no answer"} from ${c.host}.`,
      cause: "the address is not reachable from here (a private or internal model is reachable only from inside the VPC, and the ALB admits only omk:traffic.loadBalancerSourceCidrs), or the server accepted the request and is overloaded.",
      fix: "run from inside the VPC or from an allowed address range; if the server is busy, raise --timeout or lower the load.",
    };
  }
  if (code === "ECONNRESET" || code === "EPIPE") {
    return {
      kind: "dropped", what: `the connection was closed mid-response (${code}).`,
      cause: "the server pod restarted or was replaced (a rollout, an out-of-memory kill, a spot interruption), or a load balancer idle timeout cut a silent stream.",
      fix: "retry; if it repeats, look at the server's restarts and logs (`kubectl -n omk get pods`, `kubectl -n omk logs <pod> -c vllm --previous`).",
    };
  }
  return { kind: code.toLowerCase(), what: `request failed: ${code}${message ? ` (${message})` : ""}.`, cause: "a network error omk does not recognise.", fix: "retry, and check the URL and the network path to it." };
}

/** Who answered: the guard and vLLM send OpenAI-shaped JSON, the ALB and other proxies HTML or nothing. */
function errorMessageOf(body: string): string | null {
  try {
    const e = (JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown });
    const m = typeof e.error === "object" ? e.error?.message : typeof e.error === "string" ? e.error : e.message;
    return typeof m === "string" ? m : null;
  } catch {
    return null;
  }
}

/** A refusal or failure with an HTTP status. `body` is the response text (never echoes the request). */
export function explainStatus(status: number, body: string, c: FailureContext, retryAfter?: string): Failure {
  const message = errorMessageOf(body);
  const said = message ? `: "${message.slice(0, 160)}"` : "";
  const kind = `HTTP ${status}`;
  const what = `HTTP ${status}${said}.`;
  switch (status) {
    case 401:
      if (c.keySent === false) return { kind, what, cause: `no API key was given, and the model requires one${c.fromStack ? "" : " (--api-key and OMK_API_KEY are unset)"}.`, fix: `${KEY_FIX(c)}.` };
      return { kind, what, cause: message?.startsWith("Unauthorized: send the API key") ? "the API guard refused the key: it is not one of the model's keys." : "the key was refused.", fix: `${KEY_FIX(c)}.` };
    case 403:
      return { kind, what, cause: message?.startsWith("Forbidden:") ? "the API guard answers /health and /metrics to GET only." : "something in front of the model (a WAF, a proxy, the ALB's rules) refused the request.", fix: "send inference requests to <endpoint>/chat/completions with POST; if a WAF sits in front, allow this client." };
    case 404:
      if (message && /model .*does not exist/i.test(message)) {
        return { kind, what, cause: `the server does not serve a model named "${c.model}".`, fix: "use a name GET /v1/models lists (the stack output models → servedModels); the kit serves each model under its name in omk:models, adapters under theirs." };
      }
      return {
        kind, what,
        cause: message?.startsWith("Not found") ? "the path is wrong: the API guard serves /v1/…, /health and /metrics only." : "the load balancer has no rule for this host or path: the request used the ALB's own DNS name or another host than the model's.",
        fix: "use the endpoint URL from the stack output endpoints (it ends in /v1), with the model's host name.",
      };
    case 413:
      return { kind, what, cause: "the request body is over the API guard's limit (100 MiB).", fix: "send a shorter prompt (--input-tokens)." };
    case 429:
      return { kind, what, cause: "too many requests: a rate limit in front of the model (a gateway or WAF) refused this one.", fix: `${c.command === "bench" ? "slow down (lower --concurrency or --rate)" : "retry later, or ask whoever runs the gateway or WAF in front of the model for a higher limit"}${retryAfter ? `; the server asks to retry after ${retryAfter} s` : ""}.` };
    case 502:
      return {
        kind, what,
        cause: message?.startsWith("The model server is not answering") ? `the API guard is up but vLLM in the pod is not answering yet: the model is still loading (cold start ${c.coldStart}) or restarting.` : `the load balancer's target did not answer properly: the pod is starting or restarting (cold start ${c.coldStart}).`,
        fix: "wait and retry (`omk smoke --wait 20m` retries until the model is ready); `kubectl -n omk get pods` shows the server's state.",
      };
    case 503:
      return {
        kind, what,
        cause: retryAfter || /wake|scal/i.test(body) ? `the model is scaled to zero and did not wake in time (cold start ${c.coldStart}).`
          : `the ALB has no registered targets: a server pod is registered only once ready, so the model is still starting (cold start ${c.coldStart}), or every server pod is failing its readiness probe (ELB docs, "HTTP 503: Service unavailable": no registered targets).`,
        fix: `wait and retry: \`omk smoke --wait 20m\` retries until the model answers; if it lasts longer than the cold start, look at the pods (\`kubectl -n omk get pods\`, \`kubectl -n omk describe pod <pod>\`) and the GPU node pool.`,
      };
    case 504:
      // The API guard answers its own upstream timeouts with 502, so a 504 is the ALB's (ELB docs, "HTTP 504: Gateway
      // timeout": no connection to the target within 10 s, or the idle timeout ran out).
      return { kind, what, cause: "the load balancer could not reach the pod within 10 s (a security group between the ALB and the pod IPs, or a pod that just went away), or a request stayed silent past the ALB's idle timeout.", fix: "retry; if it persists, check the pods' security group admits the ALB (`kubectl -n omk get pods -o wide`, the target group's health in the EC2 console); for long non-streamed generations use streaming." };
    case 400:
      if (message && /maximum context length/i.test(message)) {
        return { kind, what, cause: "the prompt plus the requested output is longer than the model's context (omk:models[].maxModelLen).", fix: "lower --input-tokens or --output-tokens so their sum fits maxModelLen, or raise maxModelLen in the stack (omk size shows what fits)." };
      }
      return { kind, what, cause: "the server refused the request as malformed.", fix: message ? "read the server's message above." : "check the request." };
    default:
      if (status >= 500) return { kind, what, cause: "the model server failed on this request.", fix: "look at the server's log (`kubectl -n omk logs <pod> -c vllm`)." };
      return { kind, what, cause: "the server refused the request.", fix: message ? "read the server's message above." : "check the endpoint URL and the request." };
  }
}
