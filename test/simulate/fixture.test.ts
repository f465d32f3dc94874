import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateGestureDataset } from '../../src/simulate/dataset.js';

const FIXTURE = 'fixtures/gesture-mini';
const FILES = ['user02_led.aedat', 'user02_led_labels.csv', 'user24_led.aedat', 'user24_led_labels.csv', 'trials_to_train.txt', 'trials_to_test.txt', 'synthetic.json'];

test('fixtures/gesture-mini regenerates byte-identically from the command in its README', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-mini-'));
  try {
    // Same options as `simulate gesture --users 2,24 --lightings led --duration-per-gesture 0.8 --gap 0.3
    // --domain off --idle 0 --clockwise camera`: the original simulator, before domain randomisation.
    await generateGestureDataset({
      out: dir, users: [2, 24], lightings: ['led'], seed: 1, gestureSeconds: 0.8, gapSeconds: 0.3, threshold: 0.1, frameUs: 4000, mainsHz: 60,
      domain: null, idleProbability: 0, idleSeconds: 2.5, clockwise: 'camera',
    });
    for (const f of FILES) {
      assert.ok((await readFile(join(dir, f))).equals(await readFile(join(FIXTURE, f))), `${f} differs from the shipped fixture`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
