import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { HammingKernel, hammingKernelScore, kendallTau, logAbsDet } from '../../src/search/rank.js';
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
