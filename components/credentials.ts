/**
 * What a credential looks like, for refusing it wherever it would land in plain text: a container argument
 * or env literal (pod specs, `plan.json`, `ps`), a ConfigMap, an error message. No imports: the config
 * checks, the manifest checks of `omk plan` and the standalone CrossGuard pack (policies/) all use it.
 */

/** Values that are credentials whatever they are called. */
const CREDENTIAL_VALUES: readonly (readonly [RegExp, string])[] = [
  // Not preceded by a letter or digit (an underscore may precede: `my_model_hf_…` still holds a token).
  [/(?<![A-Za-z0-9])hf_[A-Za-z0-9]{20,}/, "a Hugging Face token"],
  [/(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{16,}/, "an OpenAI-style API key"],
  [/(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])/, "an AWS access key id"],
  [/(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{30,}/, "a GitHub token"],
  [/(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{40,}/, "a GitHub token"],
  [/(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]{10,}/, "a Slack token"],
  [/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]{10,}/i, "a Slack webhook URL"],
  [/(?<![A-Za-z0-9])dckr_pat_[A-Za-z0-9_-]{20,}/, "a Docker Hub access token"],
  // One slash too: a path join collapses "https://" to "https:/" and the password must still be masked.
  [/\b[a-z][a-z0-9+.-]*:\/{1,2}[^/\s:@]+:[^/\s@]+@/i, "credentials in a URL"],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a private key"],
];

const CREDENTIAL_WORDS = new Set(["token", "secret", "password", "passwd", "apikey", "credential", "credentials"]);
const CREDENTIAL_PAIRS = new Set(["api-key", "access-key", "private-key", "secret-key", "auth-key"]);

/**
 * Whether a name (flag, env var, config key) holds a credential: one of its words is token, secret, password,
 * … or a pair like api-key. Word-wise, so `--tokenizer-mode` and `--max-num-batched-tokens` are not.
 */
export function isCredentialName(name: string): boolean {
  const words = name.toLowerCase().replace(/^-+/, "").split(/[-_.]+/).filter(Boolean);
  return words.some((w, i) => CREDENTIAL_WORDS.has(w) || CREDENTIAL_PAIRS.has(`${w}-${words[i + 1]}`));
}

/** What kind of credential the text contains, or null. */
export function credentialIn(text: string): string | null {
  return CREDENTIAL_VALUES.find(([re]) => re.test(text))?.[1] ?? null;
}

/** The text with every credential-looking part replaced by "[redacted]". */
export function redactCredentials(text: string): string {
  return CREDENTIAL_VALUES.reduce((t, [re]) => t.replace(new RegExp(re.source, `${re.flags.replace("g", "")}g`), "[redacted]"), text);
}

/**
 * Container arguments that carry a credential: a credential-looking value anywhere, or any value of a flag
 * named like one (`--hf-token x`, `--api_key=x`). Returns the index of each offending argument and why.
 */
export function credentialArgs(args: readonly string[]): { index: number; reason: string }[] {
  const out: { index: number; reason: string }[] = [];
  args.forEach((arg, i) => {
    const found = credentialIn(arg);
    if (found) return void out.push({ index: i, reason: found });
    const [flag, inline] = arg.split("=", 2) as [string, string | undefined];
    if (!flag.startsWith("-") || !isCredentialName(flag)) return;
    const next = args[i + 1];
    if (inline !== undefined && inline !== "") out.push({ index: i, reason: `a value for ${flag}` });
    else if (next !== undefined && !next.startsWith("-")) out.push({ index: i + 1, reason: `a value for ${flag}` });
  });
  return out;
}

/** An argument as it may be shown: a credential-named flag keeps its name, values never. */
export function redactArg(arg: string): string {
  const [flag, inline] = arg.split("=", 2) as [string, string | undefined];
  if (flag.startsWith("-") && isCredentialName(flag) && inline !== undefined) return `${flag}=[redacted]`;
  return redactCredentials(arg);
}
