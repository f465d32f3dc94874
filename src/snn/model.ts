/**
 * SnnModel: parameters and forward pass of a resolved ModelSpec on TensorFlow.js.
 *
 * Multi-step mode: input [T, B, H, W, C] is folded to [T·B, H, W, C] for conv / BN / pooling;
 * only the neurons loop over T (inside one fused kernel). Logits are the mean over T of the
 * output layer. Every forward pass also returns per-layer, per-sample spike counts.
 *
 * In eval mode BatchNorm uses running statistics folded into the conv weights and bias, the
 * same arithmetic the streaming path uses, so both agree to float rounding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nonzeroFraction, runKernel, spikeKernelsActive } from './kernels.js';
import { batchNormTrain, conv2dSame, depthwiseSame, lif, lifStep, linear, pool, type ConvPlan } from './ops.js';
import { layerNeuron, projectionChannels, resolveSpec, type LayerSpec, type ModelSpec, type ResolvedSpec, type Shape3 } from './spec.js';
import { neuronAttrs, plifInitWeight, resolveNeuron, type ResolvedNeuron } from './neuron.js';
import { firingMetrics, type LayerCost } from './metrics.js';
import type { FiringMetrics } from './model-api.js';
import { randomSource } from '../util/random.js';

const BN_EPS = 1e-5;

/**
 * Convs whose input has fewer non-zeros than these fractions run event-driven (SnnSpikeConv,
 * cost ∝ non-zeros) instead of dense. Measured on REF-8 layer shapes (`npm run bench -- snn`
 * reports the firing rates): the WebAssembly SIMD kernels beat XNNPACK's forward conv below
 * ~20 % density and the dense filter gradient below ~40 %. The plain-JS fallback (other
 * backends, ~0.5 accumulates/ns) only pays off for inference on very sparse inputs: below
 * ~2.5 % at B·T = 256 frames, ~6 % for a single frame (streaming).
 */
const SPIKE_FORWARD_MAX_DENSITY = 0.15;
const SPIKE_FILTER_GRAD_MAX_DENSITY = 0.35;
function jsSpikeForwardMaxDensity(frames: number): number {
  return frames <= 16 ? 0.06 : 0.025;
}
const BN_MOMENTUM = 0.1;

export interface ForwardOptions {
  training: boolean;
}

export interface ForwardResult {
  /** [B, classes], mean over T of the output layer. */
  logits: tf.Tensor2D;
  /** [T·B, classes], the output layer at every step (row t·B + b). */
  stepLogits: tf.Tensor2D;
  /** spikes[k][b]: spikes of the k-th spiking layer for sample b, summed over T and neurons. */
  spikes: Float32Array[];
}

/** Membrane state of a streaming model (one tensor per spiking layer). */
export interface StreamState {
  v: (tf.Tensor | null)[];
}

/** tfjs variable names are global: each model gets its own prefix. */
let modelCounter = 0;

interface LayerPlan {
  index: number;
  spec: LayerSpec;
  neuron: ResolvedNeuron | null;
  bn: boolean;
  inShape: Shape3;
  catShape: Shape3;
  outShape: Shape3;
  /** Position among spiking layers, -1 if none. */
  spikeIndex: number;
}

export class SnnModel {
  readonly spec: ModelSpec;
  readonly resolved: ResolvedSpec;
  readonly plans: LayerPlan[];
  readonly costs: LayerCost[];
  /** Trainable parameters by name. */
  readonly params = new Map<string, tf.Variable>();
  /** BatchNorm running statistics by name (`l3.mean`, `l3.var`). */
  readonly buffers = new Map<string, Float32Array>();
  private readonly headIn: number;
  /** Total spikes of each spiking layer in the current forward (for the sparse-conv choice). */
  private readonly lastSpikes: number[] = [];
  /** Weight of a training batch's statistics in the running BatchNorm statistics. */
  private bnMomentum = BN_MOMENTUM;

  constructor(spec: ModelSpec, seed = 0) {
    this.resolved = resolveSpec(spec);
    this.spec = this.resolved.spec;
    const r = this.resolved;
    let spikeIndex = 0;
    this.plans = this.spec.layers.map((l, i) => {
      const n = layerNeuron(this.spec, l);
      const bn = (l.type === 'conv' || l.type === 'dwconv') && l.bn !== false;
      return { index: i, spec: l, neuron: n ? resolveNeuron(n) : null, bn, inShape: r.inShapes[i]!, catShape: r.catShapes[i]!, outShape: r.outShapes[i]!, spikeIndex: n ? spikeIndex++ : -1 };
    });
    const last = r.outShapes[r.outShapes.length - 1]!;
    this.headIn = last.h * last.w * last.c;
    this.initParams(seed);
    this.costs = this.computeCosts();
  }

  get spikingLayers(): number {
    return this.plans.filter((p) => p.neuron).length;
  }

  private initParams(seed: number): void {
    const rand = randomSource(seed);
    const uniform = (shape: number[], fanIn: number): tf.Tensor => {
      const bound = 1 / Math.sqrt(fanIn); // torch's default kaiming_uniform(a=sqrt(5))
      const n = shape.reduce((a, b) => a * b, 1);
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = (rand() * 2 - 1) * bound;
      return tf.tensor(v, shape);
    };
    const add = (name: string, t: tf.Tensor) => this.params.set(name, tf.variable(t, true, `snn${modelCounter}.${name}`));
    modelCounter++;
    for (const p of this.plans) {
      const l = p.spec;
      const cin = p.catShape.c;
      if (l.type === 'conv' || l.type === 'dwconv') {
        const k = l.kernel ?? 3;
        if (l.type === 'conv') add(`l${p.index}.w`, uniform([k, k, cin, l.out], k * k * cin));
        else add(`l${p.index}.w`, uniform([k, k, cin, 1], k * k));
        const cout = p.outShape.c;
        if (p.bn) {
          add(`l${p.index}.gamma`, tf.ones([cout]));
          add(`l${p.index}.beta`, tf.zeros([cout]));
          this.buffers.set(`l${p.index}.mean`, new Float32Array(cout));
          this.buffers.set(`l${p.index}.var`, new Float32Array(cout).fill(1));
        } else {
          add(`l${p.index}.b`, tf.zeros([cout]));
        }
      } else if (l.type === 'linear') {
        const fin = p.catShape.h * p.catShape.w * p.catShape.c;
        add(`l${p.index}.w`, uniform([fin, l.out], fin));
        add(`l${p.index}.b`, uniform([l.out], fin));
      }
      if (p.neuron?.kind === 'plif') add(`l${p.index}.plif`, tf.tensor1d([plifInitWeight(p.neuron.tau)]));
    }
    this.spec.skips.forEach((s, k) => {
      if (s.adapt?.project) {
        const cin = this.resolved.outShapes[s.from]!.c;
        add(`skip${k}.w`, uniform([1, 1, cin, projectionChannels(this.resolved, s)], cin));
      }
    });
    add('head.w', uniform([this.headIn, this.spec.classes], this.headIn));
    add('head.b', uniform([this.spec.classes], this.headIn));
  }

  /** Per-layer metrics costs: neurons, fan-out of each spike, dense MACs (per sample, per step). */
  private computeCosts(): LayerCost[] {
    const plans = this.plans;
    // Synapses driven by one value at the input of layer j (through pooling to the next consumer).
    const fanIn = (j: number): number => {
      if (j >= plans.length) return this.spec.classes;
      const l = plans[j]!.spec;
      switch (l.type) {
        case 'conv':
          return (l.kernel ?? 3) ** 2 * l.out;
        case 'dwconv':
          return (l.kernel ?? 3) ** 2;
        case 'linear':
          return l.out;
        default:
          return fanIn(j + 1);
      }
    };
    // Whether layer j outputs spikes, or spikes pooled on the way to a consumer: fanIn charges a
    // consumer's synapses to those spikes as SynOps, so the consumer must not pay them as MACs too.
    const carriesSpikes = (j: number): boolean => {
      const l = plans[j]!;
      if (l.neuron) return true;
      const t = l.spec.type;
      return t !== 'conv' && t !== 'dwconv' && t !== 'linear' && j > 0 && carriesSpikes(j - 1);
    };
    const costs: LayerCost[] = [];
    plans.forEach((p, i) => {
      let fanOut = fanIn(i + 1);
      for (const s of this.spec.skips) {
        if (s.from !== i) continue;
        if (s.adapt?.project) fanOut += projectionChannels(this.resolved, s);
        else if (s.type === 'DSC') fanOut += fanIn(s.to);
        // A SEW spike is one addition, then part of `to`'s output, driving its consumers.
        else if (s.type === 'SEW') fanOut += 1 + fanIn(s.to + 1);
        else fanOut += 1;
      }
      const o = p.outShape;
      const l = p.spec;
      let macs = 0;
      if (l.type === 'conv') macs = o.h * o.w * o.c * p.catShape.c * (l.kernel ?? 3) ** 2;
      else if (l.type === 'dwconv') macs = o.h * o.w * o.c * (l.kernel ?? 3) ** 2;
      else if (l.type === 'linear') macs = p.catShape.h * p.catShape.w * p.catShape.c * l.out;
      const spikingInput = i > 0 && carriesSpikes(i - 1);
      costs.push({ name: `${i}:${l.type}`, neurons: p.neuron ? o.h * o.w * o.c : 0, fanOut, macs, spikingInput });
    });
    this.spec.skips.forEach((s, k) => {
      if (!s.adapt?.project) return;
      const o = this.resolved.outShapes[s.to]!;
      costs.push({ name: `skip${k}:proj`, neurons: 0, fanOut: 0, macs: o.h * o.w * projectionChannels(this.resolved, s) * this.resolved.outShapes[s.from]!.c, spikingInput: plans[s.from]!.neuron !== null });
    });
    costs.push({ name: 'head', neurons: 0, fanOut: 0, macs: this.headIn * this.spec.classes, spikingInput: carriesSpikes(plans.length - 1) });
    return costs;
  }

  /** Trainable variables in a stable order. */
  trainableVariables(): tf.Variable[] {
    return [...this.params.values()];
  }

  parameterCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** Dense MACs per sample per time step (convs, projections, linear layers, head). */
  macsPerStep(): number {
    return this.costs.reduce((a, c) => a + c.macs, 0);
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`model parameter ${name} missing`);
    return v;
  }

  /** Eval-mode conv weights with BatchNorm folded in, built on first use. */
  private readonly foldCache = new Map<number, { w: tf.Tensor4D; b: tf.Tensor1D }>();

  /**
   * Drops the folded eval-mode weights; call after changing parameters or BN buffers directly
   * (training forwards, setWeights and the trainer's updates do it).
   */
  invalidateFolded(): void {
    for (const { w, b } of this.foldCache.values()) {
      w.dispose();
      b.dispose();
    }
    this.foldCache.clear();
  }

  private folded(i: number): { w: tf.Tensor4D; b: tf.Tensor1D } {
    let f = this.foldCache.get(i);
    if (!f) {
      f = tf.tidy(() => this.fold(i));
      tf.keep(f.w);
      tf.keep(f.b);
      this.foldCache.set(i, f);
    }
    return f;
  }

  /**
   * Eval-mode weights of layer i as typed arrays (read-only: they may share the tensors' storage):
   * conv / dwconv with BatchNorm folded in, linear as stored; w is [K, K, Ci, Co] / [K, K, C, 1] / [in, out].
   */
  inferenceWeights(i: number): { w: Float32Array; b: Float32Array } {
    const t = this.plans[i]!.spec.type;
    if (t === 'conv' || t === 'dwconv') {
      const f = this.folded(i);
      return { w: f.w.dataSync() as Float32Array, b: f.b.dataSync() as Float32Array };
    }
    return { w: this.p(`l${i}.w`).dataSync() as Float32Array, b: this.p(`l${i}.b`).dataSync() as Float32Array };
  }

  /** A parameter's values (read-only, as `inferenceWeights`), e.g. `head.w`, `skip0.w`, `l3.plif`. */
  parameterValues(name: string): Float32Array {
    return this.p(name).dataSync() as Float32Array;
  }

  /** Conv weight and bias with eval-mode BatchNorm folded in. */
  private fold(i: number): { w: tf.Tensor4D; b: tf.Tensor1D } {
    const plan = this.plans[i]!;
    const w = this.p(`l${i}.w`) as unknown as tf.Tensor4D;
    if (!plan.bn) return { w: tf.clone(w), b: tf.clone(this.p(`l${i}.b`)) as tf.Tensor1D };
    const mean = this.buffers.get(`l${i}.mean`)!;
    const variance = this.buffers.get(`l${i}.var`)!;
    const gamma = this.p(`l${i}.gamma`);
    const beta = this.p(`l${i}.beta`);
    const inv = tf.tensor1d(Array.from(variance, (v) => 1 / Math.sqrt(v + BN_EPS)));
    const scale = tf.mul(gamma, inv);
    const b = tf.sub(beta, tf.mul(scale, tf.tensor1d(mean))) as tf.Tensor1D;
    const ws = plan.spec.type === 'dwconv' ? tf.reshape(scale, [1, 1, -1, 1]) : scale;
    return { w: tf.mul(w, ws) as tf.Tensor4D, b };
  }

  /**
   * Sets the running BatchNorm statistics to those of batch x [T, B, H, W, C] (one training-mode
   * forward), so eval mode (`step`) then normalises as training mode does on x: how a
   * training-free score reads an untrained network.
   */
  calibrateBatchNorm(x: tf.Tensor): void {
    this.bnMomentum = 1;
    try {
      tf.tidy(() => {
        this.forward(x, { training: true });
      });
    } finally {
      this.bnMomentum = BN_MOMENTUM;
    }
    this.invalidateFolded();
  }

  private updateRunning(i: number, mean: Float32Array, variance: Float32Array, n: number): void {
    const rm = this.buffers.get(`l${i}.mean`)!;
    const rv = this.buffers.get(`l${i}.var`)!;
    const unbias = n > 1 ? n / (n - 1) : 1;
    for (let c = 0; c < rm.length; c++) {
      rm[c] = (1 - this.bnMomentum) * rm[c]! + this.bnMomentum * mean[c]!;
      rv[c] = (1 - this.bnMomentum) * rv[c]! + this.bnMomentum * variance[c]! * unbias;
    }
  }

  /**
   * Forward over x [T, B, H, W, C] (or already folded [T·B, H, W, C] with `steps`).
   * Call inside tf.tidy / tf.variableGrads; the returned logits belong to the caller.
   */
  forward(x: tf.Tensor, opts: ForwardOptions & { steps?: number }): ForwardResult {
    if (opts.training) this.invalidateFolded();
    const T = x.rank === 5 ? x.shape[0]! : opts.steps!;
    if (!T) throw new Error('forward: 4-D input needs opts.steps');
    const N = x.rank === 5 ? x.shape[0]! * x.shape[1]! : x.shape[0]!;
    const B = N / T;
    const { h, w, c } = this.resolved.inShapes[0]!;
    if (x.size !== N * h * w * c) throw new Error(`forward: input shape [${x.shape}] does not match the model input ${h}x${w}x${c}`);
    const spikes: Float32Array[] = this.plans.filter((p) => p.neuron).map(() => new Float32Array(B));
    const z0 = tf.reshape(x, [N, h, w, c]) as tf.Tensor4D;
    const out = this.run(z0, (i, u) => {
      const plan = this.plans[i]!;
      const neuron = plan.neuron!;
      return lif(u, {
        steps: T,
        attrs: neuronAttrs(neuron, B),
        plifWeight: neuron.kind === 'plif' ? (this.p(`l${i}.plif`) as unknown as tf.Tensor1D) : undefined,
        onCounts: (cnt) => {
          spikes[plan.spikeIndex]!.set(cnt);
          this.lastSpikes[plan.spikeIndex] = cnt.reduce((a, v) => a + v, 0);
        },
      });
    }, opts.training, N);
    const logits = tf.mean(tf.reshape(out, [T, B, this.spec.classes]), 0) as tf.Tensor2D;
    return { logits, stepLogits: out as tf.Tensor2D, spikes };
  }

  /**
   * The layer graph; `neuron(i, u)` applies layer i's neuron to its pre-activation. Returns the
   * head output [N, classes] (per time step).
   */
  private run(z0: tf.Tensor4D, neuron: (i: number, u: tf.Tensor) => tf.Tensor, training: boolean, N: number): tf.Tensor {
    const outs: tf.Tensor[] = [];
    let cur: tf.Tensor = z0;
    // Fraction of non-zeros in `cur` when it is a spike tensor straight from a neuron, else 1.
    let curDensity = 1;
    const adapt = (k: number): tf.Tensor4D => {
      const s = this.spec.skips[k]!;
      let t = outs[s.from]! as tf.Tensor4D;
      if (s.adapt!.pool > 1) t = pool(t, s.adapt!.pool, 'avg');
      if (s.adapt!.project) t = conv2dSame(t, this.p(`skip${k}.w`) as unknown as tf.Tensor4D);
      return t;
    };
    const wasmSpikes = spikeKernelsActive();
    for (const plan of this.plans) {
      const i = plan.index;
      const l = plan.spec;
      const dsc = this.spec.skips.map((s, k) => (s.to === i && s.type === 'DSC' ? k : -1)).filter((k) => k >= 0);
      if (dsc.length) {
        cur = tf.concat([cur, ...dsc.map(adapt)], 3);
        curDensity = 1;
      }
      let u: tf.Tensor;
      switch (l.type) {
        case 'conv':
        case 'dwconv': {
          const x4 = cur as tf.Tensor4D;
          // Input density, when the event-driven conv could be chosen for this layer.
          const density = l.type === 'conv' && (wasmSpikes || !training) ? (curDensity < 1 ? curDensity : nonzeroFraction(x4)) : 1;
          if (training || !plan.bn) {
            const wv = this.p(`l${i}.w`) as unknown as tf.Tensor4D;
            const conv: ConvPlan = {
              inputGrad: i > 0,
              spikeForward: wasmSpikes && density < SPIKE_FORWARD_MAX_DENSITY,
              spikeFilterGrad: wasmSpikes && density < SPIKE_FILTER_GRAD_MAX_DENSITY,
            };
            u = l.type === 'conv' ? conv2dSame(x4, wv, conv) : depthwiseSame(x4, wv);
            if (plan.bn) {
              u = batchNormTrain(u, this.p(`l${i}.gamma`) as unknown as tf.Tensor1D, this.p(`l${i}.beta`) as unknown as tf.Tensor1D, BN_EPS, (st) =>
                this.updateRunning(i, st.mean, st.variance, u.size / st.mean.length),
              );
            } else {
              u = tf.add(u, this.p(`l${i}.b`));
            }
          } else {
            const { w, b } = this.folded(i);
            if (l.type === 'conv' && density < (wasmSpikes ? SPIKE_FORWARD_MAX_DENSITY : jsSpikeForwardMaxDensity(N))) u = runKernel('SnnSpikeConv', { x: x4, w, bias: b })[0]!;
            else u = l.type === 'conv' ? tf.fused.conv2d({ x: x4, filter: w, strides: 1, pad: 'same', bias: b }) : tf.fused.depthwiseConv2d({ x: x4, filter: w, strides: 1, pad: 'same', bias: b });
          }
          for (const [k, s] of this.spec.skips.entries()) if (s.to === i && s.type === 'ASC') u = tf.add(u, adapt(k));
          break;
        }
        case 'pool':
          u = pool(cur as tf.Tensor4D, l.size ?? 2, l.kind ?? 'avg');
          break;
        case 'gap':
          u = tf.mean(cur, [1, 2], true);
          break;
        case 'linear':
          u = tf.reshape(linear(tf.reshape(cur, [N, -1]) as tf.Tensor2D, this.p(`l${i}.w`) as unknown as tf.Tensor2D, this.p(`l${i}.b`) as unknown as tf.Tensor1D), [N, 1, 1, l.out]);
          break;
      }
      cur = plan.neuron ? neuron(i, u) : u;
      curDensity = plan.neuron ? (this.lastSpikes[plan.spikeIndex] ?? N * plan.outShape.h * plan.outShape.w * plan.outShape.c) / (N * plan.outShape.h * plan.outShape.w * plan.outShape.c) : 1;
      for (const [k, s] of this.spec.skips.entries()) {
        if (s.to !== i || s.type !== 'SEW') continue;
        cur = tf.add(cur, adapt(k));
        curDensity = 1;
      }
      outs.push(cur);
    }
    return linear(tf.reshape(cur, [N, this.headIn]) as tf.Tensor2D, this.p('head.w') as unknown as tf.Tensor2D, this.p('head.b') as unknown as tf.Tensor1D);
  }

  /** A fresh streaming state (zero / reset membranes are created lazily). */
  newState(): StreamState {
    return { v: this.plans.filter((p) => p.neuron).map(() => null) };
  }

  /**
   * One time step for streaming inference: frame [B, H, W, C]; membranes in `state` are read and
   * replaced (old tensors disposed). Returns the head output [B, classes] of this step and the
   * spike count of every spiking layer; `onSpikes` sees the spikes [B, H, W, C] of each spiking
   * layer k (index among spiking layers) while they exist.
   */
  step(frame: tf.Tensor4D, state: StreamState, onSpikes?: (k: number, s: tf.Tensor) => void): { out: tf.Tensor2D; spikes: number[] } {
    const B = frame.shape[0];
    const spikes = new Array<number>(state.v.length).fill(0);
    const next: tf.Tensor[] = [];
    const out = tf.tidy(() =>
      this.run(frame, (i, u) => {
        const plan = this.plans[i]!;
        const neuron = plan.neuron!;
        const k = plan.spikeIndex;
        const attrs = neuronAttrs(neuron, B);
        const v = state.v[k] ?? tf.fill(u.shape, neuron.vReset ?? 0);
        const decay = neuron.kind === 'plif' ? tf.sigmoid(this.p(`l${i}.plif`)) : null;
        const r = lifStep(u, v, attrs, decay);
        spikes[k] = r.count;
        this.lastSpikes[k] = r.count;
        onSpikes?.(k, r.s);
        next[k] = tf.keep(r.v);
        return r.s;
      }, false, B) as tf.Tensor2D,
    );
    for (let k = 0; k < state.v.length; k++) {
      state.v[k]?.dispose();
      state.v[k] = next[k] ?? null;
    }
    return { out, spikes };
  }

  /** Per-sample firing metrics of a forward result (sample b) or of the whole batch (b = -1). */
  firing(spikes: readonly Float32Array[], steps: number, b = -1): FiringMetrics {
    if (b >= 0) return firingMetrics(this.costs, spikes.map((s) => s[b]!), 1, steps);
    const batch = spikes[0]?.length ?? 0;
    return firingMetrics(this.costs, spikes.map((s) => s.reduce((a, v) => a + v, 0)), batch, steps);
  }

  /** Named weights (parameters and BN buffers) as typed arrays, for saving. */
  weights(): { name: string; shape: number[]; data: Float32Array }[] {
    const out: { name: string; shape: number[]; data: Float32Array }[] = [];
    for (const [name, v] of this.params) out.push({ name, shape: v.shape.slice(), data: v.dataSync() as Float32Array });
    for (const [name, d] of this.buffers) out.push({ name, shape: [d.length], data: d.slice() });
    return out;
  }

  /** Loads weights saved by weights(); every parameter and buffer must be present with its shape. */
  setWeights(ws: readonly { name: string; shape: readonly number[]; data: Float32Array }[], source = 'weights'): void {
    const byName = new Map(ws.map((w) => [w.name, w]));
    for (const [name, v] of this.params) {
      const w = byName.get(name);
      if (!w) throw new Error(`${source}: missing parameter ${name}`);
      if (w.data.length !== v.size || w.shape.join() !== v.shape.join()) throw new Error(`${source}: parameter ${name} has shape [${w.shape}], model expects [${v.shape}]`);
      v.assign(tf.tensor(w.data, v.shape));
    }
    for (const [name, d] of this.buffers) {
      const w = byName.get(name);
      if (!w) throw new Error(`${source}: missing buffer ${name}`);
      if (w.data.length !== d.length) throw new Error(`${source}: buffer ${name} has ${w.data.length} values, model expects ${d.length}`);
      d.set(w.data);
    }
    this.invalidateFolded();
  }

  dispose(): void {
    this.invalidateFolded();
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}

/** Builds a model from a spec (throws SpecError with every reason when invalid). */
export function buildModel(spec: ModelSpec, seed = 0): SnnModel {
  return new SnnModel(spec, seed);
}
