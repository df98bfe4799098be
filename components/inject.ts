/**
 * Puts an Output into exactly the string fields of a manifest that need it (pure apart from the Output).
 * Wrapping a whole spec in `apply` would make all of it unknown at preview — and CrossGuard then cannot
 * check GPU limits, images or secrets in it — when only one string (a bucket name, an ARN) is unknown.
 */
import * as pulumi from "@pulumi/pulumi";

export function injectOutput<T>(value: T, placeholder: string, replacement: pulumi.Input<string>): pulumi.Input<T> {
  if (typeof value === "string") {
    return (value.includes(placeholder) ? pulumi.output(replacement).apply((r) => value.split(placeholder).join(r)) : value) as pulumi.Input<T>;
  }
  if (Array.isArray(value)) return value.map((v) => injectOutput(v, placeholder, replacement)) as unknown as pulumi.Input<T>;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, injectOutput(v, placeholder, replacement)])) as pulumi.Input<T>;
  }
  return value;
}
