// Every custom gradient of src/snn/ops.ts against numerical (central-difference) gradients,
// and the fused LIF BPTT against an independent unrolled reference.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/snn/backend.js';
import { batchNormTrain, conv2dSame, crossEntropy, depthwiseSame, lif, linear, pool } from '../../src/snn/ops.js';
import { neuronAttrs, resolveNeuron, surrogate, type NeuronConfig } from '../../src/snn/neuron.js';
import { randomSource } from '../../src/util/random.js';

before(async () => {
  await initBackend();
});

function randArray(n: number, seed: number, scale = 1): Float32Array {
  const r = randomSource(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

// tf.grads over the loss needs Sum and Mul gradients, which the engine does not register;
// the weighted-sum loss is therefore a custom op too.
function weightedSum(y: tf.Tensor, R: tf.Tensor): tf.Tensor {
  const f = (a: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
    save([R]);
    return { value: tf.sum(tf.mul(a, R)), gradFunc: (dy: tf.Tensor, [r]: tf.Tensor[]) => [tf.mul(r!, dy)] };
  };
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0])(y) as tf.Tensor;
}

/**
 * Checks d(sum(f(inputs) * R))/d(inputs[k]) from tf.grads against central differences
 * computed in float64 on the JS side of the same float32 forward.
 */
function checkGrads(name: string, f: (...xs: tf.Tensor[]) => tf.Tensor, shapes: number[][], opts: { eps?: number; tol?: number; seed?: number } = {}): void {
  const eps = opts.eps ?? 1e-2;
  const tol = opts.tol ?? 2e-2;
  const vals = shapes.map((s, i) => randArray(s.reduce((a, b) => a * b, 1), (opts.seed ?? 1) + i));
  const outShape = tf.tidy(() => f(...vals.map((v, i) => tf.tensor(v, shapes[i]))).shape);
  const R = randArray(outShape.reduce((a, b) => a * b, 1), 99);
  const loss = (vs: Float32Array[]): number =>
    tf.tidy(() => {
      const y = f(...vs.map((v, i) => tf.tensor(v, shapes[i])));
      const d = y.dataSync();
      let s = 0;
      for (let i = 0; i < d.length; i++) s += d[i]! * R[i]!;
      return s;
    });
  const analytic = tf.tidy(() => {
    const g = tf.grads((...xs: tf.Tensor[]) => weightedSum(f(...xs), tf.tensor(R, outShape)));
    return g(vals.map((v, i) => tf.tensor(v, shapes[i]))).map((t) => t.dataSync() as Float32Array);
  });
  vals.forEach((v, k) => {
    // sample up to 24 coordinates per input
    const n = v.length;
    const step = Math.max(1, Math.floor(n / 24));
    for (let i = 0; i < n; i += step) {
      const old = v[i]!;
      v[i] = old + eps;
      const up = loss(vals);
      v[i] = old - eps;
      const down = loss(vals);
      v[i] = old;
      const num = (up - down) / (2 * eps);
      const an = analytic[k]![i]!;
      const scale = Math.max(1, Math.abs(num), Math.abs(an));
      assert.ok(Math.abs(num - an) <= tol * scale, `${name}: d/d input${k}[${i}] analytic ${an} vs numerical ${num}`);
    }
  });
}

const check = checkGrads;

test('conv2dSame gradients (3x3 and 1x1) match numerical gradients', () => {
  check('conv3x3', (x, w) => conv2dSame(x as tf.Tensor4D, w as tf.Tensor4D), [[2, 5, 6, 3], [3, 3, 3, 4]]);
  check('conv1x1', (x, w) => conv2dSame(x as tf.Tensor4D, w as tf.Tensor4D), [[2, 4, 4, 3], [1, 1, 3, 5]]);
  check('conv5x5', (x, w) => conv2dSame(x as tf.Tensor4D, w as tf.Tensor4D), [[1, 6, 6, 2], [5, 5, 2, 2]]);
});

test('depthwise conv gradients match numerical gradients', () => {
  check('dwconv', (x, w) => depthwiseSame(x as tf.Tensor4D, w as tf.Tensor4D), [[2, 5, 5, 3], [3, 3, 3, 1]]);
});

test('avg / max pooling gradients match numerical gradients', () => {
  check('avgpool', (x) => pool(x as tf.Tensor4D, 2, 'avg'), [[2, 4, 6, 3]]);
  check('maxpool', (x) => pool(x as tf.Tensor4D, 2, 'max'), [[2, 4, 4, 3]], { eps: 1e-3 });
});

test('linear gradients match numerical gradients', () => {
  check('linear', (x, w, b) => linear(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D), [[5, 7], [7, 3], [3]]);
});

test('batch norm (training mode) gradients match numerical gradients', () => {
  // 3 channels run the JS loops, 8 the WebAssembly SIMD kernels (multiples of 4).
  check('bn', (x, g, b) => batchNormTrain(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, () => {}), [[3, 4, 4, 3], [3], [3]], { eps: 5e-3, tol: 3e-2 });
  check('bn simd', (x, g, b) => batchNormTrain(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, () => {}), [[3, 4, 4, 8], [8], [8]], { eps: 5e-3, tol: 3e-2 });
});

test('batch norm forward statistics and gradients agree between WebAssembly and the JS fallback', async () => {
  const run = () =>
    tf.tidy(() => {
      const x = tf.tensor(randArray(6 * 5 * 5 * 12, 3, 2), [6, 5, 5, 12]);
      const g = tf.tensor1d(randArray(12, 4));
      const b = tf.tensor1d(randArray(12, 5));
      const R = tf.tensor(randArray(6 * 5 * 5 * 12, 6), [6, 5, 5, 12]);
      let stats: Float32Array[] = [];
      const f = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => batchNormTrain(xi, gi as tf.Tensor1D, bi as tf.Tensor1D, 1e-5, (st) => (stats = [st.mean, st.variance]));
      const y = f(x, g, b).dataSync();
      const grads = tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => weightedSum(f(xi, gi, bi), R))([x, g, b]).map((t) => t.dataSync());
      return [y, ...stats, ...grads].map((a) => Float32Array.from(a));
    });
  const wasm = run();
  try {
    await initBackend('cpu');
    const js = run();
    wasm.forEach((a, k) => a.forEach((v, i) => assert.ok(Math.abs(v - js[k]![i]!) <= 1e-5 * Math.max(1, Math.abs(v)), `output ${k}[${i}]: wasm ${v} vs js ${js[k]![i]}`)));
  } finally {
    await initBackend('wasm');
  }
});

test('cross-entropy with label smoothing matches numerical gradients', () => {
  check('ce', (z) => crossEntropy(z as tf.Tensor2D, [1, 0, 2], 0.1), [[3, 4]], { eps: 1e-3 });
});

/** Independent reference: unrolled forward storing every v, then reverse-mode chain rule per step. */
function referenceLif(x: Float32Array, T: number, n: NeuronConfig, decay: number, gs: Float32Array): { s: Float32Array; gx: Float32Array; gd: number } {
  const r = resolveNeuron(n);
  const M = x.length / T;
  const isIf = r.kind === 'if';
  const d = isIf ? 0 : decay;
  const hard = r.vReset !== null;
  const vr = r.vReset ?? 0;
  const sg = surrogate(r.surrogate, r.alpha);
  const s = new Float32Array(x.length);
  const gx = new Float32Array(x.length);
  let gd = 0;
  for (let j = 0; j < M; j++) {
    const v = [hard ? vr : 0];
    const h: number[] = [];
    for (let t = 0; t < T; t++) {
      const xt = x[t * M + j]!;
      const vp = v[t]!;
      const ht = isIf ? vp + xt : r.decayInput ? vp + (xt - (vp - vr)) * d : vp - (vp - vr) * d + xt;
      h.push(ht);
      const st = ht >= r.vThreshold ? 1 : 0;
      s[t * M + j] = st;
      v.push(hard ? ht * (1 - st) + vr * st : ht - st * r.vThreshold);
    }
    // reverse: dL/dv_t flows from h_{t+1}
    let gv = 0;
    for (let t = T - 1; t >= 0; t--) {
      const ht = h[t]!;
      const st = s[t * M + j]!;
      const gS = gs[t * M + j]! + (r.detachReset ? 0 : gv * (hard ? vr - ht : -r.vThreshold));
      const gH = gS * sg(ht - r.vThreshold) + gv * (hard ? 1 - st : 1);
      const xt = x[t * M + j]!;
      const vp = v[t]!;
      gx[t * M + j] = gH * (isIf ? 1 : r.decayInput ? d : 1);
      gd += gH * (r.decayInput ? xt - vp + vr : -(vp - vr));
      gv = gH * (isIf ? 1 : 1 - d);
    }
  }
  return { s, gx, gd };
}

test('fused LIF forward and BPTT equal the unrolled reference for every neuron variant', () => {
  const T = 6;
  const B = 2;
  const variants: NeuronConfig[] = [
    { kind: 'lif' },
    { kind: 'lif', vReset: null },
    { kind: 'lif', detachReset: true, surrogate: 'sigmoid' },
    { kind: 'lif', decayInput: false, tau: 3, surrogate: 'fast-sigmoid' },
    { kind: 'if', surrogate: 'rectangular', alpha: 1.5 },
    { kind: 'lif', vReset: -0.2, surrogate: 'atan', alpha: 3 },
    { kind: 'lif', vReset: null, detachReset: true, surrogate: 'fast-sigmoid' },
  ];
  // 5 neurons per sample run the JS loops, 8 the WebAssembly SIMD kernels (multiples of 4).
  for (const per of [5, 8]) {
    const M = B * per;
    const x = randArray(T * M, 7, 1.6);
    const gs = randArray(T * M, 8);
    for (const n of variants) {
      const r = resolveNeuron(n);
      const ref = referenceLif(x, T, n, 1 / r.tau, gs);
      const { s, gx } = tf.tidy(() => {
        const xt = tf.tensor(x, [T * B, per]);
        const f = (xi: tf.Tensor) => lif(xi, { steps: T, attrs: neuronAttrs(r, B) });
        const out = f(xt).dataSync();
        const g = tf.grad((xi: tf.Tensor) => weightedSum(f(xi), tf.tensor(gs, [T * B, per])))(xt).dataSync();
        return { s: Float32Array.from(out), gx: Float32Array.from(g) };
      });
      const where = `${per} per sample, ${JSON.stringify(n)}`;
      assert.deepEqual(Array.from(s), Array.from(ref.s), `spikes differ for ${where}`);
      for (let i = 0; i < gx.length; i++) assert.ok(Math.abs(gx[i]! - ref.gx[i]!) < 1e-4, `${where}: gx[${i}] ${gx[i]} vs ${ref.gx[i]}`);
    }
  }
});

test('PLIF decay gradient equals the reference (through sigmoid(w))', () => {
  const T = 5;
  const B = 1;
  const x = randArray(T * 8, 11, 1.8);
  const gs = randArray(T * 8, 12);
  const w = 0.3;
  const d = 1 / (1 + Math.exp(-w));
  const n: NeuronConfig = { kind: 'plif' };
  const ref = referenceLif(x, T, n, d, gs);
  const gw = tf.tidy(() => {
    const xt = tf.tensor(x, [T * B, 8]);
    const f = (wi: tf.Tensor) => weightedSum(lif(xt, { steps: T, attrs: neuronAttrs(resolveNeuron(n), B), plifWeight: wi as tf.Tensor1D }), tf.tensor(gs, [T, 8]));
    return tf.grad(f)(tf.tensor1d([w])).dataSync()[0]!;
  });
  assert.ok(Math.abs(gw - ref.gd * d * (1 - d)) < 1e-4, `PLIF dL/dw ${gw} vs ${ref.gd * d * (1 - d)}`);
});

test('hand-worked LIF neuron: constant input 1.5 spikes 0,1,0,1 (tau 2, hard reset)', () => {
  const s = tf.tidy(() => lif(tf.fill([4, 1], 1.5), { steps: 4, attrs: neuronAttrs(resolveNeuron({ kind: 'lif' }), 1) }).dataSync());
  assert.deepEqual(Array.from(s), [0, 1, 0, 1]);
});

test('event-driven conv and filter gradient equal the dense ones, in WebAssembly and in the JS fallback', async () => {
  const { runKernel, spikeKernelsActive } = await import('../../src/snn/kernels.js');
  const { conv2dFilterGrad } = await import('../../src/snn/ops.js');
  assert.ok(spikeKernelsActive(), 'the WASM backend binds the event-driven kernels');
  try {
    for (const backend of ['wasm', 'cpu'] as const) {
      await initBackend(backend);
      // Co covers the 16-, 4- and 1-float steps of the SIMD loop, Ci the 4-wide zero skip and its tail.
      for (const [K, Ci, Co] of [[3, 4, 5], [1, 3, 6], [5, 2, 3], [3, 7, 21], [3, 8, 36]] as const) {
        const r = randomSource(K * 100 + Ci);
        const x = Float32Array.from({ length: 2 * 7 * 6 * Ci }, () => (r() < 0.15 ? (r() < 0.5 ? 1 : 0.25) : 0));
        const [dense, spike, denseGrad, spikeGrad] = tf.tidy(() => {
          const xt = tf.tensor4d(x, [2, 7, 6, Ci]);
          const w = tf.tensor4d(randArray(K * K * Ci * Co, 5), [K, K, Ci, Co]);
          const b = tf.tensor1d(randArray(Co, 6));
          const dy = tf.tensor4d(randArray(2 * 7 * 6 * Co, 7), [2, 7, 6, Co]);
          return [
            tf.add(tf.conv2d(xt, w, 1, 'same'), b).dataSync(),
            runKernel('SnnSpikeConv', { x: xt, w, bias: b })[0]!.dataSync(),
            conv2dFilterGrad(xt, dy, K).dataSync(),
            runKernel('SnnSpikeConvFilterGrad', { x: xt, dy }, { k: K })[0]!.dataSync(),
          ];
        });
        const where = `${backend} K=${K} Ci=${Ci} Co=${Co}`;
        for (let i = 0; i < dense.length; i++) assert.ok(Math.abs(dense[i]! - spike[i]!) < 1e-5, `${where}: out[${i}] ${spike[i]} vs ${dense[i]}`);
        assert.equal(spikeGrad.length, denseGrad.length);
        for (let i = 0; i < denseGrad.length; i++) assert.ok(Math.abs(denseGrad[i]! - spikeGrad[i]!) < 1e-4, `${where}: dw[${i}] ${spikeGrad[i]} vs ${denseGrad[i]}`);
      }
    }
  } finally {
    await initBackend('wasm');
  }
});

test('event-driven conv2dSame gradients match numerical gradients', () => {
  const plan = { spikeForward: true, spikeFilterGrad: true };
  check('event-driven conv3x3', (x, w) => conv2dSame(x as tf.Tensor4D, w as tf.Tensor4D, plan), [[2, 5, 6, 3], [3, 3, 3, 4]]);
  check('event-driven conv1x1', (x, w) => conv2dSame(x as tf.Tensor4D, w as tf.Tensor4D, plan), [[2, 4, 4, 3], [1, 1, 3, 5]]);
});
