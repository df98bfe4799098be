/**
 * A bounded, reproducible load (the request schedule is pure; the runner drives it):
 *   - closed loop: `concurrency` clients, each sending its next request when the previous one ends;
 *   - open loop: requests start at `rate` per second whatever the server does, evenly spaced ("fixed") or as a
 *     Poisson process ("poisson": exponential gaps with mean 1/rate, what `vllm bench serve --request-rate` does
 *     with its default burstiness 1; vllm/benchmarks/serve.py `get_request`), drawn from a seeded generator so a run
 *     can be repeated exactly.
 * Both stop at `requests` requests or at the time limit, whichever comes first; at the limit the requests still
 * running are cancelled and counted apart (they would bias every latency towards the short ones otherwise).
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

export type Schedule =
  | { readonly kind: "closed"; readonly concurrency: number }
  | { readonly kind: "open"; readonly rate: number; readonly arrival: "fixed" | "poisson"; readonly seed: number };

/** mulberry32: a small seeded 32-bit generator, uniform in [0, 1). Same seed, same sequence, on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Start offsets (ms from the run's start) of `count` open-loop requests. */
export function arrivalOffsetsMs(schedule: Extract<Schedule, { kind: "open" }>, count: number): number[] {
  const meanGapMs = 1000 / schedule.rate;
  const random = seededRandom(schedule.seed);
  const out: number[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    out.push(at);
    // Inverse transform sampling of the exponential distribution; 1 − u keeps log away from 0.
    at += schedule.arrival === "fixed" ? meanGapMs : -Math.log(1 - random()) * meanGapMs;
  }
  return out;
}

/**
 * About 0.75 English words per token (OpenAI's rule of thumb, "What are tokens and how to count them?": 100 tokens
 * ≈ 75 words). Only an approximation of the model's tokenizer; the report shows the prompt tokens the server counted
 * (usage.prompt_tokens), chat template included.
 */
export const WORDS_PER_TOKEN = 0.75;
const WORDS = "the a model server token cloud river mountain quiet bright number system answer question table window green blue paper stone light music garden winter summer city road ocean forest simple careful".split(" ");

/**
 * A prompt of about `tokens` tokens, the same for the same seed, index and nonce. The nonce leads the prompt: the kit
 * runs vLLM with prefix caching, and a second run with the same prompts would find them cached (TTFT collapses), so
 * each run draws a new nonce unless one is given (--prompt-nonce).
 */
export function syntheticPrompt(tokens: number, index: number, seed: number, nonce = ""): string {
  const random = seededRandom(seed * 1_000_003 + index);
  const count = Math.max(1, Math.round(tokens * WORDS_PER_TOKEN));
  const words = Array.from({ length: count }, () => WORDS[Math.floor(random() * WORDS.length)]!);
  return `${nonce ? `${nonce} ` : ""}${index} ${words.join(" ")}`;
}

export interface LoadSettings {
  readonly schedule: Schedule;
  readonly requests: number;
  readonly durationMs: number;
}

export interface LoadRun<R> {
  readonly results: readonly R[];
  /** Requests cancelled at the time limit. */
  readonly cancelled: number;
  /** From the run's start to the last counted request's end (requests cut at the limit are not counted). */
  readonly wallMs: number;
  /** Requests not sent because the time limit came first. */
  readonly notSent: number;
}

/** Runs `send(i, signal)` on the schedule; `send` resolves with a result (it reports failures as results too). */
export async function runLoad<R>(settings: LoadSettings, send: (index: number, signal: AbortSignal) => Promise<R>): Promise<LoadRun<R>> {
  const start = performance.now();
  const deadline = start + settings.durationMs;
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), settings.durationMs);
  const results: R[] = [];
  let cancelled = 0;
  let sent = 0;
  let lastEnd = start;
  const one = async (i: number) => {
    sent++;
    const r = await send(i, stop.signal);
    if (stop.signal.aborted) cancelled++;
    else {
      results.push(r);
      lastEnd = performance.now();
    }
  };
  try {
    if (settings.schedule.kind === "closed") {
      let next = 0;
      const client = async () => {
        while (next < settings.requests && !stop.signal.aborted) await one(next++);
      };
      await Promise.all(Array.from({ length: Math.min(settings.schedule.concurrency, settings.requests) }, client));
    } else {
      const running: Promise<void>[] = [];
      for (const [i, offset] of arrivalOffsetsMs(settings.schedule, settings.requests).entries()) {
        const wait = start + offset - performance.now();
        if (start + offset >= deadline) break;
        if (wait > 0) await sleep(wait);
        if (stop.signal.aborted) break;
        running.push(one(i));
      }
      await Promise.all(running);
    }
  } finally {
    clearTimeout(timer);
  }
  // Totals are over the time to the last counted completion: requests cut at the limit are left out of the tokens,
  // so counting their tail in the time would bias tokens/s low.
  return { results, cancelled, notSent: settings.requests - sent, wallMs: lastEnd - start };
}
