/**
 * `spikeline train --spec FILE` with what `spikeline search report --export` writes: the spec
 * carries the frames it was searched on, train uses them, and files that cannot be trained are
 * refused with the file name and the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './capture.js';

const data = 'fixtures/gesture-mini';
const dir = mkdtempSync(join(tmpdir(), 'spikeline-train-spec-'));
const best = join(dir, 'best.json');
const quick = ['--data', data, '--epochs', '1', '--limit', '2', '--threads', '1'];

test('a spec exported after search --size 16 --steps 4 trains on 16x16 frames of 4 steps', async () => {
  const study = join(dir, 'study.db');
  const search = await runCli('search', '--backbone', 'gesture', '--data', data, '--size', '16', '--steps', '4', '--width-mult', '0.25', '--trials', '1', '--epochs', '1', '--min-epochs', '1', '--limit', '4', '--workers', '0', '--study', study);
  assert.equal(search.code, 0, search.err);
  const report = await runCli('search', 'report', study, '--out', join(dir, 'study.html'), '--export', best);
  assert.equal(report.code, 0, report.err);
  const spec = JSON.parse(readFileSync(best, 'utf8'));
  // 128-pixel sensor / 16 = 8; the search's windows are 1.5 s, so 1.5e6 / 4 µs per step.
  assert.deepEqual(spec.input, { height: 16, width: 16, channels: 2 });
  assert.deepEqual(spec.training, { downsample: 8, steps: 4, stepUs: 375_000, encoding: 'clip', stepping: 'fixed' });

  const out = join(dir, 'train');
  const train = await runCli('train', ...quick, '--out', out, '--spec', best);
  assert.equal(train.code, 0, train.err);
  const p = JSON.parse(readFileSync(join(out, 'model', 'preprocessing.json'), 'utf8'));
  assert.deepEqual([p.height, p.width, p.downsample, p.steps, p.stepUs, p.encoding, p.stepping], [16, 16, 8, 4, 375_000, 'clip', 'fixed']);
});

test('a spec searched before --stepping existed trains on stretched steps, as it was searched; --stepping fixed is refused', async () => {
  const spec = JSON.parse(readFileSync(best, 'utf8'));
  delete spec.training.stepping;
  const file = join(dir, 'older.json');
  writeFileSync(file, JSON.stringify(spec));
  const out = join(dir, 'older');
  const train = await runCli('train', ...quick, '--out', out, '--spec', file);
  assert.equal(train.code, 0, train.err);
  assert.equal(JSON.parse(readFileSync(join(out, 'model', 'preprocessing.json'), 'utf8')).stepping, 'stretch');
  const fixed = await runCli('train', ...quick, '--out', join(dir, 'older-fixed'), '--spec', file, '--stepping', 'fixed');
  assert.equal(fixed.code, 1);
  assert.match(fixed.err, /--stepping fixed disagrees with .*older\.json, which was searched with --stepping stretch/);
});

test('an option that disagrees with the exported spec is refused, naming the flag', async () => {
  const steps = await runCli('train', ...quick, '--out', join(dir, 'steps'), '--spec', best, '--steps', '8');
  assert.equal(steps.code, 1);
  assert.match(steps.err, /--steps 8 disagrees with .*best\.json, which was searched with --steps 4/);
  const down = await runCli('train', ...quick, '--out', join(dir, 'down'), '--spec', best, '--downsample', '4');
  assert.equal(down.code, 1);
  assert.match(down.err, /--downsample 4 disagrees with .*best\.json, which was searched with --downsample 8/);
});

test('a spec without its training section and another input size names --downsample', async () => {
  const { training: _t, ...bare } = JSON.parse(readFileSync(best, 'utf8'));
  const file = join(dir, 'hand-written.json');
  writeFileSync(file, JSON.stringify(bare));
  const r = await runCli('train', ...quick, '--out', join(dir, 'bare'), '--spec', file);
  assert.equal(r.code, 1);
  assert.match(r.err, /hand-written\.json: the network takes 16x16 frames, but --downsample 4 makes 32x32 frames .*--downsample 8 gives 16x16 frames/);
});

test('a spec of a synthetic study is refused with the reason', async () => {
  const study = join(dir, 'synthetic.db');
  const search = await runCli('search', '--backbone', 'synthetic', '--trials', '2', '--workers', '0', '--study', study);
  assert.equal(search.code, 0, search.err);
  const file = join(dir, 'synthetic.json');
  const report = await runCli('search', 'report', study, '--export', file);
  assert.equal(report.code, 0, report.err);
  const r = await runCli('train', ...quick, '--out', join(dir, 'synthetic'), '--spec', file);
  assert.equal(r.code, 1);
  assert.match(r.err, /synthetic\.json: a spec of the synthetic search objective .*cannot be trained/);
});

test('a file that is not JSON is refused, naming the file', async () => {
  const file = join(dir, 'random.bin');
  writeFileSync(file, Buffer.from([0x93, 0x4e, 0x00, 0xff, 0x7b, 0x22, 0x10, 0x80]));
  const r = await runCli('train', ...quick, '--out', join(dir, 'random'), '--spec', file);
  assert.equal(r.code, 1);
  assert.match(r.err, /random\.bin: not a JSON model spec/);
  const missing = await runCli('train', ...quick, '--out', join(dir, 'missing'), '--spec', join(dir, 'absent.json'));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /absent\.json: cannot read the spec file \(ENOENT\)/);
});
