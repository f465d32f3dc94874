import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AshaPruner, NoPruner } from '../../src/search/pruner.js';

test('ASHA rungs sit at minEpochs * eta^k', () => {
  const p = new AshaPruner({ minEpochs: 2, eta: 3 });
  assert.deepEqual([1, 2, 3, 5, 6, 7, 17, 18, 19].filter((e) => p.isRung(e)), [2, 6, 18]);
});

test('ASHA keeps the top 1/eta at a rung and decides nothing off-rung', () => {
  const p = new AshaPruner({ minEpochs: 1, eta: 3, minPeers: 2 });
  assert.equal(p.shouldPrune(1, 0.1, []), false, 'alone at the rung: not enough peers');
  assert.equal(p.shouldPrune(2, 0.0, [0.9, 0.8]), false, 'epoch 2 is not a rung');
  // 6 values at the rung -> the top 2 go on.
  const peers = [0.9, 0.8, 0.5, 0.4, 0.3];
  assert.equal(p.shouldPrune(3, 0.85, peers), false);
  assert.equal(p.shouldPrune(3, 0.7, peers), true);
  // Fewer than eta values: only the best goes on.
  assert.equal(p.shouldPrune(1, 0.6, [0.5]), false);
  assert.equal(p.shouldPrune(1, 0.4, [0.5]), true);
  assert.equal(new NoPruner().shouldPrune(), false);
  assert.throws(() => new AshaPruner({ eta: 1 }), /eta/);
});
