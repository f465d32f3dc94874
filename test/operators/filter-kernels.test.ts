import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type EventBatch } from '../../src/events/index.js';
import { allocateFilterOutput, cropRegion, gather, HotPixelFilter, IndexScratch, keptPrefix, selectPolarity } from '../../src/operators/functional/index.js';
import { randomEvents, rng, rows } from '../support/events.js';

// The filter kernels are branch-free bit tricks plus a run-copy gather; these compare them with
// the obvious per-event definitions on random data, edges included.

const keepWhere = (b: EventBatch, f: (i: number) => boolean) => rows(b).filter((_, i) => f(i));

test('selectPolarity equals the per-event definition', () => {
  const b = randomEvents(5000, { width: 64, height: 48 }, 41);
  const s = new IndexScratch();
  for (const pol of [0, 1] as const) assert.deepEqual(rows(selectPolarity(b, pol, s)), keepWhere(b, (i) => b.p[i] === pol));
});

test('cropRegion equals the per-event definition, for regions inside, across and beyond the sensor edge', () => {
  const sensor = { width: 64, height: 48 };
  const b = randomEvents(5000, sensor, 42);
  const s = new IndexScratch();
  const regions = [
    { x: 0, y: 0, width: 64, height: 48 },
    { x: 10, y: 5, width: 1, height: 1 },
    { x: 63, y: 47, width: 1, height: 1 },
    { x: 50, y: 40, width: 30, height: 30 },
    { x: 64, y: 0, width: 10, height: 10 },
    { x: 0, y: 0, width: 0xffff, height: 0xffff },
    { x: 0xffff, y: 0xffff, width: 1, height: 1 },
  ];
  for (const roi of regions) {
    const want = keepWhere(b, (i) => b.x[i]! >= roi.x && b.x[i]! < roi.x + roi.width && b.y[i]! >= roi.y && b.y[i]! < roi.y + roi.height)
      .map(([x, y, t, p]) => [x! - roi.x, y! - roi.y, t, p]);
    const got = cropRegion(b, roi, s);
    assert.deepEqual(rows(got), want, JSON.stringify(roi));
    assert.deepEqual(got.sensor, { width: roi.width, height: roi.height });
  }
});

test('gather copies exactly the kept events, dense or by runs (few removed), never aliasing the input', () => {
  const b = randomEvents(4096, { width: 32, height: 32 }, 43);
  const r = rng(44);
  // Drop fractions from "a handful" (run-copy path) to "most" (per-event path), with the first
  // and last events and adjacent pairs among the dropped ones.
  for (const dropP of [0, 0.001, 0.01, 0.03, 0.2, 0.9, 1]) {
    const keep = new Int32Array(b.length);
    let k = 0;
    for (let i = 0; i < b.length; i++) {
      const edge = dropP > 0 && dropP < 1 && (i === 0 || i === b.length - 1 || i === 100 || i === 101);
      if (!(edge || r() < dropP)) keep[k++] = i;
    }
    const kept = new Set(keep.subarray(0, k));
    const out = gather(b, keep, k);
    assert.deepEqual(rows(out), keepWhere(b, (i) => kept.has(i)), `drop ${dropP}`);
    if (k === b.length) assert.equal(out, b);
    else assert.notEqual(out.x.buffer, b.x.buffer);
  }
});

test('hot pixels: a few masked pixels (run-copy path) remove exactly their events', () => {
  const b = randomEvents(20_000, { width: 64, height: 64 }, 45);
  const pixels = [{ x: 0, y: 0 }, { x: 5, y: 9 }, { x: 63, y: 63 }];
  const f = new HotPixelFilter({ pixels });
  assert.deepEqual(rows(f.filter(b)), keepWhere(b, (i) => !pixels.some((px) => px.x === b.x[i] && px.y === b.y[i])));
});

test('keptPrefix: the input when all kept, views when at least a quarter kept, an exact copy below', () => {
  const b = randomEvents(1000, { width: 32, height: 32 }, 46);
  const out = allocateFilterOutput(b.length, b.sensor);
  for (const c of ['x', 'y', 't', 'p'] as const) out[c].set(b[c] as never);
  assert.equal(keptPrefix(b, out, 1000), b);
  for (const count of [999, 250, 249, 0]) {
    const r = keptPrefix(b, out, count);
    assert.equal(r.length, count);
    assert.deepEqual(rows(r), rows(b).slice(0, count));
    assert.notEqual(r.t.buffer, b.t.buffer);
    // Views share the full-size buffer; a sparse result owns an exactly-sized one.
    assert.equal(r.t.buffer === out.t.buffer, count >= 250, `count ${count}`);
    if (count < 250) assert.equal(r.t.buffer.byteLength, 13 * count);
  }
});
