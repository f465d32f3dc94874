/**
 * The contract between a trained SNN and its users (pipeline runner, server, eval): what a
 * loaded model folder offers. Implemented in src/snn; consumed by src/pipeline and src/server.
 */

/** How events must be turned into input frames for this model (saved with the model). */
export interface Preprocessing {
  /** Sensor size the model was trained on (before downsampling). */
  sensorWidth: number;
  sensorHeight: number;
  /** Integer spatial downsample factor applied before binning. */
  downsample: number;
  /** Input frame size after downsampling. */
  height: number;
  width: number;
  /** Event time covered by one time step, µs. */
  stepUs: number;
  /** Time steps per classification window (batched forward). */
  steps: number;
  /**
   * How a training or evaluation window's events are cut into the `steps` steps (absent: 'stretch',
   * what every model before the field was trained with). 'fixed': steps of exactly stepUs from the
   * window's start, as live inference makes them, so a sample shorter than the window leaves steps
   * empty. 'stretch': `steps` equal bins between the window's first and last event (Tonic's
   * n_time_bins), which stretches a short sample over the whole window.
   */
  stepping?: Stepping;
  /** How frame values are formed: event counts, clipped counts, binary spikes or log2(1 + count) (per channel). */
  encoding: 'count' | 'clip' | 'binary' | 'log';
  /**
   * Temporal sub-bins per step, K (absent: 1). A step's frame is [H, W, 2K]: K consecutive
   * sub-bins of stepUs / K µs, channel 2k + p = polarity p (0 OFF, 1 ON) of sub-bin k, so the
   * first layer sees where an edge was early and late in the step whatever its polarity.
   */
  subBins?: number;
  /**
   * Background-activity filter run over each recording's whole event stream before binning, in
   * training, evaluation and live inference alike (absent: none). Part of the model: its frames
   * were made of what this filter keeps.
   */
  denoise?: DenoiseSetting;
}

/** `BackgroundActivityFilter(durationUs, neighbours)` settings (operators/functional/noise.ts). */
export interface DenoiseSetting {
  /** An event is kept iff a neighbouring pixel fired less than this long before it, µs. */
  durationUs: number;
  /** 4 (Tonic's `Denoise`) or 8 (dv-processing's `BackgroundActivityNoiseFilter`) neighbours. */
  neighbours: 4 | 8;
}

export type Stepping = 'fixed' | 'stretch';
export const STEPPINGS: readonly Stepping[] = ['fixed', 'stretch'];

/** How a model's windows were cut into steps ('stretch' for folders written before the field existed). */
export function steppingOf(p: Pick<Preprocessing, 'stepping'>): Stepping {
  return p.stepping ?? 'stretch';
}

/** Sub-bins per step of a model's input (1 for folders written before the field existed). */
export function subBinsOf(p: Pick<Preprocessing, 'subBins'>): number {
  return p.subBins ?? 1;
}

/** Input channels of a model's frames: ON and OFF of each sub-bin. */
export function inputChannels(p: Pick<Preprocessing, 'subBins'>): number {
  return 2 * subBinsOf(p);
}

/** Why K sub-bins cannot split steps of `stepUs` µs, or undefined when they can (whole µs each). */
export function subBinsProblem(subBins: number, stepUs: number): string | undefined {
  if (!Number.isInteger(subBins) || subBins < 1) return `must be an integer >= 1, got ${subBins}`;
  if (!Number.isInteger(stepUs / subBins)) return `${subBins} does not divide the step of ${stepUs} µs into whole microseconds`;
  return undefined;
}

/** Why `d` is not a DenoiseSetting, naming the field ("denoise.neighbours must be …"), or undefined when it is one. */
export function denoiseProblem(d: unknown): string | undefined {
  if (typeof d !== 'object' || d === null) return `denoise must be an object { durationUs, neighbours }, got ${shown(d)}`;
  const { durationUs, neighbours } = d as Record<string, unknown>;
  if (!(typeof durationUs === 'number' && Number.isFinite(durationUs) && durationUs > 0)) return `denoise.durationUs must be a number of µs > 0, got ${shown(durationUs)}`;
  if (neighbours !== 4 && neighbours !== 8) return `denoise.neighbours must be 4 or 8, got ${shown(neighbours)}`;
  return undefined;
}

/** A value as a config file shows it (strings quoted, so "8" is told from 8). */
const shown = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

export interface LayerFiring {
  layer: string;
  /** Mean spikes per neuron per time step. */
  rate: number;
  spikes: number;
  /** Synaptic operations: spikes × fan-out. */
  synops: number;
  /** Dense MACs of the layer for the same input (what an ANN would pay). */
  macs: number;
}

export interface FiringMetrics {
  layers: LayerFiring[];
  meanRate: number;
  synops: number;
  macs: number;
  /** Energy estimate, pJ: 0.9 pJ per accumulate (SynOp) plus 4.6 pJ per MAC of non-spiking layers (45 nm). */
  energyPJ: number;
}

export interface StepOutput {
  /** Class scores accumulated since the last reset (mean over steps of the output layer). */
  logits: Float32Array;
  probabilities: Float32Array;
  /** Firing metrics of this step only. */
  firing: FiringMetrics;
}

/** Stateful step-by-step inference: membrane state is kept between calls until reset(). */
export interface StreamingModel {
  readonly classes: readonly string[];
  readonly preprocessing: Preprocessing;
  /** One time step: a [H, W, 2K] NHWC frame (length H·W·2K, K = preprocessing.subBins). */
  step(frame: Float32Array): StepOutput;
  /** Clears membrane potentials and accumulated scores. */
  reset(): void;
  dispose(): void;
}
