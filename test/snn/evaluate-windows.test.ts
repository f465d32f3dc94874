/**
 * evaluate(…, windows): N windows spread over each sample, class probabilities averaged; N = 1 is
 * the centre window training validates on.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/snn/backend.js';
import { buildModel } from '../../src/snn/model.js';
import { gesture } from '../../src/snn/backbones.js';
import { packBatch, windowFrames, type LabelledEvents } from '../../src/snn/data.js';
import { evaluate } from '../../src/snn/train.js';
import type { Preprocessing } from '../../src/snn/model-api.js';
import { randomEvents } from '../support/events.js';

const sensor = { width: 32, height: 32 };
const pre: Preprocessing = { sensorWidth: 32, sensorHeight: 32, downsample: 2, height: 16, width: 16, steps: 4, stepUs: 50_000, encoding: 'count' };

before(async () => {
  await initBackend('wasm');
});

function softmax(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

test('windows N: the mean probabilities of N windows from the sample\'s start to its end decide, and the loss is -log of the true class\'s', () => {
  const model = buildModel(gesture({ height: 16, width: 16, classes: 3, widthMult: 0.25 }), 4);
  // Scaled weights make every window's output differ (see the data-parallel test).
  for (const v of model.trainableVariables()) v.assign(tf.mul(v, 12));
  // 1 s samples (5 windows long), events denser in the first half of the first one.
  const samples: LabelledEvents[] = [0, 1, 2, 1].map((label, i) => ({ events: randomEvents(4000, sensor, 10 + i, i === 0 ? 500_000 : 1_000_000), label, source: `sample ${i}` }));
  samples[0]!.events.t[samples[0]!.events.length - 1] = 1_000_000;
  try {
    const r = evaluate(model, samples, pre, 3, 3);
    let loss = 0;
    samples.forEach((s, i) => {
      const frames = [0, 0.5, 1].map((at) => windowFrames(s, pre, at));
      const logits = tf.tidy(() => model.forward(tf.tensor(packBatch(frames, 4), [4, 3, 16, 16, 2]), { training: false }).logits.arraySync() as number[][]);
      const mean = [0, 1, 2].map((c) => logits.reduce((a, l) => a + softmax(l)[c]!, 0) / 3);
      assert.equal(r.predictions[i], mean.indexOf(Math.max(...mean)), `sample ${i}`);
      loss -= Math.log(mean[s.label]!);
    });
    assert.ok(Math.abs(r.loss - loss / samples.length) < 1e-5, `${r.loss} vs ${loss / samples.length}`);
    // The windows differ: the first and last of a sample give different outputs.
    const ends = tf.tidy(() => model.forward(tf.tensor(packBatch([windowFrames(samples[1]!, pre, 0), windowFrames(samples[1]!, pre, 1)], 4), [4, 2, 16, 16, 2]), { training: false }).logits.arraySync() as number[][]);
    assert.notDeepEqual(ends[0], ends[1]);
    assert.equal(r.samples, 4);
    assert.equal(r.confusion.flat().reduce((a, b) => a + b, 0), 4);

    // windows 1 is the centre window.
    const one = evaluate(model, samples, pre, 3, 1);
    samples.forEach((s, i) => {
      const l = tf.tidy(() => model.forward(tf.tensor(packBatch([windowFrames(s, pre, 0.5)], 4), [4, 1, 16, 16, 2]), { training: false }).logits.arraySync() as number[][]);
      assert.equal(one.predictions[i], l[0]!.indexOf(Math.max(...l[0]!)));
    });
    assert.throws(() => evaluate(model, samples, pre, 3, 0), /windows must be an integer >= 1, got 0/);
  } finally {
    model.dispose();
  }
});

test('a sample shorter than one window gives N identical windows: the same answer as one', () => {
  const model = buildModel(gesture({ height: 16, width: 16, classes: 3, widthMult: 0.25 }), 5);
  for (const v of model.trainableVariables()) v.assign(tf.mul(v, 12));
  const samples: LabelledEvents[] = [0, 1, 2].map((label, i) => ({ events: randomEvents(2000, sensor, 30 + i, 150_000), label, source: `sample ${i}` }));
  try {
    const a = evaluate(model, samples, pre, 16, 1);
    const b = evaluate(model, samples, pre, 16, 4);
    assert.deepEqual(b.predictions, a.predictions);
    assert.ok(Math.abs(a.loss - b.loss) < 1e-5);
  } finally {
    model.dispose();
  }
});
