/**
 * Parzen estimators for the TPE sampler: a smoothed categorical histogram and a mixture of
 * truncated Gaussians for floats (bandwidths from neighbour distances, clipped as in Bergstra
 * et al. 2011 and Optuna), both with a prior component so an empty group is the prior.
 */
import type { Random } from '../util/random.js';
import type { CategoricalDistribution, FloatDistribution } from './space.js';

export interface Estimator<T> {
  sample(rng: Random): T;
  logPdf(value: T): number;
}

export function categoricalEstimator(dist: CategoricalDistribution, observed: readonly string[], priorWeight = 1): Estimator<string> {
  const k = dist.choices.length;
  const weights = dist.prior.map((p) => p * priorWeight);
  for (const v of observed) {
    const i = dist.choices.indexOf(v);
    if (i >= 0) weights[i]! += 1;
  }
  const total = weights.reduce((a, b) => a + b, 0);
  const probs = weights.map((w) => w / total);
  return {
    sample(rng) {
      let u = rng.next();
      for (let i = 0; i < k; i++) {
        u -= probs[i]!;
        if (u < 0) return dist.choices[i]!;
      }
      return dist.choices[k - 1]!;
    },
    logPdf(value) {
      const i = dist.choices.indexOf(value);
      return i < 0 ? -Infinity : Math.log(probs[i]!);
    },
  };
}

const SQRT2 = Math.SQRT2;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** erf with |error| < 1.2e-7 (Numerical Recipes erfc Chebyshev fit). */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x / SQRT2));
}

export function floatEstimator(dist: FloatDistribution, observed: readonly number[]): Estimator<number> {
  const tf = dist.log ? Math.log : (v: number) => v;
  const low = tf(dist.low);
  const high = tf(dist.high);
  const range = high - low;
  // Prior component at the centre with the full range as bandwidth, then the observations.
  const mus = [(low + high) / 2, ...observed.map(tf)];
  const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]!);
  const sigmas = new Array<number>(mus.length);
  const minSigma = range / Math.min(100, 1 + mus.length);
  for (let r = 0; r < order.length; r++) {
    const i = order[r]!;
    if (i === 0) {
      sigmas[i] = range;
      continue;
    }
    const left = r > 0 ? mus[i]! - mus[order[r - 1]!]! : mus[i]! - low;
    const right = r < order.length - 1 ? mus[order[r + 1]!]! - mus[i]! : high - mus[i]!;
    sigmas[i] = Math.min(range, Math.max(minSigma, left, right));
  }
  const n = mus.length;
  const mass = mus.map((mu, i) => normalCdf((high - mu) / sigmas[i]!) - normalCdf((low - mu) / sigmas[i]!));
  const inverse = dist.log ? Math.exp : (v: number) => v;
  return {
    sample(rng) {
      const i = rng.int(n);
      const mu = mus[i]!;
      const sigma = sigmas[i]!;
      for (let attempt = 0; attempt < 64; attempt++) {
        const x = mu + sigma * rng.normal();
        if (x >= low && x <= high) return clamp(inverse(x), dist.low, dist.high);
      }
      return clamp(inverse(Math.min(high, Math.max(low, mu))), dist.low, dist.high);
    },
    logPdf(value) {
      const x = tf(value);
      if (!(x >= low && x <= high)) return -Infinity;
      // log-sum-exp over components (log-density in the transformed space, which is what
      // the l/g ratio needs: the Jacobian of the transform cancels).
      const terms = mus.map((mu, i) => {
        const s = sigmas[i]!;
        const z = (x - mu) / s;
        return -0.5 * z * z - LOG_SQRT_2PI - Math.log(s) - Math.log(Math.max(mass[i]!, 1e-300)) - Math.log(n);
      });
      const m = Math.max(...terms);
      return m + Math.log(terms.reduce((acc, t) => acc + Math.exp(t - m), 0));
    },
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
