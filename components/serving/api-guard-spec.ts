/**
 * The API guard in front of every vLLM server (pure): an nginx container in the server's pod that is the pod's only
 * HTTP entry. vLLM listens on the pod's loopback; the guard serves `/v1/…` (with the model's API key when it requires
 * one), `/health` and `GET /metrics`, and answers everything else 404.
 *
 * Why: vLLM's `--api-key` guards only the /v1, /v2, /inference and /cohere prefixes; /invocations (the same inference
 * as /v1), /pause, /resume, /abort_requests, /tokenize, /pooling and more answer anyone who reaches the port, and the
 * guide calls an allow-listing reverse proxy "the most effective approach" (docs.vllm.ai usage/security, "API Key
 * Authentication Limitations"; vllm-project/vllm#29922). The guard also accepts more than one key, which vLLM cannot:
 * during a rotation the previous key keeps working until it is retired (omk:apiKeyKeepPrevious).
 *
 * /metrics stays open (read-only counters, no prompts): Prometheus and the vLLM router scrape it without a key
 * (production-stack src/vllm_router/stats/engine_stats.py). Who reaches the port at all is the NetworkPolicy's job.
 */
import { createHash } from "node:crypto";
import { RESTRICTED_CONTAINER } from "../pod-security";

type Obj = Record<string, unknown>;

/** The guard's image (the same nginx the cold-start responder runs) and the user it runs as (the image's own). */
export const NGINX_IMAGE = "nginxinc/nginx-unprivileged:1.28-alpine";
const NGINX_UID = 101;

/** Where the guard listens (the pod's serving port) and where vLLM listens, on loopback only. */
export const GUARD_PORT = 8000;
export const VLLM_LOCAL_PORT = 8001;
export const GUARD_CONTAINER = "api-guard";
/** The ConfigMap holding the guard's nginx.conf (readable: reviewers and the policy pack check it). */
export const guardConfigName = (model: string): string => `${model}-api-guard`;
/** The model's key Secret: `keys.conf` (the keys the guard accepts, lines nginx's map includes) and VLLM_API_KEY. */
export const guardKeysName = (model: string): string => `${model}-api-key`;
const CONF_DIR = "/etc/omk-guard";
const KEYS_DIR = "/etc/omk-guard-keys";
/** The longest API key accepted (the guard's hash buckets are sized for it). */
export const MAX_KEY_LENGTH = 200;

/**
 * How long the guard keeps an idle upstream connection to vLLM: shorter than vLLM's own keep-alive
 * (VLLM_HTTP_TIMEOUT_KEEP_ALIVE, set above it), or the guard would reuse a connection vLLM already closed and a POST
 * would fail with 502 (nginx does not retry non-idempotent requests: proxy_next_upstream).
 */
export const UPSTREAM_KEEPALIVE_SECONDS = 60;
export const VLLM_KEEPALIVE_SECONDS = UPSTREAM_KEEPALIVE_SECONDS + 15;

/**
 * An API key as a bearer token may be written (RFC 6750 §2.1, b64token): letters, digits and `-._~+/`, then `=`
 * padding. Anything else could not be sent by an OpenAI client as `Authorization: Bearer <key>` — and could not be
 * written into nginx's configuration safely.
 */
export const BEARER_TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;

/** Why a key cannot be one the guard accepts (its characters, its length), or null. Never mentions the value. */
export function bearerKeyProblem(key: string): string | null {
  if (!BEARER_TOKEN.test(key)) return "is not usable as a bearer token: it holds a character other than letters, digits and - . _ ~ + / (then = at the end), RFC 6750 §2.1.";
  if (key.length > MAX_KEY_LENGTH) return `is longer than ${MAX_KEY_LENGTH} characters.`;
  return null;
}

export interface GuardConfigInput {
  /** The model requires an API key: /v1 answers 401 without one of the keys in the keys file. */
  readonly auth: boolean;
  /** @default GUARD_PORT */
  readonly listenPort?: number;
  /** @default VLLM_LOCAL_PORT */
  readonly upstreamPort?: number;
  /**
   * Longest wait for vLLM's next bytes (proxy_read_timeout): a non-streamed full-length generation sends nothing
   * until it is done, so at least the drain window and the load balancer's idle timeout.
   */
  readonly readTimeoutSeconds: number;
  /** Idle keep-alive towards callers: longer than the ALB's or the router's pooling (see vllm-spec keepAliveSeconds). */
  readonly keepAliveSeconds: number;
  /** Writable directory for the pid file and nginx's temp files. @default "/tmp" */
  readonly tmpDir?: string;
  /** Where the keys file is mounted. @default "/etc/omk-guard-keys" */
  readonly keysDir?: string;
}

/** OpenAI-shaped error body (what OpenAI SDKs parse). */
function errorBody(message: string, type: string, code: number): string {
  if (/['"\\$]/.test(message)) throw new Error(`guard message needs no quoting: ${message}`);
  return `'{"error":{"message":"${message}","type":"${type}","code":${code}}}'`;
}

/** The largest request body: long prompts and base64 images; nginx's default (1 MiB) would cut a 256k-token prompt. */
export const MAX_BODY_MIB = 100;

/**
 * The guard's nginx.conf. Requests under /v1/ whose raw path holds `%` or `..` are refused before anything else:
 * nginx matches locations on the normalised path but passes the raw one on, and only the two agreeing keeps the
 * allow-list honest.
 */
export function guardConfig(input: GuardConfigInput): string {
  const tmp = input.tmpDir ?? "/tmp";
  const auth = input.auth ? [
    // Buckets hold the longest "Bearer <key>" line (nginx refuses to start otherwise).
    "  map_hash_bucket_size 256;",
    // Each key is a case-sensitive regular expression (`~`): plain map strings would match case-insensitively.
    "  map $http_authorization $omk_authorized {",
    "    default 0;",
    `    include ${input.keysDir ?? KEYS_DIR}/keys.conf;`,
    "  }",
  ] : [];
  const proxy = ["      proxy_pass http://vllm;"];
  return [
    `pid ${tmp}/nginx.pid;`,
    "worker_processes 2;",
    "error_log stderr warn;",
    "events { worker_connections 4096; }",
    "http {",
    `  client_body_temp_path ${tmp}/client_body; proxy_temp_path ${tmp}/proxy; fastcgi_temp_path ${tmp}/fastcgi; uwsgi_temp_path ${tmp}/uwsgi; scgi_temp_path ${tmp}/scgi;`,
    // No query string, no headers: nothing a caller sends as a credential reaches the log.
    "  log_format omk '$time_iso8601 $status $request_method $uri $request_time $upstream_response_time $body_bytes_sent';",
    "  access_log /dev/stdout omk;",
    "  server_tokens off;",
    ...auth,
    `  upstream vllm { server 127.0.0.1:${input.upstreamPort ?? VLLM_LOCAL_PORT}; keepalive 64; keepalive_timeout ${UPSTREAM_KEEPALIVE_SECONDS}s; }`,
    "  server {",
    `    listen ${input.listenPort ?? GUARD_PORT};`,
    `    keepalive_timeout ${input.keepAliveSeconds}s;`,
    `    client_max_body_size ${MAX_BODY_MIB}m;`,
    "    default_type application/json;",
    // Streams pass through as vLLM writes them (server-sent events), request bodies too.
    "    proxy_http_version 1.1;",
    "    proxy_set_header Connection \"\";",
    "    proxy_set_header Host $host;",
    "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    // vLLM needs no key behind the guard: it goes no further. Set here, with the others, because a location that sets
    // any proxy_set_header inherits none from its server (nginx proxy module docs).
    "    proxy_set_header Authorization \"\";",
    "    proxy_buffering off;",
    "    proxy_request_buffering off;",
    `    proxy_read_timeout ${input.readTimeoutSeconds}s;`,
    `    proxy_send_timeout ${input.readTimeoutSeconds}s;`,
    `    send_timeout ${input.readTimeoutSeconds}s;`,
    `    location = /v1 { return 404 ${errorBody("Not found: the API is under /v1/ (for example /v1/models)", "not_found_error", 404)}; }`,
    "    location /v1/ {",
    `      if ($request_uri ~ "^[^?]*(%|\\.\\.)") { return 400 ${errorBody("Bad request: the path may not contain % or ..", "invalid_request_error", 400)}; }`,
    ...(input.auth ? [
      `      if ($omk_authorized = 0) { add_header WWW-Authenticate Bearer always; return 401 ${errorBody("Unauthorized: send the API key of this model as Authorization: Bearer <key>", "authentication_error", 401)}; }`,
    ] : []),
    ...proxy,
    "    }",
    "    location = /health {",
    "      access_log off;",
    "      limit_except GET { deny all; }",
    ...proxy,
    "    }",
    "    location = /metrics {",
    "      access_log off;",
    "      limit_except GET { deny all; }",
    ...proxy,
    "    }",
    `    location / { return 404 ${errorBody("Not found: this server answers /v1/..., /health and /metrics only", "not_found_error", 404)}; }`,
    // nginx's own refusals in OpenAI's error shape too: a method other than GET (403), a body over the limit (413).
    "    error_page 403 = @forbidden;",
    "    error_page 413 = @too_large;",
    "    error_page 502 504 = @upstream;",
    `    location @forbidden { return 403 ${errorBody("Forbidden: /health and /metrics answer GET only", "permission_error", 403)}; }`,
    `    location @upstream { return 502 ${errorBody("The model server is not answering (starting, restarting or overloaded); retry", "server_error", 502)}; }`,
    `    location @too_large { return 413 ${errorBody(`Request too large: the body limit is ${MAX_BODY_MIB} MiB`, "invalid_request_error", 413)}; }`,
    "  }",
    "}",
    "",
  ].join("\n");
}

/**
 * The keys file: one map line per accepted key. Each key must be a bearer token (so no quote or `;` can end the
 * line early); errors name the setting the key came from, never its value.
 */
export function guardKeys(keys: readonly string[], sources: readonly string[]): string {
  keys.forEach((key, i) => {
    const problem = bearerKeyProblem(key);
    if (problem) throw new Error(`${sources[i] ?? "an API key"} ${problem} The value is not shown.`);
  });
  if (!keys.length) throw new Error("a model that requires an API key needs at least one key");
  // Regex-escaped: `.` and `+` are the only metacharacters a bearer token can hold.
  // The scheme is case-insensitive (RFC 7235 §2.1), the key is not.
  return keys.map((k) => `"~^(?i:Bearer) ${k.replace(/[.+]/g, "\\$&")}$" 1;`).join("\n") + "\n";
}

/** Whether a guard configuration refuses /v1 requests without an accepted key (the policy pack reads it). */
export function guardRequiresKey(conf: string): boolean {
  return /map \$http_authorization \$omk_authorized \{\s*default 0;\s*include [^;]+;\s*\}/.test(conf) && /if \(\$omk_authorized = 0\) \{[^}]*return 401/.test(conf);
}

/** A short digest of the configuration, on the pod template: a change of the guard's behaviour rolls the pods. */
export function guardConfigDigest(conf: string): string {
  return createHash("sha256").update(conf).digest("hex").slice(0, 16);
}

/** How often the guard looks for new keys. The kubelet refreshes a mounted Secret within about a minute (its sync period). */
export const KEYS_POLL_SECONDS = 10;

/**
 * The guard's process: nginx in the foreground, and a loop that reloads it when the keys file changes — a rotation
 * reaches every guard without restarting a pod (nginx's reload is graceful: old workers finish their requests). The
 * shell forwards SIGQUIT and SIGTERM to nginx as SIGQUIT, nginx's graceful stop, and waits for it.
 */
export function guardScript(confPath: string, keysPath: string, pollSeconds: number = KEYS_POLL_SECONDS): string {
  return [
    `sum() { cat ${keysPath} 2>/dev/null | md5sum; }`,
    "last=$(sum)",
    `nginx -g 'daemon off;' -c ${confPath} & pid=$!`,
    "stopping=0",
    `trap 'stopping=1; kill -QUIT $pid 2>/dev/null' QUIT TERM`,
    `while [ $stopping = 0 ] && kill -0 $pid 2>/dev/null; do`,
    `  sleep ${pollSeconds} & wait $!`,
    "  now=$(sum)",
    `  if [ $stopping = 0 ] && [ "$now" != "$last" ]; then`,
    `    if nginx -t -q -c ${confPath}; then nginx -s reload -c ${confPath} && last=$now && echo "omk: API keys changed, nginx reloaded" >&2; else echo "omk: new API keys refused by nginx -t, keeping the old ones" >&2; fi`,
    "  fi",
    "done",
    "wait $pid",
  ].join("\n");
}

/**
 * The guard's container. It stops like vLLM: a preStop pause while endpoints drop the pod, then SIGQUIT (the
 * image's STOPSIGNAL), nginx's graceful shutdown, which lets every proxied stream finish while vLLM drains.
 */
export function guardContainer(auth: boolean, preStopSeconds: number, image: string = NGINX_IMAGE): Obj {
  return {
    name: GUARD_CONTAINER,
    image,
    command: ["/bin/sh", "-c"],
    args: [guardScript(`${CONF_DIR}/nginx.conf`, `${KEYS_DIR}/keys.conf`)],
    ports: [{ name: "http", containerPort: GUARD_PORT, protocol: "TCP" }],
    // Its own probes: a wedged guard restarts itself, not vLLM (whose liveness goes through it).
    readinessProbe: { tcpSocket: { port: GUARD_PORT }, periodSeconds: 10 },
    livenessProbe: { tcpSocket: { port: GUARD_PORT }, periodSeconds: 20, failureThreshold: 3 },
    // Headroom: in a multi-node group (LeaderWorkerSet, RecreateGroupOnPodRestart) a guard restart restarts the group.
    resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "512Mi" } },
    securityContext: { ...RESTRICTED_CONTAINER, runAsNonRoot: true, runAsUser: NGINX_UID, runAsGroup: NGINX_UID, readOnlyRootFilesystem: true, seccompProfile: { type: "RuntimeDefault" } },
    volumeMounts: [
      { name: "api-guard", mountPath: CONF_DIR, readOnly: true },
      ...(auth ? [{ name: "api-guard-keys", mountPath: KEYS_DIR, readOnly: true }] : []),
      { name: "api-guard-tmp", mountPath: "/tmp" },
    ],
    lifecycle: { preStop: { exec: { command: ["sleep", String(preStopSeconds)] } } },
  };
}

/** The guard's volumes: its configuration, the keys (a Secret) when the model requires one, a small writable /tmp. */
export function guardVolumes(model: string, auth: boolean): Obj[] {
  return [
    { name: "api-guard", configMap: { name: guardConfigName(model) } },
    // World-readable inside the pod: nginx runs as its image's user, not the pod's fsGroup (vLLM held the key before).
    // Only keys.conf: the guard never sees VLLM_API_KEY as a file.
    ...(auth ? [{ name: "api-guard-keys", secret: { secretName: guardKeysName(model), defaultMode: 0o444, items: [{ key: "keys.conf", path: "keys.conf" }] } }] : []),
    { name: "api-guard-tmp", emptyDir: { sizeLimit: "1Gi" } },
  ];
}
