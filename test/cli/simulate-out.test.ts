/**
 * `spikeline simulate gesture --out DIR` never rewrites the trial lists of a folder that already
 * holds something, unless asked: --resume continues an interrupted simulate run (and only that),
 * --force writes over the folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliBatch } from './capture.js';

// One user (user01, one lighting), short gestures: a few seconds of simulation.
const small = ['--users', '1', '--lightings', 'led', '--duration-per-gesture', '0.3', '--gap', '0.1', '--quiet'];
const lists = (dir: string): string[] => ['trials_to_train.txt', 'trials_to_test.txt'].map((f) => readFileSync(join(dir, f), 'utf8'));

test('a folder holding another dataset is refused without --force, and --resume does not apply to it', async () => {
  const base = mkdtempSync(join(tmpdir(), 'spikeline-sim-out-'));
  const other = join(base, 'other');
  mkdirSync(other);
  for (const f of ['trials_to_train.txt', 'trials_to_test.txt', 'user02_led.aedat', 'user02_led_labels.csv']) copyFileSync(join('fixtures/gesture-mini', f), join(other, f));
  const before = lists(other);

  const [plain, resume, both, force] = await runCliBatch([
    ['simulate', 'gesture', '--out', other, ...small],
    ['simulate', 'gesture', '--out', other, ...small, '--resume'],
    ['simulate', 'gesture', '--out', other, ...small, '--resume', '--force'],
    ['simulate', 'gesture', '--out', other, ...small, '--force'],
  ]);
  assert.equal(plain!.code, 1);
  assert.match(plain!.err, /other already exists and is not empty \(4 entries\); --resume .*--force writes over it/);
  assert.equal(resume!.code, 1);
  assert.match(resume!.err, /other holds files but no synthetic\.json: it is not an interrupted spikeline simulate run/);
  assert.equal(both!.code, 2);
  assert.match(both!.err, /--resume and --force exclude each other/);
  // The refusals left the other dataset's lists alone; --force replaced them.
  assert.equal(force!.code, 0, force!.err);
  assert.deepEqual(lists(other), ['user01_led.aedat\n', '\n']);
  assert.notDeepEqual(before, lists(other));
});

test('a folder written by simulate gesture is refused again unless --resume, which continues it', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'spikeline-sim-out-')), 'gesture');
  const [first, again, resumed] = await runCliBatch([
    ['simulate', 'gesture', '--out', out, ...small],
    ['simulate', 'gesture', '--out', out, ...small],
    ['simulate', 'gesture', '--out', out, ...small, '--resume'],
  ]);
  assert.equal(first!.code, 0, first!.err);
  assert.equal(again!.code, 1);
  assert.match(again!.err, /already exists and is not empty/);
  assert.equal(resumed!.code, 0, resumed!.err);
  assert.match(resumed!.out, /1 trials, 12 labelled gestures/);
});
