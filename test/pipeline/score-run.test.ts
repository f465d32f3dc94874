import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cliArgs } from '../support/process.js';

const cli = (...args: string[]) => spawnSync(process.execPath, cliArgs(...args), { encoding: 'utf8', timeout: 240_000 });

test('spikeline run --score on a labelled replay: the score printed equals `spikeline score` of the run\'s JSONL, and the offline --decide finds the same gestures', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-run-score-'));
  const config = join(dir, 'replay.yaml');
  const jsonl = join(dir, 'run.jsonl');
  writeFileSync(
    config,
    [
      'name: replay-score',
      `source: { type: file, path: ${resolve('fixtures/gesture-mini/user24_led.aedat')}, labels: ${resolve('fixtures/gesture-mini/user24_led_labels.csv')}, speed: 0, buffer: { policy: pause } }`,
      `model: { path: ${resolve('fixtures/model')} }`,
      'inference: { mode: step }',
      'server: { port: 0 }',
      'sinks:',
      '  websocket: { enabled: false }',
      `  jsonl: { path: ${jsonl}, append: false, types: [prediction, gesture] }`,
    ].join('\n'),
  );
  const run = cli('run', config, '--score');
  assert.equal(run.status, 0, run.stderr);
  const printed = run.stdout.slice(run.stdout.indexOf('class '));
  // user24_led_labels.csv has 12 rows separated by >= 0.24 s gaps: 12 truth spans at 94 ms steps.
  assert.match(printed, /of 12 labels detected/);
  const lines = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
  assert.ok(lines.some((l) => l.type === 'gesture'), 'the run published gesture messages');
  const scored = cli('score', jsonl);
  assert.equal(scored.status, 0, scored.stderr);
  assert.equal(printed, scored.stdout);
  // The live decision stage and the offline one (same default settings) agree exactly.
  const redecided = cli('score', jsonl, '--decide');
  assert.equal(redecided.stdout, scored.stdout);
});
