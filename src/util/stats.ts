/** Summary statistics for experiment reports (seeds, configurations, test sets). */

/** Arithmetic mean; NaN for no values. */
export function mean(v: readonly number[]): number {
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : Number.NaN;
}

/** Sample standard deviation (n - 1); NaN for fewer than two values. */
export function sampleSd(v: readonly number[]): number {
  if (v.length < 2) return Number.NaN;
  const m = mean(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
}
