/** `omk models [--json]`: the model catalog. */
import { MODELS } from "../../components/catalog/models";
import { markdownTable, table } from "../format";

export interface ModelRow {
  readonly id: string;
  readonly family: string;
  readonly totalParamsB: number;
  readonly activeParamsB: number;
  readonly kind: "dense" | "moe";
  readonly nativeContext: number;
  readonly nativePrecision: string;
  readonly precisions: readonly string[];
  readonly license: string;
  readonly reasoningParser: string | null;
  readonly toolCallParser: string | null;
  readonly weights: readonly { precision: string; repo: string; official: boolean }[];
}

export function modelRows(): ModelRow[] {
  return MODELS.map((m) => ({
    id: m.id, family: m.family, totalParamsB: m.totalParamsB, activeParamsB: m.activeParamsB, kind: m.kind,
    nativeContext: m.nativeContext, nativePrecision: m.nativePrecision, precisions: m.weights.map((w) => w.precision),
    license: m.license, reasoningParser: m.reasoningParser, toolCallParser: m.toolCallParser,
    weights: m.weights.map((w) => ({ precision: w.precision, repo: w.repo, official: w.official })),
  }));
}

export function modelsCommand(opts: { json?: boolean; markdown?: boolean }, out: (s: string) => void): number {
  const rows = modelRows();
  if (opts.json) {
    out(JSON.stringify(rows, null, 2));
    return 0;
  }
  const header = ["MODEL", "PARAMS", "CONTEXT", "PRECISIONS (native first)", "LICENSE"];
  const cells = rows.map((r) => [
      r.id,
      r.kind === "moe" ? `${r.totalParamsB}B (${r.activeParamsB}B active)` : `${r.totalParamsB}B`,
      r.nativeContext.toLocaleString("en-US"),
      [r.nativePrecision, ...r.precisions.filter((p) => p !== r.nativePrecision)].join(", "),
      r.license,
    ]);
  if (opts.markdown) {
    out(markdownTable(header, cells));
    return 0;
  }
  out(table([header, ...cells], ""));
  out(`\n${rows.length} models. Size one with: npx omk size --model <id>`);
  return 0;
}
