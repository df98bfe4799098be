/**
 * What a replacement does to the resources that read its id (pure). Offline, every id is a stand-in derived from the
 * resource's name (record.ts: `<name>-id`), so a replaced subnet keeps its stand-in and the cluster placed in it looks
 * unchanged. In the real engine the replacement has a new id, unknown until created: every input that held the old
 * one changes, and where that input cannot change in place (an EKS cluster's subnets) the dependent is replaced too —
 * or, protected, stops `pulumi up`. This marks those inputs changed, to a fixpoint.
 */
import type { RecordedResource } from "./record";

export interface CascadeChange {
  readonly urn: string;
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

function paths(value: unknown, token: string, prefix = "", out: [string, unknown][] = []): [string, unknown][] {
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, token, `${prefix}[${i}]`, out));
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) paths(v, token, prefix ? `${prefix}.${k}` : k, out);
  else if (typeof value === "string" && value.includes(token)) out.push([prefix, value]);
  return out;
}

/**
 * Inputs of `after`'s resources that hold the id of a replaced resource. `replaced(urn, extra)` says whether a
 * resource is replaced given the extra changes found so far (the caller's replacement rules).
 */
export function cascade(after: readonly RecordedResource[], initiallyReplaced: ReadonlySet<string>, replaced: (r: RecordedResource, extra: readonly CascadeChange[]) => boolean): CascadeChange[] {
  const out: CascadeChange[] = [];
  const done = new Set(initiallyReplaced);
  let frontier = after.filter((r) => initiallyReplaced.has(r.urn) && r.custom);
  while (frontier.length) {
    const next: RecordedResource[] = [];
    for (const source of frontier) {
      const token = `${source.name}-id`;
      for (const r of after) {
        if (r === source || !r.custom) continue;
        const hits = paths(r.inputs, token).map(([path, before]) => ({ urn: r.urn, path, before, after: `(id of the new ${source.type.split(":").pop()} ${source.name})` }));
        if (!hits.length) continue;
        out.push(...hits);
        if (!done.has(r.urn) && replaced(r, out.filter((c) => c.urn === r.urn))) {
          done.add(r.urn);
          next.push(r);
        }
      }
    }
    frontier = next;
  }
  return out;
}
