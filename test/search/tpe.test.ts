import { test } from 'node:test';
import assert from 'node:assert/strict';
import { categoricalEstimator, erf, floatEstimator } from '../../src/search/parzen.js';
import { hypervolume2d, paretoFront, toLoss, type Direction } from '../../src/search/pareto.js';
import { Random, deriveSeed } from '../../src/util/random.js';
import { RandomSampler, type ObservedTrial, type Sampler } from '../../src/search/sampler.js';
import { SearchSpace, type Candidate } from '../../src/search/space.js';
import { syntheticAdapter, syntheticFiring, syntheticQuality } from '../../src/search/synthetic.js';
import { TpeSampler, splitBelow } from '../../src/search/tpe.js';

test('erf matches reference values', () => {
  assert.ok(Math.abs(erf(0)) < 1e-7);
  assert.ok(Math.abs(erf(0.5) - 0.5204998778) < 2e-7);
  assert.ok(Math.abs(erf(-1.5) + 0.9661051465) < 2e-7);
});

test('float Parzen estimator is a density on its range (linear and log scale)', () => {
  for (const log of [false, true]) {
    const dist = { kind: 'float' as const, low: 0.5, high: 20, log };
    const est = floatEstimator(dist, [1, 1.2, 7, 15]);
    // Integrate over the transformed axis, where logPdf is defined.
    const a = log ? Math.log(0.5) : 0.5;
    const b = log ? Math.log(20) : 20;
    const steps = 20000;
    let integral = 0;
    for (let i = 0; i < steps; i++) {
      const u = a + ((i + 0.5) * (b - a)) / steps;
      integral += Math.exp(est.logPdf(log ? Math.exp(u) : u)) * ((b - a) / steps);
    }
    assert.ok(Math.abs(integral - 1) < 1e-3, `integral ${integral} (log=${log})`);
    assert.equal(est.logPdf(25), -Infinity);
    const rng = new Random(1);
    for (let i = 0; i < 500; i++) {
      const v = est.sample(rng);
      assert.ok(v >= 0.5 && v <= 20);
    }
  }
});

test('categorical estimator mixes counts with the prior', () => {
  const dist = { kind: 'categorical' as const, choices: ['none', 'ASC', 'DSC'], prior: [0.8, 0.1, 0.1] };
  const est = categoricalEstimator(dist, ['ASC', 'ASC', 'none'], 1);
  // weights 1.8, 2.1, 0.1 over 4
  assert.ok(Math.abs(Math.exp(est.logPdf('ASC')) - 2.1 / 4) < 1e-12);
  assert.ok(Math.abs(Math.exp(est.logPdf('DSC')) - 0.1 / 4) < 1e-12);
  const rng = new Random(9);
  let asc = 0;
  for (let i = 0; i < 4000; i++) if (est.sample(rng) === 'ASC') asc++;
  assert.ok(Math.abs(asc / 4000 - 0.525) < 0.03);
});

test('splitBelow: best by loss for one objective, by rank then crowding for two', () => {
  const t = (values: number[]): ObservedTrial => ({ params: {}, state: 'complete', values });
  const trials = [t([0.5]), t([0.9]), t([0.7])];
  assert.deepEqual(splitBelow(trials, ['maximize'], 2), [trials[1], trials[2]]);
  const mo = [t([0.9, 0.5]), t([0.6, 0.1]), t([0.5, 0.6]), t([0.8, 0.3])];
  const below = splitBelow(mo, ['maximize', 'minimize'], 3);
  assert.deepEqual(new Set(below), new Set([mo[0], mo[1], mo[3]]));
});

function optimize(sampler: Sampler, space: SearchSpace, n: number, seed: number, f: (c: Candidate) => number[], directions: Direction[]): number[][] {
  const history: ObservedTrial[] = [];
  for (let i = 0; i < n; i++) {
    const params = sampler.sample(space, history, directions, new Random(deriveSeed(seed, i)));
    history.push({ params, state: 'complete', values: f(space.candidate(params)) });
  }
  return history.map((h) => [...h.values!]);
}

const best = (vals: number[][]): number => Math.max(...vals.map((v) => v[0]!));

test('TPE beats random search on synthetic problems with known optima', () => {
  const cases = [
    { name: 'skips (optimum 0.85)', space: new SearchSpace(syntheticAdapter(), { maxSkips: 5 }) },
    { name: 'neuron floats (optimum 0.55)', space: new SearchSpace(syntheticAdapter({ layers: 2 }), { maxSkips: 0, neuron: { tau: [1.1, 20], threshold: [0.2, 2], alpha: [0.5, 20] } }) },
    { name: 'skips + neuron (optimum 0.85)', space: new SearchSpace(syntheticAdapter(), { maxSkips: 5, neuron: { tau: [1.1, 20], threshold: [0.2, 2], alpha: [0.5, 20] } }) },
  ];
  const seeds = 12;
  for (const { name, space } of cases) {
    let tpeSum = 0;
    let randomSum = 0;
    let wins = 0;
    for (let s = 0; s < seeds; s++) {
      const f = (c: Candidate): number[] => [syntheticQuality(c.spec as never)];
      const r = best(optimize(new RandomSampler(), space, 50, s, f, ['maximize']));
      const t = best(optimize(new TpeSampler(), space, 50, s, f, ['maximize']));
      randomSum += r;
      tpeSum += t;
      if (t > r) wins++;
    }
    assert.ok(tpeSum > randomSum, `${name}: mean best TPE ${tpeSum / seeds} <= random ${randomSum / seeds}`);
    assert.ok(wins >= seeds * 0.6, `${name}: TPE won only ${wins}/${seeds}`);
  }
});

test('multi-objective TPE reaches a larger hypervolume than random (accuracy vs firing rate)', () => {
  const space = new SearchSpace(syntheticAdapter(), { maxSkips: 5 });
  const directions: Direction[] = ['maximize', 'minimize'];
  const f = (c: Candidate): number[] => {
    const spec = c.spec as never;
    return [syntheticQuality(spec), syntheticFiring(spec).meanRate];
  };
  const hv = (vals: number[][]): number => {
    const losses = vals.map((v) => toLoss(v, directions));
    return hypervolume2d(paretoFront(losses).map((i) => losses[i]!), [0, 0.2]);
  };
  let tpe = 0;
  let random = 0;
  for (let s = 0; s < 10; s++) {
    random += hv(optimize(new RandomSampler(), space, 50, s, f, directions));
    tpe += hv(optimize(new TpeSampler(), space, 50, s, f, directions));
  }
  assert.ok(tpe > random, `hypervolume TPE ${tpe / 10} <= random ${random / 10}`);
});

test('TPE is deterministic for a given rng seed and history', () => {
  const space = new SearchSpace(syntheticAdapter(), { maxSkips: 5 });
  const f = (c: Candidate): number[] => [syntheticQuality(c.spec as never)];
  const a = optimize(new TpeSampler(), space, 20, 4, f, ['maximize']);
  const b = optimize(new TpeSampler(), space, 20, 4, f, ['maximize']);
  assert.deepEqual(a, b);
});
