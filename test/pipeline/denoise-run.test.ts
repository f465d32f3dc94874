/**
 * Live inference for a model with Preprocessing.denoise: the pipeline filters the stream right
 * before binning with one filter kept across batches (fresh after the clock goes back), so the
 * model gets the frames it would get from the offline loader's events; a config that filters
 * the stream with its own background-activity filter or downsamples first is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventBatch } from '../../src/events/index.js';
import { writeDvsGestureTrial } from '../../src/formats/dvs-gesture.js';
import { readEvents } from '../../src/formats/io.js';
import { parsePipelineConfig } from '../../src/pipeline/config.js';
import { Pipeline } from '../../src/pipeline/runner.js';
import { loadEventDataset } from '../../src/snn/data.js';
import type { DenoiseSetting } from '../../src/snn/model-api.js';
import { randomSplit } from '../support/events.js';
import { writeNoisyGestureMini } from '../support/noisy-gesture.js';
import { TestSource } from './helpers.js';
import { TinyModel } from './tiny-model.js';

const DENOISE: DenoiseSetting = { durationUs: 5000, neighbours: 8 };
const PRE = { sensorWidth: 128, sensorHeight: 128, downsample: 4, height: 32, width: 32, stepUs: 40_000, steps: 4 };
const base = { name: 'denoise', source: { type: 'tcp', url: 'tcp://127.0.0.1:7777', buffer: { events: 10_000_000 } }, model: { path: '/unused' }, inference: { mode: 'step' }, server: { port: 0 }, sinks: {} };

/** The frames `model` is given when `batches` (then each further pass, clock restarted) are streamed. */
async function liveInputs(model: TinyModel, passes: readonly EventBatch[][], filters: unknown[] = []): Promise<Float32Array[]> {
  const source = new TestSource(false);
  const pipeline = new Pipeline(parsePipelineConfig({ ...base, filters }), { source, model, modelName: 'tiny', backend: 'test', serve: false });
  await pipeline.start();
  for (const batches of passes) for (const b of batches) source.subject.next(b);
  source.subject.complete();
  await pipeline.done;
  await pipeline.stop();
  return model.inputs;
}

test('a denoise model served live gets the frames of the offline loader\'s denoised events, its filter fresh after the clock goes back', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-denoise-run-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A noisy trial of gesture-mini whose one label row spans the whole recording: the loader's
  // sample is then its whole (denoised) stream.
  await writeNoisyGestureMini(join(dir, 'noisy'), 0.5);
  const stream = await readEvents(join(dir, 'noisy', 'user24_led.aedat'), { format: 'aedat3' });
  await writeDvsGestureTrial(join(dir, 'whole'), 'user24_led', [stream], [{ classId: 0, start: 0, end: stream.t[stream.length - 1]! + 1 }]);
  writeFileSync(join(dir, 'whole', 'trials_to_test.txt'), 'user24_led.aedat\n');
  const ds = await loadEventDataset(join(dir, 'whole'), 'dvs-gesture', { ...PRE, denoise: DENOISE, splits: ['test'] });
  const offline = ds.test[0]!.events;
  assert.ok(offline.length < 0.8 * stream.length, `the loader removes the noise (${offline.length} of ${stream.length} kept)`);

  const batches = randomSplit(stream, 5, 2000);
  const live = await liveInputs(new TinyModel({ ...PRE, denoise: DENOISE }), [batches, batches]);
  const want = await liveInputs(new TinyModel(PRE), [[offline]]);
  const unfiltered = await liveInputs(new TinyModel(PRE), [[stream]]);
  assert.ok(want.length > 100, `${want.length} steps`);
  assert.equal(live.length, 2 * want.length, 'two passes of the recording');
  live.forEach((f, i) => assert.deepEqual(f, want[i % want.length], `step ${i}${i >= want.length ? ' (second pass)' : ''}`));
  assert.notDeepEqual(unfiltered, want, 'the noise changes the frames');
});

test('a config denoise or downsample filter before a denoise model is refused naming the filter; without model denoise both pass', () => {
  const make = (filters: unknown[], model: TinyModel) => () => new Pipeline(parsePipelineConfig({ ...base, filters }), { source: new TestSource(false), model, modelName: 'tiny', backend: 'test', serve: false });
  const denoising = new TinyModel({ ...PRE, denoise: DENOISE });
  assert.throws(
    make([{ type: 'refractory', periodUs: 100 }, { type: 'denoise', durationUs: 5000 }], denoising),
    /^Error: filters\[1\]: a denoise filter before a model that denoises its input itself \(preprocessing\.json denoise 5000us:8\) right before binning, as in training: filtering twice drops events the model was trained to see; remove this filter$/,
  );
  assert.throws(make([{ type: 'downsample', factor: 4 }], denoising), /^Error: filters\[0\]: a downsample filter before a model that denoises its input itself .* on the sensor's pixels: remove this filter/);
  void make([{ type: 'denoise', durationUs: 5000 }], new TinyModel(PRE))().stop();
});
