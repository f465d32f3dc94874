/**
 * Preprocessing.denoise on recorded data: the loader filters each trial's whole stream before
 * cutting samples, exactly as a live filter fed the camera stream batch by batch would, and bad
 * settings are refused naming the file / field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatBatches, type EventBatch } from '../../src/events/index.js';
import { cutGestureSamples, listDvsGestureTrials, parseGestureLabels } from '../../src/formats/dvs-gesture.js';
import { readEvents } from '../../src/formats/io.js';
import { BackgroundActivityFilter } from '../../src/operators/functional/noise.js';
import { loadEventDataset, preprocessingOptions } from '../../src/snn/data.js';
import { parseDenoise } from '../../src/snn/denoise.js';
import { loadModel } from '../../src/snn/io.js';
import type { DenoiseSetting } from '../../src/snn/model-api.js';
import { validateSpec } from '../../src/snn/spec.js';
import { randomSplit } from '../support/events.js';
import { writeNoisyGestureMini } from '../support/noisy-gesture.js';

const dir = mkdtempSync(join(tmpdir(), 'spikeline-denoise-data-'));
const noisy = join(dir, 'noisy');
const ready = writeNoisyGestureMini(noisy, 0.5);
test.after(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
function assertSameEvents(a: EventBatch | undefined, b: EventBatch | undefined, what: string): void {
  assert.equal(a?.length, b?.length, `${what}: event count`);
  if (!a || !b) return;
  for (const c of ['x', 'y', 't', 'p'] as const) assert.ok(bytes(a[c]).equals(bytes(b[c])), `${what}: column ${c}`);
}

/** One filter fed the trial file's stream in batches of up to 500 events (the TypeScript loops). */
function filteredInBatches(events: EventBatch, d: DenoiseSetting): EventBatch {
  const f = new BackgroundActivityFilter(d.durationUs, d.neighbours, { wasm: false });
  return concatBatches(randomSplit(events, 3).map((b) => f.filter(b)), events.sensor);
}

for (const neighbours of [4, 8] as const) {
  test(`load-time denoise (${neighbours} neighbours) of noisy gesture-mini trials equals the filter run over each trial stream in small batches, then cut`, async () => {
    await ready;
    const d: DenoiseSetting = { durationUs: 5000, neighbours };
    const opts = { downsample: 4, steps: 4, stepUs: 40_000 };
    const ds = await loadEventDataset(noisy, 'dvs-gesture', { ...opts, denoise: d });
    const plain = await loadEventDataset(noisy, 'dvs-gesture', opts);
    assert.deepEqual(ds.preprocessing.denoise, d);
    assert.equal(plain.preprocessing.denoise, undefined);
    for (const split of ['train', 'test'] as const) {
      const trial = (await listDvsGestureTrials(noisy, split))[0]!;
      const stream = filteredInBatches(await readEvents(trial.aedatPath, { format: 'aedat3' }), d);
      const want = cutGestureSamples(trial.name, stream, parseGestureLabels(readFileSync(trial.labelsPath, 'utf8')), split === 'train' ? opts.steps * opts.stepUs : 0);
      assert.equal(ds[split].length, want.length);
      want.forEach((w, i) => {
        assertSameEvents(ds[split][i]!.events, w.events, `${split} sample ${i}`);
        assertSameEvents(ds[split][i]!.lead, w.lead, `${split} sample ${i} lead`);
      });
      const kept = ds[split].reduce((n, s) => n + s.events.length, 0);
      const all = plain[split].reduce((n, s) => n + s.events.length, 0);
      assert.ok(kept < 0.9 * all, `${split}: the filter removes the injected noise (${kept} of ${all} kept)`);
    }
  });
}

test('a model folder\'s denoise reaches the loader options of eval; bad settings are refused naming the file and field', async () => {
  const model = join(dir, 'model');
  cpSync('fixtures/model', model, { recursive: true });
  const file = join(model, 'preprocessing.json');
  const pre = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...pre, denoise: { durationUs: 5000, neighbours: 4 } }));
  const saved = await loadModel(model);
  assert.deepEqual(preprocessingOptions(saved.preprocessing).denoise, { durationUs: 5000, neighbours: 4 });
  saved.model.dispose();
  for (const [denoise, why] of [
    [{ durationUs: 5000, neighbours: 3 }, 'field denoise.neighbours must be 4 or 8, got 3'],
    [{ durationUs: 0, neighbours: 8 }, 'field denoise.durationUs must be a number of µs > 0, got 0'],
    [{ durationUs: 5000, neighbours: '8' }, 'field denoise.neighbours must be 4 or 8, got "8"'],
    [5000, 'field denoise must be an object { durationUs, neighbours }, got 5000'],
  ] as const) {
    writeFileSync(file, JSON.stringify({ ...pre, denoise }));
    await assert.rejects(loadModel(model), (err: Error) => err.message === `${file}: ${why}`);
  }
});

test('bad denoise settings in a spec training block, the loader options and the --denoise form are refused', async () => {
  const spec = { input: { height: 16, width: 16, channels: 2 }, training: { downsample: 8, steps: 4, stepUs: 40_000, encoding: 'clip', denoise: { durationUs: 5000, neighbours: 3 } }, classes: 11, layers: [{ type: 'gap' }, { type: 'linear', out: 11 }], skips: [] };
  assert.deepEqual(validateSpec(spec), ['training.denoise.neighbours must be 4 or 8, got 3']);
  assert.deepEqual(validateSpec({ ...spec, training: { ...spec.training, denoise: { durationUs: 5000, neighbours: 8 } } }), []);
  await assert.rejects(loadEventDataset(noisy, 'dvs-gesture', { downsample: 4, steps: 4, stepUs: 40_000, denoise: { durationUs: -1, neighbours: 8 } }), /denoise\.durationUs must be a number of µs > 0, got -1/);
  assert.deepEqual(parseDenoise('10ms'), { durationUs: 10_000, neighbours: 8 });
  assert.deepEqual(parseDenoise('2500:4'), { durationUs: 2500, neighbours: 4 });
  assert.throws(() => parseDenoise('0'), /the duration must be > 0 µs, got "0"/);
  assert.throws(() => parseDenoise('10ms:5'), /neighbours N must be 4 or 8, got "5"/);
  assert.throws(() => parseDenoise('10ms:4:1'), /expected DUR\[:N\]/);
  assert.throws(() => parseDenoise('ten'), /not a duration/);
});
