/**
 * How a vLLM server pod is probed and stopped (pure): readiness when its API lists the model, liveness and startup on
 * /health, and a termination grace period long enough for the preStop pause, vLLM's drain and its exit. The router
 * reuses the readiness script and the grace period.
 */
import type { ResolvedModel } from "../config/validate";
import type { ColdStart } from "./cold-start";
import { VLLM_LOCAL_PORT } from "./api-guard-spec";
import { VLLM_PORT, drainSeconds } from "./vllm-args";

type Obj = Record<string, unknown>;

/** Seconds the pod keeps serving after it is marked for deletion, while endpoints and load balancers drop it. */
export const PRESTOP_SECONDS = 15;
/** After the drain vLLM still stops its engine processes (~5 s each, vllm-project/vllm#31252). */
const EXIT_MARGIN_SECONDS = 15;

/**
 * The pod's termination grace period: endpoint removal (preStop), vLLM's drain (`--shutdown-timeout`), then its
 * exit — "terminationGracePeriodSeconds >= preStop sleep + --shutdown-timeout" (vLLM Kubernetes guide,
 * vllm-project/vllm#43208), with a margin so the kubelet never SIGKILLs a drain that is finishing.
 */
export function terminationGraceSeconds(m: ResolvedModel): number {
  return PRESTOP_SECONDS + drainSeconds(m) + EXIT_MARGIN_SECONDS;
}

/**
 * A probe script: ready only when the OpenAI API on `port` lists the model given as its argument, asked with the
 * container's VLLM_API_KEY if it has one; no generation, so a busy server is not slowed by its own probe. vLLM uses
 * it on its loopback port (behind the guard it needs no key), the router too (its /v1/models lists what it has
 * discovered).
 */
export function modelListedScript(port: number): string {
  return [
    "import json, os, sys, urllib.request",
    `r = urllib.request.Request("http://127.0.0.1:${port}/v1/models", headers={"Authorization": "Bearer " + os.environ.get("VLLM_API_KEY", "")})`,
    "ids = [m['id'] for m in json.load(urllib.request.urlopen(r, timeout=4))['data']]",
    "sys.exit(0 if sys.argv[1] in ids else 1)",
  ].join("\n");
}

/** vLLM's readiness: ready only when its OpenAI API lists this model. */
export const READINESS_SCRIPT = modelListedScript(VLLM_LOCAL_PORT);

/**
 * `/health` answers only once the engine is up (before, the guard answers 502) and 503s when it dies. Asked through
 * the guard's port: the kubelet probes the pod's IP, and vLLM listens on loopback only.
 */
export function serverProbes(coldStart: ColdStart, modelName: string): Obj {
  const health = { httpGet: { path: "/health", port: VLLM_PORT } };
  const s = coldStart.startupProbe;
  return {
    startupProbe: { ...health, periodSeconds: s.periodSeconds, failureThreshold: s.failureThreshold, timeoutSeconds: 5 },
    readinessProbe: { exec: { command: ["python3", "-c", READINESS_SCRIPT, modelName] }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
    // Lenient: a server busy with long prefills may answer slowly; only a dead engine (3 min) restarts it.
    livenessProbe: { ...health, periodSeconds: 30, failureThreshold: 6, timeoutSeconds: 10 },
  };
}
