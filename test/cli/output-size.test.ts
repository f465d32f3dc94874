/**
 * Outputs built whole in memory are sized before they are allocated: an option asking for more
 * than the machine can hold gets a message with the size and what to change, not a V8 error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliBatch } from './capture.js';

const sample = '../shared/fixtures/real/sample.aedat4';

test('frames --event-count 1 on a 320x240 recording is refused with the output size', { skip: !existsSync(sample) && 'needs ../shared' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-output-size-'));
  const out = join(dir, 'frames.npy');
  const [r] = await runCliBatch([['frames', sample, out, '--event-count', '1']]);
  // The fixture README: 111954 events, 320x240. One frame per event:
  // 111954 x 2 x 240 x 320 float32 = 68 784 537 600 bytes = 64.06 GiB.
  assert.equal(r!.code, 1);
  assert.match(r!.err, /frames\.npy: frames \[111954, 2, 240, 320\] float32 would take 64\.1 GiB, more than the .* one output may use here/);
  assert.match(r!.err, /a larger --event-count/);
  assert.equal(existsSync(out), false);
});

test('render with more frames than memory holds is refused with the size', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-output-size-'));
  const out = join(dir, 'x.gif');
  const [r] = await runCliBatch([['render', 'fixtures/formats-bar.aedat', '--out', out, '--frames', '100000', '--scale', '16']]);
  assert.equal(r!.code, 1);
  // 128x128 sensor x16 = 2048x2048 pixels per frame (one byte each, plus the tile gap).
  assert.match(r!.err, /x\.gif: 100000 frame\(s\) of 2048x2048 would take \d+\.\d (GiB|TiB), more than the/);
  assert.equal(existsSync(out), false);
});
