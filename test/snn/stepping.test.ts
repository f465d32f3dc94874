/**
 * How a training or evaluation window is cut into steps (Preprocessing.stepping): 'fixed' steps
 * of stepUs from the window's start are the steps live inference makes (`timeSteps`), 'stretch'
 * spreads the window's events over all steps (Tonic's n_time_bins, models before the field).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, of, toArray } from 'rxjs';
import { batchFromArrays, type EventBatch } from '../../src/events/index.js';
import { framesFromEvents } from '../../src/operators/functional/binning.js';
import { timeSteps } from '../../src/operators/time-steps.js';
import { framesOfEvents, windowFrames, type LabelledEvents } from '../../src/snn/data.js';
import type { Preprocessing } from '../../src/snn/model-api.js';
import { randomSource } from '../../src/util/random.js';

const sensor = { width: 4, height: 2 };
const pre: Preprocessing = { sensorWidth: 4, sensorHeight: 2, downsample: 1, height: 2, width: 4, stepUs: 10, steps: 4, encoding: 'count', stepping: 'fixed' };
/** Events per step of [T, H, W, 2] frames. */
const perStep = (f: Float32Array, steps: number): number[] => Array.from({ length: steps }, (_, k) => f.subarray((k * f.length) / steps, ((k + 1) * f.length) / steps).reduce((a, b) => a + b, 0));

test('a sample shorter than the window: fixed steps leave the steps around it empty, stretch spreads it over all (hand-computed)', () => {
  // 8 µs of events in a 40 µs window (4 steps of 10 µs), centred: the window starts at
  // 100 + 0.5 (8 - 40) = 84, steps [84, 94) [94, 104) [104, 114) [114, 124).
  const short: LabelledEvents = { events: batchFromArrays({ x: [0, 1, 2], y: [0, 0, 1], t: [100, 103, 108], p: [1, 0, 1] }, sensor), label: 0, source: 'short' };
  assert.deepEqual(perStep(windowFrames(short, pre, 0.5), 4), [0, 2, 1, 0]);
  // At the window's end (at = 1): start 100 + (8 - 40) = 68, so all three fall in the last step.
  assert.deepEqual(perStep(windowFrames(short, pre, 1), 4), [0, 0, 0, 3]);
  // Stretched: 4 bins of floor(8 / 4) = 2 µs from 100, the event at 108 joins the last.
  assert.deepEqual(perStep(windowFrames(short, { ...pre, stepping: 'stretch' }, 0.5), 4), [1, 1, 0, 1]);
  // A model folder without the field was trained stretched.
  const { stepping: _s, ...older } = pre;
  assert.deepEqual(perStep(windowFrames(short, older, 0.5), 4), [1, 1, 0, 1]);
});

function randomEvents(n: number, spanUs: number, w: number, h: number, seed: number): EventBatch {
  const r = randomSource(seed);
  const t = Array.from({ length: n }, () => 5_000 + Math.floor(r() * spanUs)).sort((a, b) => a - b);
  return batchFromArrays({ x: t.map(() => Math.floor(r() * w)), y: t.map(() => Math.floor(r() * h)), t, p: t.map(() => (r() < 0.5 ? 0 : 1)) }, { width: w, height: h });
}

test('fixed steps of a window equal the steps live inference bins from the same start (32x24 sensor, downsample 2, random windows)', async () => {
  const events = randomEvents(20_000, 50_000, 32, 24, 7);
  const p: Preprocessing = { sensorWidth: 32, sensorHeight: 24, downsample: 2, height: 12, width: 16, stepUs: 1_000, steps: 8, encoding: 'count', stepping: 'fixed' };
  const length = p.steps * p.stepUs;
  const t0 = events.t[0]!;
  const span = events.t[events.length - 1]! - t0;
  for (const at of [0, 0.3, 0.77, 1]) {
    const startUs = t0 + at * (span - length);
    const live = await firstValueFrom(of(events).pipe(timeSteps(p.stepUs, { origin: startUs, downsample: p.downsample }), toArray()));
    const inWindow = live.filter((f) => f.tStart[0]! >= startUs && f.tStart[0]! < startUs + length);
    assert.equal(inWindow.length, p.steps, `at ${at}`);
    const want = new Float32Array(p.steps * p.height * p.width * 2);
    inWindow.forEach((f, k) => want.set(f.data, k * f.data.length));
    assert.deepEqual(windowFrames({ events, label: 0, source: 'random' }, p, at), want, `at ${at}`);
  }
});

test('binning over a given range: bin k holds [start + k w, start + (k + 1) w), events before the range are left out', () => {
  const events = randomEvents(5_000, 10_000, 8, 8, 3);
  const range = { startUs: 7_000, endUs: 13_000 };
  const f = framesFromEvents(events, { nTimeBins: 6, range });
  const want = new Float32Array(6 * 8 * 8 * 2);
  for (let i = 0; i < events.length; i++) {
    const t = events.t[i]!;
    if (t < range.startUs) continue;
    const k = Math.min(5, Math.floor((t - range.startUs) / 1_000));
    if (t >= range.endUs) continue; // without includeTail, Tonic's rule: past the last bin is dropped
    want[((k * 8 + events.y[i]!) * 8 + events.x[i]!) * 2 + events.p[i]!]! += 1;
  }
  assert.deepEqual(f.data, want);
  assert.deepEqual([...f.tStart], [7_000, 8_000, 9_000, 10_000, 11_000, 12_000]);
  assert.throws(() => framesFromEvents(events, { timeWindow: 1_000, range }), /range only applies to nTimeBins/);
  assert.throws(() => framesFromEvents(events, { nTimeBins: 2, range: { startUs: 5, endUs: 5 } }), /endUs > startUs/);
  // framesOfEvents with no start known (a caller without a window) stretches, whatever the stepping.
  const p: Preprocessing = { sensorWidth: 8, sensorHeight: 8, downsample: 1, height: 8, width: 8, stepUs: 1_000, steps: 6, encoding: 'count', stepping: 'fixed' };
  assert.deepEqual(framesOfEvents(events, p), framesOfEvents(events, { ...p, stepping: 'stretch' }));
});
