/**
 * Config mistakes a new user makes, caught at validation with the key named, the fix given and no secret shown:
 * credentials anywhere in the stack file, rotation keys misspelled, admins repeated or given as a session ARN, API
 * keys nginx could not carry, vLLM flags that would bypass the API guard.
 */
import { describe, expect, it } from "vitest";
import { resolveStack } from "../../components/config/validate";
import { stackConfig } from "../harness/stack";

const model = { id: "Qwen/Qwen3-8B", maxModelLen: 8192 };
function errorOf(extra: Record<string, unknown>, secretKeys: string[] = [], models: unknown[] = [model]): string {
  const r = resolveStack(stackConfig(models, extra), "test", new Set(secretKeys));
  return r.ok ? "" : r.error.message;
}

describe("credentials anywhere in the stack file", () => {
  it("refuses one by shape or by name in any key, aws: included, and never prints it", () => {
    const akia = "AKIAIOSFODNN7EXAMPLE";
    const secretKey = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY";
    const token = "sk-abcdefghijklmnopqrstu";
    const text = errorOf({ "aws:accessKey": akia, "aws:secretKey": secretKey, "omk:traffic": { domain: `${token}.example.com` } });
    expect(text).toMatch(/aws:accessKey: "\[secret\]" — holds an AWS access key id in plain text/);
    expect(text).toMatch(/aws:secretKey: "\[secret\]" — holds a credential \(by its name\)/);
    expect(text).toMatch(/omk:traffic\.domain: "\[secret\]" — holds an OpenAI-style API key/);
    for (const v of [akia, secretKey, token]) expect(text).not.toContain(v);
    // A declared secret is fine, and a name that only refers to a credential (an ARN) is not one.
    expect(errorOf({ "aws:secretKey": secretKey }, ["aws:secretKey"])).toBe("");
    expect(errorOf({ "omk:serving": { imageCache: { dockerHubCredentialArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf" } } })).toBe("");
    // AWS provider settings that name credentials without holding one: files, and tag names (user data).
    expect(errorOf({ "aws:sharedCredentialsFiles": ["/home/ci/.aws/credentials"], "aws:assumeRoleWithWebIdentity": { webIdentityTokenFile: "/var/run/token" }, "aws:defaultTags": { tags: { "data-secret-class": "internal" } } })).toBe("");
  });

  it("shows numbers and booleans of key-named settings, which hold no credential", () => {
    expect(errorOf({ "omk:apiKeyVersion": 0 })).toMatch(/omk:apiKeyVersion: 0 — must be ≥ 1/);
    // A too-short string says what it counts.
    expect(errorOf({ "omk:apiKey": "short" }, ["omk:apiKey"])).toMatch(/omk:apiKey: "\[secret\]" — must be at least 16 characters\. Fix: use a value of at least 16 characters/);
  });
});

describe("API keys and their rotation", () => {
  it("suggests the rotation key a typo meant, not the shorter key it contains", () => {
    expect(errorOf({ "omk:apiKeyPrevous": { secure: "v1:x" } })).toMatch(/did you mean "apiKeyPrevious"\?/);
    expect(errorOf({ "omk:apiKeyVerson": 2 })).toMatch(/did you mean "apiKeyVersion"\?/);
    expect(errorOf({ "omk:apiKeyKeepPrevios": true })).toMatch(/did you mean "apiKeyKeepPrevious"\?/);
  });

  it("refuses a key the API guard could not carry, as a config error that names the key and not the value", () => {
    const bad = 'my secret key; "x" }';
    const text = errorOf({ "omk:apiKey": bad }, ["omk:apiKey"]);
    expect(text).toMatch(/omk:apiKey: "\[secret\]" — is not usable as a bearer token/);
    expect(text).toContain("openssl rand -hex 32");
    expect(text).not.toContain(bad);
    expect(errorOf({ "omk:apiKey": "k".repeat(16), "omk:apiKeyPrevious": "p".repeat(201) }, ["omk:apiKey", "omk:apiKeyPrevious"])).toMatch(/omk:apiKeyPrevious: "\[secret\]" — is longer than 200 characters/);
    expect(errorOf({ "omk:apiKey": "abc-DEF_123.xyz~+/==" }, ["omk:apiKey"])).toBe("");
  });

  it("refuses vLLM flags that would open a way past the guard", () => {
    for (const flag of ["--uds", "--host", "--ssl-keyfile", "--root-path", "--api-key"]) {
      expect(errorOf({}, [], [{ ...model, extraArgs: [flag, "x"] }]), flag).toMatch(new RegExp(`${flag} is set by the kit for its API guard`));
    }
  });
});

describe("omk:cluster.admins", () => {
  it("refuses a principal listed twice (IAM names ignore case) and a role session, naming the role to use", () => {
    const text = errorOf({ "omk:cluster": { admins: ["arn:aws:iam::123456789012:role/ci", "arn:aws:iam::123456789012:role/CI", "arn:aws:sts::123456789012:assumed-role/deploy/gh-1"] } });
    expect(text).toMatch(/admins\[1\]: "arn:aws:iam::123456789012:role\/CI" — repeats admins\[0\]/);
    expect(text).toMatch(/admins\[2\].*is a role session \(assumed-role\), not a role\. Fix: use arn:aws:iam::123456789012:role\/deploy/);
  });
});
