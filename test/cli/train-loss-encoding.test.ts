/**
 * `spikeline train --loss per-step --encoding log`: the run says which loss it trains, the model
 * folder records the log encoding and `spikeline eval` applies it (also with `--windows N`);
 * unknown values are refused, naming the flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './capture.js';

const data = 'fixtures/gesture-mini';
const dir = mkdtempSync(join(tmpdir(), 'spikeline-train-loss-'));
const quick = ['--data', data, '--epochs', '1', '--limit', '2', '--threads', '1', '--downsample', '8', '--steps', '4', '--step-us', '40000', '--width-mult', '0.25'];

test('train --loss per-step --encoding log trains, records the encoding, and eval uses it', async () => {
  const out = join(dir, 'tet');
  const train = await runCli('train', ...quick, '--out', out, '--loss', 'per-step', '--encoding', 'log', '--json');
  assert.equal(train.code, 0, train.err);
  assert.match(train.err, /per-step loss/);
  assert.ok(Number.isFinite(JSON.parse(train.out).accuracy));
  const pre = JSON.parse(readFileSync(join(out, 'model', 'preprocessing.json'), 'utf8'));
  assert.equal(pre.encoding, 'log');
  const ev = await runCli('eval', '--model', join(out, 'model'), '--data', data, '--limit', '2', '--json');
  assert.equal(ev.code, 0, ev.err);
  assert.equal(JSON.parse(ev.out).samples, 2);
  assert.equal(JSON.parse(ev.out).windows, 1);
  // --windows N: the same samples, each read through N windows.
  const votes = await runCli('eval', '--model', join(out, 'model'), '--data', data, '--limit', '2', '--windows', '3');
  assert.equal(votes.code, 0, votes.err);
  assert.match(votes.out, /on 2 samples .*, mean of 3 windows per sample/);
  const bad = await runCli('eval', '--model', join(out, 'model'), '--data', data, '--windows', '0');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--windows/);
});

test('an unknown --loss or --encoding is refused, naming the flag', async () => {
  const loss = await runCli('train', ...quick, '--out', join(dir, 'x'), '--loss', 'focal');
  assert.equal(loss.code, 2);
  assert.match(loss.err, /--loss: "focal" is not one of mean, per-step/);
  const enc = await runCli('train', ...quick, '--out', join(dir, 'y'), '--encoding', 'sqrt');
  assert.equal(enc.code, 2);
  assert.match(enc.err, /--encoding: "sqrt" is not one of count, clip, binary, log/);
});
