import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FrameTensor } from '../../src/events/index.js';
import { StepClassifier, WindowClassifier, type InferenceResult } from '../../src/pipeline/inference.js';
import { encodeFrame } from '../../src/snn/data.js';
import { previewFrame } from '../../src/pipeline/preview.js';
import { TinyModel } from './tiny-model.js';

/** `steps` frames of 32x32x2 where step s has `counts[s]` ON events at (x, 0). */
function frames(counts: number[], x = 1, t0 = 0): FrameTensor {
  const size = 32 * 32 * 2;
  const data = new Float32Array(counts.length * size);
  counts.forEach((c, s) => (data[s * size + x * 2 + 1] = c));
  return {
    data,
    steps: counts.length,
    height: 32,
    width: 32,
    channels: 2,
    tStart: Float64Array.from(counts, (_, s) => t0 + s * 10_000),
    tEnd: Float64Array.from(counts, (_, s) => t0 + (s + 1) * 10_000),
  };
}

test('encodeFrame: count, clip, binary and log encodings', () => {
  const src = Float32Array.from([0, 1, 2, 5, 0, 3]);
  const out = new Float32Array(3);
  encodeFrame(src, 3, out, 'count');
  assert.deepEqual([...out], [5, 0, 3]);
  encodeFrame(src, 0, out, 'clip');
  assert.deepEqual([...out], [0, 1, 1]);
  encodeFrame(src, 2, out, 'binary');
  assert.deepEqual([...out], [1, 1, 0]);
  // log2(1 + n): no event 0, one event 1 (as clip), three events 2, fifteen 4.
  encodeFrame(Float32Array.from([0, 1, 3, 15]), 1, out, 'log');
  assert.deepEqual([...out], [1, 2, 4]);
});

test('previewFrame sums ON minus OFF over cells and clips to int8', () => {
  // 4x4 NHWC frame, preview size 2: each cell is a 2x2 block.
  const f = new Float32Array(4 * 4 * 2);
  const set = (x: number, y: number, c: number, v: number) => (f[(y * 4 + x) * 2 + c] = v);
  set(0, 0, 1, 3); // ON
  set(1, 1, 0, 1); // OFF, same cell
  set(3, 0, 0, 200); // OFF, clipped
  set(2, 3, 1, 1);
  const p = previewFrame(f, 4, 4, 2);
  assert.deepEqual([p.width, p.height], [2, 2]);
  assert.deepEqual([...new Int8Array(Buffer.from(p.base64, 'base64'))], [2, -127, 0, 1]);
  assert.deepEqual([previewFrame(f, 4, 4, 64).width, previewFrame(f, 4, 4, 64).height], [4, 4]);
});

test('StepClassifier: state kept across pushes, emitEvery, resetEvery and idle reset', () => {
  const model = new TinyModel();
  const got: InferenceResult[] = [];
  const c = new StepClassifier(model, { resetEvery: 0, idleResetSteps: 2, emitEvery: 2 });
  c.push(frames([4, 4, 4]), (r) => got.push({ ...r }));
  c.push(frames([0, 0, 6, 6], 1, 30_000), (r) => got.push({ ...r }));
  // Results after steps 2, 4, 6 (emitEvery 2); two empty steps (4 and 5) reset the model before step 5.
  assert.deepEqual(got.map((r) => [r.startUs, r.endUs, r.steps]), [[0, 20_000, 2], [0, 40_000, 4], [40_000, 60_000, 2]]);
  assert.equal(model.resets, 1);
  assert.equal(c.steps, 7);
  assert.throws(() => c.push({ ...frames([1]), height: 16, width: 64 }, () => undefined), /frames are 16x64x2 but the model takes 32x32x2/);
});

test('WindowClassifier: fresh state per window, firing summed and rates averaged over the window', () => {
  const model = new TinyModel();
  const got: InferenceResult[] = [];
  const c = new WindowClassifier(model);
  c.push(frames([50, 100, 0, 50]), (r) => got.push(r));
  assert.equal(got.length, 1);
  const r = got[0]!;
  assert.deepEqual([r.startUs, r.endUs, r.steps, r.events], [0, 40_000, 4, 200]);
  assert.equal(r.firing.layers[0]!.spikes, 200);
  assert.equal(r.firing.layers[0]!.rate, (0.5 + 1 + 0 + 0.5) / 4);
  assert.equal(r.firing.synops, 200 * 9 + 4 * 2);
  assert.equal(r.classId, 0);
  assert.equal(model.resets, 1);
});

test('2 sub-bins per step: each pair of frames becomes one [H, W, 4] model input, in step and window mode', () => {
  // 4 sub-bin frames = 2 model steps of 5 ms sub-bins; frame j has j + 1 events: OFF at pixel 0
  // for even j, ON at pixel 1 for odd j.
  const size = 32 * 32 * 2;
  const data = new Float32Array(4 * size);
  for (let j = 0; j < 4; j++) data[j * size + (j % 2 === 0 ? 0 : 2 + 1)] = j + 1;
  const tensor: FrameTensor = {
    data,
    steps: 4,
    height: 32,
    width: 32,
    channels: 2,
    tStart: Float64Array.from([0, 5_000, 10_000, 15_000]),
    tEnd: Float64Array.from([5_000, 10_000, 15_000, 20_000]),
  };
  // Model input of step s, pixel i, channel 2k + p: polarity p of sub-bin k (frame 2s + k).
  const want = (s: number): number[] => {
    const f = new Array<number>(32 * 32 * 4).fill(0);
    f[0 * 4 + 0] = 2 * s + 1; // sub-bin 0 (even frame): OFF at pixel 0
    f[1 * 4 + 3] = 2 * s + 2; // sub-bin 1 (odd frame): ON at pixel 1
    return f;
  };
  const stepModel = new TinyModel({ subBins: 2, stepUs: 10_000 });
  const got: InferenceResult[] = [];
  new StepClassifier(stepModel, { resetEvery: 0, idleResetSteps: 0, emitEvery: 1 }).push(tensor, (r) => got.push({ ...r }));
  assert.deepEqual(stepModel.inputs.map((f) => [...f]), [want(0), want(1)]);
  assert.deepEqual(got.map((r) => [r.startUs, r.endUs, r.steps, r.events, r.frameChannels]), [[0, 10_000, 1, 3, 4], [0, 20_000, 2, 7, 4]]);

  const windowModel = new TinyModel({ subBins: 2, stepUs: 10_000 });
  const windows: InferenceResult[] = [];
  new WindowClassifier(windowModel).push(tensor, (r) => windows.push(r));
  assert.deepEqual(windowModel.inputs.map((f) => [...f]), [want(0), want(1)]);
  assert.deepEqual(windows.map((r) => [r.startUs, r.endUs, r.steps, r.events]), [[0, 20_000, 2, 10]]);
  // An odd number of sub-bin frames is not a whole number of steps.
  assert.throws(() => new WindowClassifier(windowModel).push({ ...tensor, steps: 3 }, () => undefined), /3 sub-bins is not a whole number of steps of the model's 2 sub-bins/);
});

test('previewFrame of a 2-sub-bin frame sums ON minus OFF over both sub-bins', () => {
  // 2x2 frame, 4 channels (OFF, ON of sub-bin 0, then of sub-bin 1).
  const f = new Float32Array(2 * 2 * 4);
  f[0 * 4 + 1] = 3; // pixel (0, 0): ON in sub-bin 0
  f[0 * 4 + 2] = 1; // pixel (0, 0): OFF in sub-bin 1
  f[3 * 4 + 3] = 2; // pixel (1, 1): ON in sub-bin 1
  const p = previewFrame(f, 2, 2, 64, 4);
  assert.deepEqual([...new Int8Array(Buffer.from(p.base64, 'base64'))], [2, 0, 0, 2]);
});
