import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzz, fuzzSeeds } from './fuzz-core.js';

test('mutation fuzzing (short run): only FormatError, never another exception', async () => {
  const seeds = await fuzzSeeds();
  const result = fuzz(seeds, 300, 20261127);
  assert.deepEqual(result.failures.slice(0, 5), []);
  assert.equal(result.inputs, seeds.reduce((n, s) => n + Math.ceil(300 / (s.every ?? 1)), 0));
  assert.ok(Object.keys(result.perSeed).length === seeds.length);
  assert.ok(result.formatErrors > 0 && result.decoded > 0);
});
