/**
 * BPTT training and evaluation of an SnnModel: Adam(W) or SGD with momentum, cosine or constant
 * learning-rate schedule (per step), decoupled weight decay, label smoothing, augmentations,
 * checkpoints with resume, JSONL metrics and an epoch callback that can stop early (used by
 * the skip-connection search for pruning).
 */
import * as tf from '@tensorflow/tfjs-core';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FrameAccumulator } from '../operators/functional/binning.js';
import { createProgress, type Progress } from '../util/progress.js';
import { initBackend, describeBackend } from './backend.js';
import { DEFAULT_AUGMENTATION, NO_AUGMENTATION, packBatch, sampleFrames, windowFrames, type AugmentContext, type Augmentation, type LabelledEvents } from './data.js';
import { mirrorLabelMap } from '../operators/functional/augment.js';
import { loadModel, saveModel } from './io.js';
import { hasCheckpoint, loadCheckpoint, replaceFolder, saveCheckpoint, settleFolder, type OptimState } from './checkpoint.js';
import { FiringAccumulator } from './metrics.js';
import { inputChannels, steppingOf, subBinsOf, type FiringMetrics, type Preprocessing } from './model-api.js';
import { formatDenoise } from './denoise.js';
import { buildModel, type SnnModel } from './model.js';
import type { ModelSpec } from './spec.js';
import type { ValidationGroup } from './validation.js';
import { curvesSvg } from './plot.js';
import { GradPool, shardGradients, type LossOptions } from './parallel.js';
import { randomSource } from '../util/random.js';
import { appendTo } from '../util/multimap.js';
import { softmaxInto } from '../util/stats.js';
import { threadCpuSeconds } from '../util/cpu-time.js';

/** A sample given as ready frames [T, H, W, 2K] (synthetic data, tests, search proxies). */
export interface FrameSample {
  frames: Float32Array;
  label: number;
  source?: string;
}

export type Sample = LabelledEvents | FrameSample;

export interface TrainingData {
  classes: readonly string[];
  preprocessing: Preprocessing;
  train: readonly Sample[];
  test: readonly Sample[];
  /**
   * Held-out part of the training data for model selection: when given, it is evaluated after
   * every epoch and the weights kept (returned, saved as the model) are those of the epoch with
   * the best validation accuracy, ties broken by the lower validation loss; the test split never
   * influences them.
   */
  val?: readonly Sample[];
  /** How `val` was held out, recorded with the selection when given. */
  valBy?: ValidationGroup;
}

export interface TrainOptions {
  spec: ModelSpec;
  data: TrainingData;
  epochs: number;
  batchSize?: number;
  optimizer?: 'adam' | 'sgd';
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  labelSmoothing?: number;
  /** Train on the mean of every step's cross-entropy (TET) instead of the mean logits' (LossOptions). */
  perStepLoss?: boolean;
  /** Draw each epoch's samples class by class, every class equally often (imbalanced data). */
  balance?: boolean;
  schedule?: 'cosine' | 'constant';
  seed?: number;
  augmentation?: Augmentation;
  /** Folder for checkpoints (written after every epoch) and the final model. */
  outDir?: string;
  /** Continue from outDir/checkpoint when it exists. */
  resume?: boolean;
  /**
   * Model folder whose weights (and BN statistics) start the training instead of the seeded
   * initialisation: fine-tuning. Its classes and preprocessing must match the data's.
   * A checkpoint taken up by `resume` wins over it.
   */
  initFrom?: string;
  /** JSONL metrics log (one line per epoch; default outDir/metrics.jsonl when outDir is set). */
  logFile?: string;
  /** Called after each epoch; return false to stop training (early stop / pruning). */
  // biome-ignore lint/suspicious/noConfusingVoidType: a callback that returns nothing means "go on"
  onEpoch?: (m: EpochMetrics) => boolean | void | Promise<boolean | void>;
  /** Progress bar / JSON progress lines (default: on unless silent). */
  progress?: boolean;
  /** Evaluate on the test split every `evalEvery` epochs (and always after the last). Default 1. */
  evalEvery?: number;
  /**
   * Threads computing gradients (data-parallel, see parallel.ts): 1 = this thread only
   * (default; what parallel search trials want), 2 = this thread + one worker, ...
   */
  threads?: number;
}

export interface EpochMetrics {
  epoch: number;
  lr: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number | null;
  testAccuracy: number | null;
  /** Validation split (absent without one). */
  valLoss?: number;
  valAccuracy?: number;
  /** Mean firing rate on the test split (train split when not evaluated). */
  firingRate: number;
  /** SynOps per sample (whole window) on the evaluated split. */
  synopsPerSample: number;
  seconds: number;
  /** CPU time of the training thread in the epoch (its training and evaluation; NaN off Linux). */
  cpuSeconds: number;
  samplesPerSecond: number;
}

export interface EvalResult {
  accuracy: number;
  loss: number;
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  firing: FiringMetrics;
  samples: number;
  /** Predicted class of every sample, in input order (per-sample reports such as eval --by-domain). */
  predictions: number[];
}

export interface TrainResult {
  model: SnnModel;
  /**
   * Test accuracy of the returned weights (null when the test split is empty): those after the
   * last epoch, or with a validation split those of `selectedEpoch`.
   */
  accuracy: number | null;
  /** With a validation split: the epoch whose weights were kept, and its validation accuracy. */
  selectedEpoch?: number;
  valAccuracy?: number;
  bestAccuracy: number | null;
  meanFiringRate: number;
  synopsPerSample: number;
  energyPJPerSample: number;
  curves: EpochMetrics[];
  epochs: number;
  stoppedEarly: boolean;
  seconds: number;
  backend: string;
}

function isFrames(s: Sample): s is FrameSample {
  return (s as FrameSample).frames !== undefined;
}

/** A sample's frames and label: ready frames as they are, event samples augmented and binned. */
function framesOf(s: Sample, p: Preprocessing, aug: Augmentation, rand: () => number, acc: FrameAccumulator, ctx?: AugmentContext): { frames: Float32Array; label: number } {
  if (isFrames(s)) return { frames: s.frames, label: s.label };
  return sampleFrames(s, p, aug, rand, acc, ctx);
}

function shuffle(n: number, rand: () => number): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx;
}

/**
 * An epoch of `labels.length` sample indices with every class drawn equally often (to within
 * one): samples of small classes repeat, large classes are subsampled, each class cycling through
 * its own shuffled samples.
 */
export function balancedOrder(labels: readonly number[], rand: () => number): Int32Array {
  const byClass = new Map<number, number[]>();
  labels.forEach((y, i) => appendTo(byClass, y, i));
  const pools = [...byClass.values()];
  const orders = pools.map((p) => shuffle(p.length, rand));
  const cursors = new Array<number>(pools.length).fill(0);
  const classOf = shuffle(labels.length, rand);
  const out = new Int32Array(labels.length);
  for (let i = 0; i < out.length; i++) {
    const c = classOf[i]! % pools.length;
    if (cursors[c] === pools[c]!.length) {
      orders[c] = shuffle(pools[c]!.length, rand);
      cursors[c] = 0;
    }
    out[i] = pools[c]![orders[c]![cursors[c]!++]!]!;
  }
  return out;
}

function argmax(v: Float32Array | Float64Array | Int32Array | Uint8Array, o: number, n: number): number {
  let best = 0;
  for (let c = 1; c < n; c++) if (v[o + c]! > v[o + best]!) best = c;
  return best;
}

/**
 * Evaluates a model on samples in eval mode (BN running stats, no augmentation). With `windows`
 * N > 1 every event sample is classified by the mean class probabilities of N windows spread
 * evenly over it (the first at its start, the last at its end), as a live decision reads a whole
 * gesture; N = 1 scores the centre window, as validation during training does. The loss is the
 * negative log of the (mean) probability of the true class; firing metrics count every window.
 */
export function evaluate(model: SnnModel, samples: readonly Sample[], p: Preprocessing, batchSize = 16, windows = 1): EvalResult {
  if (!Number.isInteger(windows) || windows < 1) throw new RangeError(`windows must be an integer >= 1, got ${windows}`);
  const C = model.spec.classes;
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  const acc = new FiringAccumulator(model.costs, p.steps);
  const fa = new FrameAccumulator();
  const rand = randomSource(0);
  const probs = new Float64Array(samples.length * C);
  const p1 = new Float64Array(C);
  const { height: H, width: W } = model.spec.input;
  // Ready frames have no events to window: a set of only those is scored once, not N times.
  const w = samples.some((s) => !isFrames(s)) ? windows : 1;
  const items = samples.length * w;
  const frames = (j: number): Float32Array => {
    const s = samples[Math.floor(j / w)]!;
    if (w === 1 || isFrames(s)) return framesOf(s, p, NO_AUGMENTATION, rand, fa).frames;
    return windowFrames(s, p, (j % w) / (w - 1), fa);
  };
  for (let i = 0; i < items; i += batchSize) {
    const n = Math.min(batchSize, items - i);
    const x = packBatch(Array.from({ length: n }, (_, b) => frames(i + b)), p.steps);
    const { logitsData, spikes } = tf.tidy(() => {
      const r = model.forward(tf.tensor(x, [p.steps, n, H, W, model.spec.input.channels]), { training: false });
      return { logitsData: r.logits.dataSync() as Float32Array, spikes: r.spikes };
    });
    for (let b = 0; b < n; b++) {
      softmaxInto(logitsData, b * C, C, p1);
      const to = Math.floor((i + b) / w) * C;
      for (let c = 0; c < C; c++) probs[to + c]! += p1[c]! / w;
    }
    acc.add(spikes.map((s) => s.reduce((a, v) => a + v, 0)), n);
  }
  let correct = 0;
  let lossSum = 0;
  const predictions: number[] = [];
  samples.forEach((s, i) => {
    const pred = argmax(probs, i * C, C);
    confusion[s.label]![pred]!++;
    predictions.push(pred);
    if (pred === s.label) correct++;
    lossSum -= Math.log(Math.max(probs[i * C + s.label]!, 1e-30));
  });
  const n = samples.length;
  return { accuracy: n ? correct / n : 0, loss: n ? lossSum / n : 0, confusion, firing: acc.result(), samples: n, predictions };
}

function lrAt(o: Required<Pick<TrainOptions, 'lr' | 'schedule'>>, step: number, total: number): number {
  if (o.schedule === 'constant' || total <= 1) return o.lr;
  return 0.5 * o.lr * (1 + Math.cos((Math.PI * step) / total));
}

function applyUpdate(vars: tf.Variable[], grads: tf.NamedTensorMap, st: OptimState, o: { optimizer: 'adam' | 'sgd'; lr: number; momentum: number; weightDecay: number }): void {
  st.step++;
  const b1 = 0.9;
  const b2 = 0.999;
  tf.tidy(() => {
    vars.forEach((v, i) => {
      const g = grads[v.name];
      if (!g) return;
      // Decoupled weight decay (AdamW / SGDW) on weights only, not on BN, biases or PLIF.
      const decay = o.weightDecay > 0 && v.rank > 1 ? tf.mul(v, 1 - o.lr * o.weightDecay) : v;
      if (o.optimizer === 'adam') {
        const m = tf.add(tf.mul(st.m[i]!, b1), tf.mul(g, 1 - b1));
        const s = tf.add(tf.mul(st.v[i]!, b2), tf.mul(tf.square(g), 1 - b2));
        st.m[i]!.assign(m);
        st.v[i]!.assign(s);
        const mh = tf.div(m, 1 - b1 ** st.step);
        const vh = tf.div(s, 1 - b2 ** st.step);
        v.assign(tf.sub(decay, tf.mul(o.lr, tf.div(mh, tf.add(tf.sqrt(vh), 1e-8)))));
      } else {
        const m = tf.add(tf.mul(st.m[i]!, o.momentum), g);
        st.m[i]!.assign(m);
        v.assign(tf.sub(decay, tf.mul(o.lr, m)));
      }
    });
  });
}

async function initWeights(dir: string, model: SnnModel, data: TrainingData): Promise<void> {
  const saved = await loadModel(dir);
  try {
    const added = addedClasses(saved.classes, data.classes, dir);
    // A fine-tuned model may change how windows are cut into steps (it learns the new frames).
    const bad = preprocessingMismatch(saved.preprocessing, data.preprocessing, false);
    if (bad) throw new Error(`${dir}: ${bad}`);
    model.setWeights(added === 0 ? saved.model.weights() : widenHead(saved.model.weights(), model, saved.classes.length), dir);
  } finally {
    saved.model.dispose();
  }
}

/** The first preprocessing field in which a model's frames differ from the data's, named with its flag; undefined if none. */
function preprocessingMismatch(model: Preprocessing, data: Preprocessing, withStepping: boolean): string | undefined {
  for (const k of ['height', 'width', 'steps', 'stepUs', 'encoding'] as const) {
    if (model[k] !== data[k]) return `preprocessing ${k} is ${model[k]}, the data's is ${data[k]}`;
  }
  if (subBinsOf(model) !== subBinsOf(data)) return `preprocessing subBins is ${subBinsOf(model)}, the data's is ${subBinsOf(data)} (--sub-bins)`;
  if (formatDenoise(model.denoise) !== formatDenoise(data.denoise)) return `preprocessing denoise is ${formatDenoise(model.denoise)}, the data's is ${formatDenoise(data.denoise)} (--denoise)`;
  if (withStepping && steppingOf(model) !== steppingOf(data)) return `preprocessing stepping is ${steppingOf(model)}, the data's is ${steppingOf(data)} (--stepping)`;
  return undefined;
}

/**
 * How many classes the data appends to the model's (fine-tuning a model to learn more classes,
 * e.g. the background class of `--background`): the model's classes must come first, in order.
 */
function addedClasses(model: readonly string[], data: readonly string[], dir: string): number {
  if (data.length < model.length || model.some((c, i) => c !== data[i])) {
    throw new Error(`${dir}: classes [${model.join(', ')}] differ from the data's [${data.join(', ')}] (a fine-tuned model may only append classes)`);
  }
  return data.length - model.length;
}

/** Saved weights with the head widened to `model`'s classes: old columns copied, new ones keep `model`'s initialisation. */
function widenHead(saved: ReturnType<SnnModel['weights']>, model: SnnModel, oldClasses: number): ReturnType<SnnModel['weights']> {
  const fresh = new Map(model.weights().map((w) => [w.name, w]));
  return saved.map((w) => {
    const f = fresh.get(w.name);
    if ((w.name !== 'head.w' && w.name !== 'head.b') || !f) return w;
    const classes = f.shape[f.shape.length - 1]!;
    const data = f.data.slice();
    for (let r = 0; r < w.data.length / oldClasses; r++) data.set(w.data.subarray(r * oldClasses, (r + 1) * oldClasses), r * classes);
    return { ...f, data };
  });
}

/** A copy of a model's weights that later training steps cannot change. */
function copyWeights(model: SnnModel): ReturnType<SnnModel['weights']> {
  return model.weights().map((w) => ({ ...w, data: w.data.slice() }));
}

/** Trains a model from a spec; returns it with its metrics (the caller disposes the model). */
export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  await initBackend();
  const o = {
    batchSize: 16,
    optimizer: 'adam' as const,
    lr: 1e-3,
    momentum: 0.9,
    weightDecay: 0,
    labelSmoothing: 0,
    perStepLoss: false,
    schedule: 'cosine' as const,
    seed: 0,
    augmentation: DEFAULT_AUGMENTATION,
    evalEvery: 1,
    ...options,
  };
  const { data } = o;
  const lossOptions: LossOptions = { labelSmoothing: o.labelSmoothing, perStep: o.perStepLoss };
  const p = data.preprocessing;
  if (data.train.length === 0) throw new Error('trainModel: the training split is empty');
  if (data.classes.length !== o.spec.classes) throw new Error(`trainModel: spec has ${o.spec.classes} classes, data has ${data.classes.length}`);
  if (o.spec.input.channels !== inputChannels(p)) throw new Error(`trainModel: spec takes ${o.spec.input.channels} input channels, the data's frames have ${inputChannels(p)} (${subBinsOf(p)} sub-bins of ON and OFF)`);
  const model = buildModel(o.spec, o.seed);
  if (o.initFrom) {
    await initWeights(o.initFrom, model, data).catch((err: unknown) => {
      model.dispose();
      throw err;
    });
  }
  const vars = model.trainableVariables();
  const st: OptimState = { step: 0, m: vars.map((v) => tf.variable(tf.zerosLike(v), false)), v: vars.map((v) => tf.variable(tf.zerosLike(v), false)) };
  const ckpt = o.outDir ? join(o.outDir, 'checkpoint') : null;
  const logFile = o.logFile ?? (o.outDir ? join(o.outDir, 'metrics.jsonl') : undefined);
  let curves: EpochMetrics[] = [];
  let startEpoch = 0;
  if (o.outDir) await mkdir(o.outDir, { recursive: true });
  if (o.resume && ckpt && (await hasCheckpoint(ckpt))) {
    let saved: Preprocessing;
    ({ epoch: startEpoch, curves, preprocessing: saved } = await loadCheckpoint<EpochMetrics>(ckpt, model, st));
    // Resuming on other frames would finish one training on two inputs.
    const bad = preprocessingMismatch(saved, p, true);
    if (bad) {
      model.dispose();
      throw new Error(`${ckpt}: the checkpoint was trained with other frames: ${bad}; resume with the same options or train into another --out`);
    }
  }
  const stepsPerEpoch = Math.ceil(data.train.length / o.batchSize);
  const totalSteps = stepsPerEpoch * o.epochs;
  const { height: H, width: W, channels: Cin } = model.spec.input;
  const fa = new FrameAccumulator();
  // Mixing partners are other event samples of the training split.
  const eventSamples = data.train.filter((s): s is LabelledEvents => !isFrames(s));
  const augmentContext = (rand: () => number): AugmentContext => ({
    mirror: mirrorLabelMap(data.classes),
    ...(eventSamples.length > 1 ? { partner: () => eventSamples[Math.floor(rand() * eventSamples.length)]! } : {}),
  });
  let stoppedEarly = false;
  let last: EvalResult | null = null;
  // With a validation split: the best epoch so far and its weights (OUT/best on disk, for resume).
  let best: { epoch: number; valAccuracy: number; valLoss: number; weights: ReturnType<SnnModel['weights']> } | null = null;
  if (data.val?.length && startEpoch > 0 && o.outDir && (await settleFolder(join(o.outDir, 'best'), 'model.json'))) {
    const saved = await loadModel(join(o.outDir, 'best'));
    const meta = saved.meta as { epoch: number; valAccuracy: number; valLoss: number };
    best = { epoch: meta.epoch, valAccuracy: meta.valAccuracy, valLoss: meta.valLoss, weights: copyWeights(saved.model) };
    saved.model.dispose();
  }
  const progress: Progress | null = o.progress === false ? null : createProgress('train');
  const pool = (o.threads ?? 1) > 1 ? await GradPool.create(model.spec, o.threads! - 1) : null;
  try {
    for (let epoch = startEpoch; epoch < o.epochs; epoch++) {
      const te = Date.now();
      const cpu0 = threadCpuSeconds();
      const rand = randomSource(o.seed * 1000003 + epoch);
      const order = o.balance ? balancedOrder(data.train.map((s) => s.label), rand) : shuffle(data.train.length, rand);
      const ctx = augmentContext(rand);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lr = o.lr;
      for (let s = 0; s < stepsPerEpoch; s++) {
        const idx = Array.from(order.subarray(s * o.batchSize, (s + 1) * o.batchSize));
        const batch = idx.map((i) => data.train[i]!);
        const samples = batch.map((b) => framesOf(b, p, o.augmentation, rand, fa, ctx));
        const frames = samples.map((x) => x.frames);
        const labels = samples.map((x) => x.label);
        lr = lrAt(o, epoch * stepsPerEpoch + s, totalSteps);
        let logits: Float32Array;
        let loss: number;
        let grads: tf.NamedTensorMap;
        if (pool) {
          ({ logits, loss, grads } = await pool.step(model, frames, labels, p.steps, lossOptions));
        } else {
          const r = shardGradients(model, packBatch(frames, p.steps), [p.steps, batch.length, H, W, Cin], labels, lossOptions);
          ({ logits, loss } = r);
          grads = {};
          let off = 0;
          for (const v of vars) {
            grads[v.name] = tf.tensor(r.grads.subarray(off, off + v.size), v.shape);
            off += v.size;
          }
        }
        applyUpdate(vars, grads, st, { ...o, lr });
        model.invalidateFolded();
        tf.dispose(grads);
        if (!Number.isFinite(loss)) throw new Error(`training diverged at epoch ${epoch + 1}, step ${s + 1}: loss ${loss}`);
        lossSum += loss * batch.length;
        seen += batch.length;
        const C = model.spec.classes;
        labels.forEach((label, k) => {
          if (argmax(logits, k * C, C) === label) correct++;
        });
        progress?.update({ done: epoch * stepsPerEpoch + s + 1, total: totalSteps, info: { epoch: epoch + 1, loss: +(lossSum / seen).toFixed(4), acc: +(correct / seen).toFixed(3) } });
      }
      const trainSeconds = (Date.now() - te) / 1000;
      const doEval = data.test.length > 0 && ((epoch + 1) % o.evalEvery === 0 || epoch === o.epochs - 1);
      last = doEval ? evaluate(model, data.test, p, o.batchSize) : last;
      const val = data.val?.length ? evaluate(model, data.val, p, o.batchSize) : null;
      // Best validation accuracy; ties (a small split has few distinct values) go to the lower loss.
      if (val && (!best || val.accuracy > best.valAccuracy || (val.accuracy === best.valAccuracy && val.loss < best.valLoss))) {
        best = { epoch: epoch + 1, valAccuracy: val.accuracy, valLoss: val.loss, weights: copyWeights(model) };
        const meta = { epoch: best.epoch, valAccuracy: best.valAccuracy, valLoss: best.valLoss };
        if (o.outDir) await replaceFolder(join(o.outDir, 'best'), (dir) => saveModel(dir, { model, classes: [...data.classes], preprocessing: p, meta }));
      }
      const m: EpochMetrics = {
        epoch: epoch + 1,
        lr,
        trainLoss: lossSum / seen,
        trainAccuracy: correct / seen,
        testLoss: doEval ? last!.loss : null,
        testAccuracy: doEval ? last!.accuracy : null,
        ...(val ? { valLoss: val.loss, valAccuracy: val.accuracy } : {}),
        firingRate: last ? last.firing.meanRate : 0,
        synopsPerSample: last?.samples ? last.firing.synops / last.samples : 0,
        seconds: (Date.now() - te) / 1000,
        cpuSeconds: threadCpuSeconds() - cpu0,
        samplesPerSecond: seen / trainSeconds,
      };
      curves.push(m);
      if (logFile) await appendFile(logFile, JSON.stringify({ type: 'epoch', ...m }) + '\n');
      if (ckpt) {
        await saveCheckpoint(ckpt, { model, classes: [...data.classes], preprocessing: p }, st, epoch + 1, curves);
        await writeFile(join(o.outDir!, 'curves.svg'), curvesSvg(curves));
      }
      if (o.onEpoch && (await o.onEpoch(m)) === false) {
        stoppedEarly = epoch + 1 < o.epochs;
        break;
      }
    }
  } finally {
    await pool?.close();
    progress?.finish();
    for (const t of [...st.m, ...st.v]) t.dispose();
  }
  if (best) model.setWeights(best.weights, `epoch ${best.epoch}`);
  // The kept weights are scored on the test split; so are those of a resumed training that had no
  // epoch left to run, which then returns what it did when it finished.
  if (data.test.length > 0 && (best || startEpoch >= o.epochs)) last = evaluate(model, data.test, p, o.batchSize);
  const selection = best ? { selectedEpoch: best.epoch, valAccuracy: best.valAccuracy } : {};
  const valMeta = best ? { valSamples: data.val!.length, ...(data.valBy ? { valBy: data.valBy } : {}) } : {};
  // Wall time of every epoch, including those before a resume.
  const seconds = curves.reduce((a, c) => a + c.seconds, 0);
  const accs = curves.map((c) => c.testAccuracy).filter((a): a is number => a !== null);
  const final = last ?? evaluate(model, data.train.slice(0, Math.min(64, data.train.length)), p, o.batchSize);
  const result: TrainResult = {
    model,
    accuracy: last ? last.accuracy : null,
    ...selection,
    bestAccuracy: accs.length ? Math.max(...accs) : null,
    meanFiringRate: final.firing.meanRate,
    synopsPerSample: final.samples ? final.firing.synops / final.samples : 0,
    energyPJPerSample: final.samples ? final.firing.energyPJ / final.samples : 0,
    curves,
    epochs: curves.length,
    stoppedEarly,
    seconds,
    backend: describeBackend()?.name ?? 'unknown',
  };
  if (o.outDir) {
    await saveModel(join(o.outDir, 'model'), {
      model,
      classes: [...data.classes],
      preprocessing: p,
      meta: { accuracy: result.accuracy, epochs: result.epochs, trainSeconds: Math.round(seconds), backend: result.backend, meanFiringRate: result.meanFiringRate, ...selection, ...valMeta },
    });
    if (logFile) await appendFile(logFile, JSON.stringify({ type: 'final', accuracy: result.accuracy, bestAccuracy: result.bestAccuracy, ...selection, ...valMeta, meanFiringRate: result.meanFiringRate, synopsPerSample: result.synopsPerSample, seconds }) + '\n');
  }
  return result;
}
