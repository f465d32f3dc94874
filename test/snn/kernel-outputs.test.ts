// Kernels that take their outputs unzeroed from the WASM allocator (`writesAll` in
// src/snn/kernels.ts) must write every element of them. Each runs here on heap memory that held
// NaN just before (freed tensors of the output sizes), in the WebAssembly path and in the
// TypeScript fallback, and must leave no NaN behind.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/snn/backend.js';
import { outputsWrittenInFull, runKernel } from '../../src/snn/kernels.js';
import { neuronAttrs, resolveNeuron } from '../../src/snn/neuron.js';
import { randomSource } from '../../src/util/random.js';

before(async () => {
  await initBackend('wasm');
});

interface HeapBackend {
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
}

const offsetOf = (t: tf.Tensor): number => (tf.backend() as unknown as HeapBackend).dataIdMap.get(t.dataId)!.memoryOffset;

function rand(shape: number[], seed: number, lo = -1, hi = 1): tf.Tensor {
  const r = randomSource(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => lo + (hi - lo) * r()), shape);
}

const checked = new Set<string>();

/**
 * Runs `kernel` after freeing NaN-filled tensors of its output shapes, and checks that the
 * outputs it declares written in full reuse that memory and hold no NaN.
 */
function checkWritesAll(kernel: string, inputs: Record<string, tf.Tensor | null>, attrs: Record<string, unknown>): void {
  const full = outputsWrittenInFull()[kernel];
  assert.ok(full, `${kernel} declares no output written in full`);
  checked.add(kernel);
  // A dry run gives the output shapes.
  const shapes = runKernel(kernel, inputs as Record<string, tf.Tensor>, attrs as tf.NamedAttrMap).map((t) => {
    const s = t.shape;
    t.dispose();
    return s;
  });
  const poison = shapes.map((s) => tf.fill(s, Number.NaN));
  const freed = poison.map((t) => [offsetOf(t), offsetOf(t) + t.size * 4] as const);
  for (const t of poison) t.dispose();
  const outs = runKernel(kernel, inputs as Record<string, tf.Tensor>, attrs as tf.NamedAttrMap);
  try {
    for (const i of full) {
      const o = outs[i]!;
      const at = offsetOf(o);
      assert.ok(freed.some(([a, b]) => at < b && at + o.size * 4 > a), `${kernel} output ${i}: the allocator did not hand back the poisoned memory, so this check proves nothing`);
      const v = o.dataSync();
      const bad = v.findIndex((x) => Number.isNaN(x));
      assert.equal(bad, -1, `${kernel} output ${i} [${o.shape}]: element ${bad} was never written`);
    }
  } finally {
    for (const t of outs) t.dispose();
  }
}

for (const [path, per] of [['WebAssembly', 8], ['TypeScript fallback', 3]] as const) {
  test(`LIF forward and backward write their outputs in full (${path})`, () => {
    const T = 5, batch = 3, M = batch * per;
    const attrs = neuronAttrs(resolveNeuron(undefined), batch);
    const x = rand([T, M], 1, -0.5, 2.5);
    checkWritesAll('SnnLifForward', { x, v0: null, decay: null }, attrs);
    const [s, h] = runKernel('SnnLifForward', { x }, attrs);
    checkWritesAll('SnnLifBackward', { gs: rand([T, M], 2), h: h!, s: s!, x: null, decay: null }, attrs);
    tf.dispose([x, s!, h!]);
  });

  test(`BatchNorm forward and gradient write all of their outputs (${path})`, () => {
    const C = per === 8 ? 8 : 3;
    const x = rand([4, 5, 5, C], 3, -2, 2);
    const gamma = rand([C], 4, 0.5, 1.5), beta = rand([C], 5);
    checkWritesAll('SnnBatchNormTrain', { x, gamma, beta }, { epsilon: 1e-5 });
    const [, mean, invStd] = runKernel('SnnBatchNormTrain', { x, gamma, beta }, { epsilon: 1e-5 });
    checkWritesAll('SnnBatchNormTrainGrad', { dy: rand([4, 5, 5, C], 6), x, mean: mean!, invStd: invStd!, gamma }, {});
    tf.dispose([x, gamma, beta, mean!, invStd!]);
  });
}

test('transposes write all of their outputs', () => {
  checkWritesAll('SnnTransposeHWNC', { x: rand([3, 4, 5, 6], 7) }, {});
  checkWritesAll('SnnTranspose2D', { x: rand([37, 70], 8) }, {});
});

test('every kernel that skips zeroing is checked above', () => {
  assert.deepEqual([...checked].sort(), Object.keys(outputsWrittenInFull()).sort());
});
