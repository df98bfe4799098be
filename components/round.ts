/** Rounds to a number of decimals (money to cents, GiB to hundredths) for outputs people read and diff. */
export function round(x: number, decimals = 2): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}
