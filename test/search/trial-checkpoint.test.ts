import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TrialMetrics, TrialRequest } from '../../src/search/objective.js';
import { createRunner } from '../../src/search/pool.js';
import { SNN_TARGET_MODULE, baseSpec, type SnnTargetOptions } from '../../src/search/snn-target.js';

const target: SnnTargetOptions = { backbone: 'gesture', data: resolve('fixtures/gesture-mini'), size: 16, steps: 4, widthMult: 0.25, evaluateOn: 'test' };
const request = (checkpointDir: string | undefined, seed = 3): TrialRequest => ({ number: 0, seed, params: {}, skips: [], neuron: {}, spec: baseSpec(target), maxEpochs: 4, checkpointDir });
/** What a training measured, without its timings. */
const measured = ({ seconds: _s, cpuSeconds: _c, ...m }: TrialMetrics) => m;

test('a trial with a checkpoint folder, cut after epoch 2 of 4 and run again, resumes at epoch 3 and ends as an uninterrupted one; run once more, it returns the same metrics without training', async () => {
  const root = mkdtempSync(join(tmpdir(), 'spikeline-trial-ckpt-'));
  const runner = createRunner({ module: SNN_TARGET_MODULE, export: 'snnTarget', options: target }, 0);
  try {
    const run = async (r: TrialRequest, cutAt?: number): Promise<{ m: TrialMetrics; epochs: number[] }> => {
      const epochs: number[] = [];
      const m = await runner.run(r, async (epoch) => {
        if (epoch === cutAt) throw new Error('killed');
        epochs.push(epoch);
        return true;
      });
      return { m, epochs };
    };
    const plain = await run(request(undefined));
    const whole = await run(request(join(root, 'whole')));
    assert.deepEqual(whole.epochs, [1, 2, 3, 4]);
    assert.deepEqual(measured(whole.m), measured(plain.m), 'checkpointing does not change the training');

    const dir = join(root, 'cut');
    await assert.rejects(run(request(dir), 2), /killed/);
    const resumed = await run(request(dir));
    assert.deepEqual(resumed.epochs, [3, 4]);
    assert.deepEqual(measured(resumed.m), measured(whole.m));
    assert.deepEqual(readFileSync(join(dir, 'model', 'weights.bin')), readFileSync(join(root, 'whole', 'model', 'weights.bin')));

    const done = await run(request(dir));
    assert.deepEqual(done.epochs, []);
    assert.deepEqual(measured(done.m), measured(whole.m));
    // Its CPU time is that of the epochs it resumed (from the checkpoint's curves) and more.
    const state = JSON.parse(readFileSync(join(dir, 'checkpoint', 'state.json'), 'utf8')) as { curves: { cpuSeconds: number }[] };
    assert.ok(done.m['cpuSeconds']! >= state.curves.reduce((a, c) => a + c.cpuSeconds, 0));

    // Another training (here another seed) does not resume this one's checkpoint.
    const other = await run(request(dir, 4));
    assert.deepEqual(other.epochs, [1, 2, 3, 4]);
  } finally {
    await runner.close();
    rmSync(root, { recursive: true, force: true });
  }
});
