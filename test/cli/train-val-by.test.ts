/**
 * `spikeline train --val-by`: the validation split held out by person runs, is reported in the
 * log and the model's meta; values it cannot honour are refused naming the flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli, runCliBatch } from './capture.js';

const fixture = resolve('fixtures/gesture-mini');
const dir = mkdtempSync(join(tmpdir(), 'spikeline-val-by-'));
const quick = ['--epochs', '1', '--threads', '1', '--downsample', '8', '--steps', '4', '--step-us', '40000', '--width-mult', '0.25', '--no-augment'];

/** fixtures/gesture-mini with both its trials (user02, user24) in the training list. */
function twoPeople(): string {
  const root = join(dir, 'two-people');
  mkdirSync(root);
  for (const trial of ['user02_led', 'user24_led']) {
    for (const file of [`${trial}.aedat`, `${trial}_labels.csv`]) symlinkSync(join(fixture, file), join(root, file));
  }
  writeFileSync(join(root, 'trials_to_train.txt'), 'user02_led.aedat\nuser24_led.aedat\n');
  writeFileSync(join(root, 'trials_to_test.txt'), 'user24_led.aedat\n');
  return root;
}

test('train --val-by user --val-fraction 0.3 holds out one person of two and records it', async () => {
  const out = join(dir, 'run');
  const r = await runCli('train', '--data', twoPeople(), '--val-by', 'user', '--val-fraction', '0.3', '--limit', '24', ...quick, '--out', out);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /data: 12 train \/ 12 validation \(by user\) \/ 12 test samples/);
  const meta = JSON.parse(readFileSync(join(out, 'model', 'model.json'), 'utf8')).meta as { valSamples: number; valBy: string };
  assert.deepEqual([meta.valSamples, meta.valBy], [12, 'user']);
  const final = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').at(-1)!) as { type: string; valBy: string };
  assert.deepEqual([final.type, final.valBy], ['final', 'user']);
});

test('train --val-by: bad values and splits it cannot make are refused naming the flag', async () => {
  const [bad, noFraction, cifar, onePerson] = await runCliBatch([
    ['train', '--data', fixture, '--val-by', 'person', '--val-fraction', '0.3', '--out', join(dir, 'bad')],
    ['train', '--data', fixture, '--val-by', 'recording', '--out', join(dir, 'no-fraction')],
    ['train', '--data', join(dir, 'absent'), '--layout', 'cifar10-dvs', '--val-by', 'user', '--val-fraction', '0.2', '--out', join(dir, 'cifar')],
    ['train', '--data', fixture, '--val-by', 'user', '--val-fraction', '0.3', ...quick, '--out', join(dir, 'one')],
  ]);
  assert.equal(bad!.code, 2);
  assert.match(bad!.err, /--val-by: "person" is not one of sample, recording, user/);
  assert.equal(noFraction!.code, 1);
  assert.match(noFraction!.err, /--val-by recording: no validation split to hold out by recording \(give --val-fraction F > 0\)/);
  assert.equal(cifar!.code, 1);
  assert.match(cifar!.err, /--val-by user: the cifar10-dvs layout names no person; use --val-by recording/);
  assert.equal(onePerson!.code, 1);
  assert.match(onePerson!.err, /validation by user: the training data has one user \(user02\)/);
});
