/**
 * A study: samples candidates from the search space, runs them as trials in parallel, prunes
 * with ASHA, and persists everything in its SQLite file so it can be resumed after a crash.
 * The stored config is the single source of truth on resume: the same target, space, sampler,
 * pruner and seed, so a resumed study proposes what an uninterrupted one would have.
 */
import { OBJECTIVES, loadTarget, objectiveValues, type EpochMetrics, type ObjectiveKind, type TargetRef, type TrialMetrics, type TrialRequest } from './objective.js';
import { paretoFront, toLoss, type Direction } from './pareto.js';
import { createRunner, defaultWorkers } from './pool.js';
import { AshaPruner, NoPruner, type Pruner } from './pruner.js';
import { Random, deriveSeed } from '../util/random.js';
import { RandomSampler, type ObservedTrial, type Sampler } from './sampler.js';
import { SearchSpace, type SpaceOptions } from './space.js';
import { StudyStorage, type StoredTrial } from './storage.js';
import { TpeSampler } from './tpe.js';

export interface StudyConfig {
  name: string;
  seed: number;
  objective: ObjectiveKind;
  target: TargetRef;
  space: SpaceOptions;
  sampler: { name: 'tpe'; startupTrials?: number } | { name: 'random' };
  pruner: { name: 'none' } | { name: 'asha'; minEpochs?: number; eta?: number; minPeers?: number };
  /** Full training budget of one trial, epochs. */
  maxEpochs: number;
}

export interface RunOptions {
  /** Trials to have finished (complete, pruned or failed) in the study when run() returns. */
  trials: number;
  /** Wall-clock budget in ms: no trial starts after it, running ones stop at their next epoch. */
  budgetMs?: number;
  /** Worker threads; 0 runs trials in this thread. Default: one per core. */
  workers?: number;
  /** Called whenever a trial finishes or an epoch is recorded. */
  onEvent?: (event: StudyEvent) => void;
  /** Stops launching trials and asks running ones to stop (e.g. on SIGINT). */
  signal?: AbortSignal;
}

export type StudyEvent =
  | { type: 'trial-start'; number: number }
  | { type: 'epoch'; number: number; epoch: number; metrics: EpochMetrics }
  | { type: 'trial-end'; trial: StoredTrial; finished: number; target: number };

export interface StudySummary {
  finished: number;
  complete: number;
  pruned: number;
  failed: number;
  interrupted: number;
  /** Epochs trained over all trials (the cost figure pruning reduces). */
  epochs: number;
  /** Numbers of the complete trials on the Pareto front (the best trial for one objective). */
  front: number[];
  best: StoredTrial | undefined;
}

export function createSampler(config: StudyConfig['sampler']): Sampler {
  return config.name === 'random' ? new RandomSampler() : new TpeSampler({ startupTrials: config.startupTrials });
}

export function createPruner(config: StudyConfig['pruner']): Pruner {
  return config.name === 'none' ? new NoPruner() : new AshaPruner(config);
}

export function directionsOf(config: StudyConfig): Direction[] {
  return OBJECTIVES[config.objective].directions;
}

export class Study {
  private constructor(
    readonly storage: StudyStorage<StudyConfig>,
    readonly space: SearchSpace,
  ) {}

  get config(): StudyConfig {
    return this.storage.config;
  }

  /** Opens (creating when absent) the study in `path`; an existing study keeps its stored config. */
  static async open(path: string, config?: StudyConfig): Promise<Study> {
    const storage = StudyStorage.open<StudyConfig>(path, config);
    try {
      const target = await loadTarget(storage.config.target);
      return new Study(storage, new SearchSpace(target.adapter, storage.config.space));
    } catch (err) {
      storage.close();
      throw err;
    }
  }

  trials(): StoredTrial[] {
    return this.storage.trials();
  }

  summary(): StudySummary {
    return summarize(this.trials(), directionsOf(this.config));
  }

  /** Runs trials until `options.trials` have finished (counting earlier runs of the study) or the budget ends. */
  async run(options: RunOptions): Promise<StudySummary> {
    this.storage.claim();
    const config = this.config;
    const directions = directionsOf(config);
    const sampler = createSampler(config.sampler);
    const pruner = createPruner(config.pruner);
    const deadline = options.budgetMs === undefined ? Infinity : Date.now() + options.budgetMs;
    const stopping = (): boolean => Date.now() >= deadline || (options.signal?.aborted ?? false);

    const history: ObservedTrial[] = [];
    // Accuracy of every trial at every epoch: the peers ASHA compares against.
    const rungs = new Map<number, number[]>();
    let finished = 0;
    for (const t of this.storage.trials()) {
      for (let e = 0; e < t.curve.length; e++) {
        const m = t.curve[e];
        if (m) pushMap(rungs, e + 1, m.accuracy);
      }
      const obs = observed(t);
      if (obs) history.push(obs);
      if (t.state === 'complete' || t.state === 'pruned' || t.state === 'failed') finished++;
    }

    const runner = createRunner(config.target, options.workers ?? defaultWorkers());
    let nextNumber = this.storage.nextTrialNumber();
    let running = 0;
    try {
      await new Promise<void>((resolveAll, rejectAll) => {
        const launch = (): void => {
          while (running < runner.size && finished + running < options.trials && !stopping()) {
            const number = nextNumber++;
            const seed = deriveSeed(config.seed, number);
            const params = sampler.sample(this.space, history, directions, new Random(deriveSeed(seed, 0x5a)));
            const candidate = this.space.candidate(params);
            this.storage.startTrial(number, params, candidate.spec, seed);
            options.onEvent?.({ type: 'trial-start', number });
            running++;
            const request: TrialRequest = { number, seed, params, skips: candidate.skips, neuron: candidate.neuron, spec: candidate.spec, maxEpochs: config.maxEpochs };
            let pruned = false;
            let stopped = false;
            let last: EpochMetrics | undefined;
            const onEpoch = async (epoch: number, metrics: EpochMetrics): Promise<boolean> => {
              this.storage.recordEpoch(number, epoch, metrics);
              options.onEvent?.({ type: 'epoch', number, epoch, metrics });
              last = metrics;
              const peers = rungs.get(epoch) ?? [];
              const prune = epoch < config.maxEpochs && pruner.shouldPrune(epoch, metrics.accuracy, peers);
              pushMap(rungs, epoch, metrics.accuracy);
              if (prune) pruned = true;
              else if (stopping() && epoch < config.maxEpochs) stopped = true;
              return !(pruned || stopped);
            };
            runner.run(request, onEpoch).then(
              (metrics) => {
                const m: TrialMetrics = completeMetrics(metrics, last);
                if (stopped) {
                  this.storage.finishTrial(number, 'interrupted', { metrics: m, error: 'stopped by the time budget or a signal' });
                } else {
                  const values = objectiveValues(config.objective, m);
                  this.storage.finishTrial(number, pruned ? 'pruned' : 'complete', { values, metrics: m });
                  history.push({ params, state: pruned ? 'pruned' : 'complete', values });
                  finished++;
                }
                done(number);
              },
              (err: Error) => {
                this.storage.finishTrial(number, 'failed', { error: err.message });
                finished++;
                done(number);
              },
            )
            // A storage or callback error is fatal to the run (the trial state could not be kept).
            .catch(rejectAll);
          }
          if (running === 0) resolveAll();
        };
        const done = (number: number): void => {
          running--;
          const trial = this.storage.trial(number)!;
          options.onEvent?.({ type: 'trial-end', trial, finished, target: options.trials });
          launch();
        };
        try {
          launch();
        } catch (err) {
          rejectAll(err);
        }
      });
    } finally {
      await runner.close();
      this.storage.release();
    }
    return this.summary();
  }

  close(): void {
    this.storage.close();
  }
}

function observed(t: StoredTrial): ObservedTrial | undefined {
  if (t.state === 'complete' && t.values) return { params: t.params, state: 'complete', values: t.values };
  if (t.state === 'pruned') return { params: t.params, state: 'pruned', values: t.values ?? undefined };
  return undefined;
}

function completeMetrics(m: TrialMetrics, last: EpochMetrics | undefined): TrialMetrics {
  return {
    ...m,
    accuracy: m.accuracy ?? last?.accuracy ?? NaN,
    meanRate: m.meanRate ?? last?.meanRate ?? NaN,
    synops: m.synops ?? last?.synops ?? NaN,
  };
}

function pushMap(map: Map<number, number[]>, key: number, v: number): void {
  const list = map.get(key);
  if (list) list.push(v);
  else map.set(key, [v]);
}

export function summarize(trials: readonly StoredTrial[], directions: readonly Direction[]): StudySummary {
  const complete = trials.filter((t) => t.state === 'complete' && t.values);
  const losses = complete.map((t) => toLoss(t.values!, directions));
  const front = paretoFront(losses).map((i) => complete[i]!.number);
  let best: StoredTrial | undefined;
  for (const t of complete) if (!best || t.values![0]! > best.values![0]!) best = t;
  const count = (s: StoredTrial['state']): number => trials.filter((t) => t.state === s).length;
  return {
    finished: count('complete') + count('pruned') + count('failed'),
    complete: count('complete'),
    pruned: count('pruned'),
    failed: count('failed'),
    interrupted: count('interrupted'),
    epochs: trials.reduce((acc, t) => acc + t.curve.filter(Boolean).length, 0),
    front: front.sort((a, b) => a - b),
    best,
  };
}
