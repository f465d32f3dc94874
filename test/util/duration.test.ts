import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDurationUs } from '../../src/util/duration.js';

test('parseDurationUs reads single and compound durations in µs', () => {
  assert.equal(parseDurationUs('250us'), 250);
  assert.equal(parseDurationUs('250µs'), 250);
  assert.equal(parseDurationUs('50ms'), 50_000);
  assert.equal(parseDurationUs('0.5s'), 500_000);
  assert.equal(parseDurationUs('2m'), 120_000_000);
  assert.equal(parseDurationUs('2min'), 120_000_000);
  assert.equal(parseDurationUs('1h30m'), 5_400_000_000);
  assert.equal(parseDurationUs(' 1m 30s '), 90_000_000);
});

test('a bare number takes the caller\'s unit', () => {
  assert.equal(parseDurationUs('3'), 3_000_000);
  assert.equal(parseDurationUs('3', 'us'), 3);
  assert.equal(parseDurationUs('20000', 'us'), 20_000);
});

test('anything else is rejected with the text quoted', () => {
  for (const bad of ['', 'ms', '2 days', '10s!', '-5s', '1e3s']) {
    assert.throws(() => parseDurationUs(bad), /not a duration/, bad);
  }
});
