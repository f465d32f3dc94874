/**
 * Differentiable SNN ops with gradients built from fast WASM ops and the kernels of kernels.ts:
 * - conv2d (stride 1, 'same'): input gradient = forward conv with the flipped, transposed
 *   filter; filter gradient = forward conv of the [C, H+2p, W+2p, N] input with the
 *   [H, W, N, Co] output gradient as filter (no Conv2DBackpropFilter on WASM), or, for sparse
 *   (spike) inputs, the event-driven kernels of wasm/spike-kernels.wat for the forward pass and
 *   the filter gradient.
 * - depthwise conv, avg / max pooling, linear layers, BatchNorm and the fused multi-step LIF.
 * Everything here takes NHWC tensors with time folded into the batch ([T·B, H, W, C]).
 */
import * as tf from '@tensorflow/tfjs-core';
import { runKernel } from './kernels.js';

type GradSave = (tensors: tf.Tensor[]) => void;
type Forward = (...args: never[]) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] };

/** tf.customGrad with loose parameter typing (its variadic signature rejects typed parameters). */
function customGrad(f: Forward): (...inputs: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor;
}

/** A filter op y = op(x, w) whose gradient [dx, dw] needs the saved x and w. */
function filterOp(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  op: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D,
  grad: (dy: tf.Tensor4D, x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor[],
): tf.Tensor4D {
  const f = customGrad((xi: tf.Tensor, wi: tf.Tensor, save: GradSave) => {
    save([xi, wi]);
    return {
      value: op(xi as tf.Tensor4D, wi as tf.Tensor4D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => grad(dy as tf.Tensor4D, saved[0] as tf.Tensor4D, saved[1] as tf.Tensor4D),
    };
  });
  return f(x, w) as tf.Tensor4D;
}

/**
 * How a conv runs: `spikeForward` / `spikeFilterGrad` use the event-driven kernels (cost
 * proportional to the input's non-zeros) for the forward pass / the filter gradient; the input
 * gradient (dense in dy) always runs dense. `inputGrad` false skips it (first layer).
 */
export interface ConvPlan {
  inputGrad?: boolean;
  spikeForward?: boolean;
  spikeFilterGrad?: boolean;
}

/** 'same' stride-1 conv. */
export function conv2dSame(x: tf.Tensor4D, w: tf.Tensor4D, plan: ConvPlan = {}): tf.Tensor4D {
  const { inputGrad = true, spikeForward = false, spikeFilterGrad = false } = plan;
  return filterOp(
    x,
    w,
    (xi, wi) => (spikeForward ? (runKernel('SnnSpikeConv', { x: xi, w: wi })[0] as tf.Tensor4D) : tf.conv2d(xi, wi, 1, 'same')),
    (dy, xs, ws) => [
      inputGrad ? conv2dInputGrad(dy, ws) : tf.zerosLike(xs),
      spikeFilterGrad ? runKernel('SnnSpikeConvFilterGrad', { x: xs, dy }, { k: ws.shape[0] })[0]! : conv2dFilterGrad(xs, dy, ws.shape[0]),
    ],
  );
}

export function conv2dInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const wf = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    return tf.conv2d(dy, wf, 1, 'same');
  });
}

export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, k: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [xt] = runKernel('SnnPadTransposeCHWN', { x }, { pad: (k - 1) >> 1 });
    const [dyt] = runKernel('SnnTransposeHWNC', { x: dy });
    const r = tf.conv2d(xt as tf.Tensor4D, dyt as tf.Tensor4D, 1, 'valid'); // [C, K, K, Co]
    return tf.transpose(r, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/** Depthwise 'same' stride-1 conv with filter [K, K, C, 1]. */
export function depthwiseSame(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return filterOp(
    x,
    w,
    (xi, wi) => tf.depthwiseConv2d(xi, wi, 1, 'same'),
    (dy, xs, ws) => {
      const dx = tf.tidy(() => tf.depthwiseConv2d(dy, tf.reverse(ws, [0, 1]) as tf.Tensor4D, 1, 'same'));
      const [dw] = runKernel('SnnDepthwiseFilterGrad', { x: xs, dy }, { k: ws.shape[0] });
      return [dx, dw!];
    },
  );
}

/** k x k pooling with stride k (VALID; H and W must be multiples of k). */
export function pool(x: tf.Tensor4D, k: number, kind: 'avg' | 'max'): tf.Tensor4D {
  const [, H, W] = x.shape;
  const f = customGrad((xi: tf.Tensor, save: GradSave) => {
    save([xi]);
    const value = kind === 'avg' ? tf.avgPool(xi as tf.Tensor4D, k, k, 'valid') : tf.maxPool(xi as tf.Tensor4D, k, k, 'valid');
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        kind === 'avg'
          ? runKernel('SnnAvgPoolGrad', { dy }, { k, inHeight: H, inWidth: W })
          : runKernel('SnnMaxPoolGrad', { x: saved[0], dy }, { k }),
    };
  });
  return f(x) as tf.Tensor4D;
}

/** x [N, F] @ w [F, O] + b [O]; the weight gradient transposes x explicitly (WASM transposeA is slow). */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  const f = customGrad((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor, save: GradSave) => {
    save([xi, wi]);
    return {
      value: tf.add(tf.matMul(xi as tf.Tensor2D, wi as tf.Tensor2D), bi),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        const dx = tf.matMul(dy as tf.Tensor2D, ws, false, true);
        const [xt] = runKernel('SnnTranspose2D', { x: xs });
        const dw = tf.matMul(xt as tf.Tensor2D, dy as tf.Tensor2D);
        const ones = tf.ones([1, dy.shape[0]!]);
        const db = tf.reshape(tf.matMul(ones as tf.Tensor2D, dy as tf.Tensor2D), [dy.shape[1]!]);
        return [dx, dw, db];
      },
    };
  });
  return f(x, w, b) as tf.Tensor2D;
}

export interface BatchStats {
  mean: Float32Array;
  variance: Float32Array;
}

/** Training-mode BatchNorm over the last axis; `onStats` receives the batch mean and (biased) variance. */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number, onStats: (s: BatchStats) => void): tf.Tensor {
  const f = customGrad((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor, save: GradSave) => {
    const [y, mean, invStd, variance] = runKernel('SnnBatchNormTrain', { x: xi, gamma: gi, beta: bi }, { epsilon });
    onStats({ mean: mean!.dataSync() as Float32Array, variance: variance!.dataSync() as Float32Array });
    save([xi, mean!, invStd!, gi]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, m, is, g] = saved;
        const [dx, dg, db] = runKernel('SnnBatchNormTrainGrad', { dy, x: xs, mean: m, invStd: is, gamma: g });
        return [dx!, dg!, db!];
      },
    };
  });
  return f(x, gamma, beta);
}

export interface LifOptions {
  /** Time steps folded in front of the batch: x is [T·B, ...]. */
  steps: number;
  /** Kernel attributes from neuronAttrs(). */
  attrs: Record<string, number | boolean>;
  /** PLIF: the raw parameter w (decay = sigmoid(w)), shape [1]; its gradient is returned. */
  plifWeight?: tf.Tensor1D;
  /** Receives the per-sample spike counts summed over T and neurons. */
  onCounts?: (counts: Float32Array) => void;
}

/** Multi-step neuron over x [T·B, ...]: spikes of the same shape, BPTT in one fused kernel. */
export function lif(x: tf.Tensor, opts: LifOptions): tf.Tensor {
  const shape = x.shape;
  const T = opts.steps;
  const flat = [T, x.size / T];
  const run = (xi: tf.Tensor, decay: tf.Tensor | null, save: GradSave) => {
    const x2 = tf.reshape(xi, flat);
    const [s, h, , counts] = runKernel('SnnLifForward', { x: x2, decay }, opts.attrs);
    if (opts.onCounts) opts.onCounts(counts!.dataSync() as Float32Array);
    save(decay ? [h!, s!, x2, decay] : [h!, s!]);
    return { s: tf.reshape(s!, shape), x2 };
  };
  const back = (dy: tf.Tensor, saved: tf.Tensor[]) => {
    const [h, s, x2, decay] = saved;
    const [gx, gd] = runKernel('SnnLifBackward', { gs: tf.reshape(dy, flat), h, s, x: x2 ?? null, decay: decay ?? null }, opts.attrs);
    return { gx: tf.reshape(gx!, shape), gd: gd! };
  };
  if (!opts.plifWeight) {
    const f = customGrad((xi: tf.Tensor, save: GradSave) => {
      const { s } = run(xi, null, save);
      return { value: s, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [back(dy, saved).gx] };
    });
    return f(x);
  }
  const f = customGrad((xi: tf.Tensor, wi: tf.Tensor, save: GradSave) => {
    const decay = tf.sigmoid(wi);
    const { s } = run(xi, decay, save);
    return {
      value: s,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const { gx, gd } = back(dy, saved);
        const d = saved[3]!;
        // d decay / d w = decay·(1 - decay)
        return [gx, tf.reshape(tf.mul(gd, tf.mul(d, tf.sub(1, d))), [1])];
      },
    };
  });
  return f(x, opts.plifWeight);
}

/** One neuron step for streaming: x [B, ...], v [B, ...] -> spikes and the new membrane. */
export function lifStep(x: tf.Tensor, v: tf.Tensor, attrs: Record<string, number | boolean>, decay: tf.Tensor | null): { s: tf.Tensor; v: tf.Tensor; count: number } {
  const shape = x.shape;
  const [s, , vNew, counts] = runKernel('SnnLifForward', { x: tf.reshape(x, [1, x.size]), v0: tf.reshape(v, [x.size]), decay }, attrs);
  const c = counts!.dataSync();
  let count = 0;
  for (let i = 0; i < c.length; i++) count += c[i]!;
  return { s: tf.reshape(s!, shape), v: tf.reshape(vNew!, shape), count };
}

/**
 * Mean softmax cross-entropy of logits [B, C] against integer labels, with label smoothing
 * eps (targets (1-eps)·onehot + eps/C). Computed in JS: B·C is tiny.
 */
export function crossEntropy(logits: tf.Tensor2D, labels: Int32Array | readonly number[], eps = 0): tf.Scalar {
  const [B, C] = logits.shape;
  if (labels.length !== B) throw new Error(`crossEntropy: ${labels.length} labels for a batch of ${B}`);
  const f = customGrad((z: tf.Tensor, save: GradSave) => {
    const v = z.dataSync();
    const grad = new Float32Array(B * C);
    let loss = 0;
    for (let b = 0; b < B; b++) {
      const o = b * C;
      let max = -Infinity;
      for (let c = 0; c < C; c++) max = Math.max(max, v[o + c]!);
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(v[o + c]! - max);
      const lse = max + Math.log(sum);
      const y = labels[b]!;
      if (!(y >= 0 && y < C)) throw new Error(`crossEntropy: label ${y} outside 0..${C - 1}`);
      for (let c = 0; c < C; c++) {
        const q = (c === y ? 1 - eps : 0) + eps / C;
        loss -= q * (v[o + c]! - lse);
        grad[o + c] = (Math.exp(v[o + c]! - lse) - q) / B;
      }
    }
    const g = tf.tensor2d(grad, [B, C]);
    save([g]);
    return { value: tf.scalar(loss / B), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(saved[0]!, dy)] };
  });
  return f(logits) as tf.Scalar;
}
