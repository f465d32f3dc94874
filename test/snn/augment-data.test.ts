import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchFromArrays } from '../../src/events/index.js';
import { DVS_GESTURE_CLASSES } from '../../src/formats/dvs-gesture.js';
import { Downsampler, framesFromEvents, mirrorLabelMap } from '../../src/operators/functional/index.js';
import {
  augmentEvents,
  formatAugmentation,
  LEGACY_AUGMENTATION,
  NO_AUGMENTATION,
  ONSET_VISIBLE_MIN,
  parseAugmentation,
  sampleFrames,
  type LabelledEvents,
} from '../../src/snn/data.js';
import type { Preprocessing } from '../../src/snn/model-api.js';
import { randomEvents, rng, rows } from '../support/events.js';

const sensor = { width: 128, height: 128 };
const p: Preprocessing = { sensorWidth: 128, sensorHeight: 128, downsample: 4, height: 32, width: 32, stepUs: 100_000, steps: 8, encoding: 'count' };
const sample = (label: number, seed = 1): LabelledEvents => ({ events: randomEvents(20_000, sensor, seed, 2_000_000, 1_000_000), label, source: `s${seed}` });

test('parseAugmentation: presets, names with default or given magnitudes, and errors naming the part', () => {
  assert.deepEqual(parseAugmentation('none'), NO_AUGMENTATION);
  assert.deepEqual(parseAugmentation('legacy'), LEGACY_AUGMENTATION);
  assert.deepEqual(parseAugmentation('crop,flip,scale=0.3,stretch=2'), { ...NO_AUGMENTATION, timeCrop: true, flip: 0.5, scale: 0.3, stretch: 2 });
  const all = parseAugmentation('all');
  assert.deepEqual(parseAugmentation(formatAugmentation(all)), all);
  assert.equal(formatAugmentation(NO_AUGMENTATION), 'none');
  assert.equal(formatAugmentation(LEGACY_AUGMENTATION), 'crop,shift=0.0625,drop=0.1');
  assert.throws(() => parseAugmentation('crop,blur'), /unknown augmentation "blur"/);
  assert.throws(() => parseAugmentation('flip=2'), /bad value in "flip=2"/);
  assert.throws(() => parseAugmentation('stretch=0.5'), /stretch needs >= 1/);
  assert.throws(() => parseAugmentation('crop=1'), /takes no value/);
});

test('without augmentation, frames are the centred window binned after a plain downsample (the load-time path it replaces)', () => {
  const s = sample(3);
  const { frames, label } = sampleFrames(s, p, NO_AUGMENTATION, rng(1));
  assert.equal(label, 3);
  // Reference: downsample first, then slice the centred 0.8 s window of the 2 s sample, then bin.
  const down = new Downsampler(4).apply(s.events);
  const t0 = down.t[0]!;
  const span = down.t[down.length - 1]! - t0;
  const start = t0 + 0.5 * (span - 800_000);
  const keep = rows(down).filter((r) => r[2] >= start && r[2] < start + 800_000);
  const win = batchFromArrays({ x: keep.map((r) => r[0]), y: keep.map((r) => r[1]), t: keep.map((r) => r[2]), p: keep.map((r) => r[3]) }, down.sensor);
  assert.deepEqual(frames, framesFromEvents(win, { nTimeBins: 8, includeTail: true }).data);
});

test('augmentEvents is a function of the seed, keeps events on the sensor, and a mirror relabels the sample', () => {
  const all = parseAugmentation('all');
  const partner = sample(5, 2);
  const ctx = { mirror: mirrorLabelMap(DVS_GESTURE_CLASSES), partner: () => partner };
  const a = augmentEvents(sample(3), p, all, rng(11), ctx);
  const b = augmentEvents(sample(3), p, all, rng(11), ctx);
  assert.deepEqual(rows(a.events), rows(b.events));
  assert.equal(a.label, b.label);
  for (let seed = 0; seed < 30; seed++) {
    const r = augmentEvents(sample(3), p, all, rng(seed), ctx);
    assert.ok(r.label === 3 || r.label === 6, `label ${r.label}`);
    for (let i = 0; i < r.events.length; i++) {
      assert.ok(r.events.x[i]! < 128 && r.events.y[i]! < 128);
      if (i) assert.ok(r.events.t[i]! >= r.events.t[i - 1]!);
    }
  }
  // Mirror only: right_arm_clockwise (3) becomes left_arm_counter_clockwise (6) with x' = 127 - x.
  const flipOnly = { ...NO_AUGMENTATION, flip: 1 };
  const s = sample(3);
  const m = augmentEvents(s, p, flipOnly, rng(1), ctx);
  assert.equal(m.label, 6);
  const plain = augmentEvents(s, p, NO_AUGMENTATION, rng(1), ctx).events;
  assert.deepEqual([...m.events.x], [...plain.x].map((x) => 127 - x));
  // No mirror map given: no mirror (a flip without relabelling would teach wrong labels).
  assert.equal(augmentEvents(s, p, flipOnly, rng(1), {}).label, 3);
  assert.deepEqual(rows(augmentEvents(s, p, flipOnly, rng(1), {}).events), rows(plain));
});

test('a folder with only a test split loads (held-out test sets); one with no sample names the folder', async () => {
  const { cpSync, mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { loadGestureDataset } = await import('../../src/snn/data.js');
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-testonly-'));
  try {
    cpSync('fixtures/gesture-mini', dir, { recursive: true });
    writeFileSync(join(dir, 'trials_to_train.txt'), '');
    const ds = await loadGestureDataset(dir, { downsample: 4, steps: 8, stepUs: 100_000 });
    assert.equal(ds.train.length, 0);
    assert.equal(ds.test.length, 12);
    assert.deepEqual([ds.preprocessing.height, ds.preprocessing.width, ds.preprocessing.sensorWidth], [32, 32, 128]);
    writeFileSync(join(dir, 'trials_to_test.txt'), '');
    await assert.rejects(loadGestureDataset(dir, { downsample: 4, steps: 8, stepUs: 100_000 }), new RegExp(`${dir}: no samples found`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('onset: the window slides over a gesture start, the lead filling its first part, label kept', () => {
  const lead = randomEvents(20_000, sensor, 7, 2_000_000, 0); // idle before the gesture at 2.0 s
  const gesture = randomEvents(20_000, sensor, 8, 2_000_000, 2_000_000);
  const s: LabelledEvents = { events: gesture, label: 4, source: 'g', lead };
  const onsetOnly = parseAugmentation('onset=1');
  assert.deepEqual(onsetOnly, { ...NO_AUGMENTATION, onset: 1 });
  const window = p.steps * p.stepUs;
  const fractions: number[] = [];
  for (let seed = 0; seed < 40; seed++) {
    const r = augmentEvents(s, p, onsetOnly, rng(seed));
    assert.equal(r.label, 4);
    const t = r.events.t;
    for (let i = 1; i < r.events.length; i++) assert.ok(t[i]! >= t[i - 1]!);
    assert.ok(t[r.events.length - 1]! - t[0]! <= window);
    const fromGesture = Array.from(t).filter((v) => v >= 2_000_000);
    assert.ok(fromGesture.length > 0 && fromGesture.length < r.events.length, 'both idle and gesture events');
    fractions.push((t[r.events.length - 1]! - 2_000_000) / window);
  }
  assert.ok(Math.min(...fractions) >= ONSET_VISIBLE_MIN - 0.01, `min visible ${Math.min(...fractions)}`);
  assert.ok(Math.max(...fractions) > 0.9 && Math.min(...fractions) < 0.45, 'visible fractions spread over [min, 1)');
  // Without a lead (background rows, CIFAR10-DVS, test samples) onset leaves the sample alone.
  const plain = { ...s, lead: undefined };
  assert.deepEqual(rows(augmentEvents(plain, p, onsetOnly, rng(1)).events), rows(augmentEvents(plain, p, NO_AUGMENTATION, rng(1)).events));
});

test('the loader gives training gesture rows their lead (the idle time before them, at most one window), test rows none', async () => {
  const { loadGestureDataset } = await import('../../src/snn/data.js');
  const ds = await loadGestureDataset('fixtures/gesture-mini', { downsample: 4, steps: 8, stepUs: 100_000 });
  assert.ok(ds.train.length > 0 && ds.test.length > 0);
  assert.ok(ds.test.every((s) => s.lead === undefined));
  const withEvents = ds.train.filter((s) => s.lead && s.lead.length > 0);
  assert.ok(withEvents.length >= ds.train.length / 2, `${withEvents.length} of ${ds.train.length} leads hold events`);
  for (const s of withEvents) {
    const lead = s.lead!;
    const first = s.events.t[0]!;
    assert.ok(lead.t[lead.length - 1]! < first, `${s.source}: lead ends before the gesture`);
    assert.ok(first - lead.t[0]! <= 800_000, `${s.source}: lead within one 0.8 s window`);
  }
});
