/** `omk models [--json|--markdown]`: the model catalog, with gating and what cannot be sized yet. */
import { attentionSummary } from "../../components/catalog/architecture";
import { MODELS } from "../../components/catalog/models";
import { markdownTable, table } from "../format";

export interface ModelRow {
  readonly id: string;
  readonly family: string;
  readonly totalParamsB: number;
  readonly activeParamsB: number;
  readonly kind: "dense" | "moe";
  /** vLLM's default and maximum --max-model-len (from config.json). */
  readonly maxContext: number;
  /** The longest context with the model's documented YaRN (null: none documented). */
  readonly yarnContext: number | null;
  readonly attention: string;
  readonly nativePrecision: string;
  readonly precisions: readonly string[];
  readonly license: string;
  /** Hugging Face requires accepting the license and a token to download it. */
  readonly gated: boolean;
  readonly reasoningParser: string | null;
  readonly toolCallParser: string | null;
  /** Why the kit cannot size it yet; null when it can. */
  readonly cannotSize: string | null;
  readonly weights: readonly { precision: string; repo: string; official: boolean }[];
}

export function modelRows(): ModelRow[] {
  return MODELS.map((m) => ({
    id: m.id, family: m.family, totalParamsB: m.totalParamsB, activeParamsB: m.activeParamsB, kind: m.kind,
    maxContext: m.context.derivedMax, yarnContext: m.context.yarn?.maxContext ?? null, attention: attentionSummary(m),
    nativePrecision: m.nativePrecision, precisions: m.weights.map((w) => w.precision),
    license: m.license, gated: m.gated, reasoningParser: m.reasoningParser, toolCallParser: m.toolCallParser, cannotSize: m.cannotSize,
    weights: m.weights.map((w) => ({ precision: w.precision, repo: w.repo, official: w.official })),
  }));
}

const int = (n: number) => n.toLocaleString("en-US");

export function modelsCommand(opts: { json?: boolean; markdown?: boolean }, out: (s: string) => void): number {
  const rows = modelRows();
  if (opts.json) {
    out(JSON.stringify(rows, null, 2));
    return 0;
  }
  const header = ["MODEL", "PARAMS", "CONTEXT (YaRN)", "PRECISIONS (native first)", "GATED", "LICENSE"];
  const cells = rows.map((r) => [
    r.cannotSize ? `${r.id} (cannot be sized yet)` : r.id,
    r.kind === "moe" ? `${r.totalParamsB}B (${r.activeParamsB}B active)` : `${r.totalParamsB}B`,
    `${int(r.maxContext)}${r.yarnContext ? ` (${int(r.yarnContext)})` : ""}`,
    [r.nativePrecision, ...r.precisions.filter((p) => p !== r.nativePrecision)].join(", "),
    r.gated ? "yes" : "no",
    r.license,
  ]);
  if (opts.markdown) {
    out(markdownTable(header, cells));
    return 0;
  }
  out(table([header, ...cells], ""));
  const blocked = rows.filter((r) => r.cannotSize);
  for (const r of blocked) out(`\n${r.id} cannot be sized yet: ${r.cannotSize}.`);
  out(`\n${rows.length} models (${rows.filter((r) => r.gated).length} gated: deploying them needs omk:hfToken; sizing does not). Size one with: npx omk size --model <id>`);
  return 0;
}
