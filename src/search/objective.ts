/**
 * What a study trains: a `SearchTarget` module gives the spec adapter (the main thread samples
 * and validates with it) and, lazily, the `TrialObjective` (created inside each worker thread,
 * where the heavy engine is loaded). Targets are named by module URL + export so worker threads
 * can load them; their options must be structured-clone data.
 */
import type { NeuronParams, Params, SkipSpec, SpecAdapter } from './space.js';

export interface TrialRequest {
  number: number;
  seed: number;
  params: Params;
  skips: SkipSpec[];
  neuron: NeuronParams;
  spec: unknown;
  /** Full training budget in epochs; a pruner may stop the trial earlier. */
  maxEpochs: number;
  /**
   * Folder where the training checkpoints after every epoch and from which it resumes: set by the
   * long final trainings of `experiment skip-connections` and `search rank`, one folder per
   * (configuration, seed). Search trials leave it unset: they are short, most are pruned after a
   * rung or two, and a study reruns a trial an interruption cut, so writing the model and
   * optimizer state every epoch would cost them more than it could save.
   */
  checkpointDir?: string;
}

/** Figures an objective reports after each epoch (accuracy on the validation split, in [0, 1]). */
export interface EpochMetrics {
  accuracy: number;
  meanRate?: number;
  synops?: number;
  loss?: number;
  [key: string]: number | undefined;
}

/** Final figures of a trial: accuracy, mean firing rate (spikes per neuron per step) and SynOps per sample. */
export interface TrialMetrics {
  accuracy: number;
  meanRate: number;
  synops: number;
  [key: string]: number;
}

/** Called after each epoch; resolves false when the trial must stop (pruned or out of budget). */
export type EpochCallback = (epoch: number, metrics: EpochMetrics) => Promise<boolean>;

export interface TrialObjective {
  /** Trains the trial's spec for up to `maxEpochs`, reporting each epoch; returns the last epoch's metrics when stopped. */
  run(trial: TrialRequest, onEpoch: EpochCallback): Promise<TrialMetrics>;
  dispose?(): void | Promise<void>;
}

export interface SearchTarget<S = unknown> {
  adapter: SpecAdapter<S>;
  objective(): Promise<TrialObjective>;
}

/** A loadable reference to a module exporting `(options) => SearchTarget | Promise<SearchTarget>`. */
export interface TargetRef {
  module: string;
  export: string;
  options: unknown;
}

export type TargetFactory = (options: never) => SearchTarget | Promise<SearchTarget>;

export async function loadTarget(ref: TargetRef): Promise<SearchTarget> {
  const mod = (await import(ref.module)) as Record<string, unknown>;
  const factory = mod[ref.export];
  if (typeof factory !== 'function') throw new TypeError(`search target ${ref.module} has no function export "${ref.export}"`);
  return (factory as (o: unknown) => SearchTarget | Promise<SearchTarget>)(ref.options);
}

export type ObjectiveKind = 'accuracy' | 'accuracy-synops' | 'accuracy-rate';

export const OBJECTIVES: Record<ObjectiveKind, { names: string[]; directions: ('maximize' | 'minimize')[] }> = {
  accuracy: { names: ['accuracy'], directions: ['maximize'] },
  'accuracy-synops': { names: ['accuracy', 'synops'], directions: ['maximize', 'minimize'] },
  'accuracy-rate': { names: ['accuracy', 'meanRate'], directions: ['maximize', 'minimize'] },
};

export function objectiveValues(kind: ObjectiveKind, m: TrialMetrics): number[] {
  return OBJECTIVES[kind].names.map((n) => m[n]!);
}
