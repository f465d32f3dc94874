// An application running its own TensorFlow.js models beside spikeline must see stock tfjs:
// the same outputs, and tf.clone still a copy with data of its own, after
// spikeline's backend and kernels are loaded and after a spikeline training step ran. The
// reference is the same plain model run in this process before spikeline was loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';

interface AppRun {
  out: number[];
  cloneHasOwnData: boolean;
}

/** A plain dense model of the application's, softmax(relu(x·w + b)), and a clone of its input. */
function appModel(): AppRun {
  return tf.tidy(() => {
    const x = tf.tensor2d([0.5, -1, 2, 1.5, 0.25, -0.75, -2, 1, 0.5, 3, -1.25, 0.125], [4, 3]);
    const w = tf.tensor2d([0.1, -0.2, 0.3, 0.4, -0.5, 0.6], [3, 2]);
    const b = tf.tensor1d([0.05, -0.05]);
    return {
      out: Array.from(tf.softmax(tf.relu(tf.add(tf.matMul(x, w), b))).dataSync()),
      cloneHasOwnData: tf.clone(x).dataId !== x.dataId,
    };
  });
}

test("an application's tfjs model on the WASM backend is unaffected by spikeline's engine and its training step", async () => {
  assert.ok(await tf.setBackend('wasm'));
  const before = appModel();
  assert.ok(before.cloneHasOwnData, 'stock tfjs-backend-wasm clones copy the data');

  const { initBackend } = await import('../../src/snn/backend.js');
  const { withSharedClones } = await import('../../src/snn/kernels.js');
  const { buildModel } = await import('../../src/snn/model.js');
  const { gesture } = await import('../../src/snn/backbones.js');
  const { shardGradients } = await import('../../src/snn/parallel.js');
  assert.equal((await initBackend('wasm')).name, 'wasm');
  assert.deepEqual(appModel(), before, 'after spikeline registered its kernels');

  const m = buildModel(gesture({ height: 16, width: 16, classes: 3, widthMult: 0.25 }), 1);
  const T = 2, B = 2;
  const x = Float32Array.from({ length: T * B * 16 * 16 * 2 }, (_, i) => (i % 7 === 0 ? 1 : 0));
  const step = shardGradients(m, x, [T, B, 16, 16, 2], [0, 2], { labelSmoothing: 0, perStep: false });
  assert.ok(Number.isFinite(step.loss));
  assert.deepEqual(appModel(), before, 'after a spikeline training step');

  // Inside spikeline's training step clones share their data (the reason for the override).
  tf.tidy(() => {
    const t = tf.ones([3]);
    assert.equal(withSharedClones(() => tf.clone(t)).dataId, t.dataId);
  });
});
