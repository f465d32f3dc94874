import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  batchFromArrays,
  concatBatches,
  sliceByTime,
  sliceBatch,
  firstTimeInversion,
  EventSummary,
  CHECKSUM_MODULUS,
} from '../../src/events/index.js';

const sensor = { width: 128, height: 128 };

test('sliceByTime returns the events with start <= t < end as a view', () => {
  const b = batchFromArrays({ x: [1, 2, 3, 4], y: [0, 0, 0, 0], t: [10, 20, 20, 30], p: [1, 0, 1, 0] }, sensor);
  const s = sliceByTime(b, 20, 30);
  assert.deepEqual(Array.from(s.x), [2, 3]);
  assert.equal(s.x.buffer, b.x.buffer);
  assert.equal(sliceByTime(b, 31, 40).length, 0);
});

test('concat of slices restores the batch', () => {
  const b = batchFromArrays({ x: [1, 2, 3], y: [4, 5, 6], t: [1, 2, 3], p: [0, 1, 1] }, sensor);
  const c = concatBatches([sliceBatch(b, 0, 1), sliceBatch(b, 1)]);
  assert.deepEqual(Array.from(c.t), [1, 2, 3]);
  assert.deepEqual(Array.from(c.y), [4, 5, 6]);
});

test('firstTimeInversion finds time going backwards', () => {
  assert.equal(firstTimeInversion(batchFromArrays({ x: [0, 0, 0], y: [0, 0, 0], t: [1, 5, 4], p: [0, 0, 0] }, sensor)), 2);
  assert.equal(firstTimeInversion(batchFromArrays({ x: [0, 0], y: [0, 0], t: [1, 1], p: [0, 0] }, sensor)), -1);
});

test('checksum matches a BigInt reference on large absolute timestamps, across chunks and batches', () => {
  const n = 300_000;
  const x = new Uint16Array(n), y = new Uint16Array(n), t = new Float64Array(n), p = new Uint8Array(n);
  let ref = 0n;
  let seed = 7;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    x[i] = seed % 320; y[i] = (seed >>> 9) % 240; p[i] = seed & 1;
    t[i] = 1605537493718345 + i * 3;
    ref += BigInt(x[i]! * 7919 + y[i]! * 104729 + p[i]! * 15485863) + BigInt(t[i]!);
  }
  const whole = batchFromArrays({ x, y, t, p }, { width: 320, height: 240 });
  const s = new EventSummary().add(sliceBatch(whole, 0, 1234)).add(sliceBatch(whole, 1234));
  assert.equal(s.checksum, ref % CHECKSUM_MODULUS);
  assert.equal(s.events, n);
  assert.equal(s.tFirst, t[0]);
  assert.equal(s.tLast, t[n - 1]);
});

test('checksum stays exact when one chunk spans a huge time range', () => {
  const b = batchFromArrays({ x: [0, 0, 0], y: [0, 0, 0], t: [0, 2 ** 52, 2 ** 52 + 1], p: [0, 0, 0] }, sensor);
  assert.equal(new EventSummary().add(b).checksum, (2n ** 53n + 1n) % CHECKSUM_MODULUS);
});

test('empty summary reports zero events and checksum 0', () => {
  const s = new EventSummary().toJSON();
  assert.equal(s.events, 0);
  assert.equal(s.checksum, '0');
  assert.equal(s.t_first, null);
});
