// --limit on a CIFAR10-DVS folder: a quick run still sees every class.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCifar10DvsSample } from '../../src/formats/index.js';
import { loadEventDataset } from '../../src/snn/data.js';
import { randomEvents } from '../support/events.js';

test('cifar10-dvs with a limit takes the classes in turn, not the first class only', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-cifar-limit-'));
  try {
    const ev = randomEvents(50, { width: 128, height: 128 }, 1, 10_000);
    // 3 classes x 10 recordings: recordings 0 (test) and 1..9 (train) of each.
    for (const classId of [0, 3, 7]) for (let i = 0; i < 10; i++) await writeCifar10DvsSample(dir, classId, i, ev);
    const ds = await loadEventDataset(dir, 'cifar10-dvs', { downsample: 4, steps: 4, stepUs: 10_000, limit: 6 });
    // The first two recordings of each class, in listing order.
    assert.deepEqual(ds.train.map((s) => s.source.replace(/.*cifar10_/, '')), ['airplane_1.aedat', 'airplane_2.aedat', 'cat_1.aedat', 'cat_2.aedat', 'horse_1.aedat', 'horse_2.aedat']);
    assert.deepEqual(ds.train.map((s) => s.label), [0, 0, 3, 3, 7, 7]);
    assert.deepEqual(ds.test.map((s) => s.label), [0, 3, 7]);
    // Without a limit: every recording once.
    const all = await loadEventDataset(dir, 'cifar10-dvs', { downsample: 4, steps: 4, stepUs: 10_000 });
    assert.equal(all.train.length, 27);
    assert.equal(all.test.length, 3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
