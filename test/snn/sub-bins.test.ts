/**
 * Temporal sub-bins as input channels (Preprocessing.subBins, issue 12 item 2): frames of K
 * sub-bins per step against hand-computed values, and model folders with and without the field.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { batchFromArrays } from '../../src/events/index.js';
import { initBackend } from '../../src/snn/backend.js';
import { gesture } from '../../src/snn/backbones.js';
import { encodeFrame, framesOfEvents, loadEventDataset } from '../../src/snn/data.js';
import { loadModel, saveModel } from '../../src/snn/io.js';
import { buildModel } from '../../src/snn/model.js';
import type { Preprocessing } from '../../src/snn/model-api.js';
import { validateSpec } from '../../src/snn/spec.js';

before(async () => {
  await initBackend();
});

test('frames with 2 sub-bins per step: channel 2k + p holds polarity p of sub-bin k (hand-computed)', () => {
  // 4x2 sensor, 2 steps of 2 sub-bins: the 40 µs span is cut into 4 bins of 10 µs (the event
  // at the last timestamp joins the last bin), sub-bin k of step t is bin 2t + k.
  const events = batchFromArrays(
    {
      x: [0, 1, 1, 2, 2, 3, 0],
      y: [0, 0, 0, 1, 1, 1, 0],
      t: [0, 5, 12, 25, 27, 33, 40],
      p: [1, 0, 1, 0, 0, 1, 0],
    },
    { width: 4, height: 2 },
  );
  const pre: Preprocessing = { sensorWidth: 4, sensorHeight: 2, downsample: 1, height: 2, width: 4, stepUs: 20, steps: 2, encoding: 'count', subBins: 2 };
  const want = (clip: boolean): number[] => {
    const f = new Array<number>(2 * 2 * 4 * 4).fill(0);
    const set = (t: number, x: number, y: number, ch: number, v: number) => (f[((t * 2 + y) * 4 + x) * 4 + ch] = clip ? Math.min(1, v) : v);
    set(0, 0, 0, 1, 1); // t 0: sub-bin 0, ON
    set(0, 1, 0, 0, 1); // t 5: sub-bin 0, OFF
    set(0, 1, 0, 3, 1); // t 12: sub-bin 1, ON
    set(1, 2, 1, 0, 2); // t 25, 27: step 1 sub-bin 0, OFF twice
    set(1, 3, 1, 3, 1); // t 33: step 1 sub-bin 1, ON
    set(1, 0, 0, 2, 1); // t 40 (tail): step 1 sub-bin 1, OFF
    return f;
  };
  assert.deepEqual([...framesOfEvents(events, pre)], want(false));
  assert.deepEqual([...framesOfEvents(events, { ...pre, encoding: 'clip' })], want(true));
  // No events: T steps of zeros with 2K channels.
  assert.equal(framesOfEvents(batchFromArrays({ x: [], y: [], t: [], p: [] }, { width: 4, height: 2 }), pre).length, 2 * 2 * 4 * 4);
});

test('encodeFrame interleaves K [H, W, 2] frames into one [H, W, 2K] step, encoding each channel', () => {
  // Two pixels, K = 3 frames of [OFF, ON] per pixel.
  const counts = Float32Array.from([9, /* frame 0 */ 1, 0, 2, 3, /* frame 1 */ 0, 5, 0, 0, /* frame 2 */ 4, 0, 1, 1]);
  const out = new Float32Array(12);
  encodeFrame(counts, 1, out, 'count', 3);
  assert.deepEqual([...out], [1, 0, 0, 5, 4, 0, /* pixel 1 */ 2, 3, 0, 0, 1, 1]);
  encodeFrame(counts, 1, out, 'clip', 3);
  assert.deepEqual([...out], [1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1]);
  encodeFrame(counts, 1, out, 'binary', 3);
  assert.deepEqual([...out], [1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1]);
  encodeFrame(counts, 1, out, 'log', 3);
  assert.deepEqual([...out], [...Float32Array.from([1, 0, 0, Math.log2(6), Math.log2(5), 0, /* pixel 1 */ Math.log2(3), 2, 0, 0, 1, 1])]);
});

test('a dataset refuses sub-bins that do not split the step into whole microseconds', async () => {
  await assert.rejects(loadEventDataset('fixtures/gesture-mini', 'dvs-gesture', { downsample: 4, steps: 4, stepUs: 10_000, subBins: 3, limit: 1 }), /subBins 3 does not divide the step of 10000 µs/);
  await assert.rejects(loadEventDataset('fixtures/gesture-mini', 'dvs-gesture', { downsample: 4, steps: 4, stepUs: 10_000, subBins: 0, limit: 1 }), /subBins must be an integer >= 1, got 0/);
});

test('the first layer of a 4-channel (2 sub-bin) network pays twice the dense MACs of the 2-channel one, the rest the same', () => {
  const costs = (channels: number) => {
    const m = buildModel(gesture({ height: 16, width: 16, channels, classes: 4 }), 1);
    const c = m.costs.map((l) => l.macs);
    m.dispose();
    return c;
  };
  const two = costs(2);
  const four = costs(4);
  // Layer 0: 16x16 outputs x 16 channels x 3x3 kernel x input channels.
  assert.deepEqual([two[0], four[0]], [16 * 16 * 16 * 9 * 2, 16 * 16 * 16 * 9 * 4]);
  assert.deepEqual(four.slice(1), two.slice(1));
});

test('a spec whose training section has sub-bins must take 2K input channels', () => {
  const spec = gesture({ height: 16, width: 16, classes: 4, widthMult: 0.25 });
  const training = { downsample: 8, steps: 4, stepUs: 10_000, encoding: 'clip' as const, subBins: 2 };
  assert.match(validateSpec({ ...spec, training }).join(), /input\.channels: 2, but training\.subBins 2 makes frames of 4 channels/);
  assert.deepEqual(validateSpec({ ...spec, input: { ...spec.input, channels: 4 }, training }), []);
  assert.match(validateSpec({ ...spec, training: { ...training, subBins: 1.5 } }).join(), /training\.subBins: must be an integer >= 1, got 1\.5/);
});

test('model folders: without subBins they load as K = 1 with the same outputs; subBins is checked against the spec', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'snn-subbins-'));
  try {
    const pre: Preprocessing = { sensorWidth: 64, sensorHeight: 64, downsample: 4, height: 16, width: 16, stepUs: 50_000, steps: 3, encoding: 'clip' };
    const m = buildModel(gesture({ height: 16, width: 16, classes: 4, widthMult: 0.25 }), 5);
    const x = Float32Array.from({ length: 3 * 16 * 16 * 2 }, (_, i) => ((i * 7919) % 5 === 0 ? 1 : 0));
    const run = (mm: typeof m) => tf.tidy(() => Array.from(mm.forward(tf.tensor(x, [3, 1, 16, 16, 2]), { training: false }).logits.dataSync()));
    const want = run(m);
    await saveModel(dir, { model: m, classes: ['a', 'b', 'c', 'd'], preprocessing: pre });
    const file = join(dir, 'preprocessing.json');
    // A folder written before sub-bins existed: no subBins field.
    assert.equal('subBins' in JSON.parse(await readFile(file, 'utf8')), false);
    const old = await loadModel(dir);
    assert.equal(old.preprocessing.subBins ?? 1, 1);
    assert.deepEqual(run(old.model), want);
    old.model.dispose();

    await writeFile(file, JSON.stringify({ ...pre, subBins: 2 }));
    await assert.rejects(loadModel(dir), /spec\.json: input\.channels is 2, but preprocessing\.json's subBins 2 makes frames of 4 channels/);
    await writeFile(file, JSON.stringify({ ...pre, subBins: 0 }));
    await assert.rejects(loadModel(dir), /preprocessing\.json: field subBins must be an integer >= 1, got 0/);
    await writeFile(file, JSON.stringify({ ...pre, subBins: 3 }));
    await assert.rejects(loadModel(dir), /preprocessing\.json: field subBins 3 does not divide the step of 50000 µs/);

    // A K = 2 model round-trips with its field and 4 input channels.
    const m2 = buildModel(gesture({ height: 16, width: 16, channels: 4, classes: 4, widthMult: 0.25 }), 6);
    await saveModel(dir, { model: m2, classes: ['a', 'b', 'c', 'd'], preprocessing: { ...pre, subBins: 2 } });
    const k2 = await loadModel(dir);
    assert.equal(k2.preprocessing.subBins, 2);
    assert.equal(k2.model.spec.input.channels, 4);
    k2.model.dispose();
    m.dispose();
    m2.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
