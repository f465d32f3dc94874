import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidCandidateError, SearchSpace, defaultPairs, skipParamName } from '../../src/search/space.js';
import { Random, deriveSeed } from '../../src/util/random.js';
import { syntheticAdapter } from '../../src/search/synthetic.js';

test('default candidate pairs skip over at least one layer, from < to', () => {
  assert.deepEqual(defaultPairs(4), [
    [0, 2],
    [0, 3],
    [1, 3],
  ]);
  const space = new SearchSpace(syntheticAdapter({ layers: 8 }), { maxSkips: 4 });
  assert.equal(space.pairs.length, 21);
  assert.equal(space.distributions.size, 21);
  const d = space.distributions.get(skipParamName(0, 2))!;
  assert.equal(d.kind, 'categorical');
  if (d.kind === 'categorical') {
    assert.deepEqual(d.choices, ['none', 'ASC', 'DSC']);
    assert.ok(Math.abs(d.prior.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  }
});

test('encode / decode round-trip skips and neuron settings', () => {
  const space = new SearchSpace(syntheticAdapter(), { maxSkips: 3, neuron: { tau: [1.5, 10], threshold: [0.5, 2] } });
  const skips = [
    { from: 0, to: 2, type: 'ASC' as const },
    { from: 3, to: 7, type: 'DSC' as const },
  ];
  const params = space.encode(skips, { tau: 3 });
  assert.equal(params.threshold, 1.25);
  const decoded = space.decode(params);
  assert.deepEqual(decoded.skips, skips);
  assert.deepEqual(decoded.neuron, { tau: 3, threshold: 1.25 });
  const c = space.candidate(params);
  assert.deepEqual((c.spec as { skips: unknown }).skips, skips);
});

test('invalid candidates are rejected with every reason named', () => {
  const space = new SearchSpace(syntheticAdapter({ forbidden: ['1-4'] }), { maxSkips: 2, minSkips: 1 });
  const tooMany = space.encode([
    { from: 0, to: 2, type: 'ASC' },
    { from: 1, to: 3, type: 'ASC' },
    { from: 2, to: 4, type: 'DSC' },
  ]);
  assert.deepEqual(space.check(tooMany), ['3 skips exceed the limit of 2']);
  assert.deepEqual(space.check(space.encode([])), ['0 skips are fewer than the minimum of 1']);
  const forbidden = space.encode([{ from: 1, to: 4, type: 'DSC' }]);
  assert.deepEqual(space.check(forbidden), ['skip 1->4: layer4 cannot take a skip input']);
  assert.throws(() => space.candidate(forbidden), (e: unknown) => e instanceof InvalidCandidateError && e.reasons.length === 1);
  const bad = { ...space.encode([{ from: 0, to: 2, type: 'ASC' }]), [skipParamName(0, 3)]: 'MUL' };
  assert.match(space.check(bad)[0]!, /skip:0-3: expected one of none\|ASC\|DSC, got MUL/);
  assert.throws(() => space.encode([{ from: 0, to: 1, type: 'ASC' }]), /not a candidate pair/);
  assert.throws(() => new SearchSpace(syntheticAdapter(), { maxSkips: 1, minSkips: 2 }), /skip limits/);
  assert.throws(() => new SearchSpace(syntheticAdapter(), { maxSkips: 1, neuron: { tau: [0, 2] } }), /neuron.tau/);
});

test('random sampling stays within limits, avoids rejected graphs and covers the skip counts', () => {
  const space = new SearchSpace(syntheticAdapter({ forbidden: ['0-2', '2-5'] }), { maxSkips: 4, minSkips: 1, neuron: { tau: [1.5, 10] } });
  const counts = new Set<number>();
  const types = new Set<string>();
  for (let i = 0; i < 300; i++) {
    const p = space.sampleRandom(new Random(deriveSeed(7, i)));
    assert.deepEqual(space.check(p), []);
    const { skips, neuron } = space.decode(p);
    counts.add(skips.length);
    for (const s of skips) types.add(s.type);
    assert.ok(neuron.tau! >= 1.5 && neuron.tau! <= 10);
  }
  assert.deepEqual([...counts].sort(), [1, 2, 3, 4]);
  assert.deepEqual([...types].sort(), ['ASC', 'DSC']);
});

test('repairCount keeps the most preferred skips', () => {
  const space = new SearchSpace(syntheticAdapter(), { maxSkips: 1, minSkips: 1 });
  const p = space.encode([
    { from: 0, to: 2, type: 'ASC' },
    { from: 1, to: 3, type: 'DSC' },
  ]);
  const repaired = space.repairCount(p, (name) => (name === skipParamName(1, 3) ? 5 : 0));
  assert.deepEqual(space.decode(repaired).skips, [{ from: 1, to: 3, type: 'DSC' }]);
  const grown = space.repairCount(space.encode([]), (name, v) => (name === skipParamName(2, 6) && v === 'DSC' ? 3 : 0));
  assert.deepEqual(space.decode(grown).skips, [{ from: 2, to: 6, type: 'DSC' }]);
});
