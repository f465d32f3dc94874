/**
 * A cheap synthetic search target with a known optimum, for tests, benchmarks of the search
 * machinery (sampler quality, pruning speed-up, trials/hour of the plumbing) and dry runs of the
 * CLI. Each candidate has a hidden quality: +gain for every skip of the "ideal" set with the right
 * type, -cost for every other skip, minus a quadratic penalty for neuron settings away from
 * their optimum. The learning curve approaches that quality exponentially, with seeded noise,
 * so early epochs predict the final accuracy imperfectly — as real training does.
 */
import { Random, deriveSeed } from '../util/random.js';
import type { SearchTarget, TrialMetrics, TrialObjective } from './objective.js';
import type { NeuronParams, SkipSpec, SpecAdapter } from './space.js';

export interface SyntheticOptions {
  /** Backbone depth (default 8). */
  layers?: number;
  /** The ideal skips; default 0->2 ASC, 2->5 DSC, 4->7 ASC. */
  ideal?: SkipSpec[];
  /** Skips of the hand-designed network (the study's 'ann' baseline; default none). */
  original?: SkipSpec[];
  /** Accuracy of the plain backbone (default 0.55). */
  base?: number;
  gain?: number;
  cost?: number;
  /** Neuron optimum (used when the space searches neuron parameters). */
  neuronOptimum?: Required<NeuronParams>;
  /** Epochs to reach 63 % of the final accuracy (default 3). */
  timeConstant?: number;
  /** Standard deviation of per-epoch accuracy noise (default 0.01). */
  noise?: number;
  /** Wall time per epoch, ms (default 0): makes trials long enough to kill mid-study. */
  epochDelayMs?: number;
  /** Pairs the spec adapter rejects, as "from-to" (exercises invalid-graph handling). */
  forbidden?: string[];
  /** Every trial throws after its first epoch (exercises failure handling). */
  failTrials?: boolean;
}

export interface SyntheticSpec {
  backbone: 'synthetic';
  layers: number;
  skips: SkipSpec[];
  neuron: NeuronParams;
}

const DEFAULT_IDEAL: SkipSpec[] = [
  { from: 0, to: 2, type: 'ASC' },
  { from: 2, to: 5, type: 'DSC' },
  { from: 4, to: 7, type: 'ASC' },
];

export function syntheticAdapter(options: SyntheticOptions = {}): SpecAdapter<SyntheticSpec> {
  const layers = options.layers ?? 8;
  const forbidden = new Set(options.forbidden ?? []);
  return {
    backbone: 'synthetic',
    layers: Array.from({ length: layers }, (_, i) => `layer${i}`),
    originalSkips: options.original ?? [],
    build: (skips, neuron) => ({ backbone: 'synthetic', layers, skips: [...skips], neuron: { ...neuron } }),
    validate: (spec) =>
      spec.skips.filter((s) => forbidden.has(`${s.from}-${s.to}`)).map((s) => `skip ${s.from}->${s.to}: layer${s.to} cannot take a skip input`),
  };
}

/** The hidden final accuracy of a candidate. */
export function syntheticQuality(spec: Pick<SyntheticSpec, 'skips' | 'neuron'>, options: SyntheticOptions = {}): number {
  const ideal = options.ideal ?? DEFAULT_IDEAL;
  const gain = options.gain ?? 0.1;
  const cost = options.cost ?? 0.04;
  let q = options.base ?? 0.55;
  for (const s of spec.skips) {
    const hit = ideal.some((i) => i.from === s.from && i.to === s.to && i.type === s.type);
    q += hit ? gain : -cost;
  }
  const opt = options.neuronOptimum ?? { tau: 2, threshold: 1, alpha: 4 };
  if (spec.neuron.tau !== undefined) q -= 0.05 * Math.log(spec.neuron.tau / opt.tau) ** 2;
  if (spec.neuron.threshold !== undefined) q -= 0.2 * (spec.neuron.threshold - opt.threshold) ** 2;
  if (spec.neuron.alpha !== undefined) q -= 0.02 * Math.log(spec.neuron.alpha / opt.alpha) ** 2;
  return Math.min(0.99, Math.max(0.05, q));
}

/** Firing figures grow with the number of skips (more input current), DSC more than ASC. */
export function syntheticFiring(spec: Pick<SyntheticSpec, 'skips'>): { meanRate: number; synops: number } {
  const asc = spec.skips.filter((s) => s.type === 'ASC').length;
  const dsc = spec.skips.length - asc;
  const meanRate = 0.05 + 0.01 * asc + 0.02 * dsc;
  return { meanRate, synops: meanRate * 1e6 };
}

export function syntheticObjective(options: SyntheticOptions = {}): TrialObjective {
  return {
    async run(trial, onEpoch): Promise<TrialMetrics> {
      const spec = trial.spec as SyntheticSpec;
      const q = syntheticQuality(spec, options);
      const firing = syntheticFiring(spec);
      const rng = new Random(deriveSeed(trial.seed, 1));
      const tc = options.timeConstant ?? 3;
      const noise = options.noise ?? 0.01;
      let metrics: TrialMetrics = { accuracy: 0, ...firing };
      for (let epoch = 1; epoch <= trial.maxEpochs; epoch++) {
        if (options.epochDelayMs) await new Promise((r) => setTimeout(r, options.epochDelayMs));
        const accuracy = Math.min(1, Math.max(0, q * (1 - Math.exp(-epoch / tc)) + noise * rng.normal()));
        metrics = { accuracy, ...firing, loss: 1 - accuracy };
        if (!(await onEpoch(epoch, metrics))) break;
        if (options.failTrials) throw new Error(`synthetic failure in trial ${trial.number}`);
      }
      return metrics;
    },
  };
}

/** Search-target factory (`{ module: <this file>, export: 'syntheticTarget' }`). */
export function syntheticTarget(options: SyntheticOptions = {}): SearchTarget<SyntheticSpec> {
  return { adapter: syntheticAdapter(options), objective: async () => syntheticObjective(options) };
}

/** URL of this module, for TargetRefs naming the synthetic target. */
export const SYNTHETIC_MODULE = import.meta.url;
