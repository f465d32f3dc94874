// Firing metrics' energy: every synapse is paid once, as a SynOp of the spike driving it or as a
// dense MAC of a layer fed by non-spike values, never both.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/snn/backend.js';
import { buildModel } from '../../src/snn/model.js';
import { firingMetrics, PJ_PER_AC, PJ_PER_MAC } from '../../src/snn/metrics.js';
import type { ModelSpec } from '../../src/snn/spec.js';

before(async () => {
  await initBackend('wasm');
});

for (const kind of ['avg', 'max'] as const) {
  test(`a conv after a ${kind} pool of spikes pays SynOps of those spikes only, not dense MACs too`, () => {
    // 4x4x2 frames -> conv 2 (LIF) -> pool 2 -> conv 3 (LIF) -> pool 2 -> head 2 classes.
    const spec: ModelSpec = {
      name: 'tiny',
      input: { height: 4, width: 4, channels: 2 },
      classes: 2,
      layers: [{ type: 'conv', out: 2 }, { type: 'pool', kind, size: 2 }, { type: 'conv', out: 3 }, { type: 'pool', kind, size: 2 }],
      skips: [],
    };
    const m = buildModel(spec, 1);
    try {
      const s1 = 10, s2 = 4;
      const f = firingMetrics(m.costs, [s1, s2], 1, 1);
      // By hand: conv1 MACs 4*4*2 outputs x 2 inputs x 9 = 576 (fed by frames: dense);
      // conv1's spikes drive 9 x 3 synapses of conv2 through the pool, conv2's drive the head's 2.
      assert.equal(f.synops, s1 * 27 + s2 * 2);
      assert.equal(f.macs, 576 + 2 * 2 * 3 * 2 * 9 + 3 * 2);
      assert.ok(Math.abs(f.energyPJ - ((s1 * 27 + s2 * 2) * PJ_PER_AC + 576 * PJ_PER_MAC)) < 1e-9, `energy ${f.energyPJ}`);
    } finally {
      m.dispose();
    }
  });
}
