/**
 * SNN kernels written in plain TypeScript over Float32Arrays and registered as TensorFlow.js
 * kernels. On the WASM backend they read and write tensors in place on the WASM heap (no
 * copies); on other backends they go through readSync / makeTensorInfo.
 *
 * Why: tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, and its transposes, strided slices
 * and reductions over non-innermost axes run at ~0.1 G elements/s. The fused LIF (whole BPTT
 * over T in one kernel), BatchNorm over NHWC, blocked transposes and pooling gradients below
 * replace chains of slow generic ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { onHeap, spikeKernelsFor, type SpikeKernels } from './wasm/spike-kernels.js';
import { requireTfjsVersion } from './tfjs-version.js';

type Attrs = NamedAttrMap;

interface JsKernel {
  name: string;
  inputs: readonly string[];
  /** Output shapes from the input shapes (in `inputs` order; absent optional inputs are null). */
  shapes(inShapes: (number[] | null)[], attrs: Attrs): number[][];
  /**
   * Outputs (by index) that `compute` writes in full; they are handed over as they come from the
   * allocator. Every other output is zeroed first (kernels that accumulate or leave padding).
   */
  writesAll?: readonly number[];
  /** Float32 scratch values the kernel needs (zeroed, 16-byte aligned, freed afterwards); none without. */
  scratch?(inShapes: (number[] | null)[]): number;
  /**
   * `wasm`: the WebAssembly kernels bound to the backend's heap, when it is the WASM backend
   * (then inputs, outputs and `scratch` are views of that heap).
   */
  compute(ins: (Float32Array | null)[], outs: Float32Array[], inShapes: (number[] | null)[], attrs: Attrs, wasm: SpikeKernels | null, scratch: Float32Array): void;
}

interface WasmData {
  memoryOffset: number;
}
interface WasmBackendLike {
  wasm: { HEAPF32: Float32Array; asm?: { memory?: { readonly buffer: ArrayBuffer } } };
  dataIdMap: { get(id: object): WasmData | undefined };
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  disposeData(dataId: object): boolean;
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const NO_SCRATCH = new Float32Array(0);

function runOn(kernel: JsKernel, backend: KernelBackend, inputs: Record<string, TensorInfo | undefined>, attrs: Attrs): TensorInfo[] {
  const ins = kernel.inputs.map((n) => inputs[n] ?? null);
  for (const t of ins) {
    if (t && t.dtype !== 'float32') throw new Error(`${kernel.name}: input dtype ${t.dtype}, expected float32`);
  }
  const inShapes = ins.map((t) => (t ? t.shape : null));
  const outShapes = kernel.shapes(inShapes, attrs);
  if (backend.constructor.name === 'BackendWasm' || 'dataIdMap' in backend && 'wasm' in backend) {
    const be = backend as unknown as WasmBackendLike;
    const outs = outShapes.map((s) => be.makeOutput(s, 'float32'));
    // Only kernels that ask for scratch pay for an allocation (the streaming step calls many).
    const scratch = kernel.scratch ? be.makeOutput([Math.max(1, kernel.scratch(inShapes))], 'float32') : null;
    // Views are taken after every allocation: malloc may grow (and replace) the heap buffer.
    const heap = be.wasm.HEAPF32;
    const view = (t: TensorInfo): Float32Array => {
      const off = be.dataIdMap.get(t.dataId)!.memoryOffset >> 2;
      return heap.subarray(off, off + size(t.shape));
    };
    const outViews = outs.map(view);
    // Zeroing an output the kernel overwrites anyway is a wasted pass over it (a quarter of LIF forward).
    outViews.forEach((v, i) => {
      if (!kernel.writesAll?.includes(i)) v.fill(0);
    });
    const scratchView = scratch ? view(scratch).fill(0) : NO_SCRATCH;
    try {
      kernel.compute(ins.map((t) => (t ? view(t) : null)), outViews, inShapes, attrs, spikeKernelsFor(be.wasm.asm?.memory), scratchView);
    } finally {
      if (scratch) be.disposeData(scratch.dataId);
    }
    return outs;
  }
  const inVals = ins.map((t) => (t ? (backend.readSync(t.dataId) as Float32Array) : null));
  const outVals = outShapes.map((s) => new Float32Array(size(s)));
  kernel.compute(inVals, outVals, inShapes, attrs, null, kernel.scratch ? new Float32Array(kernel.scratch(inShapes)) : NO_SCRATCH);
  const be = backend as unknown as { makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo };
  return outVals.map((v, i) => be.makeTensorInfo(outShapes[i]!, 'float32', v));
}

// ---------------------------------------------------------------- neuron dynamics ---------

/** Surrogate derivative ids (see neuron.ts for the formulas). */
export const SURROGATE_IDS = { atan: 0, sigmoid: 1, 'fast-sigmoid': 2, rectangular: 3 } as const;

/** d spike / d (h - v_th) for the surrogate `id` with parameter `alpha`. */
export function surrogateGrad(id: number, alpha: number, x: number): number {
  switch (id) {
    case 0: {
      const k = (Math.PI / 2) * alpha * x;
      return alpha / 2 / (1 + k * k);
    }
    case 1: {
      const s = 1 / (1 + Math.exp(-alpha * x));
      return alpha * s * (1 - s);
    }
    case 2: {
      const d = 1 + alpha * Math.abs(x);
      return 1 / (d * d);
    }
    default:
      return Math.abs(x) < alpha / 2 ? 1 / alpha : 0;
  }
}

/**
 * Neuron attributes shared by the forward and backward kernels. With d the decay (1/tau):
 * charge h = (1-d)·v + g·x + d·vReset, with g = d if decayInput else 1 (IF: d = 0, g = 1);
 * fire s = H(h - vTh); reset hard v = h(1-s) + vReset·s, soft v = h - s·vTh.
 */
interface NeuronAttrs {
  decay: number;
  decayInput: boolean;
  vTh: number;
  vReset: number;
  hardReset: boolean;
  detachReset: boolean;
  surrogate: number;
  alpha: number;
  /** Samples in the batch: the per-step block of M values is [batch, M / batch]. */
  batch: number;
}

function neuronAttrs(a: Attrs): NeuronAttrs {
  return a as unknown as NeuronAttrs;
}

/** Decay in use: the optional `decay` input (PLIF, shape [1]) overrides the attribute. */
function decayOf(a: NeuronAttrs, d: Float32Array | null | undefined): number {
  return d ? d[0]! : a.decay;
}

/**
 * LIF forward over T: x [T, ...] (T folded in front), optional v0 [...] (initial membrane,
 * streaming), optional decay [1]. Outputs: spikes s [T, ...], charged potentials h [T, ...]
 * (saved for BPTT), final membrane v [...], per-sample spike counts [batch].
 */
const lifForward: JsKernel = {
  name: 'SnnLifForward',
  inputs: ['x', 'v0', 'decay'],
  writesAll: [0, 1, 2],
  shapes: ([x], attrs) => {
    const a = neuronAttrs(attrs);
    return [x!, x!, x!.slice(1), [a.batch]];
  },
  compute([x, v0, dIn], [s, h, vOut, counts], [xShape], attrs, wasm) {
    const a = neuronAttrs(attrs);
    const T = xShape![0]!;
    const v = vOut!;
    if (v0) v.set(v0);
    else v.fill(a.hardReset ? a.vReset : 0);
    lifCharge(wasm, x!, v, s!, h!, counts!, T, a.batch, lifChargeConstants(attrs, decayOf(a, dIn)));
  },
};

/** Folded LIF constants: h = keep·v + g·x + bias; fire at h >= vTh; hard reset to vr, else subtract vTh. */
export interface LifCharge {
  keep: number;
  g: number;
  bias: number;
  vTh: number;
  vr: number;
  hard: boolean;
}

/** The folded constants of neuron attributes (see `neuronAttrs` in neuron.ts) with decay d. */
export function lifChargeConstants(attrs: Attrs, d: number): LifCharge {
  const a = neuronAttrs(attrs);
  return { keep: 1 - d, g: a.decayInput ? d : 1, bias: d * a.vReset, vTh: a.vTh, vr: a.vReset, hard: a.hardReset };
}

/**
 * Charges, fires and resets M neurons over T steps: x, s, h [T, M] (h: charged potentials,
 * kept for BPTT), v [M] (membrane, updated in place), counts [batch] (spikes added, the M values
 * of a step being [batch, M / batch]). WebAssembly SIMD when every view is on the kernels' heap
 * and M / batch is a multiple of 4, else the same arithmetic in TypeScript.
 */
export function lifCharge(wasm: SpikeKernels | null, x: Float32Array, v: Float32Array, s: Float32Array, h: Float32Array, counts: Float32Array, T: number, batch: number, c: LifCharge): void {
  const M = v.length;
  const per = M / batch;
  const { keep, g, bias, vTh, vr, hard } = c;
  if (onHeap(wasm, x, s, h, v, counts) && per % 4 === 0) {
    wasm.lif_forward(x.byteOffset, v.byteOffset, s.byteOffset, h.byteOffset, counts.byteOffset, T, M, batch, keep, g, bias, vTh, vr, hard ? 1 : 0);
    return;
  }
  for (let t = 0; t < T; t++) {
    const o = t * M;
    for (let b = 0; b < batch; b++) {
      let n = 0;
      const end = (b + 1) * per;
      for (let j = b * per; j < end; j++) {
        const hj = keep * v[j]! + g * x[o + j]! + bias;
        h[o + j] = hj;
        if (hj >= vTh) {
          s[o + j] = 1;
          n++;
          v[j] = hard ? vr : hj - vTh;
        } else {
          s[o + j] = 0;
          v[j] = hj;
        }
      }
      counts[b] = counts[b]! + n;
    }
  }
}

/**
 * LIF BPTT: inputs grad of spikes gs [T, ...], h and s from the forward, x (only for the decay
 * gradient), decay [1] (PLIF). Outputs gx [T, ...] and gDecay [1].
 */
const lifBackward: JsKernel = {
  name: 'SnnLifBackward',
  inputs: ['gs', 'h', 's', 'x', 'decay'],
  writesAll: [0],
  shapes: ([gs]) => [gs!, [1]],
  /** dL/dv of every neuron, carried from step t + 1 to step t by the WebAssembly kernel. */
  scratch: ([gs]) => gs![1]!,
  compute([gs, h, s, x, dIn], [gx, gd], [shape], attrs, wasm, scratch) {
    const a = neuronAttrs(attrs);
    const T = shape![0]!;
    const M = gs!.length / T;
    const d = decayOf(a, dIn);
    const keep = 1 - d;
    const g = a.decayInput ? d : 1;
    const { vTh, vReset: vr, hardReset, detachReset, surrogate, alpha } = a;
    const v0 = hardReset ? vr : 0;
    const wantDecay = x !== null;
    // WebAssembly: no decay gradient (PLIF) and no sigmoid surrogate (exp has no SIMD form).
    if (!wantDecay && surrogate !== SURROGATE_IDS.sigmoid && M % 4 === 0 && onHeap(wasm, gs, h, s, gx, scratch)) {
      wasm.lif_backward(gs!.byteOffset, h!.byteOffset, s!.byteOffset, gx!.byteOffset, scratch.byteOffset, T, M, keep, g, vTh, vr, hardReset ? 1 : 0, detachReset ? 1 : 0, surrogate, alpha);
      return;
    }
    let gDecay = 0;
    for (let j = 0; j < M; j++) {
      let gv = 0;
      for (let t = T - 1; t >= 0; t--) {
        const i = t * M + j;
        const hj = h![i]!;
        const sj = s![i]!;
        // reset: dv/dh and dv/ds
        const dvdh = hardReset ? 1 - sj : 1;
        const dvds = detachReset ? 0 : hardReset ? vr - hj : -vTh;
        const gh = (gs![i]! + gv * dvds) * surrogateGrad(surrogate, alpha, hj - vTh) + gv * dvdh;
        gx![i] = gh * g;
        if (wantDecay) {
          const ip = i - M;
          const vPrev = t === 0 ? v0 : hardReset ? h![ip]! * (1 - s![ip]!) + vr * s![ip]! : h![ip]! - s![ip]! * vTh;
          // h = v + (x - (v - vr))·d  (decayInput)  or  h = v - (v - vr)·d + x
          gDecay += gh * ((a.decayInput ? x![i]! : 0) - vPrev + vr);
        }
        gv = gh * keep;
      }
    }
    gd![0] = gDecay;
  },
};

// ---------------------------------------------------------------- batch norm ---------------

/** out = a[c]·P + b[c]·Q + k[c] over rows of C channels (channel_affine of spike-kernels.wat). */
function channelAffine(wasm: SpikeKernels | null, P: Float32Array, Q: Float32Array, C: number, a: Float32Array, b: Float32Array, k: Float32Array, out: Float32Array): void {
  const n = P.length / C;
  if (C % 4 === 0 && onHeap(wasm, P, Q, a, b, k, out)) {
    wasm.channel_affine(P.byteOffset, Q.byteOffset, n, C, a.byteOffset, b.byteOffset, k.byteOffset, out.byteOffset);
    return;
  }
  for (let r = 0, o = 0; r < n; r++, o += C) {
    for (let c = 0; c < C; c++) out[o + c] = a[c]! * P[o + c]! + b[c]! * Q[o + c]! + k[c]!;
  }
}

/**
 * Per-channel float64 sums over rows of C channels (channel_sums of spike-kernels.wat): without
 * dy s1 = Σx, s2 = Σx²; with dy s1 = Σdy, s2 = Σdy·(x - mean).
 */
function channelSums(wasm: SpikeKernels | null, x: Float32Array, dy: Float32Array | null, mean: Float32Array | null, C: number, s1: Float64Array, s2: Float64Array): void {
  const n = x.length / C;
  if (C % 4 === 0 && onHeap(wasm, x, dy, mean, s1, s2)) {
    wasm.channel_sums(x.byteOffset, dy ? dy.byteOffset : 0, mean ? mean.byteOffset : 0, n, C, s1.byteOffset, s2.byteOffset);
    return;
  }
  for (let r = 0, o = 0; r < n; r++, o += C) {
    for (let c = 0; c < C; c++) {
      const v = x[o + c]!;
      if (dy) {
        const g = dy[o + c]!;
        s1[c] = s1[c]! + g;
        s2[c] = s2[c]! + g * (v - mean![c]!);
      } else {
        s1[c] = s1[c]! + v;
        s2[c] = s2[c]! + v * v;
      }
    }
  }
}

/** BatchNorm scratch: float64 sums s1, s2 [C] (4C floats), then per-channel a, b, k [C]. */
function bnScratch(scratch: Float32Array, C: number) {
  const sums = new Float64Array(scratch.buffer, scratch.byteOffset, 2 * C);
  return {
    s1: sums.subarray(0, C),
    s2: sums.subarray(C),
    a: scratch.subarray(4 * C, 5 * C),
    b: scratch.subarray(5 * C, 6 * C),
    k: scratch.subarray(6 * C, 7 * C),
  };
}
const bnScratchSize = (shapes: (number[] | null)[]): number => 7 * shapes[0]![shapes[0]!.length - 1]!;

/** Training BatchNorm over rows of x [..., C]: outputs y, batch mean [C], inverse std [C], biased var [C]. */
const bnForward: JsKernel = {
  name: 'SnnBatchNormTrain',
  inputs: ['x', 'gamma', 'beta'],
  writesAll: [0, 1, 2, 3],
  shapes: ([x]) => {
    const C = x![x!.length - 1]!;
    return [x!, [C], [C], [C]];
  },
  scratch: bnScratchSize,
  compute([x, gamma, beta], [y, mean, invStd, variance], [shape], attrs, wasm, scratch) {
    const eps = attrs.epsilon as number;
    const C = shape![shape!.length - 1]!;
    const n = x!.length / C;
    const { s1: sum, s2: sq, a: scale, b: zero, k: shift } = bnScratch(scratch, C);
    channelSums(wasm, x!, null, null, C, sum, sq);
    for (let c = 0; c < C; c++) {
      const m = sum[c]! / n;
      const v = Math.max(0, sq[c]! / n - m * m);
      mean![c] = m;
      variance![c] = v;
      const is = 1 / Math.sqrt(v + eps);
      invStd![c] = is;
      scale[c] = gamma![c]! * is;
      shift[c] = beta![c]! - m * gamma![c]! * is;
    }
    channelAffine(wasm, x!, x!, C, scale, zero, shift, y!);
  },
};

/** BatchNorm backward: inputs dy, x, mean, invStd, gamma; outputs dx, dGamma, dBeta. */
const bnBackward: JsKernel = {
  name: 'SnnBatchNormTrainGrad',
  inputs: ['dy', 'x', 'mean', 'invStd', 'gamma'],
  writesAll: [0, 1, 2],
  shapes: ([dy]) => {
    const C = dy![dy!.length - 1]!;
    return [dy!, [C], [C]];
  },
  scratch: bnScratchSize,
  compute([dy, x, mean, invStd, gamma], [dx, dGamma, dBeta], [shape], _attrs, wasm, scratch) {
    const C = shape![shape!.length - 1]!;
    const n = dy!.length / C;
    const { s1: sdy, s2: sdyxc, a: k, b: negQ, k: c0 } = bnScratch(scratch, C);
    channelSums(wasm, x!, dy!, mean!, C, sdy, sdyxc);
    for (let c = 0; c < C; c++) {
      const is = invStd![c]!;
      const sdyx = sdyxc[c]! * is; // Σ dy·xhat
      dBeta![c] = sdy[c]!;
      dGamma![c] = sdyx;
      // dx = gamma·invStd/n · (n·dy - Σdy - xhat·Σ(dy·xhat)) = k·dy - q·x + (q·mean - b)
      k[c] = gamma![c]! * is;
      const b = (k[c]! * sdy[c]!) / n;
      const q = (k[c]! * sdyx * is) / n;
      negQ[c] = -q;
      c0[c] = q * mean![c]! - b;
    }
    channelAffine(wasm, dy!, x!, C, k, negQ, c0, dx!);
  },
};

// ---------------------------------------------------------------- layout transforms --------

/** x [N, H, W, C] -> [C, H + 2p, W + 2p, N], zero padded: the "images" of the filter-gradient conv. */
const padTransposeCHWN: JsKernel = {
  name: 'SnnPadTransposeCHWN',
  inputs: ['x'],
  shapes: ([x], attrs) => {
    const p = attrs.pad as number;
    const [N, H, W, C] = x!;
    return [[C!, H! + 2 * p, W! + 2 * p, N!]];
  },
  compute([x], [out], [shape], attrs) {
    const p = attrs.pad as number;
    const [N, H, W, C] = shape! as [number, number, number, number];
    const Hp = H + 2 * p;
    const Wp = W + 2 * p;
    const planeOut = Hp * Wp * N;
    const rowIn = H * W * C;
    // Per pixel: an N x C block (read rows of C) written as C rows of N; blocks stay cache-resident.
    for (let hh = 0; hh < H; hh++) {
      for (let ww = 0; ww < W; ww++) {
        const inBase = (hh * W + ww) * C;
        const outBase = ((hh + p) * Wp + ww + p) * N;
        for (let n = 0; n < N; n++) {
          const src = n * rowIn + inBase;
          let dst = outBase + n;
          for (let c = 0; c < C; c++, dst += planeOut) out![dst] = x![src + c]!;
        }
      }
    }
  },
};

/** dy [N, H, W, C] -> [H, W, N, C]: the filter of the filter-gradient conv. */
const transposeHWNC: JsKernel = {
  name: 'SnnTransposeHWNC',
  inputs: ['x'],
  writesAll: [0],
  shapes: ([x]) => {
    const [N, H, W, C] = x!;
    return [[H!, W!, N!, C!]];
  },
  compute([x], [out], [shape]) {
    const [N, H, W, C] = shape! as [number, number, number, number];
    const HW = H * W;
    for (let n = 0; n < N; n++) {
      for (let q = 0; q < HW; q++) {
        const src = (n * HW + q) * C;
        out!.set(x!.subarray(src, src + C), (q * N + n) * C);
      }
    }
  },
};

/** 2-D transpose [R, C] -> [C, R], blocked. */
const transpose2d: JsKernel = {
  name: 'SnnTranspose2D',
  inputs: ['x'],
  writesAll: [0],
  shapes: ([x]) => [[x![1]!, x![0]!]],
  compute([x], [out], [shape]) {
    const [R, C] = shape! as [number, number];
    const B = 32;
    for (let r0 = 0; r0 < R; r0 += B) {
      const r1 = Math.min(R, r0 + B);
      for (let c0 = 0; c0 < C; c0 += B) {
        const c1 = Math.min(C, c0 + B);
        for (let r = r0; r < r1; r++) {
          for (let c = c0; c < c1; c++) out![c * R + r] = x![r * C + c]!;
        }
      }
    }
  },
};

// ---------------------------------------------------------------- pooling / depthwise -------

/** Gradient of k x k average pooling with stride k, VALID: dy [N, Ho, Wo, C] -> dx [N, H, W, C]. */
const avgPoolGrad: JsKernel = {
  name: 'SnnAvgPoolGrad',
  inputs: ['dy'],
  shapes: ([dy], attrs) => {
    const [N, , , C] = dy!;
    return [[N!, attrs.inHeight as number, attrs.inWidth as number, C!]];
  },
  compute([dy], [dx], [shape], attrs) {
    const k = attrs.k as number;
    const [N, Ho, Wo, C] = shape! as [number, number, number, number];
    const H = attrs.inHeight as number;
    const W = attrs.inWidth as number;
    const inv = 1 / (k * k);
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < Ho; i++) {
        for (let j = 0; j < Wo; j++) {
          const src = ((n * Ho + i) * Wo + j) * C;
          for (let a = 0; a < k; a++) {
            for (let b = 0; b < k; b++) {
              const dst = ((n * H + i * k + a) * W + j * k + b) * C;
              for (let c = 0; c < C; c++) dx![dst + c] = dy![src + c]! * inv;
            }
          }
        }
      }
    }
  },
};

/** Gradient of k x k max pooling with stride k, VALID: routes dy to the first maximum of each window. */
const maxPoolGrad: JsKernel = {
  name: 'SnnMaxPoolGrad',
  inputs: ['x', 'dy'],
  shapes: ([x]) => [x!],
  compute([x, dy], [dx], [xShape, dyShape], attrs) {
    const k = attrs.k as number;
    const [, H, W] = xShape! as [number, number, number, number];
    const [N, Ho, Wo, C] = dyShape! as [number, number, number, number];
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < Ho; i++) {
        for (let j = 0; j < Wo; j++) {
          const src = ((n * Ho + i) * Wo + j) * C;
          for (let c = 0; c < C; c++) {
            let best = -Infinity;
            let at = 0;
            for (let a = 0; a < k; a++) {
              for (let b = 0; b < k; b++) {
                const idx = ((n * H + i * k + a) * W + j * k + b) * C + c;
                if (x![idx]! > best) {
                  best = x![idx]!;
                  at = idx;
                }
              }
            }
            dx![at] = dy![src + c]!;
          }
        }
      }
    }
  },
};

/** Depthwise filter gradient, stride 1 'same': x, dy [N, H, W, C] -> dw [K, K, C, 1]. */
const depthwiseFilterGrad: JsKernel = {
  name: 'SnnDepthwiseFilterGrad',
  inputs: ['x', 'dy'],
  shapes: ([x], attrs) => {
    const K = attrs.k as number;
    return [[K, K, x![3]!, 1]];
  },
  compute([x, dy], [dw], [shape], attrs) {
    const K = attrs.k as number;
    const p = (K - 1) >> 1;
    const [N, H, W, C] = shape! as [number, number, number, number];
    const acc = new Float64Array(K * K * C);
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < W; j++) {
          const o = ((n * H + i) * W + j) * C;
          for (let a = 0; a < K; a++) {
            const ii = i + a - p;
            if (ii < 0 || ii >= H) continue;
            for (let b = 0; b < K; b++) {
              const jj = j + b - p;
              if (jj < 0 || jj >= W) continue;
              const xi = ((n * H + ii) * W + jj) * C;
              const wi = (a * K + b) * C;
              for (let c = 0; c < C; c++) acc[wi + c] = acc[wi + c]! + x![xi + c]! * dy![o + c]!;
            }
          }
        }
      }
    }
    for (let i = 0; i < acc.length; i++) dw![i] = acc[i]!;
  },
};

/** Dimensions of an event-driven conv: x [N, H, W, Ci], filter [K, K, Ci, Co]. */
interface SpikeConvDims {
  N: number;
  H: number;
  W: number;
  Ci: number;
  Co: number;
  K: number;
}

/**
 * The loops of spike-kernels.wat in plain TypeScript, for backends whose tensors are not on the
 * WASM heap. Every non-zero x[n, h, w, ci] = a meets output pixel (h + p - kh, w + p - kw)
 * through tap (kh, kw); mode 0 adds a·f[kh, kw, ci, :] to that output row, mode 1 (filter
 * gradient, `out` holding dy) adds a·out-row to f[kh, kw, ci, :].
 */
function spikeConvJs(x: Float32Array, f: Float32Array, out: Float32Array, d: SpikeConvDims, mode: 0 | 1): void {
  const { N, H, W, Ci, Co, K } = d;
  const p = (K - 1) >> 1;
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < H; h++) {
      for (let w = 0; w < W; w++) {
        const xi = ((n * H + h) * W + w) * Ci;
        for (let ci = 0; ci < Ci; ci++) {
          const a = x[xi + ci]!;
          if (a === 0) continue;
          for (let kh = 0; kh < K; kh++) {
            const oh = h + p - kh;
            if (oh < 0 || oh >= H) continue;
            for (let kw = 0; kw < K; kw++) {
              const ow = w + p - kw;
              if (ow < 0 || ow >= W) continue;
              const fo = ((kh * K + kw) * Ci + ci) * Co;
              const oo = ((n * H + oh) * W + ow) * Co;
              if (mode === 0) for (let c = 0; c < Co; c++) out[oo + c] = out[oo + c]! + a * f[fo + c]!;
              else for (let c = 0; c < Co; c++) f[fo + c] = f[fo + c]! + a * out[oo + c]!;
            }
          }
        }
      }
    }
  }
}

export function spikeConv(wasm: SpikeKernels | null, x: Float32Array, f: Float32Array, out: Float32Array, d: SpikeConvDims, mode: 0 | 1): void {
  if (onHeap(wasm, x, f, out)) wasm.spike_conv(x.byteOffset, f.byteOffset, out.byteOffset, d.N, d.H, d.W, d.Ci, d.Co, d.K, mode);
  else spikeConvJs(x, f, out, d, mode);
}

/**
 * Event-driven 'same' stride-1 conv for sparse inputs (spikes): every non-zero input adds its
 * weighted filter column to the outputs it reaches, so the cost is nnz·K²·Co instead of the
 * dense N·H·W·K²·Ci·Co. x [N, H, W, Ci], w [K, K, Ci, Co], optional bias [Co] -> [N, H, W, Co].
 */
const spikeConvForward: JsKernel = {
  name: 'SnnSpikeConv',
  inputs: ['x', 'w', 'bias'],
  shapes: ([x, w]) => [[x![0]!, x![1]!, x![2]!, w![3]!]],
  compute([x, w, bias], [out], [xShape, wShape], _attrs, wasm) {
    const [N, H, W, Ci] = xShape! as [number, number, number, number];
    const [K, , , Co] = wShape! as [number, number, number, number];
    const o = out!;
    if (bias) for (let i = 0; i < o.length; i += Co) o.set(bias, i);
    spikeConv(wasm, x!, w!, o, { N, H, W, Ci, Co, K }, 0);
  },
};

/** Filter gradient of the event-driven conv: x [N, H, W, Ci], dy [N, H, W, Co] -> [K, K, Ci, Co]. */
const spikeConvFilterGrad: JsKernel = {
  name: 'SnnSpikeConvFilterGrad',
  inputs: ['x', 'dy'],
  shapes: ([x, dy], attrs) => {
    const k = attrs.k as number;
    return [[k, k, x![3]!, dy![3]!]];
  },
  compute([x, dy], [dw], [xShape, dyShape], attrs, wasm) {
    const [N, H, W, Ci] = xShape! as [number, number, number, number];
    spikeConv(wasm, x!, dw!, dy!, { N, H, W, Ci, Co: dyShape![3]!, K: attrs.k as number }, 1);
  },
};

/** Number of non-zero values of x, as a [1] tensor (picks the event-driven or the dense conv). */
const countNonzero: JsKernel = {
  name: 'SnnCountNonzero',
  inputs: ['x'],
  shapes: () => [[1]],
  compute([x], [out], _shapes, _attrs, wasm) {
    const v = x!;
    if (onHeap(wasm, v)) {
      out![0] = wasm.count_nonzero(v.byteOffset, v.length);
      return;
    }
    let nz = 0;
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) nz++;
    out![0] = nz;
  },
};

const ALL: readonly JsKernel[] = [
  spikeConvForward,
  spikeConvFilterGrad,
  countNonzero,
  lifForward,
  lifBackward,
  bnForward,
  bnBackward,
  padTransposeCHWN,
  transposeHWNC,
  transpose2d,
  avgPoolGrad,
  maxPoolGrad,
  depthwiseFilterGrad,
];

const registered = new Set<string>();

let shareClones = 0;

/**
 * Runs `f` with tf.clone sharing tensor data instead of copying it on the WASM backend: for
 * spikeline's training step only. tfjs-backend-wasm's Identity copies the tensor, and the engine
 * clones (Identity) every tensor a gradient saves: a score of activation-sized copies per
 * training step. Tensor data is immutable (every kernel here writes only fresh outputs), so the
 * clone can share the data and count a reference, as the WASM Reshape kernel already does.
 * `f` must be synchronous: nothing else (an embedding application's own tfjs models) runs while
 * it does, so outside it every clone is the stock copy.
 */
export function withSharedClones<T>(f: () => T): T {
  shareClones++;
  try {
    return f();
  } finally {
    shareClones--;
  }
}

/** Replaces the WASM Identity kernel with one that shares data inside withSharedClones only. */
function shareIdentityData(backendName: string): void {
  const original = tf.getKernel('Identity', backendName);
  if (backendName !== 'wasm' || !original) return;
  tf.unregisterKernel('Identity', backendName);
  tf.registerKernel({
    kernelName: 'Identity',
    backendName,
    kernelFunc: (args) => {
      const x = args.inputs.x as TensorInfo;
      if (shareClones === 0 || x.dtype === 'string') return original.kernelFunc(args);
      (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}

/** Registers the SNN kernels for the active backend (idempotent). */
export function registerSnnKernels(): void {
  const backendName = tf.getBackend();
  requireTfjsVersion('@tensorflow/tfjs-core', tf.version_core);
  if (!registered.has(`${backendName}/Identity`)) {
    shareIdentityData(backendName);
    registered.add(`${backendName}/Identity`);
  }
  for (const k of ALL) {
    const key = `${backendName}/${k.name}`;
    if (registered.has(key)) continue;
    tf.registerKernel({
      kernelName: k.name,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) =>
        runOn(k, backend as KernelBackend, inputs as Record<string, TensorInfo | undefined>, (attrs ?? {}) as Attrs),
    });
    registered.add(key);
  }
}

/** Per kernel name, the outputs it takes unzeroed because it writes them in full (tests check every entry). */
export function outputsWrittenInFull(): Record<string, readonly number[]> {
  return Object.fromEntries(ALL.flatMap((k) => (k.writesAll ? [[k.name, k.writesAll]] : [])));
}

/** Whether the event-driven conv kernels run as WebAssembly SIMD on the active backend. */
export function spikeKernelsActive(): boolean {
  const be = tf.backend() as unknown as Partial<WasmBackendLike>;
  return spikeKernelsFor(be.wasm?.asm?.memory) !== null;
}

/** Fraction of non-zero values in x. */
export function nonzeroFraction(x: tf.Tensor): number {
  const [c] = runKernel('SnnCountNonzero', { x });
  const n = c!.dataSync()[0]!;
  c!.dispose();
  return n / Math.max(1, x.size);
}

/** Runs a registered SNN kernel; optional inputs may be omitted. */
export function runKernel(name: string, inputs: Record<string, tf.Tensor | null | undefined>, attrs: Record<string, unknown> = {}): tf.Tensor[] {
  registerSnnKernels();
  const present: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) if (v) present[k] = v;
  const out = tf.engine().runKernel(name, present as unknown as tf.NamedTensorMap, attrs as NamedAttrMap);
  return (Array.isArray(out) ? out : [out]) as tf.Tensor[];
}
