/** `train --balance`: each epoch draws every class equally often, cycling through its samples. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { balancedOrder } from '../../src/snn/train.js';
import { randomSource } from '../../src/util/random.js';

test('a balanced epoch draws each class equally often (to within one), from its own samples, cycling before repeating', () => {
  // 20 samples of class 0, 3 of class 1, 1 of class 2, interleaved
  const labels = [...Array.from({ length: 20 }, () => 0), 1, 1, 1, 2];
  const order = balancedOrder(labels, randomSource(3));
  assert.equal(order.length, labels.length);
  const perClass = [0, 0, 0];
  const seen: Map<number, number>[] = [new Map(), new Map(), new Map()];
  for (const i of order) {
    const y = labels[i]!;
    perClass[y]!++;
    seen[y]!.set(i, (seen[y]!.get(i) ?? 0) + 1);
  }
  assert.deepEqual(perClass, [8, 8, 8]);
  // class 0: 8 draws of 20 samples, none twice; class 1: each of its 3 samples 2 or 3 times; class 2: its only sample 8 times
  assert.equal(seen[0]!.size, 8);
  assert.ok([...seen[1]!.values()].every((n) => n === 2 || n === 3));
  assert.deepEqual([...seen[2]!.entries()], [[23, 8]]);
  // a pure function of the random source
  assert.deepEqual(balancedOrder(labels, randomSource(3)), order);
  assert.notDeepEqual(balancedOrder(labels, randomSource(4)), order);
});
