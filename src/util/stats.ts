/**
 * Summary statistics for experiment reports (seeds, configurations, test sets), and the softmax
 * that evaluation and the streaming readout share.
 */

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

/**
 * Softmax of `logits[from .. from + n)` into `out[at .. at + n)` (max-shifted, so large logits do
 * not overflow). `out` may be `logits` itself with `at === from`.
 */
export function softmaxInto(logits: ArrayLike<number>, from: number, n: number, out: Float32Array | Float64Array, at = 0): void {
  let max = -Infinity;
  for (let c = 0; c < n; c++) max = Math.max(max, logits[from + c]!);
  let z = 0;
  for (let c = 0; c < n; c++) z += out[at + c] = Math.exp(logits[from + c]! - max);
  for (let c = 0; c < n; c++) out[at + c]! /= z;
}
