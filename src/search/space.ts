/**
 * The skip-connection search space over one backbone: for every candidate pair of layers
 * (from < to) a categorical parameter `skip:<from>-<to>` in {none, ASC, DSC, DSC-1x1, SEW} (the
 * types the space is given and the pair allows), bounded skip count,
 * and optional neuron hyperparameters (tau, threshold, surrogate alpha) as float parameters.
 * Turning parameters into a model spec and validating it is delegated to a `SpecAdapter` so the
 * space knows nothing of the engine's spec format beyond skips and neuron settings.
 */
import type { SkipSpec as EngineSkipSpec, SkipType } from '../snn/spec.js';
import type { Random } from '../util/random.js';

export type { SkipType };

/** A skip as the search places it (the engine adds its shape adaptation when resolving). */
export type SkipSpec = Omit<EngineSkipSpec, 'adapt'>;

/** A skip parameter's value other than 'none': a skip type, or DSC through a 1x1 projection. */
export type SkipChoice = SkipType | 'DSC-1x1';
export const SKIP_CHOICES: readonly SkipChoice[] = ['ASC', 'DSC', 'DSC-1x1', 'SEW'];

export function skipChoice(s: SkipSpec): SkipChoice {
  return s.type === 'DSC' && s.project ? 'DSC-1x1' : s.type;
}

export function skipOfChoice(from: number, to: number, choice: SkipChoice): SkipSpec {
  return choice === 'DSC-1x1' ? { from, to, type: 'DSC', project: true } : { from, to, type: choice };
}

function isSkipChoice(v: unknown): v is SkipChoice {
  return SKIP_CHOICES.includes(v as SkipChoice);
}

export interface NeuronParams {
  tau?: number;
  threshold?: number;
  alpha?: number;
}

export type ParamValue = string | number;
export type Params = Record<string, ParamValue>;

export interface CategoricalDistribution {
  kind: 'categorical';
  choices: readonly string[];
  /** Prior probability of each choice (what random sampling draws), summing to 1. */
  prior: readonly number[];
}

export interface FloatDistribution {
  kind: 'float';
  low: number;
  high: number;
  /** Search on a log scale (tau, alpha). */
  log: boolean;
}

export type Distribution = CategoricalDistribution | FloatDistribution;

/** What the space needs from a model spec format (the SNN engine's, or a synthetic one in tests). */
export interface SpecAdapter<S = unknown> {
  /** Backbone name (recorded in studies and reports). */
  readonly backbone: string;
  /** Layer names in order; skips address layers by index into this list. */
  readonly layers: readonly string[];
  /** The skips of the ANN the backbone was adapted from (ResNet adds, DenseNet concatenates). */
  readonly originalSkips: readonly SkipSpec[];
  /** Pairs (from, to) a skip may join; defaults to every from < to with to - from >= 2. */
  readonly candidatePairs?: readonly (readonly [number, number])[];
  /** Skip types a pair may take (default: all the space's types). */
  allowedTypes?(from: number, to: number): readonly SkipChoice[];
  build(skips: readonly SkipSpec[], neuron: NeuronParams): S;
  /** Reasons the spec is not a valid graph; empty when valid. */
  validate(spec: S): string[];
}

export interface SpaceOptions {
  maxSkips: number;
  minSkips?: number;
  /** Default ASC and DSC (the seed paper's); SKIP_CHOICES adds SEW and projected DSC. */
  skipTypes?: readonly SkipChoice[];
  /** Float ranges for neuron hyperparameters searched as secondary dimensions. */
  neuron?: {
    tau?: readonly [number, number];
    threshold?: readonly [number, number];
    alpha?: readonly [number, number];
  };
}

export interface Candidate<S = unknown> {
  skips: SkipSpec[];
  neuron: NeuronParams;
  spec: S;
}

export class InvalidCandidateError extends Error {
  override readonly name = 'InvalidCandidateError';
  constructor(readonly reasons: string[]) {
    super(`invalid candidate: ${reasons.join('; ')}`);
  }
}

const SKIP_PREFIX = 'skip:';

export function skipParamName(from: number, to: number): string {
  return `${SKIP_PREFIX}${from}-${to}`;
}

export class SearchSpace<S = unknown> {
  readonly pairs: readonly (readonly [number, number])[];
  readonly distributions: ReadonlyMap<string, Distribution>;
  readonly maxSkips: number;
  readonly minSkips: number;
  readonly skipTypes: readonly SkipChoice[];

  constructor(
    readonly adapter: SpecAdapter<S>,
    readonly options: SpaceOptions,
  ) {
    const n = adapter.layers.length;
    const pairs = adapter.candidatePairs ?? defaultPairs(n);
    for (const [from, to] of pairs) {
      if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from < to && to < n)) {
        throw new RangeError(`candidate pair (${from}, ${to}) is not 0 <= from < to < ${n} layers`);
      }
    }
    this.skipTypes = options.skipTypes ?? ['ASC', 'DSC'];
    if (this.skipTypes.length === 0) throw new RangeError('skipTypes must name at least one type');
    const unknown = this.skipTypes.filter((t) => !isSkipChoice(t));
    if (unknown.length > 0) throw new RangeError(`skipTypes: ${unknown.join(', ')} not among ${SKIP_CHOICES.join(', ')}`);
    const usable: { pair: readonly [number, number]; types: SkipChoice[] }[] = [];
    for (const pair of pairs) {
      const allowed = adapter.allowedTypes?.(pair[0], pair[1]) ?? this.skipTypes;
      const types = this.skipTypes.filter((t) => allowed.includes(t));
      if (types.length > 0) usable.push({ pair, types });
    }
    this.pairs = usable.map((u) => u.pair);
    this.minSkips = options.minSkips ?? 0;
    this.maxSkips = Math.min(options.maxSkips, this.pairs.length);
    if (!(this.minSkips >= 0 && this.minSkips <= this.maxSkips)) {
      throw new RangeError(`skip limits need 0 <= minSkips (${this.minSkips}) <= maxSkips (${this.maxSkips})`);
    }
    const dists = new Map<string, Distribution>();
    // Prior = marginal of the structured random sampler: each pair carries a skip with
    // probability E[k] / pairs, its allowed types sharing it equally.
    const pSkip = this.pairs.length === 0 ? 0 : (this.minSkips + this.maxSkips) / 2 / this.pairs.length;
    for (const { pair, types } of usable) {
      const prior = [1 - pSkip, ...types.map(() => pSkip / types.length)];
      dists.set(skipParamName(pair[0], pair[1]), { kind: 'categorical', choices: ['none', ...types], prior });
    }
    for (const key of ['tau', 'threshold', 'alpha'] as const) {
      const range = options.neuron?.[key];
      if (!range) continue;
      const [low, high] = range;
      if (!(low > 0 && high > low)) throw new RangeError(`neuron.${key} range must satisfy 0 < low < high, got [${low}, ${high}]`);
      dists.set(key, { kind: 'float', low, high, log: key !== 'threshold' });
    }
    this.distributions = dists;
  }

  /** Skips and neuron settings encoded by `params` (no validation). */
  decode(params: Params): { skips: SkipSpec[]; neuron: NeuronParams } {
    const skips: SkipSpec[] = [];
    for (const [from, to] of this.pairs) {
      const v = params[skipParamName(from, to)];
      if (isSkipChoice(v)) skips.push(skipOfChoice(from, to, v));
    }
    const neuron: NeuronParams = {};
    for (const key of ['tau', 'threshold', 'alpha'] as const) {
      const v = params[key];
      if (typeof v === 'number') neuron[key] = v;
    }
    return { skips, neuron };
  }

  /** Parameters of a given skip set (neuron parameters at their range's centre when searched). */
  encode(skips: readonly SkipSpec[], neuron: NeuronParams = {}): Params {
    const params: Params = {};
    for (const [from, to] of this.pairs) params[skipParamName(from, to)] = 'none';
    for (const s of skips) {
      const name = skipParamName(s.from, s.to);
      if (!this.distributions.has(name)) throw new RangeError(`skip ${s.from}->${s.to} is not a candidate pair of this space`);
      params[name] = skipChoice(s);
    }
    for (const [name, d] of this.distributions) {
      if (d.kind !== 'float') continue;
      const given = neuron[name as keyof NeuronParams];
      params[name] = given ?? (d.log ? Math.sqrt(d.low * d.high) : (d.low + d.high) / 2);
    }
    return params;
  }

  /** Reasons `params` is not a valid candidate; empty when it is. */
  check(params: Params): string[] {
    const reasons: string[] = [];
    for (const [name, d] of this.distributions) {
      const v = params[name];
      if (d.kind === 'categorical') {
        if (typeof v !== 'string' || !d.choices.includes(v)) reasons.push(`${name}: expected one of ${d.choices.join('|')}, got ${String(v)}`);
      } else if (typeof v !== 'number' || !(v >= d.low && v <= d.high)) {
        reasons.push(`${name}: expected a number in [${d.low}, ${d.high}], got ${String(v)}`);
      }
    }
    if (reasons.length > 0) return reasons;
    const { skips, neuron } = this.decode(params);
    if (skips.length > this.maxSkips) reasons.push(`${skips.length} skips exceed the limit of ${this.maxSkips}`);
    if (skips.length < this.minSkips) reasons.push(`${skips.length} skips are fewer than the minimum of ${this.minSkips}`);
    if (reasons.length > 0) return reasons;
    return this.adapter.validate(this.adapter.build(skips, neuron));
  }

  /** The candidate encoded by `params`; throws InvalidCandidateError naming every reason. */
  candidate(params: Params): Candidate<S> {
    const reasons = this.check(params);
    if (reasons.length > 0) throw new InvalidCandidateError(reasons);
    const { skips, neuron } = this.decode(params);
    return { skips, neuron, spec: this.adapter.build(skips, neuron) };
  }

  /**
   * A uniformly structured random draw: skip count uniform in [minSkips, maxSkips], pairs chosen
   * uniformly without replacement, types uniform; floats uniform (log-uniform when `log`).
   * Retries until the adapter accepts the graph.
   */
  sampleRandom(rng: Random, attempts = 100): Params {
    let lastReasons: string[] = [];
    for (let a = 0; a < attempts; a++) {
      const params = this.randomParams(rng);
      lastReasons = this.check(params);
      if (lastReasons.length === 0) return params;
    }
    throw new InvalidCandidateError([`no valid candidate in ${attempts} random draws`, ...lastReasons]);
  }

  private randomParams(rng: Random): Params {
    const params: Params = {};
    const k = this.minSkips + rng.int(this.maxSkips - this.minSkips + 1);
    const order = this.pairs.map((_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(order.length - i);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const chosen = new Set(order.slice(0, k));
    this.pairs.forEach(([from, to], i) => {
      const name = skipParamName(from, to);
      const choices = (this.distributions.get(name) as CategoricalDistribution).choices;
      params[name] = chosen.has(i) ? choices[1 + rng.int(choices.length - 1)]! : 'none';
    });
    for (const [name, d] of this.distributions) {
      if (d.kind === 'float') params[name] = sampleFloatUniform(d, rng);
    }
    return params;
  }

  /**
   * Brings the skip count of `params` within limits, dropping the skips with the lowest
   * `preference` (or adding pairs with the highest) — used by model-based samplers whose
   * per-dimension proposals ignore the count limit.
   */
  repairCount(params: Params, preference: (name: string, value: string) => number): Params {
    const out = { ...params };
    const active = this.pairs.map(([f, t]) => skipParamName(f, t)).filter((n) => out[n] !== 'none');
    if (active.length > this.maxSkips) {
      active.sort((a, b) => preference(a, out[a] as string) - preference(b, out[b] as string));
      for (const name of active.slice(0, active.length - this.maxSkips)) out[name] = 'none';
    } else if (active.length < this.minSkips) {
      const options: { name: string; type: SkipChoice; score: number }[] = [];
      for (const [f, t] of this.pairs) {
        const name = skipParamName(f, t);
        if (out[name] !== 'none') continue;
        for (const type of (this.distributions.get(name) as CategoricalDistribution).choices.slice(1)) {
          options.push({ name, type: type as SkipChoice, score: preference(name, type) });
        }
      }
      options.sort((a, b) => b.score - a.score);
      let need = this.minSkips - active.length;
      for (const o of options) {
        if (need === 0) break;
        if (out[o.name] !== 'none') continue;
        out[o.name] = o.type;
        need--;
      }
    }
    return out;
  }
}

export function defaultPairs(layers: number): [number, number][] {
  const pairs: [number, number][] = [];
  for (let from = 0; from < layers; from++) {
    for (let to = from + 2; to < layers; to++) pairs.push([from, to]);
  }
  return pairs;
}

export function sampleFloatUniform(d: FloatDistribution, rng: Random): number {
  if (d.log) return Math.exp(Math.log(d.low) + rng.next() * (Math.log(d.high) - Math.log(d.low)));
  return d.low + rng.next() * (d.high - d.low);
}
