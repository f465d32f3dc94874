/**
 * `spikeline train --denoise DUR[:N]`: the model folder records the filter, `spikeline eval` loads
 * its data through it (the very frames of data denoised beforehand), `run --check` refuses a
 * config that filters again, and bad values are refused naming the flag or the file and field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listDvsGestureTrials, parseGestureLabels, writeDvsGestureTrial } from '../../src/formats/dvs-gesture.js';
import { readEvents } from '../../src/formats/io.js';
import { denoiseRecording } from '../../src/snn/denoise.js';
import { runCli, runCliBatch } from './capture.js';

const data = 'fixtures/gesture-mini';
const dir = mkdtempSync(join(tmpdir(), 'spikeline-train-denoise-'));
// 16x16 frames of 4 steps of 40 ms: a quick run; event counts, so that its layers fire.
const quick = ['--data', data, '--epochs', '1', '--limit', '2', '--threads', '1', '--downsample', '8', '--steps', '4', '--step-us', '40000', '--width-mult', '0.25', '--encoding', 'count'];

test('train --denoise 5ms records denoise in preprocessing.json, and eval gives what the model without it gives on data denoised beforehand', async () => {
  const out = join(dir, 'dn');
  const train = await runCli('train', ...quick, '--out', out, '--denoise', '5ms');
  assert.equal(train.code, 0, train.err);
  assert.match(train.err, /T=4 \(fixed steps\), denoise 5000us:8, augment/);
  const file = join(out, 'model', 'preprocessing.json');
  const pre = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual(pre.denoise, { durationUs: 5000, neighbours: 8 });

  // The same model without the field, and the test trial denoised by hand into its own folder.
  const stripped = join(dir, 'stripped');
  cpSync(join(out, 'model'), stripped, { recursive: true });
  writeFileSync(join(stripped, 'preprocessing.json'), JSON.stringify({ ...pre, denoise: undefined }));
  const denoised = join(dir, 'denoised-data');
  for (const trial of await listDvsGestureTrials(data, 'test')) {
    const events = await readEvents(trial.aedatPath, { format: 'aedat3' });
    await writeDvsGestureTrial(denoised, trial.name, [denoiseRecording(events, pre.denoise)], parseGestureLabels(readFileSync(trial.labelsPath, 'utf8')));
  }
  writeFileSync(join(denoised, 'trials_to_test.txt'), readFileSync(join(data, 'trials_to_test.txt')));
  const [own, byHand, raw] = await runCliBatch([
    ['eval', '--model', join(out, 'model'), '--data', data, '--limit', '4', '--json'],
    ['eval', '--model', stripped, '--data', denoised, '--limit', '4', '--json'],
    ['eval', '--model', stripped, '--data', data, '--limit', '4', '--json'],
  ]);
  for (const r of [own, byHand, raw]) assert.equal(r!.code, 0, r!.err);
  const firing = (r: typeof own) => JSON.parse(r!.out).firing;
  assert.ok(firing(own).meanRate > 0, 'the network fires');
  assert.deepEqual(firing(own), firing(byHand));
  assert.notDeepEqual(firing(own), firing(raw), 'eval of the denoise model filters its data');
});

test('train --spec with a training block that denoises trains with its denoise', async () => {
  const spec = join(dir, 'dn-spec.json');
  const training = { downsample: 8, steps: 4, stepUs: 40_000, encoding: 'count', denoise: { durationUs: 3000, neighbours: 4 } };
  writeFileSync(spec, JSON.stringify({ input: { height: 16, width: 16, channels: 2 }, training, classes: 11, layers: [{ type: 'conv', out: 4 }, { type: 'gap' }, { type: 'linear', out: 11 }], skips: [] }));
  const out = join(dir, 'spec-run');
  const r = await runCli('train', '--data', data, '--epochs', '1', '--limit', '2', '--threads', '1', '--out', out, '--spec', spec);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'model', 'preprocessing.json'), 'utf8')).denoise, training.denoise);
});

test('bad --denoise values, a spec searched without denoise and a preprocessing.json with neighbours 3 are refused, naming the flag or the file and field', async () => {
  const model = join(dir, 'bad-model');
  cpSync('fixtures/model', model, { recursive: true });
  const file = join(model, 'preprocessing.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), denoise: { durationUs: 5000, neighbours: 3 } }));
  const spec = join(dir, 'spec.json');
  writeFileSync(spec, JSON.stringify({ input: { height: 16, width: 16, channels: 2 }, training: { downsample: 8, steps: 4, stepUs: 40_000, encoding: 'clip' }, classes: 11, layers: [{ type: 'conv', out: 4 }, { type: 'pool', size: 2 }], skips: [] }));
  const [zero, five, specless, evalBad] = await runCliBatch([
    ['train', '--data', data, '--out', join(dir, 'x'), '--denoise', '0'],
    ['train', '--data', data, '--out', join(dir, 'x'), '--denoise', '10ms:5'],
    ['train', '--data', data, '--out', join(dir, 'x'), '--spec', spec, '--denoise', '10ms'],
    ['eval', '--model', model, '--data', data],
  ]);
  assert.notEqual(zero!.code, 0);
  assert.match(zero!.err, /--denoise 0: the duration must be > 0 µs, got "0"/);
  assert.notEqual(five!.code, 0);
  assert.match(five!.err, /--denoise 10ms:5: neighbours N must be 4 or 8, got "5"/);
  assert.equal(specless!.code, 1);
  assert.match(specless!.err, /--denoise 10000us:8 disagrees with .*spec\.json, which was searched with --denoise none/);
  assert.equal(evalBad!.code, 1);
  assert.ok(evalBad!.err.includes(`${file}: field denoise.neighbours must be 4 or 8, got 3`), evalBad!.err);
});

test('run --check refuses a pipeline that denoises before a denoise model', { timeout: 120_000 }, async () => {
  const model = join(dir, 'check-model');
  cpSync('fixtures/model', model, { recursive: true });
  const file = join(model, 'preprocessing.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), denoise: { durationUs: 5000, neighbours: 4 } }));
  const yaml = join(dir, 'p.yaml');
  writeFileSync(yaml, `name: p\nsource: { type: simulator }\nfilters:\n  - { type: denoise, durationUs: 2000 }\nmodel: { path: "${model}" }\nserver: { port: 0 }\n`);
  const r = await runCli('run', yaml, '--check');
  assert.equal(r.code, 1, r.out);
  assert.match(r.err, /filters\[0\]: a denoise filter before a model that denoises its input itself \(preprocessing\.json denoise 5000us:4\)/);
});
