/**
 * Runs a StreamingModel over binned frames, synchronously. Two policies:
 *
 * - `StepClassifier` (stateful per-time-step inference): one `model.step` per time step, the
 *   membrane state carried from step to step, so a live camera costs one step per bin. The
 *   model is reset every `resetEvery` steps and after `idleResetSteps` consecutive empty steps;
 *   a result is produced every `emitEvery` steps, scored by everything seen since the last reset.
 * - `WindowClassifier` (sliding-window classification): each window tensor of T steps is scored
 *   from a fresh state (reset, T steps), like the batched forward the model was trained with.
 *
 * A model with K temporal sub-bins per step (Preprocessing.subBins) gets tensors of K frames per
 * step (binningStage); each group of K becomes one [H, W, 2K] model input (encodeFrame).
 */
import type { FrameTensor } from '../events/index.js';
import { inputChannels, subBinsOf, type FiringMetrics, type StepOutput, type StreamingModel } from '../snn/model-api.js';
import { encodeFrame } from '../snn/data.js';

export interface InferenceResult {
  classId: number;
  confidence: number;
  probabilities: Float32Array;
  /** Event-time window scored: [startUs, endUs). */
  startUs: number;
  endUs: number;
  /** Steps that contributed to the scores (since the last reset, or the window length). */
  steps: number;
  /** Events in the last time step (step mode) or the whole window. */
  events: number;
  /** Wall time of the model call(s), ms. */
  inferenceMs: number;
  /** Firing of the last step (step mode) or summed over the window's steps. */
  firing: FiringMetrics;
  /** The last step's frame (model input), for previews. Valid until the next call. */
  frame: Float32Array;
  frameHeight: number;
  frameWidth: number;
  /** Channels of `frame`: ON and OFF per sub-bin (2K). */
  frameChannels: number;
}

export type StepHook = (firing: FiringMetrics, inferenceMs: number) => void;

/** Sum of a frame's values: its event count for count-encoded frames. */
function frameEvents(data: Float32Array, offset: number, length: number): number {
  let s = 0;
  for (let i = offset; i < offset + length; i++) s += data[i]!;
  return s;
}

function argmax(p: Float32Array): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  return best;
}

/** Checks the frames fit the model; returns K, the frames per model step. */
function checkShape(model: StreamingModel, frames: FrameTensor): number {
  const pre = model.preprocessing;
  if (frames.height !== pre.height || frames.width !== pre.width || frames.channels !== 2) {
    throw new RangeError(
      `frames are ${frames.height}x${frames.width}x${frames.channels} but the model takes ${pre.height}x${pre.width}x2 ` +
        `(sensor ${pre.sensorWidth}x${pre.sensorHeight} downsampled by ${pre.downsample})`,
    );
  }
  const k = subBinsOf(pre);
  if (frames.steps % k !== 0) throw new RangeError(`frames: ${frames.steps} sub-bins is not a whole number of steps of the model's ${k} sub-bins`);
  return k;
}

function addFiring(into: FiringMetrics | undefined, f: FiringMetrics): FiringMetrics {
  if (!into) return { ...f, layers: f.layers.map((l) => ({ ...l })) };
  into.synops += f.synops;
  into.macs += f.macs;
  into.energyPJ += f.energyPJ;
  f.layers.forEach((l, i) => {
    const t = into.layers[i];
    if (t) {
      t.spikes += l.spikes;
      t.synops += l.synops;
      t.macs += l.macs;
      t.rate += l.rate;
    }
  });
  into.meanRate += f.meanRate;
  return into;
}

export interface StepClassifierOptions {
  /** Reset after this many steps; 0 = never. */
  resetEvery: number;
  /** Reset after this many consecutive steps without events; 0 = never. */
  idleResetSteps: number;
  /** Produce a result every N steps. */
  emitEvery: number;
  /** Called after every model step (metrics), whether or not a result is produced. */
  onStep?: StepHook;
}

export class StepClassifier {
  private readonly input: Float32Array;
  private sinceReset = 0;
  private emptyRun = 0;
  private sinceEmit = 0;
  private windowStart = Number.NaN;
  /** Steps run so far. */
  steps = 0;
  resets = 0;

  constructor(
    private readonly model: StreamingModel,
    private readonly options: StepClassifierOptions,
  ) {
    const pre = model.preprocessing;
    this.input = new Float32Array(pre.height * pre.width * inputChannels(pre));
  }

  /** Runs every step of `frames`; calls `emit` for each step that produces a result. */
  push(frames: FrameTensor, emit: (r: InferenceResult) => void): void {
    const k = checkShape(this.model, frames);
    const size = this.input.length;
    const { resetEvery, idleResetSteps, emitEvery } = this.options;
    for (let s = 0; s < frames.steps / k; s++) {
      const offset = s * size;
      const events = frameEvents(frames.data, offset, size);
      this.emptyRun = events === 0 ? this.emptyRun + 1 : 0;
      if (idleResetSteps > 0 && this.emptyRun === idleResetSteps) this.reset();
      if (this.sinceReset === 0) this.windowStart = frames.tStart[s * k]!;
      encodeFrame(frames.data, offset, this.input, this.model.preprocessing.encoding, k);
      const t0 = performance.now();
      const out: StepOutput = this.model.step(this.input);
      const ms = performance.now() - t0;
      this.steps++;
      this.sinceReset++;
      this.options.onStep?.(out.firing, ms);
      if (++this.sinceEmit >= emitEvery) {
        this.sinceEmit = 0;
        const classId = argmax(out.probabilities);
        emit({
          classId,
          confidence: out.probabilities[classId]!,
          probabilities: out.probabilities,
          startUs: this.windowStart,
          endUs: frames.tEnd[(s + 1) * k - 1]!,
          steps: this.sinceReset,
          events,
          inferenceMs: ms,
          firing: out.firing,
          frame: this.input,
          frameHeight: frames.height,
          frameWidth: frames.width,
          frameChannels: 2 * k,
        });
      }
      if (resetEvery > 0 && this.sinceReset >= resetEvery) this.reset();
    }
  }

  reset(): void {
    this.model.reset();
    this.sinceReset = 0;
    this.resets++;
  }
}

export interface WindowClassifierOptions {
  onStep?: StepHook;
}

export class WindowClassifier {
  private readonly input: Float32Array;
  windows = 0;

  constructor(
    private readonly model: StreamingModel,
    private readonly options: WindowClassifierOptions = {},
  ) {
    const pre = model.preprocessing;
    this.input = new Float32Array(pre.height * pre.width * inputChannels(pre));
  }

  /** Scores one window tensor (all its steps) from a fresh model state. */
  push(window: FrameTensor, emit: (r: InferenceResult) => void): void {
    const k = checkShape(this.model, window);
    if (window.steps === 0) return;
    const steps = window.steps / k;
    const size = this.input.length;
    this.model.reset();
    let firing: FiringMetrics | undefined;
    let out: StepOutput | undefined;
    let events = 0;
    let total = 0;
    for (let s = 0; s < steps; s++) {
      const offset = s * size;
      events += frameEvents(window.data, offset, size);
      encodeFrame(window.data, offset, this.input, this.model.preprocessing.encoding, k);
      const t0 = performance.now();
      out = this.model.step(this.input);
      const ms = performance.now() - t0;
      total += ms;
      this.options.onStep?.(out.firing, ms);
      firing = addFiring(firing, out.firing);
    }
    // Rates are per step: the window's figure is their mean.
    for (const l of firing!.layers) l.rate /= steps;
    firing!.meanRate /= steps;
    this.windows++;
    const probabilities = out!.probabilities;
    const classId = argmax(probabilities);
    emit({
      classId,
      confidence: probabilities[classId]!,
      probabilities,
      startUs: window.tStart[0]!,
      endUs: window.tEnd[window.steps - 1]!,
      steps,
      events,
      inferenceMs: total,
      firing: firing!,
      frame: this.input,
      frameHeight: window.height,
      frameWidth: window.width,
      frameChannels: 2 * k,
    });
  }
}
