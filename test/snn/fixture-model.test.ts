// The bundled model (fixtures/model) that the demo runs out of the box.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { loadModel, loadStreamingModel } from '../../src/snn/io.js';
import { validateSpec } from '../../src/snn/spec.js';
import { randomSource } from '../../src/util/random.js';
import { DVS_GESTURE_BACKGROUND, DVS_GESTURE_CLASSES } from '../../src/formats/index.js';

const DIR = fileURLToPath(new URL('../../fixtures/model', import.meta.url));

test('fixtures/model is small, valid, and its streaming output matches the batched forward', async () => {
  const { size } = await stat(`${DIR}/weights.bin`);
  assert.ok(size < 4 * 2 ** 20, `weights.bin is ${size} bytes`);
  const saved = await loadModel(DIR);
  const p = saved.preprocessing;
  assert.deepEqual(saved.classes, [...DVS_GESTURE_CLASSES, DVS_GESTURE_BACKGROUND.name]);
  assert.deepEqual([p.height, p.width, p.steps], [32, 32, 16]);
  assert.deepEqual(validateSpec(saved.model.spec), []);
  const r = randomSource(3);
  const frames = Float32Array.from({ length: p.steps * p.height * p.width * 2 }, () => (r() < 0.1 ? 1 : 0));
  const want = tf.tidy(() => Array.from(saved.model.forward(tf.tensor(frames, [p.steps, 1, p.height, p.width, 2]), { training: false }).logits.dataSync()));
  saved.model.dispose();
  const s = await loadStreamingModel(DIR);
  const n = p.height * p.width * 2;
  let out = s.step(frames.subarray(0, n));
  for (let t = 1; t < p.steps; t++) out = s.step(frames.subarray(t * n, (t + 1) * n));
  want.forEach((v, c) => assert.ok(Math.abs(out.logits[c]! - v) < 1e-4, `class ${c}: ${out.logits[c]} vs ${v}`));
  assert.ok(Math.abs(out.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  s.dispose();
});
