/**
 * Samplers propose the parameters of the next trial from the study's history. Both samplers are
 * deterministic given the rng, so a resumed study proposes what the uninterrupted one would have.
 */
import type { Direction } from './pareto.js';
import type { Random } from '../util/random.js';
import type { Params, SearchSpace } from './space.js';

export interface ObservedTrial {
  params: Params;
  /** Complete trials carry objective values; pruned ones only their last intermediate accuracy. */
  state: 'complete' | 'pruned';
  values?: readonly number[];
}

export interface Sampler {
  readonly name: string;
  sample(space: SearchSpace, history: readonly ObservedTrial[], directions: readonly Direction[], rng: Random): Params;
}

/** Structured uniform sampling (see SearchSpace.sampleRandom). */
export class RandomSampler implements Sampler {
  readonly name = 'random';
  sample(space: SearchSpace, _history: readonly ObservedTrial[], _directions: readonly Direction[], rng: Random): Params {
    return space.sampleRandom(rng);
  }
}
