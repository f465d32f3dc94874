/**
 * `spikeline train --sub-bins N` (issue 12 item 2): the model folder records the sub-bins and takes
 * 2N input channels, `spikeline eval` bins with them, and values that cannot work are refused
 * naming the flag (a step not divisible, a spec or --init model of other sub-bins).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './capture.js';

const data = 'fixtures/gesture-mini';
const dir = mkdtempSync(join(tmpdir(), 'spikeline-train-subbins-'));
// 16x16 frames of 4 steps of 40 ms: a quick run.
const quick = ['--data', data, '--epochs', '1', '--limit', '2', '--threads', '1', '--downsample', '8', '--steps', '4', '--step-us', '40000', '--width-mult', '0.25'];

test('train --sub-bins 2 writes a model of 4 input channels with subBins 2, and eval uses them', async () => {
  const out = join(dir, 'k2');
  const train = await runCli('train', ...quick, '--out', out, '--sub-bins', '2');
  assert.equal(train.code, 0, train.err);
  assert.match(train.err, /frames 16x16x4 \(2 sub-bins per step\)/);
  const pre = JSON.parse(readFileSync(join(out, 'model', 'preprocessing.json'), 'utf8'));
  assert.equal(pre.subBins, 2);
  const spec = JSON.parse(readFileSync(join(out, 'model', 'spec.json'), 'utf8'));
  assert.deepEqual(spec.input, { height: 16, width: 16, channels: 4 });
  const ev = await runCli('eval', '--model', join(out, 'model'), '--data', data, '--limit', '2', '--json');
  assert.equal(ev.code, 0, ev.err);
  assert.equal(JSON.parse(ev.out).samples, 2);

  // Fine-tuning it with another number of sub-bins is refused, naming the flag.
  const init = await runCli('train', ...quick, '--out', join(dir, 'init'), '--init', join(out, 'model'));
  assert.equal(init.code, 1);
  assert.match(init.err, /the network takes 4 input channels \(2 sub-bins of ON and OFF\), --sub-bins 1 makes 2/);
});

test('--sub-bins that does not divide --step-us into whole microseconds is refused before loading data', async () => {
  const r = await runCli('train', '--data', join(dir, 'absent'), '--out', join(dir, 'x'), '--sub-bins', '4', '--step-us', '93750');
  assert.equal(r.code, 1);
  assert.match(r.err, /--sub-bins 4 does not divide the step of 93750 µs into whole microseconds/);
});

test('--sub-bins that disagrees with a spec\'s training section is refused, naming the flag', async () => {
  const spec = {
    input: { height: 16, width: 16, channels: 4 },
    training: { downsample: 8, steps: 4, stepUs: 40_000, encoding: 'clip', subBins: 2 },
    classes: 11,
    layers: [{ type: 'conv', out: 4 }, { type: 'pool', size: 2 }],
    skips: [],
  };
  const file = join(dir, 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  const r = await runCli('train', '--data', data, '--out', join(dir, 'spec'), '--spec', file, '--sub-bins', '1');
  assert.equal(r.code, 1);
  assert.match(r.err, /--sub-bins 1 disagrees with .*spec\.json, which was searched with --sub-bins 2/);
});
