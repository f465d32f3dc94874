/**
 * Streaming inference of one sample without TensorFlow.js: the model's eval-mode graph compiled
 * once into buffers laid out in one WebAssembly memory, and a step that is a short list of kernel
 * calls on them (event-driven conv and LIF in WebAssembly SIMD, the small layers in TypeScript
 * loops over the same memory).
 *
 * Why: a live step is ~40 tiny ops. Through TensorFlow.js each op costs tens of microseconds of
 * dispatch (tensor bookkeeping, kernel lookup, scopes) and, on a mostly idle serving process
 * whose caches and branch predictors have gone cold between steps, that JavaScript dominated the
 * latency (bundled model: 0.56 ms back to back, 3.6 ms median inside `spikeline run`). Here a
 * step touches a few kilobytes of code and no allocator.
 *
 * Same arithmetic as `SnnModel.step` in eval mode (BatchNorm folded, 'same' stride-1 convs,
 * k x k pooling with stride k, ASC / DSC / SEW skips with their adaptation, the head), so outputs
 * agree to float rounding; the weights are copied in at construction (rebuild after training).
 */
import { lifCharge, lifChargeConstants, spikeConv, type LifCharge } from './kernels.js';
import type { SnnModel } from './model.js';
import { neuronAttrs } from './neuron.js';
import { projectionChannels, type Shape3 } from './spec.js';
import { spikeKernelsWithMemory, type SpikeKernels } from './wasm/spike-kernels.js';

const volume = (s: Shape3): number => s.h * s.w * s.c;

/** Float32 buffers carved out of one memory, each 16-byte aligned (SIMD loads). */
class Arena {
  private floats = 0;
  private readonly slots: { offset: number; length: number; init?: Float32Array }[] = [];

  /** Reserves `length` floats (optionally initialised with `init`); returns the slot index. */
  reserve(length: number, init?: Float32Array): number {
    this.slots.push({ offset: this.floats, length, init });
    this.floats += (length + 3) & ~3;
    return this.slots.length - 1;
  }

  /** Allocates the memory (the kernels' own when `wasm` and available) and returns a view per slot. */
  build(wasm: boolean): { kernels: SpikeKernels | null; views: Float32Array[] } {
    const kernels = wasm ? spikeKernelsWithMemory(this.floats * 4) : null;
    const heap = kernels ? new Float32Array(kernels.memory.buffer, 0, this.floats) : new Float32Array(this.floats);
    const views = this.slots.map((s) => {
      const v = heap.subarray(s.offset, s.offset + s.length);
      if (s.init) v.set(s.init);
      return v;
    });
    return { kernels, views };
  }
}

interface SkipRun {
  from: number;
  pool: number;
  /** Adapted (pooled, projected) source, or the source output itself when no adaptation. */
  out: Float32Array;
  pooled: Float32Array | null;
  /** 1x1 projection [Cfrom, Cproj] (ASC, DSC with project). */
  proj: Float32Array | null;
}

interface LayerRun {
  kind: 'conv' | 'dwconv' | 'pool-avg' | 'pool-max' | 'gap' | 'linear';
  /** Input shape after DSC concatenation, and the main input's channel count before it. */
  in: Shape3;
  mainChannels: number;
  out: Shape3;
  K: number;
  poolSize: number;
  /** DSC sources concatenated after the main input (channel axis), and the buffer they go to. */
  dsc: SkipRun[];
  cat: Float32Array | null;
  asc: SkipRun[];
  /** Spike-element-wise additions to the output after the neuron. */
  sew: SkipRun[];
  w: Float32Array | null;
  b: Float32Array | null;
  /** Pre-activation; the layer's output too when it has no neuron. */
  u: Float32Array;
  out1: Float32Array;
  neuron: { v: Float32Array; h: Float32Array; count: Float32Array; charge: LifCharge; v0: number } | null;
}

export class StepEngine {
  private readonly kernels: SpikeKernels | null;
  private readonly input: Float32Array;
  private readonly layers: LayerRun[];
  private readonly headW: Float32Array;
  private readonly headB: Float32Array;

  /** `wasm: false` runs every layer in TypeScript (what happens without WebAssembly SIMD). */
  constructor(model: SnnModel, { wasm = true }: { wasm?: boolean } = {}) {
    const arena = new Arena();
    const r = model.resolved;
    const input = arena.reserve(volume(r.inShapes[0]!));
    const skipSlots = model.spec.skips.map((s, k) => {
      const a = s.adapt!;
      const src = r.outShapes[s.from]!;
      const pooled = a.pool > 1 ? arena.reserve(volume({ ...src, h: src.h / a.pool, w: src.w / a.pool })) : -1;
      const projC = projectionChannels(r, s);
      const proj = a.project ? arena.reserve(src.c * projC, model.parameterValues(`skip${k}.w`)) : -1;
      const projected = a.project ? arena.reserve(volume({ ...r.outShapes[s.to]!, c: projC })) : -1;
      return { pooled, proj, projected };
    });
    const layerSlots = model.plans.map((p) => {
      const t = p.spec.type;
      const hasW = t === 'conv' || t === 'dwconv' || t === 'linear';
      const wb = hasW ? model.inferenceWeights(p.index) : null;
      const n = volume(p.outShape);
      const neuron = p.neuron;
      let charge: LifCharge | null = null;
      if (neuron) {
        const attrs = neuronAttrs(neuron, 1);
        const decay = neuron.kind === 'plif' ? 1 / (1 + Math.exp(-model.parameterValues(`l${p.index}.plif`)[0]!)) : (attrs.decay as number);
        charge = lifChargeConstants(attrs, decay);
      }
      return {
        cat: model.spec.skips.some((s) => s.to === p.index && s.type === 'DSC') ? arena.reserve(volume(p.catShape)) : -1,
        w: wb ? arena.reserve(wb.w.length, wb.w) : -1,
        b: wb ? arena.reserve(wb.b.length, wb.b) : -1,
        u: arena.reserve(n),
        s: neuron ? arena.reserve(n) : -1,
        v: neuron ? arena.reserve(n) : -1,
        h: neuron ? arena.reserve(n) : -1,
        count: neuron ? arena.reserve(1) : -1,
        charge,
        v0: neuron?.vReset ?? 0,
      };
    });
    const headW = arena.reserve(model.spec.classes * volume(r.outShapes[r.outShapes.length - 1]!), model.parameterValues('head.w'));
    const headB = arena.reserve(model.spec.classes, model.parameterValues('head.b'));
    const { kernels, views } = arena.build(wasm);
    const view = (slot: number): Float32Array | null => (slot < 0 ? null : views[slot]!);
    this.kernels = kernels;
    this.input = views[input]!;
    this.headW = views[headW]!;
    this.headB = views[headB]!;

    const outputs: Float32Array[] = [];
    const skipRun = (k: number): SkipRun => {
      const s = model.spec.skips[k]!;
      const slots = skipSlots[k]!;
      const pooled = view(slots.pooled);
      const out = view(slots.projected) ?? pooled ?? outputs[s.from]!;
      return { from: s.from, pool: s.adapt!.pool, out, pooled, proj: view(slots.proj) };
    };
    this.layers = model.plans.map((p, i) => {
      const l = p.spec;
      const slots = layerSlots[i]!;
      const u = views[slots.u]!;
      const out1 = view(slots.s) ?? u;
      const run: LayerRun = {
        kind: l.type === 'pool' ? (l.kind === 'max' ? 'pool-max' : 'pool-avg') : l.type,
        in: p.catShape,
        mainChannels: p.inShape.c,
        out: p.outShape,
        K: l.type === 'conv' || l.type === 'dwconv' ? (l.kernel ?? 3) : 0,
        poolSize: l.type === 'pool' ? (l.size ?? 2) : 0,
        dsc: [],
        cat: view(slots.cat),
        asc: [],
        sew: [],
        w: view(slots.w),
        b: view(slots.b),
        u,
        out1,
        neuron: slots.charge ? { v: views[slots.v]!, h: views[slots.h]!, count: views[slots.count]!, charge: slots.charge, v0: slots.v0 } : null,
      };
      // Skips ending here read outputs of earlier layers, which exist by now.
      model.spec.skips.forEach((s, k) => {
        if (s.to === i) run[s.type === 'DSC' ? 'dsc' : s.type === 'SEW' ? 'sew' : 'asc'].push(skipRun(k));
      });
      outputs.push(out1);
      return run;
    });
    this.reset();
  }

  /** Whether the conv and neuron kernels run in WebAssembly (else TypeScript loops). */
  get usesWasm(): boolean {
    return this.kernels !== null;
  }

  /** Membranes back to their initial value (vReset, or 0 for a soft reset). */
  reset(): void {
    for (const l of this.layers) l.neuron?.v.fill(l.neuron.v0);
  }

  /**
   * One time step on frame [H, W, C]: updates the membranes, writes the head output of this
   * step into `out` [classes] and each spiking layer's spike count into `spikes`.
   */
  step(frame: Float32Array, out: Float32Array, spikes: number[]): void {
    this.input.set(frame);
    let x = this.input;
    let spikeIndex = 0;
    for (const l of this.layers) {
      if (l.cat) {
        for (const s of l.dsc) adaptSkip(s, this.layers[s.from]!);
        x = concatChannels(x, l.mainChannels, l.dsc, l.cat, l.in.h * l.in.w);
      }
      this.runLayer(l, x);
      for (const s of l.asc) {
        adaptSkip(s, this.layers[s.from]!);
        const a = s.out;
        const u = l.u;
        for (let j = 0; j < u.length; j++) u[j] = u[j]! + a[j]!;
      }
      const n = l.neuron;
      if (n) {
        n.count[0] = 0;
        lifCharge(this.kernels, l.u, n.v, l.out1, n.h, n.count, 1, 1, n.charge);
        spikes[spikeIndex++] = n.count[0]!;
      }
      for (const s of l.sew) {
        adaptSkip(s, this.layers[s.from]!);
        const a = s.out;
        const o = l.out1;
        for (let j = 0; j < o.length; j++) o[j] = o[j]! + a[j]!;
      }
      x = l.out1;
    }
    linearInto(x, this.headW, this.headB, out);
  }

  private runLayer(l: LayerRun, x: Float32Array): void {
    const { in: i, out: o, u } = l;
    switch (l.kind) {
      case 'conv':
        for (let p = 0; p < u.length; p += o.c) u.set(l.b!, p);
        spikeConv(this.kernels, x, l.w!, u, { N: 1, H: i.h, W: i.w, Ci: i.c, Co: o.c, K: l.K }, 0);
        break;
      case 'dwconv':
        depthwise(x, l.w!, l.b!, u, i.h, i.w, i.c, l.K);
        break;
      case 'pool-avg':
      case 'pool-max':
        poolInto(x, i, l.poolSize, l.kind === 'pool-max', u);
        break;
      case 'gap':
        globalAverage(x, i.h * i.w, u);
        break;
      case 'linear':
        linearInto(x, l.w!, l.b!, u);
        break;
    }
  }
}

/** Pools (average, stride `pool`) and projects (1x1 conv) a skip's source output of this step. */
function adaptSkip(s: SkipRun, src: LayerRun): void {
  let t = src.out1;
  if (s.pooled) {
    poolInto(t, src.out, s.pool, false, s.pooled);
    t = s.pooled;
  }
  if (s.proj) {
    const ci = src.out.c;
    const co = s.proj.length / ci;
    const o = s.out;
    o.fill(0);
    for (let p = 0, pi = 0; p < o.length; p += co, pi += ci) {
      for (let c = 0; c < ci; c++) {
        const a = t[pi + c]!;
        if (a === 0) continue;
        const wo = c * co;
        for (let k = 0; k < co; k++) o[p + k]! += a * s.proj[wo + k]!;
      }
    }
  }
}

/** Per pixel: the main input's channels, then each DSC source's, in skip order. */
function concatChannels(x: Float32Array, c0: number, dsc: readonly SkipRun[], cat: Float32Array, pixels: number): Float32Array {
  const total = cat.length / pixels;
  for (let p = 0; p < pixels; p++) cat.set(x.subarray(p * c0, (p + 1) * c0), p * total);
  let c = c0;
  for (const s of dsc) {
    const cs = s.out.length / pixels;
    for (let p = 0; p < pixels; p++) cat.set(s.out.subarray(p * cs, (p + 1) * cs), p * total + c);
    c += cs;
  }
  return cat;
}

/** k x k pooling with stride k of x [H, W, C] into out. */
function poolInto(x: Float32Array, s: Shape3, k: number, max: boolean, out: Float32Array): void {
  const { w: W, c: C } = s;
  const ow = W / k;
  const oh = s.h / k;
  const row = W * C;
  if (max) out.fill(-Infinity);
  else out.fill(0);
  for (let y = 0; y < oh; y++) {
    for (let dy = 0; dy < k; dy++) {
      // One input row adds into one output row: k consecutive pixels per output pixel.
      let i = (y * k + dy) * row;
      const o0 = y * ow * C;
      for (let xo = 0; xo < ow; xo++) {
        const o = o0 + xo * C;
        for (let dx = 0; dx < k; dx++, i += C) {
          if (max) {
            for (let c = 0; c < C; c++) if (x[i + c]! > out[o + c]!) out[o + c] = x[i + c]!;
          } else {
            for (let c = 0; c < C; c++) out[o + c]! += x[i + c]!;
          }
        }
      }
    }
  }
  if (!max) {
    const scale = 1 / (k * k);
    for (let j = 0; j < out.length; j++) out[j]! *= scale;
  }
}

/** Mean over the pixels of x [pixels, C] into out [C]. */
function globalAverage(x: Float32Array, pixels: number, out: Float32Array): void {
  const C = out.length;
  out.fill(0);
  for (let i = 0; i < x.length; i += C) for (let c = 0; c < C; c++) out[c]! += x[i + c]!;
  for (let c = 0; c < C; c++) out[c]! /= pixels;
}

/** 'same' stride-1 depthwise conv: x [H, W, C], w [K, K, C, 1], bias [C]. */
function depthwise(x: Float32Array, w: Float32Array, b: Float32Array, out: Float32Array, H: number, W: number, C: number, K: number): void {
  const p = (K - 1) >> 1;
  for (let y = 0; y < H; y++) {
    for (let xo = 0; xo < W; xo++) {
      const o = (y * W + xo) * C;
      out.set(b, o);
      for (let kh = 0; kh < K; kh++) {
        const iy = y + kh - p;
        if (iy < 0 || iy >= H) continue;
        for (let kw = 0; kw < K; kw++) {
          const ix = xo + kw - p;
          if (ix < 0 || ix >= W) continue;
          const i = (iy * W + ix) * C;
          const wo = (kh * K + kw) * C;
          for (let c = 0; c < C; c++) out[o + c]! += x[i + c]! * w[wo + c]!;
        }
      }
    }
  }
}

/** out = x · w + b with w [F, O]; zero inputs (most spikes) are skipped. */
function linearInto(x: Float32Array, w: Float32Array, b: Float32Array, out: Float32Array): void {
  const O = out.length;
  out.set(b);
  for (let f = 0; f < x.length; f++) {
    const a = x[f]!;
    if (a === 0) continue;
    const wo = f * O;
    for (let o = 0; o < O; o++) out[o]! += a * w[wo + o]!;
  }
}
