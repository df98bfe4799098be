/**
 * Credentials in stack config: they must be Pulumi secrets, and their values never appear in an error.
 */
import { credentialIn, isCredentialName, redactCredentials } from "../credentials";
import type { ConfigProblem } from "./errors";
import type { RawStackConfig } from "./validate";

/**
 * Whether a key path names a credential: one of its keys has a credential word (hfToken, apiKey, …Credential…),
 * word by word so that `inputTokens` or `maxNumBatchedTokens` are not taken for one.
 */
function secretPath(keyPath: string): boolean {
  return keyPath.split(/[.:[\]]+/).filter(Boolean).some((key) => isCredentialName(key.replace(/([a-z0-9])([A-Z])/g, "$1-$2")));
}

/**
 * Replaces the value of every problem about a secret key (declared secret, `secure:` ciphertext, or named
 * like a credential) so a config error never prints one.
 */
export function redact(problems: readonly ConfigProblem[], raw: RawStackConfig, secretKeys: ReadonlySet<string>): ConfigProblem[] {
  return problems.map((p) => {
    const top = /^[\w-]+:[\w-]+/.exec(p.path)?.[0] ?? p.path;
    const rawValue = raw[top];
    const ciphertext = rawValue !== null && typeof rawValue === "object" && "secure" in rawValue;
    // By key (declared secret, ciphertext, a credential-like name) and by value (a token under any key, even a typo).
    const credentialValue = p.value !== undefined && credentialIn(JSON.stringify(p.value) ?? "") !== null;
    const secret = secretKeys.has(top) || ciphertext || secretPath(p.path) || credentialValue;
    return secret ? { ...p, value: p.value === undefined ? undefined : "[secret]", fix: scrub(p.fix, p.value) } : { ...p, fix: redactCredentials(p.fix) };
  });
}

/**
 * A fix with no trace of the secret value (as written, lower-cased, or slugged into a name): one built from the
 * value is replaced by advice that needs none of it.
 */
function scrub(fix: string, value: unknown): string {
  const real = typeof value === "string" && value !== "[secret]" && value !== "[redacted]";
  const forms = real ? [value, value.toLowerCase(), value.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^[^a-z]+|-+$/g, "")].filter((f) => f.length >= 8) : [];
  const clean = redactCredentials(fix);
  if (clean !== fix || forms.some((f) => fix.includes(f))) return "write a value that holds no credential; credentials go in as Pulumi secrets (`pulumi config set --secret …`).";
  return fix;
}

/** Keys that must hold Pulumi secrets: a plain value would sit readable in the stack file and in git. */
const MUST_BE_SECRET = ["omk:hfToken", "omk:apiKey", "omk:apiKeyPrevious", "omk:alertSlackWebhookUrl", "omk:alertWebhookUrl"];

export function plaintextSecrets(raw: RawStackConfig, secretKeys: ReadonlySet<string>): ConfigProblem[] {
  return MUST_BE_SECRET.filter((k) => typeof raw[k] === "string" && !secretKeys.has(k)).map((k) => ({
    path: k, value: "[secret]", message: "is stored in plain text.", fix: `remove it from the stack file and run \`pulumi config set --secret ${k} <value>\`.`,
  }));
}
