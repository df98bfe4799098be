/**
 * API-key settings (pure): the rotation keys only where they mean something, and keys the API guard can carry.
 */
import { bearerKeyProblem } from "../serving/api-guard-spec";
import type { ConfigProblem } from "./errors";
import { NAMESPACE } from "./schema";
/** The two ways to keep an old API key working during a rotation, each only where it means something. */
export function checkKeyRotation(d: { apiKey?: unknown; apiKeyVersion: number; apiKeyKeepPrevious: boolean; apiKeyPrevious?: unknown }): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (d.apiKeyKeepPrevious && d.apiKey !== undefined) {
    out.push({ path: `${NAMESPACE}:apiKeyKeepPrevious`, value: true, message: "keeps a key the kit generated, but this stack sets its own omk:apiKey.", fix: "set the key you are replacing as omk:apiKeyPrevious (`pulumi config set --secret omk:apiKeyPrevious …`) instead." });
  } else if (d.apiKeyKeepPrevious && d.apiKeyVersion === 1) {
    out.push({ path: `${NAMESPACE}:apiKeyKeepPrevious`, value: true, message: "has no previous key to keep: omk:apiKeyVersion is 1.", fix: "raise omk:apiKeyVersion to rotate, or remove apiKeyKeepPrevious." });
  }
  // In a real run the keys arrive decrypted: the API guard takes only bearer-token characters (api-guard-spec.ts).
  for (const [key, value] of [["apiKey", d.apiKey], ["apiKeyPrevious", d.apiKeyPrevious]] as const) {
    const problem = typeof value === "string" ? bearerKeyProblem(value) : null;
    if (problem) out.push({ path: `${NAMESPACE}:${key}`, value: "[secret]", message: problem, fix: `set another key, e.g. \`pulumi config set --secret ${NAMESPACE}:${key} "$(openssl rand -hex 32)"\`.` });
  }
  if (d.apiKeyPrevious !== undefined && d.apiKey === undefined) {
    out.push({ path: `${NAMESPACE}:apiKeyPrevious`, value: "[secret]", message: "is the key your own omk:apiKey replaces, but no omk:apiKey is set (the kit generates the keys).", fix: "set omk:apiKey too, or use omk:apiKeyVersion with apiKeyKeepPrevious: true to rotate the kit's keys." });
  }
  return out;
}
