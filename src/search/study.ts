/**
 * A study: samples candidates from the search space, runs them as trials in parallel, prunes
 * with ASHA, and persists everything in its storage (an SQLite file, or PostgreSQL shared by
 * several processes) so it can be resumed after a crash. The stored config is the single source
 * of truth on resume: the same target, space, sampler, pruner and seed, so a resumed study
 * proposes what an uninterrupted one would have. The sampler and the pruner see every trial in
 * the storage, including those other processes run.
 */
import { OBJECTIVES, loadTarget, objectiveValues, type EpochMetrics, type ObjectiveKind, type TargetRef, type TrialMetrics, type TrialRequest } from './objective.js';
import { paretoFront, toLoss, type Direction } from './pareto.js';
import { createRunner, defaultWorkers } from './pool.js';
import { AshaPruner, NoPruner, type Pruner } from './pruner.js';
import { Random, deriveSeed } from '../util/random.js';
import { RandomSampler, type ObservedTrial, type Sampler } from './sampler.js';
import { SearchSpace, type Candidate, type Params, type SkipSpec, type SpaceOptions } from './space.js';
import { openStudyStore, type ClaimOptions, type StoredTrial, type StudyStore } from './storage.js';
import { TpeSampler } from './tpe.js';

/**
 * Hand-designed configurations a study runs first, before any sampled one (as Optuna's
 * `enqueue_trial`): the backbone's ANN skips, no skips, and the ANN skips with each additive one
 * made spike-element-wise where the space allows it (SEW-ResNet's form of the same topology for
 * a spiking network; run only when it differs from the ANN's). The sampler sees them like any
 * trial, and the search can only choose something else when it validates better (or as well at
 * a lower energy).
 */
export type Baseline = 'ann' | 'none' | 'sew';
export const BASELINES: readonly Baseline[] = ['ann', 'none', 'sew'];
export const BASELINE_LABEL: Record<Baseline, string> = { ann: 'ANN skips', none: 'no skips', sew: 'ANN skips as SEW' };

/** The parameter that marks a trial's params as an enqueued baseline (no distribution of the space). */
export const BASELINE_PARAM = 'baseline';

export function baselineOf(t: { params: Params }): Baseline | undefined {
  const b = t.params[BASELINE_PARAM];
  return BASELINES.find((x) => x === b);
}

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
  /** Baselines enqueued as the study's first trials (absent: none, as in studies made before them). */
  baselines?: Baseline[];
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
  /** How the storage is claimed (e.g. take over a stale SQLite lock). */
  claim?: ClaimOptions;
  /**
   * How long to wait before asking again when the target is covered only because other
   * processes are running trials (shared storage): they may finish or die. Default 1000 ms.
   */
  pollMs?: number;
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
  /** Params of the study's baselines the space can express (duplicates dropped), in order. */
  readonly baselines: Params[];

  private constructor(
    readonly storage: StudyStore<StudyConfig>,
    readonly space: SearchSpace,
  ) {
    this.baselines = baselineParams(space, storage.config.baselines ?? []);
  }

  get config(): StudyConfig {
    return this.storage.config;
  }

  /** Opens (creating when absent) the study at `location` (file path or postgres:// URL); an existing study keeps its stored config. */
  static async open(location: string, config?: StudyConfig): Promise<Study> {
    return Study.load(await openStudyStore<StudyConfig>(location, config));
  }

  /** The study held by an open store (closed here if the study's target cannot be loaded). */
  static async load(storage: StudyStore<StudyConfig>): Promise<Study> {
    try {
      const target = await loadTarget(storage.config.target);
      return new Study(storage, new SearchSpace(target.adapter, storage.config.space));
    } catch (err) {
      await storage.close();
      throw err;
    }
  }

  trials(): Promise<StoredTrial[]> {
    return this.storage.trials();
  }

  async summary(): Promise<StudySummary> {
    return summarize(await this.trials(), directionsOf(this.config));
  }

  /**
   * Runs trials until `options.trials` have finished in the study (counting earlier runs and
   * other processes sharing the storage) or the budget ends.
   */
  async run(options: RunOptions): Promise<StudySummary> {
    await this.storage.claim(options.claim);
    const config = this.config;
    const directions = directionsOf(config);
    const sampler = createSampler(config.sampler);
    const pruner = createPruner(config.pruner);
    const deadline = options.budgetMs === undefined ? Infinity : Date.now() + options.budgetMs;
    const stopping = (): boolean => Date.now() >= deadline || (options.signal?.aborted ?? false);

    let history: ObservedTrial[] = [];
    // Best accuracy so far of every trial at every epoch, by epoch then trial number: the peers
    // ASHA compares against (an interrupted trial is not one: its rerun records the same epochs
    // again). Keyed by trial, so an epoch both reread and recorded live counts once.
    let rungs = new Map<number, Map<number, number>>();
    let finished = 0;
    let started: StoredTrial[] = [];
    let interrupted = 0;
    // Reread before each new trial: other processes may have added trials and epochs. Built aside
    // and swapped at once: running trials record epochs while the storage is being read.
    const refresh = async (): Promise<void> => {
      const trials = await this.storage.trials();
      const next = { history: [] as ObservedTrial[], rungs: new Map<number, Map<number, number>>(), finished: 0, started: [] as StoredTrial[], interrupted: 0 };
      const running = new Set<number>();
      for (const t of trials) {
        if (t.state === 'interrupted') {
          next.interrupted++;
          continue;
        }
        next.started.push(t);
        if (t.state === 'running') running.add(t.number);
        let best = -Infinity;
        for (let e = 0; e < t.curve.length; e++) {
          const m = t.curve[e];
          if (!m) continue;
          best = Math.max(best, m.accuracy);
          setRung(next.rungs, e + 1, t.number, best);
        }
        const obs = observed(t);
        if (obs) next.history.push(obs);
        if (t.state === 'complete' || t.state === 'pruned' || t.state === 'failed') next.finished++;
      }
      // Epochs a running trial recorded after the read began are only in the old map.
      for (const [epoch, byTrial] of rungs) {
        for (const [number, best] of byTrial) if (running.has(number)) setRung(next.rungs, epoch, number, best);
      }
      ({ history, rungs, finished, started, interrupted } = next);
    };

    const runTrial = async (number: number, { params, candidate, seed }: NewCandidate): Promise<void> => {
      options.onEvent?.({ type: 'trial-start', number });
      const request: TrialRequest = { number, seed, params, skips: candidate.skips, neuron: candidate.neuron, spec: candidate.spec, maxEpochs: config.maxEpochs };
      const baseline = baselineOf({ params }) !== undefined;
      let pruned = false;
      let stopped = false;
      let last: EpochMetrics | undefined;
      let best = -Infinity;
      const onEpoch = async (epoch: number, metrics: EpochMetrics): Promise<boolean> => {
        await this.storage.recordEpoch(number, epoch, metrics);
        options.onEvent?.({ type: 'epoch', number, epoch, metrics });
        last = metrics;
        // Rungs compare each trial's best validation accuracy so far, not its latest epoch: one
        // epoch's figure swings by more than the differences being judged (a resnet18 trial read
        // 0.35 after epoch 1 and 0.06 after epoch 3; the ANN-skips baseline 0.36 then 0.25).
        best = Math.max(best, metrics.accuracy);
        const peers = [...(rungs.get(epoch) ?? [])].flatMap(([n, acc]) => (n === number ? [] : [acc]));
        // A baseline always runs to the end: what a candidate must beat is its final accuracy,
        // not how fast it starts (its early rungs still raise the bar for the others).
        const prune = epoch < config.maxEpochs && !baseline && pruner.shouldPrune(epoch, best, peers);
        setRung(rungs, epoch, number, best);
        if (prune) pruned = true;
        else if (stopping() && epoch < config.maxEpochs) stopped = true;
        return !(pruned || stopped);
      };
      let outcome: { metrics: TrialMetrics } | { error: Error };
      try {
        outcome = { metrics: await runner.run(request, onEpoch) };
      } catch (err) {
        outcome = { error: err as Error };
      }
      // From here on, a storage or callback error is fatal to the run (the trial state could not be kept).
      if ('error' in outcome) {
        await this.storage.finishTrial(number, 'failed', { error: outcome.error.message });
        finished++;
      } else {
        const m: TrialMetrics = completeMetrics(outcome.metrics, last);
        if (stopped) {
          await this.storage.finishTrial(number, 'interrupted', { metrics: m, error: 'stopped by the time budget or a signal' });
        } else {
          const values = objectiveValues(config.objective, m);
          await this.storage.finishTrial(number, pruned ? 'pruned' : 'complete', { values, metrics: m });
          finished++;
        }
      }
      const trial = (await this.storage.trial(number))!;
      options.onEvent?.({ type: 'trial-end', trial, finished, target: options.trials });
    };

    const runner = createRunner(config.target, options.workers ?? defaultWorkers());
    const active = new Set<Promise<void>>();
    // The first fatal error of a trial's bookkeeping ends the run (without waiting for the others).
    let fail!: (err: unknown) => void;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => {});
    const settled = (p: Promise<unknown>): Promise<unknown> => Promise.race([p, failed]);
    try {
      while (!stopping()) {
        if (active.size >= runner.size) {
          await settled(Promise.race(active));
          continue;
        }
        await refresh();
        let made: NewCandidate | undefined;
        // Baselines not yet run (or only interrupted) go first; a trial of another process that
        // started since the refresh may run one twice, which costs a trial and harms nothing.
        const pending = this.baselines.filter((b) => !started.some((t) => t.params[BASELINE_PARAM] === b[BASELINE_PARAM]));
        const slot = await this.storage.startTrial(options.trials, (number) => {
          // An interrupted trial's place goes to the next one: same seed, so the same proposal.
          const seed = deriveSeed(config.seed, number - interrupted);
          made = pending[0] ? { params: pending[0], candidate: this.space.candidate(pending[0]), seed } : freshCandidate(this.space, sampler, seed, history, directions, started);
          return { params: made.params, spec: made.candidate.spec, seed };
        });
        if (slot.number !== undefined) {
          const run = runTrial(slot.number, made!)
            .catch(fail)
            .finally(() => active.delete(run));
          active.add(run);
          continue;
        }
        if (slot.finished >= options.trials) break;
        // The target is covered only with running trials: ours, or another process's, which may
        // finish, or die and be marked interrupted once its lease expires.
        await settled(active.size > 0 ? Promise.race(active) : sleep(options.pollMs ?? 1000, options.signal));
      }
      await settled(Promise.all(active));
    } finally {
      await runner.close();
      await this.storage.release();
    }
    return this.summary();
  }

  close(): Promise<void> {
    return this.storage.close();
  }
}

const MAX_REDRAWS = 20;

/**
 * The sampler's proposal, drawn again (up to MAX_REDRAWS times) while it builds a network some
 * trial already has: a repeat only measures seed noise, and in a 12-trial resnet18 study two of
 * ten proposals were the no-skip baseline again.
 */
function freshCandidate(space: SearchSpace, sampler: Sampler, seed: number, history: readonly ObservedTrial[], directions: readonly Direction[], started: readonly StoredTrial[]): NewCandidate {
  const seen = new Set(started.map((t) => JSON.stringify(t.spec)));
  let made!: NewCandidate;
  for (let draw = 0; draw <= MAX_REDRAWS; draw++) {
    const params = sampler.sample(space, history, directions, new Random(deriveSeed(seed, 0x5a + draw)));
    made = { params, candidate: space.candidate(params), seed };
    if (!seen.has(JSON.stringify(made.candidate.spec))) break;
  }
  return made;
}

/** Files `trial`'s best accuracy so far at `epoch`, replacing what it filed there before. */
function setRung(rungs: Map<number, Map<number, number>>, epoch: number, trial: number, best: number): void {
  const byTrial = rungs.get(epoch);
  if (byTrial) byTrial.set(trial, best);
  else rungs.set(epoch, new Map([[trial, best]]));
}

interface NewCandidate {
  params: Params;
  candidate: Candidate;
  seed: number;
}

function baselineParams(space: SearchSpace, baselines: readonly Baseline[]): Params[] {
  const out: Params[] = [];
  const seen = new Set<string>();
  for (const b of baselines) {
    const skips = baselineSkips(space, b);
    let params: Params;
    try {
      params = space.encode(skips);
    } catch {
      continue; // a skip outside the space's candidate pairs (e.g. longer than its maxSpan)
    }
    const key = JSON.stringify(params);
    if (seen.has(key) || space.check(params).length > 0) continue;
    seen.add(key);
    out.push({ ...params, [BASELINE_PARAM]: b });
  }
  return out;
}

function baselineSkips(space: SearchSpace, b: Baseline): SkipSpec[] {
  const ann = [...space.adapter.originalSkips];
  if (b !== 'sew') return b === 'ann' ? ann : [];
  for (let i = 0; i < ann.length; i++) {
    if (ann[i]!.type !== 'ASC') continue;
    const trial = ann.map((s, j) => (j === i ? { ...s, type: 'SEW' as const } : s));
    try {
      if (space.check(space.encode(trial)).length === 0) ann[i] = trial[i]!;
    } catch {
      // not a candidate pair of this space: stays ASC
    }
  }
  return ann;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
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
