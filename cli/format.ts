/** Text formatting shared by the `omk` commands. */
import { layoutName } from "../components/sizing/parallel";
import type { Candidate } from "../components/sizing/placement";

export const int = (n: number) => Math.round(n).toLocaleString("en-US");
export const gib = (n: number) => `${n.toFixed(1)} GiB`;
export const usd = (n: number | null) => (n === null ? "n/a" : `$${n.toFixed(2)}`);

/** A duration for people: seconds below 90 s, else minutes (`space` between number and unit for seconds). */
export function duration(seconds: number, space = ""): string {
  return seconds < 90 ? `${seconds}${space}s` : `${(seconds / 60).toFixed(1)} min`;
}

/** A Markdown table (README catalogs, PR comments). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

/** Left-aligned columns, widths from the longest cell. */
export function table(rows: readonly (readonly string[])[], indent = "  "): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n");
}

type Layout = Pick<Candidate, "nodes" | "tensorParallelSize" | "pipelineParallelSize" | "dataParallelSize" | "expertParallel">;

/** "TP 8", "DP 8 + EP", "TP 8 + PP 2" — or "-" for an option rejected before any layout was tried. */
export function layoutOf(c: Layout): string {
  return c.tensorParallelSize ? layoutName({ tensorParallel: c.tensorParallelSize, pipelineParallel: c.pipelineParallelSize, dataParallel: c.dataParallelSize, expertParallel: c.expertParallel, nodes: c.nodes }) : "-";
}

export function alternativesTable(alternatives: readonly (Layout & Pick<Candidate, "instanceType" | "hourlyUsd" | "fits" | "reason">)[], limit: number): string {
  const shown = alternatives.slice(0, limit).map((a) => [
    a.fits ? "fits" : "no",
    `${a.instanceType} ×${a.nodes}`,
    layoutOf(a),
    `${usd(a.hourlyUsd)}/h`,
    a.reason,
  ]);
  const more = alternatives.length - shown.length;
  return table(shown) + (more > 0 ? `\n  … ${more} more (--json lists all)` : "");
}

/** How sure the catalog is that the region sells the type (offeredIn): only "listed" needs no remark. */
export function availabilityNote(availability: string): string {
  if (availability === "priced-only") return " (priced here, availability not confirmed)";
  if (availability === "assumed") return " (availability assumed)";
  return "";
}
