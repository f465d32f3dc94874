/**
 * Cheap predictors of a candidate's fully trained accuracy, and how to judge them.
 *
 * - `hammingKernelScore`: training-free, after SNASNet (Kim et al., ECCV 2022). An untrained
 *   network is fed one mini-batch; at every spiking layer and time step each sample's spikes form
 *   a binary code. Networks whose codes tell the samples apart (large Hamming distances) tend to
 *   train well. Per layer and step, K[i][j] += n - H(i, j) / (2 E[H(i, j)]), where n is the
 *   layer's neuron count and E[H] = n (r_i (1 - r_j) + (1 - r_i) r_j) the distance two codes of
 *   firing rates r_i, r_j would have by chance: the sparsity-aware normalisation that keeps a
 *   sparse layer from looking like a discriminating one. Score = log |det K| (K averaged over
 *   layers and steps). A few forward passes per candidate.
 * - Reduced fidelity (fewer time steps, a subset of the data, few epochs) is a short training;
 *   see rank-study.ts.
 * - `kendallTau`: rank agreement of a predictor with the final accuracies (tau-b, ties allowed).
 * - `perfectRankerTau`: the tau even a perfect predictor would reach against accuracies measured
 *   on a finite test split, so a low tau can be told apart from a noisy truth.
 */
import * as tf from '@tensorflow/tfjs-core';
import { buildModel } from '../snn/model.js';
import type { ModelSpec } from '../snn/spec.js';
import { Random } from '../util/random.js';
import { mean, sampleSd } from '../util/stats.js';

/** Added to E[H] so that two silent (or two saturated) codes do not divide by zero. */
const EXPECTED_EPS = 1e-3;

/** Accumulates the sparsity-aware Hamming kernel of binary codes, one [B, n] matrix at a time. */
export class HammingKernel {
  readonly k: Float64Array;
  private count = 0;

  constructor(readonly batch: number) {
    this.k = new Float64Array(batch * batch);
  }

  /** Adds the codes [B, n] (non-zero = spike) of one layer at one time step. */
  add(codes: ArrayLike<number>, n: number): void {
    const B = this.batch;
    if (codes.length !== B * n) throw new RangeError(`codes hold ${codes.length} values, expected ${B} x ${n}`);
    const bits = new Uint8Array(codes.length);
    const rate = new Float64Array(B);
    for (let b = 0; b < B; b++) {
      let on = 0;
      for (let j = 0; j < n; j++) {
        const v = codes[b * n + j]! !== 0 ? 1 : 0;
        bits[b * n + j] = v;
        on += v;
      }
      rate[b] = on / n;
    }
    for (let i = 0; i < B; i++) {
      for (let j = i; j < B; j++) {
        let h = 0;
        for (let x = 0; x < n; x++) h += bits[i * n + x]! ^ bits[j * n + x]!;
        const expected = n * (rate[i]! * (1 - rate[j]!) + (1 - rate[i]!) * rate[j]!);
        const v = n - h / (2 * (expected + EXPECTED_EPS));
        this.k[i * B + j] = this.k[i * B + j]! + v;
        if (j !== i) this.k[j * B + i] = this.k[j * B + i]! + v;
      }
    }
    this.count++;
  }

  /** log |det K| of the kernel averaged over everything added. */
  score(): number {
    if (this.count === 0) throw new Error('no spike codes were added');
    return logAbsDet(this.k.map((v) => v / this.count), this.batch);
  }
}

/** log |det A| of the n x n row-major matrix A (LU with partial pivoting); -Infinity when singular. */
export function logAbsDet(a: ArrayLike<number>, n: number): number {
  const m = Float64Array.from(a);
  let sum = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]!) > Math.abs(m[p * n + c]!)) p = r;
    const pivot = m[p * n + c]!;
    if (pivot === 0) return -Infinity;
    if (p !== c) {
      for (let k = 0; k < n; k++) {
        const t = m[c * n + k]!;
        m[c * n + k] = m[p * n + k]!;
        m[p * n + k] = t;
      }
    }
    sum += Math.log(Math.abs(pivot));
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c]! / pivot;
      if (f === 0) continue;
      for (let k = c; k < n; k++) m[r * n + k] = m[r * n + k]! - f * m[c * n + k]!;
    }
  }
  return sum;
}

/** Kendall's tau-b between two paired lists (1: same order, -1: reversed; ties counted as neither). */
export function kendallTau(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`kendallTau: ${a.length} values against ${b.length}`);
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const da = Math.sign(a[i]! - a[j]!);
      const db = Math.sign(b[i]! - b[j]!);
      if (da === 0 && db === 0) continue;
      if (da === 0) tiesA++;
      else if (db === 0) tiesB++;
      else if (da === db) concordant++;
      else discordant++;
    }
  }
  const pairsA = concordant + discordant + tiesB;
  const pairsB = concordant + discordant + tiesA;
  return pairsA === 0 || pairsB === 0 ? NaN : (concordant - discordant) / Math.sqrt(pairsA * pairsB);
}

export interface TruthCeiling {
  /** Standard deviation of the measured accuracies across configurations. */
  spread: number;
  /** Standard deviation of one configuration's measured accuracy (measurementNoise). */
  noise: number;
  /** Spread left for the configurations' true accuracies: sqrt(max(0, spread² − noise²)). */
  trueSpread: number;
  /** Kendall tau of the true accuracies against their noisy measurements: mean, 10th and 90th percentile. */
  tau: number;
  tau10: number;
  tau90: number;
}

/** What makes one configuration's measured accuracy noisy. */
export interface MeasurementNoise {
  /** Samples in the test split. */
  testSamples: number;
  /** Trainings (seeds) averaged per configuration (default 1). */
  seeds?: number;
  /** Standard deviation between seeds of one configuration, when measured (pooled over configurations). */
  seedSd?: number;
}

/**
 * Standard deviation of a configuration's accuracy as measured: the binomial noise of its test
 * split, or, when seeds were repeated, the spread between them (which holds the test split's noise
 * and the training's), whichever is larger, shrunk by the number of seeds averaged.
 */
export function measurementNoise(meanAccuracy: number, n: MeasurementNoise): number {
  if (!(n.testSamples >= 1)) throw new RangeError(`testSamples must be >= 1, got ${n.testSamples}`);
  const seeds = n.seeds ?? 1;
  if (!Number.isInteger(seeds) || seeds < 1) throw new RangeError(`seeds must be an integer >= 1, got ${seeds}`);
  const binomial = Math.sqrt((meanAccuracy * (1 - meanAccuracy)) / n.testSamples);
  return Math.max(binomial, n.seedSd ?? 0) / Math.sqrt(seeds);
}

/**
 * How high a tau the truth allows. Each measured accuracy carries noise (measurementNoise); true
 * accuracies are modelled as normal with the spread that is left once that noise is taken out,
 * and a perfect ranker (the true values) is scored against noisy measurements of them, `draws`
 * times (seeded). When the configurations differ by less than the measurement can resolve, this
 * ceiling is near 0 and no ranker can be judged on that truth.
 */
export function perfectRankerTau(accuracies: readonly number[], measured: MeasurementNoise, draws = 2000, seed = 1): TruthCeiling {
  const n = accuracies.length;
  if (n < 3) throw new RangeError(`perfectRankerTau: ${n} accuracies are too few (at least 3)`);
  const spread = sampleSd(accuracies);
  const noise = measurementNoise(mean(accuracies), measured);
  const trueSpread = Math.sqrt(Math.max(0, spread * spread - noise * noise));
  // No spread left: there is no true order for any ranker to recover.
  if (trueSpread === 0) return { spread, noise, trueSpread, tau: 0, tau10: 0, tau90: 0 };
  const rnd = new Random(seed);
  const truth = new Float64Array(n);
  const noisy = new Float64Array(n);
  const taus: number[] = [];
  for (let d = 0; d < draws; d++) {
    for (let i = 0; i < n; i++) {
      truth[i] = trueSpread * rnd.normal();
      noisy[i] = truth[i]! + noise * rnd.normal();
    }
    taus.push(kendallTau(truth, noisy));
  }
  taus.sort((a, b) => a - b);
  const at = (q: number): number => taus[Math.min(draws - 1, Math.floor(q * draws))]!;
  return { spread, noise, trueSpread, tau: mean(taus), tau10: at(0.1), tau90: at(0.9) };
}

/**
 * The SNASNet score of `spec` at initialisation (weights from `seed`) on the batch `x`
 * [T, B, H, W, C]: BatchNorm calibrated on the batch (as at the start of training), then T
 * streaming steps whose spikes feed the kernel.
 */
export function hammingKernelScore(spec: ModelSpec, x: Float32Array, steps: number, batch: number, seed: number): number {
  const model = buildModel(spec, seed);
  const { height: H, width: W, channels: C } = spec.input;
  const frame = H * W * C;
  if (x.length !== steps * batch * frame) throw new RangeError(`batch holds ${x.length} values, expected ${steps} x ${batch} x ${H} x ${W} x ${C}`);
  const kernel = new HammingKernel(batch);
  try {
    const xs = tf.tensor(x, [steps, batch, H, W, C]);
    model.calibrateBatchNorm(xs);
    xs.dispose();
    const state = model.newState();
    for (let t = 0; t < steps; t++) {
      const f = tf.tensor4d(x.subarray(t * batch * frame, (t + 1) * batch * frame), [batch, H, W, C]);
      const { out } = model.step(f, state, (_, s) => kernel.add(s.dataSync(), s.size / batch));
      out.dispose();
      f.dispose();
    }
    for (const v of state.v) v?.dispose();
  } finally {
    model.dispose();
  }
  return kernel.score();
}
