/**
 * splitValidation by group: whole recordings or whole people held out, disjoint from training,
 * every class on both sides where the data allows, deterministic; `sample` is the split it
 * always was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateBatch } from '../../src/events/event-batch.js';
import { dvsGestureUser } from '../../src/formats/dvs-gesture.js';
import { loadEventDataset, mergeDatasets, splitValidation, type EventDataset, type LabelledEvents } from '../../src/snn/data.js';

const sensor = { width: 128, height: 128 };

/** Train samples named like the DVS128 Gesture loader names them: one per (trial, label). */
function gestureSet(trials: readonly string[], labels: readonly number[]): EventDataset {
  const train = trials.flatMap((trial) => labels.map((label, row): LabelledEvents => ({ events: allocateBatch(0, sensor), label, source: `${trial}#${row}`, recording: trial, user: dvsGestureUser(trial) })));
  return { classes: [], train, test: [], preprocessing: { sensorWidth: 128, sensorHeight: 128, downsample: 4, height: 32, width: 32, stepUs: 1000, steps: 4, encoding: 'count' } };
}

/** The held-out groups are none of the trained ones; every class of two or more groups is on both sides. */
function assertGroupSplit(samples: readonly LabelledEvents[], by: 'recording' | 'user', fraction: number): { train: LabelledEvents[]; val: LabelledEvents[] } {
  const split = splitValidation(samples, fraction, by);
  assert.equal(split.train.length + split.val.length, samples.length);
  assert.ok(split.val.length > 0, 'something is held out');
  const trained = new Set(split.train.map((s) => s[by]));
  for (const s of split.val) assert.ok(!trained.has(s[by]), `${by} ${s[by]} on both sides`);
  for (const c of new Set(samples.map((s) => s.label))) {
    const groups = new Set(samples.filter((s) => s.label === c).map((s) => s[by]));
    assert.ok(split.train.some((s) => s.label === c), `class ${c} keeps training samples`);
    if (groups.size >= 2) assert.ok(split.val.some((s) => s.label === c), `class ${c} has validation samples`);
  }
  assert.deepEqual(splitValidation(samples, fraction, by), split, 'same call, same split');
  return split;
}

test('dvsGestureUser: the trial name without its lighting; a name prefix stays part of the person', () => {
  assert.equal(dvsGestureUser('user07_fluorescent_led'), 'user07');
  assert.equal(dvsGestureUser('user07_fluorescent'), 'user07');
  assert.equal(dvsGestureUser('s22user01_lab'), 's22user01');
  assert.equal(dvsGestureUser('my_recording'), 'my_recording');
});

test('by sample: exactly the split of before (per class, evenly spaced)', () => {
  // Fixed irregular labels of 12 classes, one of them a singleton; the expected indices are the
  // output of splitValidation before grouping existed.
  const labels = Array.from({ length: 61 }, (_, i) => (i * 7 + (i >> 3)) % 11).concat([11]);
  const samples = labels.map((label, i) => ({ label, i }));
  const held = (f: number, by?: 'sample') => splitValidation(samples, f, by).val.map((s) => s.i);
  assert.deepEqual(held(0.1), [18, 25, 26, 27, 31, 32, 33, 36, 38, 40, 45]);
  assert.deepEqual(held(0.3, 'sample'), [8, 9, 14, 15, 16, 19, 20, 21, 27, 29, 34, 35, 42, 43, 45, 46, 47, 53, 54, 55]);
});

test('by recording and by user on fixtures/gesture-mini: whole trials / people held out, twice pooled', async () => {
  const ds = await loadEventDataset('fixtures/gesture-mini', 'dvs-gesture', { downsample: 8, steps: 4, stepUs: 40_000 });
  assert.deepEqual(ds.train.map((s) => [s.recording, s.user])[0], ['user02_led', 'user02']);
  // Its two trials (one per split) as one training set: two recordings of two people.
  const both = [...ds.train, ...ds.test];
  for (const by of ['recording', 'user'] as const) {
    const { val } = assertGroupSplit(both, by, 0.3);
    assert.equal(new Set(val.map((s) => s[by])).size, 1);
  }
  // The same folder pooled under two names: the folder is part of the key, four people.
  const pooled = mergeDatasets([{ ...ds, train: both }, { ...ds, train: both }], ['a', 'b']).train;
  assert.deepEqual([...new Set(pooled.map((s) => s.user))], ['a:user02', 'a:user24', 'b:user02', 'b:user24']);
  assertGroupSplit(pooled, 'user', 0.5);
  assert.throws(() => splitValidation(ds.train, 0.3, 'user'), /validation by user: the training data has one user \(user02\); holding one out needs two or more/);
});

test('by user on pooled folders with prefixed synthetic people: about the fraction, people disjoint', () => {
  const lightings = ['fluorescent', 'fluorescent_led', 'lab', 'led', 'natural'];
  const people = (names: string[]) => names.flatMap((u) => lightings.map((l) => `${u}_${l}`));
  const real = gestureSet(people(['user01', 'user02', 'user03', 'user04', 'user05', 'user06']), [0, 1, 2, 3, 3]);
  const sim = gestureSet(people(['user01', 's22user01', 's22user02', 's23user01']), [0, 1, 2, 3, 3]);
  const pooled = mergeDatasets([real, sim], ['real', 'sim']).train;
  assert.equal(new Set(pooled.map((s) => s.user)).size, 10);
  const { val } = assertGroupSplit(pooled, 'user', 0.2);
  // 2 of 10 people, spread over the folders: 20 % of the samples.
  assert.deepEqual([...new Set(val.map((s) => s.user))], ['real:user03', 'sim:s22user01']);
  assert.equal(val.length, pooled.length / 5);
  const byRecording = assertGroupSplit(pooled, 'recording', 0.2);
  assert.equal(byRecording.val.length, 10 * 5); // 10 of 50 trials
});

test('by group mends class coverage: a class only some groups hold is on both sides', () => {
  // Class 2 only in recordings c and d, which the evenly spaced pick (b, e of a..f) misses;
  // class 3 only in b and e, which it takes both of.
  const rows: Record<string, number[]> = { a: [0, 1], b: [0, 1, 3], c: [0, 1, 2], d: [0, 1, 2], e: [0, 1, 3], f: [0, 1] };
  const samples = Object.entries(rows).flatMap(([recording, labels]) => labels.map((label) => ({ label, recording, source: recording })));
  const { val } = splitValidation(samples, 0.34, 'recording');
  assert.deepEqual([...new Set(val.map((s) => s.recording))], ['b', 'c']);
  assertGroupSplit(samples.map((s) => ({ ...s, events: allocateBatch(0, sensor) })), 'recording', 0.34);
});

test('by user on CIFAR10-DVS style samples (no person) is refused, by recording each sample is its own', () => {
  const samples = Array.from({ length: 20 }, (_, i) => ({ label: i % 4, source: `cifar10_${i}.aedat`, recording: `cifar10_${i}.aedat` }));
  assert.throws(() => splitValidation(samples, 0.2, 'user'), /validation by user: sample cifar10_0.aedat names no user \(CIFAR10-DVS samples name no person: hold out by recording/);
  const { val } = splitValidation(samples, 0.2, 'recording');
  assert.equal(val.length, 4);
  assert.deepEqual(new Set(val.map((s) => s.label)), new Set([0, 1, 2, 3]));
});
