/**
 * `spikeline eval --data DIR` on a folder holding only the test split (trials_to_test.txt and
 * its trials, no trials_to_train.txt) evaluates that split exactly as it does inside the full
 * folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliBatch } from './capture.js';

const full = 'fixtures/gesture-mini';

test('eval needs only the split it evaluates', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-eval-test-only-'));
  for (const f of ['trials_to_test.txt', 'user24_led.aedat', 'user24_led_labels.csv']) copyFileSync(join(full, f), join(dir, f));
  // One sample per labelled row of the test trial's CSV (after its header).
  const rows = readFileSync(join(full, 'user24_led_labels.csv'), 'utf8').trim().split('\n').length - 1;

  const [alone, inFull, train] = await runCliBatch([
    ['eval', '--model', 'fixtures/model', '--data', dir, '--json'],
    ['eval', '--model', 'fixtures/model', '--data', full, '--json'],
    ['eval', '--model', 'fixtures/model', '--data', dir, '--split', 'train'],
  ]);
  assert.equal(alone!.code, 0, alone!.err);
  assert.equal(inFull!.code, 0, inFull!.err);
  const a = JSON.parse(alone!.out);
  const b = JSON.parse(inFull!.out);
  assert.equal(a.samples, rows);
  assert.deepEqual([a.samples, a.accuracy, a.confusion], [b.samples, b.accuracy, b.confusion]);

  // The train split of a test-only folder is missing, and the error says which list.
  assert.equal(train!.code, 1);
  assert.match(train!.err, /missing trials_to_train\.txt/);
});
