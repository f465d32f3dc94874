import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { HammingKernel, hammingKernelScore, kendallTau, logAbsDet, measurementNoise, perfectRankerTau } from '../../src/search/rank.js';
import { initBackend } from '../../src/snn/backend.js';
import { gesture } from '../../src/snn/backbones.js';
import { randomSource } from '../../src/util/random.js';

before(async () => {
  await initBackend();
});

test('logAbsDet: hand-computed determinants, with a row swap, and a singular matrix', () => {
  assert.ok(Math.abs(logAbsDet([4, 3, 6, 3], 2) - Math.log(6)) < 1e-12);
  // First pivot is 0: det [[0,2,1],[1,1,1],[2,1,0]] = 3.
  assert.ok(Math.abs(logAbsDet([0, 2, 1, 1, 1, 1, 2, 1, 0], 3) - Math.log(3)) < 1e-12);
  assert.equal(logAbsDet([1, 2, 2, 4], 2), -Infinity);
});

test('kendallTau: hand-counted pairs, tau-b with ties', () => {
  // 5 concordant, 1 discordant pair.
  assert.ok(Math.abs(kendallTau([1, 2, 3, 4], [10, 30, 20, 40]) - 4 / 6) < 1e-12);
  assert.equal(kendallTau([1, 2, 3], [3, 2, 1]), -1);
  // 4 concordant, one tie in each list: 4 / sqrt(5 * 5) (scipy.stats.kendalltau gives 0.8).
  assert.ok(Math.abs(kendallTau([1, 2, 2, 3], [1, 2, 3, 3]) - 0.8) < 1e-12);
  assert.throws(() => kendallTau([1], [1, 2]), /1 values against 2/);
});

test('Hamming kernel: hand-computed entries, sparsity-aware scaling, identical codes are singular', () => {
  const dense = new HammingKernel(2);
  // Rates 0.5 and 0.5, Hamming distance 2, chance distance 4 (0.25 + 0.25) = 2.
  dense.add([1, 1, 0, 0, 1, 0, 1, 0], 4);
  const off = 4 - 2 / (2 * (2 + 1e-3));
  assert.deepEqual(Array.from(dense.k), [4, off, off, 4]);
  assert.ok(Math.abs(dense.score() - Math.log(16 - off * off)) < 1e-12);
  // Same distance between sparser codes (rates 0.25): less likely by chance, so less similar.
  const sparse = new HammingKernel(2);
  sparse.add([1, 0, 0, 0, 0, 1, 0, 0], 4);
  assert.ok(Math.abs(sparse.k[1]! - (4 - 2 / (2 * (1.5 + 1e-3)))) < 1e-12);
  assert.ok(sparse.k[1]! < off);
  const same = new HammingKernel(2);
  same.add([1, 0, 1, 0, 1, 0, 1, 0], 4);
  assert.equal(same.score(), -Infinity);
});

test('SNASNet score of an untrained network: deterministic, finite on varied inputs, -Infinity when every sample looks the same', () => {
  const spec = gesture({ height: 16, width: 16, classes: 4, widthMult: 0.5 });
  const T = 4;
  const B = 6;
  const r = randomSource(3);
  const x = Float32Array.from({ length: T * B * 16 * 16 * 2 }, () => (r() < 0.2 ? 1 : 0));
  const a = hammingKernelScore(spec, x, T, B, 1);
  assert.ok(Number.isFinite(a), `score ${a}`);
  assert.equal(hammingKernelScore(spec, x, T, B, 1), a);
  assert.notEqual(hammingKernelScore(spec, x, T, B, 2), a);
  assert.equal(hammingKernelScore(spec, new Float32Array(x.length), T, B, 1), -Infinity);
});

test('perfectRankerTau: 1 when the test split resolves every difference, near 0 when the spread is all noise', () => {
  const spread = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85];
  const sharp = perfectRankerTau(spread, { testSamples: 1e9 }, 500, 3);
  assert.ok(sharp.tau > 0.99 && sharp.tau10 > 0.99, `tau ${sharp.tau}`);
  assert.ok(Math.abs(sharp.noise) < 1e-4);
  // Measured spread 7.1 points on 48 test samples (binomial noise 6.8 points at 67 %): the
  // configurations' own spread is ~2 points, too little for the truth to order them.
  const accs = [0.729, 0.688, 0.604, 0.646, 0.521, 0.688, 0.75, 0.625, 0.708, 0.771, 0.646, 0.729];
  const noisy = perfectRankerTau(accs, { testSamples: 48 }, 2000, 1);
  assert.ok(Math.abs(noisy.noise - Math.sqrt((0.6753 * 0.3247) / 48)) < 1e-3);
  assert.ok(noisy.trueSpread < 0.03 && noisy.trueSpread > 0.01, `true spread ${noisy.trueSpread}`);
  assert.ok(noisy.tau < 0.35 && noisy.tau > 0.05, `tau ${noisy.tau}`);
  assert.ok(noisy.tau10 < noisy.tau && noisy.tau < noisy.tau90);
  // The same configurations on a 2,000-sample test split could be ranked.
  assert.ok(perfectRankerTau(accs, { testSamples: 2000 }, 2000, 1).tau > 0.6);
  assert.deepEqual(perfectRankerTau([0.5, 0.5, 0.5], { testSamples: 48 }), { spread: 0, noise: Math.sqrt(0.25 / 48), trueSpread: 0, tau: 0, tau10: 0, tau90: 0 });
  assert.throws(() => perfectRankerTau([0.5, 0.6], { testSamples: 48 }), /too few/);
  assert.throws(() => perfectRankerTau(accs, { testSamples: 0 }), /testSamples/);
});

test('measurementNoise: binomial on the test split, or the seeds\' own spread when larger, shrunk by the seeds averaged', () => {
  const near = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
  near(measurementNoise(0.7, { testSamples: 48 }), Math.sqrt((0.7 * 0.3) / 48));
  // 4 seeds whose accuracies differ by 9 points (SD): the mean is known to 4.5 points.
  near(measurementNoise(0.7, { testSamples: 48, seeds: 4, seedSd: 0.09 }), 0.045);
  // Seeds agreeing more closely than the test split can resolve leave its binomial noise.
  near(measurementNoise(0.7, { testSamples: 48, seeds: 4, seedSd: 0.01 }), Math.sqrt((0.7 * 0.3) / 48) / 2);
  assert.throws(() => measurementNoise(0.7, { testSamples: 48, seeds: 0 }), /seeds/);
  // Averaging seeds raises the ceiling: the 12 configurations above with a 2-point true spread.
  const accs = [0.729, 0.688, 0.604, 0.646, 0.521, 0.688, 0.75, 0.625, 0.708, 0.771, 0.646, 0.729];
  assert.ok(perfectRankerTau(accs, { testSamples: 48, seeds: 3, seedSd: 0.068 }).tau > perfectRankerTau(accs, { testSamples: 48 }).tau);
});
