/** Summary statistics and the softmax shared by evaluation and streaming inference. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mean, sampleSd, softmaxInto } from '../../src/util/stats.js';

test('mean and sample standard deviation (n - 1), NaN where undefined', () => {
  assert.equal(mean([1, 2, 6]), 3);
  assert.ok(Math.abs(sampleSd([1, 2, 6]) - Math.sqrt(7)) < 1e-12);
  assert.ok(Number.isNaN(mean([])));
  assert.ok(Number.isNaN(sampleSd([4])));
});

test('softmaxInto: a slice of logits to probabilities at an offset, stable for large logits, in place', () => {
  const out = new Float64Array(5);
  softmaxInto([9, 0, Math.log(3), 9], 1, 2, out, 3);
  assert.deepEqual([...out.subarray(0, 3)], [0, 0, 0]);
  assert.ok(Math.abs(out[3]! - 0.25) < 1e-12 && Math.abs(out[4]! - 0.75) < 1e-12);
  // exp(1000) overflows a double; shifted by the max it does not.
  const big = Float32Array.from([1000, 1000 + Math.log(4)]);
  softmaxInto(big, 0, 2, big);
  assert.ok(Math.abs(big[0]! - 0.2) < 1e-6 && Math.abs(big[1]! - 0.8) < 1e-6);
});
