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
  return keyPath.split(/[.:[\]]+/).filter(Boolean).some((key) => isCredentialName(words(key)));
}

/** A camelCase config key as words (`apiKeyPrevious` → `api-Key-Previous`), the form isCredentialName reads. */
function words(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1-$2");
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
    // Numbers and booleans (apiKeyVersion, apiKeyKeepPrevious) hold no credential: shown as they are.
    const masked = p.value === undefined || typeof p.value === "number" || typeof p.value === "boolean" ? p.value : "[secret]";
    return secret ? { ...p, value: masked, fix: scrub(p.fix, p.value) } : { ...p, fix: redactCredentials(p.fix) };
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
  const required = MUST_BE_SECRET.filter((k) => typeof raw[k] === "string" && !secretKeys.has(k)).map((k) => ({
    path: k, value: "[secret]", message: "is stored in plain text.", fix: `remove it from the stack file and run \`pulumi config set --secret ${k} <value>\`.`,
  }));
  return [...required, ...plainCredentials(raw, secretKeys)];
}

/** Names that contain a credential word but hold a reference to one (an ARN, an id, a version), not the credential. */
const REFERENCE_SUFFIX = /(arn|id|version|header|file|files|path|dir|class)$/;

/**
 * Any other plain value of the stack file (every namespace: `aws:` too) that holds a credential by its shape (hf_…,
 * sk-…, AKIA…, a URL with a password, …) or sits under a credential's name (`aws:secretKey`): it would be committed
 * to git and copied into manifests and plans. Refused with its key; the value is masked by `redact`.
 */
export function plainCredentials(raw: RawStackConfig, secretKeys: ReadonlySet<string>): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const visit = (value: unknown, path: string, leaf: string) => {
    if (typeof value === "string") {
      const kind = credentialIn(value);
      // Under user data (the AWS provider's default tags) a key is a tag name: judged by the value alone.
      const userData = /^aws:defaultTags\b/.test(path);
      const named = !userData && isCredentialName(words(leaf)) && !REFERENCE_SUFFIX.test(words(leaf).toLowerCase());
      if (kind || (named && value !== "")) out.push({ path, value: "[secret]", message: `holds ${kind ?? "a credential (by its name)"} in plain text: it would sit in the stack file, in git and in every plan and manifest.`, fix: "remove it; a credential goes in as a Pulumi secret (`pulumi config set --secret <key> …`) under the key that needs it." });
    } else if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${path}[${i}]`, leaf));
    else if (value !== null && typeof value === "object" && !("secure" in value)) for (const [k, v] of Object.entries(value)) visit(v, `${path}.${k}`, k);
  };
  for (const [key, value] of Object.entries(raw)) {
    if (secretKeys.has(key) || MUST_BE_SECRET.includes(key)) continue;
    visit(value, key, key.split(":").pop() ?? key);
  }
  return out;
}
