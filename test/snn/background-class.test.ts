/**
 * `train --background`: the synthetic "no gesture" rows (CSV class 12) become a 12th class,
 * `background`; without the option the same folder loads exactly as a real 11-class one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEventDataset } from '../../src/snn/data.js';

const options = { downsample: 4, steps: 4, stepUs: 100_000 };

test('a class-12 row is the background class with --background and is skipped without it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-background-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync('fixtures/gesture-mini', dir, { recursive: true });
  // Between the last two gestures of user02_led (14.61 s .. 14.94 s): an idle stretch.
  appendFileSync(join(dir, 'user02_led_labels.csv'), '12,14650000,14900000\n');

  const plain = await loadEventDataset(dir, 'dvs-gesture', { ...options, splits: ['train'] });
  const withBackground = await loadEventDataset(dir, 'dvs-gesture', { ...options, splits: ['train'], background: true });
  assert.equal(plain.classes.length, 11);
  assert.deepEqual(withBackground.classes, [...plain.classes, 'background']);
  assert.equal(withBackground.train.length, plain.train.length + 1);
  const idle = withBackground.train.filter((s) => s.label === 11);
  assert.equal(idle.length, 1);
  const ev = idle[0]!.events;
  assert.ok(ev.length > 0, 'the idle row has events');
  assert.ok(ev.t[0]! >= 14_650_000 && ev.t[ev.length - 1]! < 14_900_000, 'cut at the row');
  assert.ok(plain.train.every((s) => s.label < 11));
});
