/**
 * A model's API keys: the current one, and during a rotation the one it replaces (accepted by the API guard until
 * retired). The kit's generated keys are one RandomPassword per version, so keeping the previous version keeps its
 * exact value: raising omk:apiKeyVersion creates the next resource, and the previous one is deleted only once
 * omk:apiKeyKeepPrevious is removed (random provider docs: a changed keeper replaces the value, hence one resource per
 * version rather than one resource with a changing keeper).
 */
import * as pulumi from "@pulumi/pulumi";
import { RandomPassword } from "@pulumi/random/randomPassword";

export interface KeyRotation {
  /** omk:apiKeyVersion. @default 1 */
  readonly version?: number;
  /** omk:apiKeyKeepPrevious: the previous generated key is still accepted. @default false */
  readonly keepPrevious?: boolean;
  /** omk:apiKey: one key for every model, instead of generated ones. */
  readonly shared?: pulumi.Output<string>;
  /** omk:apiKeyPrevious: the user's key that omk:apiKey replaces, still accepted. */
  readonly sharedPrevious?: pulumi.Output<string>;
}

export interface ModelKeys {
  /** What clients should use now (exported as a secret output; the router's discovery uses it). */
  readonly current: pulumi.Output<string>;
  /** Every key the guard accepts, current first. */
  readonly accepted: readonly pulumi.Output<string>[];
  /** The config settings the accepted keys come from, in the same order (errors name these, never a value). */
  readonly sources: readonly string[];
}

/** The resource name of a generated key: version 1 keeps the name it always had, so existing keys survive upgrades. */
export function keyResourceName(name: string, version: number): string {
  return version === 1 ? `${name}-api-key` : `${name}-api-key-v${version}`;
}

export function modelKeys(scope: pulumi.Resource, name: string, rotation: KeyRotation): ModelKeys {
  const version = rotation.version ?? 1;
  if (rotation.shared) {
    const previous = rotation.sharedPrevious ? [rotation.sharedPrevious] : [];
    return {
      current: rotation.shared, accepted: [rotation.shared, ...previous],
      sources: ["omk:apiKey", ...previous.map(() => "omk:apiKeyPrevious")],
    };
  }
  // keepers: the version the key belongs to (unchanged for the life of the resource). Before one resource per
  // version, a stack had one key resource, `<name>-api-key`, whatever its version: the key clients hold now is
  // adopted (an alias) by the version that holds it after this run — the previous one when it is kept (the
  // documented rotation raises the version by one), else the current one (keepers unchanged: the same value).
  const previous = rotation.keepPrevious && version > 1 ? version - 1 : null;
  const legacyHolder = previous ?? version;
  const generated = (v: number) => new RandomPassword(keyResourceName(name, v), { length: 48, special: false, keepers: { version: String(v) } }, {
    parent: scope, ...(v === legacyHolder && v > 1 ? { aliases: [{ name: keyResourceName(name, 1) }] } : {}),
  }).result;
  const current = generated(version);
  const kept = previous === null ? [] : [generated(previous)];
  return {
    current, accepted: [current, ...kept],
    sources: [`the generated key of omk:apiKeyVersion ${version}`, ...kept.map(() => `the generated key of omk:apiKeyVersion ${previous}`)],
  };
}
