/**
 * Routing, scale-from-zero and LoRA adapters per model (pure): defaults that follow the replicas, and the checks
 * that keep adapter names, slots and routing settings consistent across the stack.
 */
import type { ConfigProblem } from "./errors";
import { DEFAULT_MAX_LORAS_CAP, DEFAULT_SESSION_HEADER, type AdapterSettings, type RoutingPolicy } from "./routing-schema";
import type { ResolvedModel } from "./validate";
import { maxLoraRankFor, type LoraSlots } from "../sizing/lora";

interface RoutingEntry {
  readonly routing?: RoutingPolicy;
  readonly sessionHeader?: string;
  readonly adapters: readonly AdapterSettings[];
  readonly maxLoras?: number;
}

/** The policy a model routes with: prefix-aware once it can have more than one replica (a router needs choices). */
export function routingOf(entry: RoutingEntry, replicas: { readonly max: number }): ResolvedModel["routing"] {
  return { policy: entry.routing ?? (replicas.max > 1 ? "prefix-aware" : "round-robin"), sessionHeader: entry.sessionHeader ?? DEFAULT_SESSION_HEADER };
}

/** `--max-loras` × `--max-lora-rank` the server reserves, or null without adapters. */
export function loraSlotsOf(entry: RoutingEntry): LoraSlots | null {
  if (!entry.adapters.length) return null;
  return { maxLoras: entry.maxLoras ?? Math.min(entry.adapters.length, DEFAULT_MAX_LORAS_CAP), maxRank: maxLoraRankFor(Math.max(...entry.adapters.map((a) => a.rank))) };
}

/** How a model at zero replicas comes back: on the first request, only in its warm windows, or never at zero. */
export type FromZero = "on-request" | "warm-windows" | "never";

export function fromZeroOf(m: Pick<ResolvedModel, "replicas" | "autoscaling">): FromZero {
  if (m.replicas.min > 0) return "never";
  return m.autoscaling.wakeOnRequest ? "on-request" : "warm-windows";
}

/** The router runs for prefix-aware and session routing; round-robin needs none. */
export function usesRouter(m: Pick<ResolvedModel, "routing">): boolean {
  return m.routing.policy !== "round-robin";
}

export function checkRouting(models: readonly ResolvedModel[], indexOf: (name: string) => number, entries: readonly RoutingEntry[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  // Every name a client may send as `model` must mean one thing across the stack's endpoints.
  const served = new Map<string, string>(models.map((m) => [m.name, `omk:models[${indexOf(m.name)}].name`]));
  for (const m of models) {
    const i = indexOf(m.name);
    const at = (key: string) => `omk:models[${i}].${key}`;
    const entry = entries[i]!;
    if (entry.sessionHeader && m.routing.policy !== "session") {
      problems.push({ path: at("sessionHeader"), value: entry.sessionHeader, message: `applies to routing: session only (this model routes ${m.routing.policy}).`, fix: "remove sessionHeader, or set routing: session." });
    }
    if (m.routing.policy === "session" && /^(authorization|proxy-authorization|cookie)$/i.test(m.routing.sessionHeader)) {
      problems.push({ path: at("sessionHeader"), value: m.routing.sessionHeader, message: "carries credentials, not a session: every client of the model sends the same API key, so all traffic would pin to one replica.", fix: "name a header that identifies the conversation or user, e.g. x-session-id." });
    }
    if (entry.maxLoras !== undefined && !m.adapters.length) {
      problems.push({ path: at("maxLoras"), value: entry.maxLoras, message: "reserves LoRA slots, but the model lists no adapters.", fix: "add adapters, or remove maxLoras." });
    } else if (entry.maxLoras !== undefined && entry.maxLoras > m.adapters.length) {
      problems.push({ path: at("maxLoras"), value: entry.maxLoras, message: `reserves GPU memory for ${entry.maxLoras} adapters in one batch, but only ${m.adapters.length} are listed.`, fix: `set maxLoras to at most ${m.adapters.length}, or remove it.` });
    }
    if (m.adapters.length && m.device === "cpu") {
      problems.push({ path: at("adapters"), value: m.adapters.map((a) => a.name), message: "LoRA adapters are sized for GPU serving only; the CPU path (a laptop's kind cluster) does not reserve their memory.", fix: "remove adapters here, or serve the model in a stack with GPU capacity." });
    }
    m.adapters.forEach((a, j) => {
      const key = at(`adapters[${j}].name`);
      const clash = served.get(a.name);
      if (clash) problems.push({ path: key, value: a.name, message: `is already a model name clients send (${clash}).`, fix: "give each adapter a name no model or other adapter uses." });
      else served.set(a.name, key);
    });
  }
  return problems;
}
