/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011) with the multi-objective split of
 * MOTPE (Ozaki et al. 2020): trials are split into a "good" group (the best γ(n) by loss, or by
 * non-dominated rank then crowding distance for several objectives) and the rest; each parameter
 * gets a Parzen density l(x) over good trials and g(x) over the rest, and the proposal is the
 * candidate drawn from l maximising l(x)/g(x). Pruned trials always count as "rest".
 *
 * Parameters are modelled independently (univariate densities) but candidates are drawn and
 * scored whole; the skip-count limit, which couples them, is restored per candidate by dropping
 * the skips with the weakest l/g evidence.
 */
import { categoricalEstimator, floatEstimator, type Estimator } from './parzen.js';
import { crowdingDistance, nondominatedRanks, toLoss, type Direction } from './pareto.js';
import type { Random } from '../util/random.js';
import type { ObservedTrial, Sampler } from './sampler.js';
import type { ParamValue, Params, SearchSpace } from './space.js';

export interface TpeOptions {
  /** Random trials before the model is used (default 10). */
  startupTrials?: number;
  /** Candidates drawn from l(x) per parameter (default 24). */
  candidates?: number;
  /** Size of the good group for n observed trials (default min(ceil(0.1 n), 25), at least 1). */
  gamma?: (n: number) => number;
  /** Weight of the prior in categorical estimates (default 1). */
  priorWeight?: number;
}

export class TpeSampler implements Sampler {
  readonly name = 'tpe';
  private readonly startup: number;
  private readonly candidates: number;
  private readonly gamma: (n: number) => number;
  private readonly priorWeight: number;

  constructor(options: TpeOptions = {}) {
    this.startup = options.startupTrials ?? 10;
    this.candidates = options.candidates ?? 24;
    this.gamma = options.gamma ?? ((n) => Math.min(Math.ceil(0.1 * n), 25));
    this.priorWeight = options.priorWeight ?? 1;
  }

  sample(space: SearchSpace, history: readonly ObservedTrial[], directions: readonly Direction[], rng: Random): Params {
    const complete = history.filter((t) => t.state === 'complete' && t.values && t.values.every(Number.isFinite));
    if (complete.length < this.startup) return space.sampleRandom(rng);
    const nBelow = Math.max(1, Math.min(complete.length, this.gamma(complete.length)));
    const below = splitBelow(complete, directions, nBelow);
    const belowSet = new Set(below);
    const above = [...complete.filter((t) => !belowSet.has(t)), ...history.filter((t) => t.state === 'pruned')];

    const estimators: { name: string; l: Estimator<ParamValue>; g: Estimator<ParamValue> }[] = [];
    for (const [name, dist] of space.distributions) {
      if (dist.kind === 'categorical') {
        estimators.push({
          name,
          l: categoricalEstimator(dist, below.map((t) => t.params[name] as string), this.priorWeight) as Estimator<ParamValue>,
          g: categoricalEstimator(dist, above.map((t) => t.params[name] as string), this.priorWeight) as Estimator<ParamValue>,
        });
      } else {
        estimators.push({
          name,
          l: floatEstimator(dist, below.map((t) => t.params[name] as number)) as Estimator<ParamValue>,
          g: floatEstimator(dist, above.map((t) => t.params[name] as number)) as Estimator<ParamValue>,
        });
      }
    }
    const score = (name: string, v: ParamValue): number => {
      const e = estimators.find((x) => x.name === name)!;
      return e.l.logPdf(v) - e.g.logPdf(v);
    };
    // Joint candidates: every parameter drawn from l(x), scored by the summed log l/g. Drawing
    // whole candidates (rather than maximising each parameter alone) keeps the skip count near
    // that of the good trials; values never observed have a flattering l/g under the prior, and
    // a per-parameter maximum would pick dozens of them.
    const scored: { params: Params; score: number }[] = [];
    for (let c = 0; c < this.candidates; c++) {
      let params: Params = {};
      for (const { name, l } of estimators) params[name] = l.sample(rng);
      params = space.repairCount(params, score);
      let s = 0;
      for (const { name, l, g } of estimators) s += l.logPdf(params[name]!) - g.logPdf(params[name]!);
      scored.push({ params, score: s });
    }
    scored.sort((a, b) => b.score - a.score);
    for (const { params } of scored) if (space.check(params).length === 0) return params;
    // Every candidate broke the engine's graph rules: take a valid random draw instead.
    return space.sampleRandom(rng);
  }
}

/** The `n` best trials: by loss for one objective, by non-dominated rank then crowding otherwise. */
export function splitBelow(trials: readonly ObservedTrial[], directions: readonly Direction[], n: number): ObservedTrial[] {
  const losses = trials.map((t) => toLoss(t.values!, directions));
  if (directions.length === 1) {
    return trials
      .map((t, i) => ({ t, loss: losses[i]![0]! }))
      .sort((a, b) => a.loss - b.loss)
      .slice(0, n)
      .map((e) => e.t);
  }
  const ranks = nondominatedRanks(losses);
  const chosen: number[] = [];
  for (let r = 0; chosen.length < n; r++) {
    const front = ranks.flatMap((rank, i) => (rank === r ? [i] : []));
    if (front.length === 0) break;
    if (chosen.length + front.length <= n) {
      chosen.push(...front);
      continue;
    }
    const crowd = crowdingDistance(front.map((i) => losses[i]!));
    const byCrowd = front.map((i, k) => ({ i, d: crowd[k]! })).sort((a, b) => b.d - a.d);
    chosen.push(...byCrowd.slice(0, n - chosen.length).map((e) => e.i));
  }
  return chosen.map((i) => trials[i]!);
}
