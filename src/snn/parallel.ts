/**
 * Data-parallel training step over worker threads. The WASM backend runs on one thread (see
 * backend.ts), so a 2-core machine trains about twice as fast when each core computes the
 * gradients of part of the batch: the main thread takes the first shard, each worker a further
 * shard of its own model replica, and the gradients are averaged weighted by shard size.
 * BatchNorm uses per-shard batch statistics (like PyTorch DDP without SyncBatchNorm); the
 * running statistics are averaged over the shards.
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { packBatch } from './data.js';
import type { ForwardResult, SnnModel } from './model.js';
import { withSharedClones } from './kernels.js';
import { crossEntropy } from './ops.js';
import type { ModelSpec } from './spec.js';
import { startWorker } from '../util/worker.js';

export interface ShardResult {
  loss: number;
  logits: Float32Array;
  /** spikes[k][b] per spiking layer and sample of the shard. */
  spikes: Float32Array[];
}

/** Messages to a gradient worker. */
export type ToGradWorker =
  | { type: 'step'; weights: Float32Array; buffers: Float32Array; x: Float32Array; shape: number[]; labels: number[]; loss: LossOptions }
  | { type: 'close' };

/** Messages from a gradient worker. */
export type FromGradWorker =
  | { type: 'ready' }
  | { type: 'result'; grads: Float32Array; buffers: Float32Array; loss: number; logits: Float32Array; spikes: Float32Array[] }
  | { type: 'error'; message: string };

export function flattenVars(vars: readonly tf.Variable[]): Float32Array {
  const n = vars.reduce((a, v) => a + v.size, 0);
  const out = new Float32Array(n);
  let off = 0;
  for (const v of vars) {
    out.set(v.dataSync() as Float32Array, off);
    off += v.size;
  }
  return out;
}

export function flattenBuffers(model: SnnModel): Float32Array {
  const bufs = [...model.buffers.values()];
  const out = new Float32Array(bufs.reduce((a, b) => a + b.length, 0));
  let off = 0;
  for (const b of bufs) {
    out.set(b, off);
    off += b.length;
  }
  return out;
}

export function loadBuffers(model: SnnModel, flat: Float32Array): void {
  let off = 0;
  for (const b of model.buffers.values()) {
    b.set(flat.subarray(off, off + b.length));
    off += b.length;
  }
}

/** What a training step minimises. */
export interface LossOptions {
  labelSmoothing: number;
  /**
   * Cross-entropy of every time step's output, averaged over the steps (TET, Deng et al., ICLR
   * 2022), instead of the cross-entropy of the mean over steps: every step must name the class on
   * its own, which a live decision reading partial windows needs too.
   */
  perStep: boolean;
}

/** The loss of one forward pass (`labels` per sample). */
export function trainingLoss(r: ForwardResult, labels: readonly number[], loss: LossOptions): tf.Scalar {
  if (!loss.perStep) return crossEntropy(r.logits, labels, loss.labelSmoothing);
  const steps = r.stepLogits.shape[0] / labels.length;
  const perRow = new Int32Array(r.stepLogits.shape[0]);
  for (let t = 0; t < steps; t++) perRow.set(labels, t * labels.length);
  return crossEntropy(r.stepLogits, perRow, loss.labelSmoothing);
}

/** Gradients of the loss on one shard, flattened in `vars` order. */
export function shardGradients(model: SnnModel, x: Float32Array, shape: number[], labels: number[], loss: LossOptions): ShardResult & { grads: Float32Array } {
  const vars = model.trainableVariables();
  let logits: Float32Array = new Float32Array(0);
  let spikes: Float32Array[] = [];
  // Saved activations are shared, not copied, inside the training step (see withSharedClones).
  const { value, grads } = withSharedClones(() => tf.variableGrads(() => {
    const r = model.forward(tf.tensor(x, shape), { training: true });
    logits = r.logits.dataSync() as Float32Array;
    spikes = r.spikes;
    return trainingLoss(r, labels, loss);
  }, vars));
  const lossValue = value.dataSync()[0]!;
  const flat = new Float32Array(vars.reduce((a, v) => a + v.size, 0));
  let off = 0;
  for (const v of vars) {
    const g = grads[v.name];
    if (g) flat.set(g.dataSync() as Float32Array, off);
    off += v.size;
  }
  value.dispose();
  tf.dispose(grads);
  return { loss: lossValue, logits, spikes, grads: flat };
}

// Under tsx the module is a .ts file and worker threads do not inherit tsx's loader hooks.
interface Slot {
  worker: Worker;
  pending: { resolve: (m: FromGradWorker) => void; reject: (e: Error) => void } | null;
}

/** Worker replicas of one model; `step` computes batch gradients over main thread + workers. */
export class GradPool {
  private constructor(private readonly slots: Slot[]) {}

  /** Starts `workers` replicas of `spec` (each initialises its own backend). */
  static async create(spec: ModelSpec, workers: number): Promise<GradPool> {
    const slots: Slot[] = [];
    await Promise.all(
      Array.from({ length: workers }, async () => {
        const worker = startWorker(import.meta.url, 'grad-worker', { spec });
        const slot: Slot = { worker, pending: null };
        slots.push(slot);
        await new Promise<void>((resolve, reject) => {
          worker.once('message', (m: FromGradWorker) => (m.type === 'ready' ? resolve() : reject(new Error(m.type === 'error' ? m.message : 'gradient worker failed to start'))));
          worker.once('error', reject);
        });
        worker.on('message', (m: FromGradWorker) => {
          const p = slot.pending;
          slot.pending = null;
          if (!p) return;
          if (m.type === 'error') p.reject(new Error(`gradient worker: ${m.message}`));
          else p.resolve(m);
        });
        worker.on('error', (e) => slot.pending?.reject(e));
      }),
    );
    return new GradPool(slots);
  }

  get size(): number {
    return this.slots.length;
  }

  /**
   * One batch: per-sample frames [T, H, W, C] and labels. Returns the weighted mean loss, the
   * logits and spike counts in sample order, and the averaged gradients (tensors by variable name).
   */
  async step(model: SnnModel, frames: readonly Float32Array[], labels: readonly number[], steps: number, lossOptions: LossOptions): Promise<ShardResult & { grads: tf.NamedTensorMap }> {
    const B = frames.length;
    const n = Math.min(this.slots.length + 1, B);
    const bounds = Array.from({ length: n + 1 }, (_, i) => Math.round((i * B) / n));
    const { height: H, width: W, channels: C } = model.spec.input;
    const vars = model.trainableVariables();
    const weights = flattenVars(vars);
    const buffers = flattenBuffers(model);
    const remote = this.slots.slice(0, n - 1).map((slot, i) => {
      const a = bounds[i + 1]!;
      const b = bounds[i + 2]!;
      const x = packBatch(frames.slice(a, b), steps);
      return new Promise<FromGradWorker>((resolve, reject) => {
        slot.pending = { resolve, reject };
        const msg: ToGradWorker = { type: 'step', weights, buffers, x, shape: [steps, b - a, H, W, C], labels: labels.slice(a, b), loss: lossOptions };
        slot.worker.postMessage(msg, [x.buffer as ArrayBuffer]);
      });
    });
    const local = shardGradients(model, packBatch(frames.slice(0, bounds[1]), steps), [steps, bounds[1]!, H, W, C], labels.slice(0, bounds[1]), lossOptions);
    const results = await Promise.all(remote);
    const total = local.grads;
    const w0 = bounds[1]! / B;
    for (let i = 0; i < total.length; i++) total[i]! *= w0;
    const bufSum = flattenBuffers(model);
    let loss = local.loss * w0;
    const logits = new Float32Array(B * model.spec.classes);
    logits.set(local.logits, 0);
    const spikes = local.spikes.map(() => new Float32Array(B));
    local.spikes.forEach((s, k) => spikes[k]!.set(s, 0));
    results.forEach((r, i) => {
      if (r.type !== 'result') throw new Error('gradient worker sent no result');
      const a = bounds[i + 1]!;
      const wi = (bounds[i + 2]! - a) / B;
      for (let j = 0; j < total.length; j++) total[j]! += wi * r.grads[j]!;
      for (let j = 0; j < bufSum.length; j++) bufSum[j]! += r.buffers[j]!;
      loss += wi * r.loss;
      logits.set(r.logits, a * model.spec.classes);
      r.spikes.forEach((s, k) => spikes[k]!.set(s, a));
    });
    for (let j = 0; j < bufSum.length; j++) bufSum[j]! /= n;
    loadBuffers(model, bufSum);
    const grads: tf.NamedTensorMap = {};
    let off = 0;
    for (const v of vars) {
      grads[v.name] = tf.tensor(total.subarray(off, off + v.size), v.shape);
      off += v.size;
    }
    return { loss, logits, spikes, grads };
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
