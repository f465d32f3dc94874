import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cutGestureSamples,
  DVS_GESTURE_BACKGROUND,
  DVS_GESTURE_CLASSES,
  DVS_GESTURE_OFFICIAL_TRIALS,
  FormatError,
  listDvsGestureTrials,
  loadDvsGesture,
  loadDvsGestureTrial,
  parseGestureLabels,
  writeDvsGestureTrial,
  writeDvsGestureTrialLists,
} from '../../src/formats/index.js';
import { randomBatch, SHARED, sharedSkip } from './helpers.js';
import { randomEvents } from '../support/events.js';
import type { EventBatch } from '../../src/events/index.js';

const DVS = { width: 128, height: 128 };

test('DVS Gesture constants: 11 classes, official 98/24 split', () => {
  assert.equal(DVS_GESTURE_CLASSES.length, 11);
  assert.equal(DVS_GESTURE_CLASSES[7], 'arm_roll');
  assert.equal(DVS_GESTURE_OFFICIAL_TRIALS.train.length, 98);
  assert.equal(DVS_GESTURE_OFFICIAL_TRIALS.test.length, 24);
  assert.equal(DVS_GESTURE_OFFICIAL_TRIALS.test[0], 'user24_fluorescent.aedat');
});

test('labels CSV: CRLF, blank lines, 0-based classes, errors name the line', () => {
  const labels = parseGestureLabels('class,startTime_usec,endTime_usec\r\n1,10,20\r\n11,30,40\r\n\r\n');
  assert.deepEqual(labels, [
    { classId: 0, start: 10, end: 20 },
    { classId: 10, start: 30, end: 40 },
  ]);
  // 12 is the synthetic "no gesture" row (0-based 11); anything past it is an error.
  assert.deepEqual(parseGestureLabels('class,a,b\n12,1,2\n'), [{ classId: 11, start: 1, end: 2 }]);
  assert.throws(() => parseGestureLabels('class,a,b\n13,1,2\n', 'x.csv'), (e: unknown) => e instanceof FormatError && /class 13/.test(e.message));
  assert.throws(() => parseGestureLabels('class,a,b\n1,abc,2\n'), FormatError);
});

test('real user01_natural_labels.csv parses (12 rows, class 8 twice, unsorted)', { skip: sharedSkip }, async () => {
  const labels = parseGestureLabels(await readFile(join(SHARED, 'fixtures/dvsgesture/user01_natural_labels.csv'), 'utf8'));
  assert.equal(labels.length, 12);
  assert.deepEqual(labels[0], { classId: 0, start: 53036986, end: 59508469 });
  assert.deepEqual(labels[11], { classId: 10, start: 171367247, end: 177991967 });
  assert.equal(labels.filter((l) => l.classId === 7).length, 2);
  assert.equal(labels[3]!.classId, 4);
});

test('written layout loads back: split lists, samples cut with start <= t < end', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-gesture-'));
  try {
    const events = randomBatch(7, 20000, DVS, 1000, 20); // t in ~[1000, 200000]
    const labels = [
      { classId: 2, start: 5000, end: 50000 },
      { classId: 0, start: 40000, end: 90000 }, // overlaps the previous one
      { classId: 10, start: 150000, end: 400000 },
    ];
    await writeDvsGestureTrial(dir, 'user01_natural', [events], labels);
    await writeDvsGestureTrial(dir, 'user24_led', [events], labels.slice(0, 1));
    await writeDvsGestureTrialLists(dir, ['user01_natural'], ['user24_led.aedat']);
    assert.ok(existsSync(join(dir, 'user01_natural_labels.csv')));
    const trials = await listDvsGestureTrials(dir);
    assert.deepEqual(trials.map((t) => [t.name, t.split]), [['user01_natural', 'train'], ['user24_led', 'test']]);
    const samples = await loadDvsGestureTrial(trials[0]!);
    assert.equal(samples.length, 3);
    for (const [i, s] of samples.entries()) {
      const l = labels[i]!;
      let expected = 0;
      for (let k = 0; k < events.length; k++) if (events.t[k]! >= l.start && events.t[k]! < l.end) expected++;
      assert.equal(s.events.length, expected);
      assert.equal(s.className, DVS_GESTURE_CLASSES[l.classId]);
      assert.ok(s.events.t[0]! >= l.start && s.events.t[s.events.length - 1]! < l.end);
    }
    const test = [];
    for await (const s of loadDvsGesture(dir, 'test')) test.push(s);
    assert.equal(test.length, 1);
    assert.equal(test[0]!.trial, 'user24_led');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('cutGestureSamples with leadUs: each gesture row gets the idle events before it, never the previous gesture', () => {
  const events = randomEvents(50_000, { width: 128, height: 128 }, 3, 10_000_000);
  const labels = [
    { classId: 4, start: 1_000_000, end: 3_000_000 },
    { classId: DVS_GESTURE_BACKGROUND.classId, start: 3_000_000, end: 4_500_000 },
    { classId: 7, start: 4_500_000, end: 6_000_000 }, // 1.5 s after the previous gesture
    { classId: 2, start: 8_000_000, end: 9_000_000 }, // 2 s of unlabelled time before it
    { classId: 1, start: 5_500_000, end: 7_000_000 }, // overlaps row 2: nothing before it is idle
  ];
  const leadUs = 1_800_000;
  const samples = cutGestureSamples('user01_lab', events, labels, leadUs);
  const span = (b: EventBatch | undefined): [number, number] => [b!.t[0]!, b!.t[b!.length - 1]!];
  const count = (from: number, to: number): number => Array.from(events.t).filter((t) => t >= from && t < to).length;
  // Row 0: the full 1.8 s; row 2: back to the end of row 0 (3.0 s); row 3: back to the end of row 4 (7.0 s).
  assert.equal(samples[0]!.lead!.length, count(1_000_000 - leadUs, 1_000_000));
  assert.ok(span(samples[0]!.lead)[1] < 1_000_000);
  assert.equal(samples[2]!.lead!.length, count(3_000_000, 4_500_000));
  assert.equal(samples[3]!.lead!.length, count(7_000_000, 8_000_000));
  assert.equal(samples[4]!.lead!.length, 0);
  assert.equal(samples[1]!.lead, undefined, 'background rows have no lead');
  assert.ok(cutGestureSamples('user01_lab', events, labels).every((s) => s.lead === undefined), 'no lead unless asked');
  for (const s of samples) assert.equal(s.events.length, count(s.start, s.end));
});
