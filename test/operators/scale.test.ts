import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, of } from 'rxjs';
import { batchFromArrays } from '../../src/events/index.js';
import { scale } from '../../src/operators/index.js';

test('scale maps each axis by floor(v * to / from), keeps every event, and refuses another geometry', async () => {
  const from = { width: 320, height: 240 };
  const to = { width: 128, height: 128 };
  const b = batchFromArrays({ x: [0, 5, 160, 319, 2], y: [0, 239, 120, 239, 1], t: [1, 2, 3, 4, 5], p: [1, 0, 1, 1, 0] }, from);
  const out = await firstValueFrom(of(b).pipe(scale(from, to)));
  // By hand: 5*128/320 = 2, 160*128/320 = 64, 319*128/320 = 127.6; 239*128/240 = 127.47, 120*128/240 = 64.
  assert.deepEqual(Array.from(out.x), [0, 2, 64, 127, 0]);
  assert.deepEqual(Array.from(out.y), [0, 127, 64, 127, 0]);
  assert.deepEqual(Array.from(out.t), [1, 2, 3, 4, 5]);
  assert.deepEqual(Array.from(out.p), [1, 0, 1, 1, 0]);
  assert.deepEqual(out.sensor, to);
  const other = batchFromArrays({ x: [1], y: [1], t: [1], p: [1] }, { width: 64, height: 48 });
  await assert.rejects(firstValueFrom(of(other).pipe(scale(from, to))), /scale: batch sensor is 64x48, expected 320x240/);
});
