import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstTimeInversion } from '../../src/events/index.js';
import { listDvsGestureTrials, loadDvsGesture, readEvents } from '../../src/formats/index.js';
import { generateGestureDataset, officialTrials, selectTrials, spreadUsers } from '../../src/simulate/dataset.js';
import { simulateTrial } from '../../src/simulate/trial.js';
import type { EventBatch } from '../../src/events/index.js';

test('the trial list is the real one: 122 trials, 98 train (users 1-23), 24 test (24-29)', () => {
  const all = officialTrials();
  assert.equal(all.length, 122);
  assert.equal(all.filter((t) => t.split === 'train').length, 98);
  assert.ok(all.every((t) => (t.split === 'train') === t.user <= 23));
  assert.deepEqual(all.filter((t) => t.user === 25).map((t) => t.lighting), ['fluorescent', 'led']);
  assert.deepEqual(spreadUsers(4), [1, 2, 3, 24]);
  assert.deepEqual(spreadUsers(29), Array.from({ length: 29 }, (_, i) => i + 1));
  assert.deepEqual(selectTrials({ users: [12, 25], maxLightingsPerUser: 1 }).map((t) => t.name), ['user12_fluorescent_led', 'user25_fluorescent']);
});

test('a trial has the 12 real label rows in order, inside the recording, with sorted in-range events', () => {
  const batches: EventBatch[] = [];
  const r = simulateTrial({ seed: 5, user: 3, lighting: 'led', gestureSeconds: 0.4, gapSeconds: 0.2, idleSeconds: 0.3 }, (b) => batches.push(b));
  // "No gesture" rows (12) come between gestures, never inside one.
  const gestureRows = r.segments.filter((s) => s.classId !== 12);
  assert.equal(gestureRows.length, 12);
  assert.ok(r.segments.length > 12, 'some no-gesture rows at the default idle probability');
  const classes = gestureRows.map((s) => s.classId);
  assert.deepEqual([...classes].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 8, 9, 10, 11]);
  assert.equal(classes.indexOf(8) + 1, classes.lastIndexOf(8), 'arm roll rows are consecutive');
  for (let k = 0; k < r.segments.length; k++) {
    const s = r.segments[k]!;
    assert.ok(s.end > s.start && s.start >= r.startUs && s.end <= r.endUs);
    if (k > 0) assert.ok(s.start >= r.segments[k - 1]!.end);
  }
  let last = -1;
  let total = 0;
  for (const b of batches) {
    assert.equal(firstTimeInversion(b), -1);
    for (let i = 0; i < b.length; i++) {
      assert.ok(b.x[i]! < 128 && b.y[i]! < 128);
      assert.ok(b.t[i]! >= last);
      last = b.t[i]!;
    }
    total += b.length;
  }
  assert.equal(total, r.events);
  // Every labelled gesture produces events well above the noise floor.
  for (const s of gestureRows) {
    let n = 0;
    for (const b of batches) for (let i = 0; i < b.length; i++) if (b.t[i]! >= s.start && b.t[i]! < s.end) n++;
    assert.ok(n / ((s.end - s.start) / 1e6) > 3000, `class ${s.classId}: ${n} events`);
  }
});

test('generated folders load through the DVS128 Gesture loader and are byte-identical for a seed, in one thread or in workers', async () => {
  const base = await mkdtemp(join(tmpdir(), 'spikeline-sim-'));
  try {
    const opts = { users: [1, 24], maxLightingsPerUser: 1, seed: 9, gestureSeconds: 0.3, gapSeconds: 0.2, idleSeconds: 0.3 };
    const stats = await generateGestureDataset({ ...opts, out: join(base, 'a') });
    // The same trials written by two worker threads: the same bytes, the manifest included.
    await generateGestureDataset({ ...opts, out: join(base, 'b'), workers: 2 });
    const files = (await readdir(join(base, 'a'))).sort();
    assert.deepEqual(files, [
      'synthetic.json', 'trials_to_test.txt', 'trials_to_train.txt',
      'user01_fluorescent.aedat', 'user01_fluorescent_labels.csv', 'user24_fluorescent.aedat', 'user24_fluorescent_labels.csv',
    ]);
    for (const f of files) {
      assert.ok((await readFile(join(base, 'a', f))).equals(await readFile(join(base, 'b', f))), `${f} differs`);
    }
    const header = (await readFile(join(base, 'a', 'user01_fluorescent.aedat'))).toString('latin1', 0, 120);
    assert.match(header, /^#!AER-DAT3\.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#Start-Time: .*\r\n#!END-HEADER\r\n/);
    assert.equal(await readFile(join(base, 'a', 'trials_to_test.txt'), 'utf8'), 'user24_fluorescent.aedat\n');
    const trials = await listDvsGestureTrials(join(base, 'a'));
    assert.deepEqual(trials.map((t) => [t.name, t.split]), [['user01_fluorescent', 'train'], ['user24_fluorescent', 'test']]);
    const samples = [];
    for await (const s of loadDvsGesture(join(base, 'a'), 'all')) samples.push(s);
    assert.equal(samples.length, 24);
    assert.deepEqual(samples.slice(0, 12).map((s) => s.classId).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 7, 8, 9, 10]);
    const events = await readEvents(join(base, 'a', 'user01_fluorescent.aedat'));
    assert.equal(events.length, stats.trials[0]!.events);
    assert.equal(samples.slice(0, 12).reduce((s, x) => s + x.events.length, 0), stats.trials[0]!.gestureEvents.reduce((a, b) => a + b, 0));

    // Resume after losing a trial: only that trial is simulated again, with the same bytes.
    const before = await readFile(join(base, 'a', 'user24_fluorescent.aedat'));
    await rm(join(base, 'a', 'user24_fluorescent.aedat'));
    let progressCalls = 0;
    await generateGestureDataset({ ...opts, out: join(base, 'a'), resume: true, workers: 2 }, () => progressCalls++);
    assert.ok((await readFile(join(base, 'a', 'user24_fluorescent.aedat'))).equals(before));
    assert.ok(progressCalls > 0);
    assert.ok((await readFile(join(base, 'a', 'synthetic.json'))).equals(await readFile(join(base, 'b', 'synthetic.json'))));
    await assert.rejects(generateGestureDataset({ ...opts, seed: 10, out: join(base, 'a'), resume: true }), /other parameters/);
    // A trial that fails in a worker fails the run, naming the trial.
    await assert.rejects(generateGestureDataset({ ...opts, gestureSeconds: -1, out: join(base, 'c'), workers: 2 }), /trial user(01|24)_fluorescent: RangeError: gestureSeconds must be > 0/);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
