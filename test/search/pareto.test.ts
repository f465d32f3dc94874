import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crowdingDistance, dominates, hypervolume2d, nondominatedRanks, paretoFront, toLoss } from '../../src/search/pareto.js';
import { Random } from '../../src/util/random.js';

test('dominance and directions', () => {
  assert.ok(dominates([1, 1], [1, 2]));
  assert.ok(!dominates([1, 1], [1, 1]));
  assert.ok(!dominates([0, 2], [1, 1]));
  assert.deepEqual(toLoss([0.9, 0.1], ['maximize', 'minimize']), [-0.9, 0.1]);
});

test('non-dominated ranks on a known layout', () => {
  // front 0: (1,4) (2,2) (4,1); front 1: (3,3) (2,5); front 2: (4,5)
  const pts = [
    [3, 3],
    [1, 4],
    [4, 5],
    [2, 2],
    [2, 5],
    [4, 1],
  ];
  assert.deepEqual(nondominatedRanks(pts), [1, 0, 2, 0, 1, 0]);
  assert.deepEqual(paretoFront(pts), [1, 3, 5]);
});

test('Pareto front property: no front point is dominated, every other point is', () => {
  const rng = new Random(3);
  for (let rep = 0; rep < 20; rep++) {
    const pts = Array.from({ length: 40 }, () => [Math.round(rng.next() * 10), Math.round(rng.next() * 10), rng.next()]);
    const front = new Set(paretoFront(pts));
    pts.forEach((p, i) => {
      const dominated = pts.some((q) => dominates(q, p));
      assert.equal(front.has(i), !dominated);
    });
  }
});

test('crowding distance favours the extremes and sparse regions', () => {
  const d = crowdingDistance([
    [0, 4],
    [1, 3],
    [1.1, 2.9],
    [4, 0],
  ]);
  assert.equal(d[0], Infinity);
  assert.equal(d[3], Infinity);
  assert.ok(d[1]! > 0 && d[2]! > 0);
});

test('2-D hypervolume', () => {
  assert.equal(hypervolume2d([[1, 1]], [2, 2]), 1);
  // Staircase: (0,2) (1,1) (2,0) in box to (3,3): 3 + 2 + 1 = 6.
  assert.equal(hypervolume2d([[0, 2], [1, 1], [2, 0], [2, 2]], [3, 3]), 6);
  assert.equal(hypervolume2d([[4, 0]], [3, 3]), 0);
});
