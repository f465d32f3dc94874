/**
 * Stateful step-by-step inference (StreamingModel): one [H, W, 2] frame per call, membrane
 * potentials kept between calls. Scores are the mean of the output layer over the last R steps
 * since the last reset (`readoutSteps`, default T = the model's window, `preprocessing.steps`), so
 * T steps after a reset they equal the batched forward over those T frames, and a network never
 * reset keeps reading its last R steps (a mean over all steps since the start would stop moving).
 * A shorter readout follows a change of gesture sooner, with fewer steps to average.
 *
 * Reset policy: 'manual' (only reset()), or 'window' (automatic reset every `preprocessing.steps`
 * steps, before the step that would start a new window).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Preprocessing, StepOutput, StreamingModel } from './model-api.js';
import { firingMetrics } from './metrics.js';
import type { SnnModel, StreamState } from './model.js';
import { StepEngine } from './step-engine.js';
import { softmaxInto } from '../util/stats.js';

export type ResetPolicy = 'manual' | 'window';

/**
 * 'compiled' (default): the StepEngine, the eval-mode graph as direct kernel calls on its own
 * memory (weights copied at construction: build a new streaming model after changing them);
 * 'tfjs': SnnModel.step through TensorFlow.js ops (the reference the engine is tested against).
 */
export type StepRuntime = 'compiled' | 'tfjs';

export interface StreamingOptions {
  classes: readonly string[];
  preprocessing: Preprocessing;
  resetPolicy?: ResetPolicy;
  runtime?: StepRuntime;
  /** Steps whose outputs the scores average (default: the model's window, preprocessing.steps). */
  readoutSteps?: number;
}

export class SnnStreamingModel implements StreamingModel {
  readonly classes: readonly string[];
  readonly preprocessing: Preprocessing;
  readonly resetPolicy: ResetPolicy;
  readonly runtime: StepRuntime;
  /** Steps whose outputs the scores average. */
  readonly readoutSteps: number;
  private readonly engine: StepEngine | null;
  private state: StreamState;
  private readonly sum: Float64Array;
  /** The head's outputs of the last readoutSteps steps (ring, readoutSteps x classes), for the sliding mean. */
  private readonly recent: Float32Array;
  private steps = 0;
  private readonly frameSize: number;
  private readonly headOut: Float32Array;

  constructor(
    readonly model: SnnModel,
    opts: StreamingOptions,
  ) {
    this.classes = opts.classes;
    this.preprocessing = opts.preprocessing;
    this.resetPolicy = opts.resetPolicy ?? 'manual';
    this.runtime = opts.runtime ?? 'compiled';
    this.engine = this.runtime === 'compiled' ? new StepEngine(model) : null;
    this.state = model.newState();
    this.headOut = new Float32Array(model.spec.classes);
    this.sum = new Float64Array(model.spec.classes);
    this.readoutSteps = opts.readoutSteps ?? opts.preprocessing.steps;
    if (!Number.isInteger(this.readoutSteps) || this.readoutSteps < 1) throw new RangeError(`streaming model: readoutSteps must be an integer >= 1, got ${this.readoutSteps}`);
    this.recent = new Float32Array(this.readoutSteps * model.spec.classes);
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
    let v: Float32Array;
    let spikes: number[];
    if (this.engine) {
      spikes = new Array<number>(this.state.v.length);
      this.engine.step(frame, this.headOut, spikes);
      v = this.headOut;
    } else {
      const { height, width, channels } = this.model.spec.input;
      const x = tf.tensor4d(frame, [1, height, width, channels]);
      const r = this.model.step(x, this.state);
      x.dispose();
      spikes = r.spikes;
      v = r.out.dataSync() as Float32Array;
      r.out.dispose();
    }
    const C = this.sum.length;
    const R = this.readoutSteps;
    // The slot of the step R steps ago, which this one replaces in the mean.
    const slot = (this.steps % R) * C;
    const full = this.steps >= R;
    this.steps++;
    const n = Math.min(this.steps, R);
    const logits = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      this.sum[c]! += v[c]! - (full ? this.recent[slot + c]! : 0);
      this.recent[slot + c] = v[c]!;
      logits[c] = this.sum[c]! / n;
    }
    const probabilities = new Float32Array(C);
    softmaxInto(logits, 0, C, probabilities);
    return { logits, probabilities, firing: firingMetrics(this.model.costs, spikes, 1, 1) };
  }

  reset(): void {
    this.engine?.reset();
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
