/**
 * `spikeline train --data A --data B`: several folders of one layout trained on together (real
 * and simulated recordings), their splits pooled; folders that cannot share one network are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocateBatch } from '../../src/events/event-batch.js';
import { mergeDatasets, type EventDataset } from '../../src/snn/data.js';
import { runCli } from './capture.js';

const data = 'fixtures/gesture-mini';
const dir = mkdtempSync(join(tmpdir(), 'spikeline-train-folders-'));
const quick = ['--epochs', '1', '--limit', '2', '--threads', '1', '--downsample', '8', '--steps', '4', '--step-us', '40000', '--width-mult', '0.25'];

test('train with --data twice pools both folders\' train and test splits (--limit per folder)', async () => {
  const one = await runCli('train', '--data', data, ...quick, '--out', join(dir, 'one'));
  assert.equal(one.code, 0, one.err);
  assert.match(one.err, /data: 2 train \/ 0 validation \/ 2 test samples/);
  const two = await runCli('train', '--data', data, '--data', data, ...quick, '--out', join(dir, 'two'));
  assert.equal(two.code, 0, two.err);
  assert.match(two.err, /data: 4 train \/ 0 validation \/ 4 test samples/);
});

function dataset(classes: string[], width: number, sources: string[]): EventDataset {
  const sensor = { width, height: 128 };
  const sample = (source: string) => ({ events: allocateBatch(0, sensor), label: 0, source });
  return {
    classes,
    train: sources.map(sample),
    test: [sample('t#0')],
    preprocessing: { sensorWidth: width, sensorHeight: 128, downsample: 4, height: 32, width: width / 4, stepUs: 1000, steps: 4, encoding: 'count' },
  };
}

test('mergeDatasets: sources named by folder, in order; other classes or another sensor refused naming the folder', () => {
  const merged = mergeDatasets([dataset(['a', 'b'], 128, ['u1#0', 'u1#1']), dataset(['a', 'b'], 128, ['u1#0'])], ['real', 'sim']);
  assert.deepEqual(merged.train.map((s) => s.source), ['real:u1#0', 'real:u1#1', 'sim:u1#0']);
  assert.deepEqual(merged.test.map((s) => s.source), ['real:t#0', 'sim:t#0']);
  assert.deepEqual(merged.classes, ['a', 'b']);
  assert.throws(() => mergeDatasets([dataset(['a', 'b'], 128, []), dataset(['a', 'b', 'c'], 128, [])], ['real', 'sim']), /^Error: sim: classes a,b,c differ from real's a,b$/);
  assert.throws(() => mergeDatasets([dataset(['a'], 128, []), dataset(['a'], 240, [])], ['real', 'sim']), /sim: a 240x128 sensor, real has 128x128/);
  assert.throws(() => mergeDatasets([], []), /0 datasets/);
});
