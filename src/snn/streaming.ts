/**
 * Stateful step-by-step inference (StreamingModel): one [H, W, 2] frame per call, membrane
 * potentials kept between calls. Scores are the mean of the output layer over the steps since
 * the last reset, so after T steps they equal the batched forward over those T frames.
 *
 * Reset policy: 'manual' (only reset()), or 'window' (automatic reset every `preprocessing.steps`
 * steps, before the step that would start a new window).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Preprocessing, StepOutput, StreamingModel } from './model-api.js';
import { firingMetrics } from './metrics.js';
import type { SnnModel, StreamState } from './model.js';

export type ResetPolicy = 'manual' | 'window';

export interface StreamingOptions {
  classes: readonly string[];
  preprocessing: Preprocessing;
  resetPolicy?: ResetPolicy;
}

export class SnnStreamingModel implements StreamingModel {
  readonly classes: readonly string[];
  readonly preprocessing: Preprocessing;
  readonly resetPolicy: ResetPolicy;
  private state: StreamState;
  private readonly sum: Float64Array;
  private steps = 0;
  private readonly frameSize: number;

  constructor(
    readonly model: SnnModel,
    opts: StreamingOptions,
  ) {
    this.classes = opts.classes;
    this.preprocessing = opts.preprocessing;
    this.resetPolicy = opts.resetPolicy ?? 'manual';
    this.state = model.newState();
    this.sum = new Float64Array(model.spec.classes);
    const inp = model.spec.input;
    this.frameSize = inp.height * inp.width * inp.channels;
    if (opts.classes.length !== model.spec.classes) throw new Error(`streaming model: ${opts.classes.length} class names for ${model.spec.classes} outputs`);
  }

  /** Steps accumulated since the last reset. */
  get stepCount(): number {
    return this.steps;
  }

  step(frame: Float32Array): StepOutput {
    if (frame.length !== this.frameSize) {
      const { height, width, channels } = this.model.spec.input;
      throw new RangeError(`streaming step: frame has ${frame.length} values, expected ${height}x${width}x${channels} = ${this.frameSize}`);
    }
    if (this.resetPolicy === 'window' && this.steps >= this.preprocessing.steps) this.reset();
    const { height, width, channels } = this.model.spec.input;
    const x = tf.tensor4d(frame, [1, height, width, channels]);
    const { out, spikes } = this.model.step(x, this.state);
    x.dispose();
    const v = out.dataSync();
    out.dispose();
    this.steps++;
    const C = this.sum.length;
    const logits = new Float32Array(C);
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      this.sum[c]! += v[c]!;
      logits[c] = this.sum[c]! / this.steps;
      max = Math.max(max, logits[c]!);
    }
    const probabilities = new Float32Array(C);
    let z = 0;
    for (let c = 0; c < C; c++) z += probabilities[c] = Math.exp(logits[c]! - max);
    for (let c = 0; c < C; c++) probabilities[c]! /= z;
    return { logits, probabilities, firing: firingMetrics(this.model.costs, spikes, 1, 1) };
  }

  reset(): void {
    for (const v of this.state.v) v?.dispose();
    this.state = this.model.newState();
    this.sum.fill(0);
    this.steps = 0;
  }

  dispose(): void {
    this.reset();
    this.model.dispose();
  }
}
