/** Durations on the command line (`--wait 15m`, `--duration 90s`): a number with s, m or h; a bare number is seconds. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  const seconds = unit === "ms" ? n / 1000 : unit === "s" ? n : unit === "h" ? n * 3600 : n * 60;
  return seconds > 0 ? seconds : null;
}
