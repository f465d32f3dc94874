import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchFromArrays } from '../../src/events/index.js';
import { cropRegion, Downsampler, IndexScratch, orient, selectPolarity } from '../../src/operators/functional/index.js';
import { rows } from '../support/events.js';

const sensor = { width: 4, height: 3 };
const b = batchFromArrays({ x: [0, 3, 1, 2], y: [0, 2, 1, 0], t: [1, 2, 3, 4], p: [1, 0, 1, 0] }, sensor);

test('selectPolarity keeps one polarity and returns the input untouched when nothing is removed', () => {
  const s = new IndexScratch();
  assert.deepEqual(rows(selectPolarity(b, 1, s)), [[0, 0, 1, 1], [1, 1, 3, 1]]);
  assert.deepEqual(rows(selectPolarity(b, 0, s)), [[3, 2, 2, 0], [2, 0, 4, 0]]);
  const on = batchFromArrays({ x: [1], y: [1], t: [1], p: [1] }, sensor);
  assert.equal(selectPolarity(on, 1, s), on);
});

test('cropRegion keeps events inside, shifts them to the origin and sets the sensor', () => {
  const c = cropRegion(b, { x: 1, y: 0, width: 2, height: 2 }, new IndexScratch());
  assert.deepEqual(rows(c), [[0, 1, 3, 1], [1, 0, 4, 0]]);
  assert.deepEqual(c.sensor, { width: 2, height: 2 });
  assert.throws(() => cropRegion(b, { x: 0, y: 0, width: 0, height: 1 }, new IndexScratch()), /must not be empty/);
  assert.throws(() => cropRegion(b, { x: -1, y: 0, width: 1, height: 1 }, new IndexScratch()), /region\.x/);
});

test('orientations map pixels as documented and swap the geometry on 90° turns', () => {
  const one = batchFromArrays({ x: [1], y: [0], t: [5], p: [1] }, sensor); // W=4, H=3
  const at = (op: Parameters<typeof orient>[1]) => {
    const o = orient(one, op);
    return [o.x[0], o.y[0], o.sensor.width, o.sensor.height];
  };
  assert.deepEqual(at('flipX'), [2, 0, 4, 3]);
  assert.deepEqual(at('flipY'), [1, 2, 4, 3]);
  assert.deepEqual(at('rotate180'), [2, 2, 4, 3]);
  assert.deepEqual(at('rotate90'), [2, 1, 3, 4]); // clockwise: (H-1-y, x)
  assert.deepEqual(at('rotate270'), [0, 2, 3, 4]); // counter-clockwise: (y, W-1-x)
  assert.deepEqual(at('transpose'), [0, 1, 3, 4]);
  // Four clockwise turns are the identity.
  let r = b;
  for (let i = 0; i < 4; i++) r = orient(r, 'rotate90');
  assert.deepEqual(rows(r), rows(b));
  assert.deepEqual(r.sensor, b.sensor);
});

test('Downsampler floors coordinates and rounds the sensor up (346 / 4 -> 87)', () => {
  const d = new Downsampler(4);
  assert.deepEqual(d.sensorOf({ width: 346, height: 260 }), { width: 87, height: 65 });
  const e = batchFromArrays({ x: [345, 3, 4], y: [259, 0, 7], t: [1, 2, 3], p: [0, 1, 1] }, { width: 346, height: 260 });
  const o = d.apply(e);
  assert.deepEqual(rows(o), [[86, 64, 1, 0], [0, 0, 2, 1], [1, 1, 3, 1]]);
  // Times and polarities are unchanged, so the input's own columns are shared, not copied.
  assert.ok(o.t === e.t && o.p === e.p, 't and p are the input columns');
  assert.deepEqual([...e.x], [345, 3, 4], 'input untouched');
  const d2 = new Downsampler(2, 3);
  assert.deepEqual(d2.sensorOf({ width: 5, height: 5 }), { width: 3, height: 2 });
  assert.throws(() => new Downsampler(0), /factor x/);
  assert.throws(() => new Downsampler(1.5), /factor x/);
});
