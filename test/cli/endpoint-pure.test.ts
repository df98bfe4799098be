/** The pure pieces behind `omk smoke` and `omk bench`: percentiles, SSE parsing, durations, arrivals, error explanations, stack outputs. */
import { describe, expect, it } from "vitest";
import { percentile, distribution } from "../../cli/endpoint/stats";
import { SseParser } from "../../cli/endpoint/sse";
import { parseDuration } from "../../cli/endpoint/duration";
import { arrivalOffsetsMs, syntheticPrompt, WORDS_PER_TOKEN } from "../../cli/endpoint/load";
import { explainNetwork, explainStatus } from "../../cli/endpoint/explain";
import { normalizeEndpoint } from "../../cli/endpoint/http";
import { readStackTargets, targetsFromOutputs, type Runner } from "../../cli/endpoint/stack-outputs";
import { timingsOf, vllmVersionOf } from "../../cli/endpoint/bench-report";

describe("percentile (linear interpolation between closest ranks, numpy's default)", () => {
  it.each([
    // values, p, hand-computed: rank = p/100 × (n − 1), interpolate between the neighbours.
    [[1, 2, 3, 4], 50, 2.5], // rank 1.5 → 2 + 0.5 × 1
    [[1, 2, 3, 4], 90, 3.7], // rank 2.7 → 3 + 0.7 × 1
    [[1, 2, 3, 4], 99, 3.97], // rank 2.97
    [[50, 15, 40, 20, 35], 40, 29], // sorted 15 20 35 40 50, rank 1.6 → 20 + 0.6 × 15
    [[50, 15, 40, 20, 35], 90, 46], // rank 3.6 → 40 + 0.6 × 10
    [[50, 15, 40, 20, 35], 50, 35],
    [[7], 99, 7],
    [[10, 20], 0, 10],
    [[10, 20], 100, 20],
  ])("%j p%d = %d", (values, p, expected) => {
    expect(percentile(values as number[], p as number)).toBeCloseTo(expected as number, 10);
  });

  it("summarises count, mean, median, p90 and p99; nothing for no values", () => {
    expect(distribution([1, 2, 3, 4])).toEqual({ count: 4, mean: 2.5, median: 2.5, p90: 3.7, p99: expect.closeTo(3.97, 10) });
    expect(distribution([])).toBeNull();
    expect(() => percentile([1], 101)).toThrow(/between 0 and 100/);
  });
});

describe("SseParser", () => {
  it("joins events split across reads and splits reads holding several events", () => {
    const p = new SseParser();
    expect(p.push('data: {"a":')).toEqual([]);
    expect(p.push('1}\n\ndata: {"b":2}\r\n\r\n: a comment\n\ndata: [DO')).toEqual(['{"a":1}', '{"b":2}']);
    expect(p.push("NE]\n\n")).toEqual(["[DONE]"]);
  });
  it("keeps a \\r\\n split between reads together, and ends a last event without its blank line", () => {
    const p = new SseParser();
    expect(p.push("data: x\r")).toEqual([]);
    expect(p.push("\n\r\n")).toEqual(["x"]);
    expect(p.push("data: tail")).toEqual([]);
    expect(p.end()).toEqual(["tail"]);
  });
});

describe("durations and endpoints", () => {
  it.each([["90s", 90], ["20m", 1200], ["1h", 3600], ["45", 45], ["500ms", 0.5], ["2.5m", 150], ["soon", null], ["0s", null]])("%s → %s s", (text, seconds) => {
    expect(parseDuration(text as string)).toBe(seconds);
  });
  it("adds /v1 when missing, refuses credentials in the URL", () => {
    expect(normalizeEndpoint("https://m.example.com/").href).toBe("https://m.example.com/v1");
    expect(normalizeEndpoint("http://127.0.0.1:8000/v1/").href).toBe("http://127.0.0.1:8000/v1");
    expect(() => normalizeEndpoint("https://u:p@m.example.com/v1")).toThrow(/must not hold credentials/);
    expect(() => normalizeEndpoint("m.example.com")).toThrow(/not a URL/);
  });
});

describe("open-loop arrivals", () => {
  it("fixed: evenly spaced at 1/rate", () => {
    expect(arrivalOffsetsMs({ kind: "open", rate: 4, arrival: "fixed", seed: 1 }, 4)).toEqual([0, 250, 500, 750]);
  });
  it("poisson: the same seed gives the same schedule, another seed another; gaps average 1/rate", () => {
    const a = arrivalOffsetsMs({ kind: "open", rate: 10, arrival: "poisson", seed: 7 }, 2000);
    expect(arrivalOffsetsMs({ kind: "open", rate: 10, arrival: "poisson", seed: 7 }, 2000)).toEqual(a);
    expect(arrivalOffsetsMs({ kind: "open", rate: 10, arrival: "poisson", seed: 8 }, 2000)).not.toEqual(a);
    const meanGap = a.at(-1)! / (a.length - 1);
    expect(meanGap).toBeGreaterThan(95);
    expect(meanGap).toBeLessThan(105);
  });
  it("synthetic prompts: ~0.75 words per token, reproducible, different per request", () => {
    const p = syntheticPrompt(400, 3, 1);
    expect(p.split(" ").length - 1).toBe(400 * WORDS_PER_TOKEN);
    expect(syntheticPrompt(400, 3, 1)).toBe(p);
    expect(syntheticPrompt(400, 4, 1)).not.toBe(p);
  });
});

describe("timings of one stream (vLLM's definitions)", () => {
  it("TTFT to the first text chunk, TPOT over the tokens after it, ITL between chunks", () => {
    const r = timingsOf({ startMs: 1000, tokenTimesMs: [1200, 1230, 1270, 1300], content: "abcd", reasoning: "", model: "m", usage: { promptTokens: 10, completionTokens: 4 }, done: true });
    expect(r).toEqual({ ok: true, ttftMs: 200, tpotMs: 100 / 3, itlsMs: [30, 40, 30], latencyMs: 300, outputTokens: 4, promptTokens: 10 });
  });
  it("a stream without [DONE] or without text is a failure", () => {
    expect(timingsOf({ startMs: 0, tokenTimesMs: [5], content: "a", reasoning: "", model: "m", usage: null, done: false })).toMatchObject({ ok: false, failure: { kind: "truncated" } });
    expect(timingsOf({ startMs: 0, tokenTimesMs: [], content: "", reasoning: "", model: "m", usage: null, done: true })).toMatchObject({ ok: false, failure: { kind: "empty" } });
  });
  it("reads vLLM's version from the image tag", () => {
    expect(vllmVersionOf("vllm/vllm-openai:v0.32.0")).toBe("0.32.0");
    expect(vllmVersionOf("vllm/vllm-openai:v0.11.0@sha256:abc")).toBe("0.11.0");
    expect(vllmVersionOf("my/vllm:latest")).toBeNull();
  });
});

describe("explaining failures", () => {
  const ctx = { host: "qwen3-8b.llm.example.com", coldStart: "~9 min (ESTIMATE)", model: "qwen3-8b", fromStack: true };
  it.each([
    ["ENOTFOUND", "dns", /no DNS record/, /point qwen3-8b\.llm\.example\.com at the model's ALB/],
    ["EAI_AGAIN", "dns", /no DNS record/, /dig/],
    ["CERT_HAS_EXPIRED", "tls", /certificate/, /openssl s_client/],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "tls", /does not cover the host/, /host name from the stack output endpoints/],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "tls", /self-signed/, /ACM/],
    ["ECONNREFUSED", "refused", /nothing listens/, /stack output endpoints/],
    ["ETIMEDOUT", "timeout", /inside the VPC/, /--timeout/],
    ["ECONNRESET", "dropped", /restarted/, /kubectl -n omk get pods/],
  ])("%s → %s", (code, kind, cause, fix) => {
    const f = explainNetwork(code as string, "", ctx);
    expect(f.kind).toBe(kind);
    expect(f.cause).toMatch(cause as RegExp);
    expect(f.fix).toMatch(fix as RegExp);
  });

  it.each([
    [401, '{"error":{"message":"Unauthorized: send the API key of this model as Authorization: Bearer <key>","type":"authentication_error","code":401}}', /API guard refused the key/, /apiKeys/],
    [403, '{"error":{"message":"Forbidden: /health and /metrics answer GET only","type":"permission_error","code":403}}', /GET only/, /POST/],
    [404, '{"error":{"message":"Not found: this server answers /v1/..., /health and /metrics only","type":"not_found_error","code":404}}', /path is wrong/, /ends in \/v1/],
    [404, "<html>404 Not Found</html>", /no rule for this host/, /model's host name/],
    [404, '{"error":{"message":"The model `x` does not exist.","type":"NotFoundError","code":404}}', /does not serve a model named "qwen3-8b"/, /GET \/v1\/models/],
    [413, '{"error":{"message":"Request too large: the body limit is 100 MiB","type":"invalid_request_error","code":413}}', /100 MiB/, /shorter prompt/],
    [429, "", /rate limit/, /retry later/],
    [502, '{"error":{"message":"The model server is not answering (starting, restarting or overloaded); retry","type":"server_error","code":502}}', /vLLM in the pod is not answering yet.*~9 min/, /--wait/],
    [503, "<html><center><h1>503 Service Temporarily Unavailable</h1></center></html>", /ALB has no registered targets: a server pod is registered only once ready, so the model is still starting \(cold start ~9 min/, /--wait 20m/],
    [504, "", /security group between the ALB and the pod IPs.*idle timeout/, /streaming/],
    [400, '{"error":{"message":"This model\'s maximum context length is 8192 tokens. However, you requested 9000 tokens.","type":"BadRequestError","code":400}}', /longer than the model's context/, /--input-tokens or --output-tokens/],
    [500, '{"error":{"message":"boom"}}', /failed on this request/, /kubectl -n omk logs/],
  ])("HTTP %d explains the cause and the fix", (status, body, cause, fix) => {
    const f = explainStatus(status as number, body as string, ctx);
    expect(f.kind).toBe(`HTTP ${status}`);
    expect(f.cause).toMatch(cause as RegExp);
    expect(f.fix).toMatch(fix as RegExp);
  });
  it("a 401 without a key says none was given; bench's 429 fix lowers the load", () => {
    expect(explainStatus(401, "", { ...ctx, keySent: false }).cause).toMatch(/^no API key was given, and the model requires one/);
    expect(explainStatus(429, "", { ...ctx, command: "bench" }).fix).toMatch(/lower --concurrency or --rate/);
  });
  it("an internal model's in-cluster address: port-forward its Service", () => {
    const f = explainNetwork("ENOTFOUND", "", { ...ctx, host: "qwen3-8b.omk.svc.cluster.local:8000" });
    expect(f.cause).toMatch(/internal model/);
    expect(f.fix).toMatch(/kubectl -n omk port-forward svc\/qwen3-8b 8000:8000/);
  });
  it("a 503 with Retry-After is a model that did not wake in time", () => {
    expect(explainStatus(503, "", ctx, "30").cause).toMatch(/scaled to zero and did not wake/);
  });
});

describe("stack outputs (pulumi stack output --json --show-secrets)", () => {
  const KEY = "omkStackKey9d8e7f6a";
  const outputs = {
    environment: "dev", region: "us-east-1", endpoints: { "qwen3-8b": "https://qwen3-8b.llm.example.com/v1" }, apiKeys: { "qwen3-8b": KEY },
    models: [{ name: "qwen3-8b", model: "Qwen/Qwen3-8B", servedModels: ["qwen3-8b", "support-bot"], auth: true, exposure: "internal", coldStart: { scaleUpSeconds: 540 } }],
  };
  const runner = (result: { code: number; stdout: string; stderr: string } | Error): Runner & { calls: string[][] } => {
    const calls: string[][] = [];
    return Object.assign(async (cmd: string, args: readonly string[]) => {
      calls.push([cmd, ...args]);
      if (result instanceof Error) throw result;
      return result;
    }, { calls });
  };

  it("runs pulumi with --show-secrets for the stack and reads endpoint, key, served names, reasoning and cold start", async () => {
    const run = runner({ code: 0, stdout: JSON.stringify(outputs), stderr: "" });
    const { targets } = await readStackTargets("team/test", run, () => null);
    expect(run.calls).toEqual([["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", "team/test"]]);
    // Qwen3-8B runs with the qwen3 reasoning parser (components/catalog): its reasoning must come separated.
    expect(targets).toEqual([{ model: "qwen3-8b", endpoint: "https://qwen3-8b.llm.example.com/v1", apiKey: KEY, auth: true, servedModels: ["qwen3-8b", "support-bot"], expectReasoning: true, coldStartSeconds: 540, exposure: "internal" }]);
  });

  it("a model without a reasoning parser is not expected to separate reasoning (catalog lookup when the stack file is absent)", () => {
    const t = targetsFromOutputs("x", { ...outputs, models: [{ ...outputs.models[0], model: "meta-llama/Llama-3.1-8B-Instruct" }] }, null);
    expect(t[0]!.expectReasoning).toBe(false);
  });

  it.each([
    ["pulumi is not installed", Object.assign(new Error("spawn pulumi ENOENT"), { code: "ENOENT" }), /Pulumi CLI, which is not installed.*install it.*--endpoint/],
    ["the stack has no outputs yet", { code: 0, stdout: "{}", stderr: "" }, /has no outputs yet.*run `pulumi up`/],
    ["pulumi fails", { code: 255, stdout: "", stderr: "error: no stack named 'dve' found\n" }, /failed: error: no stack named 'dve' found.*pulumi stack ls/],
    ["secrets stay encrypted", { code: 0, stdout: JSON.stringify({ ...outputs, apiKeys: "[secret]" }), stderr: "" }, /came back encrypted/],
  ])("%s: a clear error", async (_name, result, message) => {
    await expect(readStackTargets("dve", runner(result as Error))).rejects.toThrow(message as RegExp);
  });

  it("an error never holds the key", async () => {
    const broken = { ...outputs, endpoints: { "qwen3-8b": 42 } };
    const e = await readStackTargets("team/test", runner({ code: 0, stdout: JSON.stringify(broken), stderr: "" })).catch((x: Error) => x);
    expect(String((e as Error).message)).not.toContain(KEY);
  });
});
