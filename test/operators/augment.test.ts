import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchFromArrays, type EventBatch } from '../../src/events/index.js';
import { DVS_GESTURE_CLASSES } from '../../src/formats/dvs-gesture.js';
import { CIFAR10_DVS_CLASSES } from '../../src/formats/cifar10-dvs.js';
import {
  affine,
  dropRandom,
  dropRegion,
  dropTimeSpan,
  injectNoise,
  invertPolarity,
  mergeByTime,
  mirrorLabelMap,
  mixRegion,
  orient,
  timeStretch,
} from '../../src/operators/functional/index.js';
import { randomEvents, rng, rows } from '../support/events.js';

const five = { width: 5, height: 5 };
const one = (x: number, y: number) => batchFromArrays({ x: [x], y: [y], t: [7], p: [1] }, five);

function assertValid(b: EventBatch, what: string): void {
  for (let i = 0; i < b.length; i++) {
    assert.ok(b.x[i]! < b.sensor.width && b.y[i]! < b.sensor.height, `${what}: event ${i} at (${b.x[i]}, ${b.y[i]}) is off the sensor`);
    if (i > 0) assert.ok(b.t[i]! >= b.t[i - 1]!, `${what}: time goes back at ${i}`);
  }
}

test('affine: identity keeps events, a 90° turn is clockwise in the image, scale moves away from the centre and drops what leaves', () => {
  const b = randomEvents(500, { width: 128, height: 128 }, 3);
  assert.deepEqual(rows(affine(b, { scale: 1, angleDeg: 0, dx: 0, dy: 0 })), rows(b));
  // Centre (2, 2): right of centre goes below it (y points down) — a clockwise quarter turn.
  assert.deepEqual(rows(affine(one(4, 2), { scale: 1, angleDeg: 90, dx: 0, dy: 0 })), [[2, 4, 7, 1]]);
  assert.deepEqual(rows(affine(one(2, 0), { scale: 1, angleDeg: 90, dx: 0, dy: 0 })), [[4, 2, 7, 1]]);
  assert.deepEqual(rows(affine(one(3, 2), { scale: 2, angleDeg: 0, dx: 0, dy: 0 })), [[4, 2, 7, 1]]);
  assert.deepEqual(rows(affine(one(4, 2), { scale: 2, angleDeg: 0, dx: 0, dy: 0 })), []);
  assert.deepEqual(rows(affine(one(1, 1), { scale: 1, angleDeg: 0, dx: 2, dy: -1 })), [[3, 0, 7, 1]]);
  assert.deepEqual(rows(affine(one(1, 1), { scale: 1, angleDeg: 0, dx: 2, dy: -2 })), []);
  assert.throws(() => affine(b, { scale: 0, angleDeg: 0, dx: 0, dy: 0 }), /scale must be > 0/);
});

test('every transform keeps events on the sensor and in time order, and leaves its input untouched', () => {
  const sensor = { width: 128, height: 128 };
  const b = randomEvents(4000, sensor, 9);
  const before = rows(b);
  const r = rng(4);
  const outs: Record<string, EventBatch> = {
    zoom: affine(b, { scale: 1.7, angleDeg: -8, dx: 30.4, dy: -12.2 }),
    shrink: affine(b, { scale: 0.5, angleDeg: 10, dx: -70, dy: 70 }),
    drop: dropRandom(b, 0.3, r),
    dropTime: dropTimeSpan(b, 200_000, 400_000),
    dropRegion: dropRegion(b, { x: 10, y: 20, width: 40, height: 30 }),
    polarity: invertPolarity(b),
    noise: injectNoise(b, 700, r),
    stretch: timeStretch(b, 0.37),
    mix: mixRegion(b, randomEvents(3000, sensor, 10, 500_000, 123_456), { x: 60, y: 0, width: 68, height: 50 }),
    mirror: orient(b, 'flipX'),
  };
  for (const [name, o] of Object.entries(outs)) {
    assertValid(o, name);
    assert.deepEqual(o.sensor, sensor, name);
  }
  assert.deepEqual(rows(b), before);
});

test('a left-right mirror twice is the identity, and it reverses the sense of a circling dot', () => {
  const sensor = { width: 128, height: 128 };
  const b = randomEvents(1000, sensor, 5);
  assert.deepEqual(rows(orient(orient(b, 'flipX'), 'flipX')), rows(b));
  // A dot going round clockwise as seen in the image (x right, y down): 0°, 90°, 180°, 270° of
  // angle measured from +x towards +y.
  const n = 64;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let k = 0; k < n; k++) {
    const a = (2 * Math.PI * k) / n;
    xs.push(Math.round(64 + 30 * Math.cos(a)));
    ys.push(Math.round(64 + 30 * Math.sin(a)));
  }
  const circle = batchFromArrays({ x: xs, y: ys, t: xs.map((_, k) => k * 1000), p: xs.map(() => 1) }, sensor);
  // Signed area (shoelace) of the path in image coordinates: > 0 for clockwise-on-screen.
  const area = (e: EventBatch) => {
    let s = 0;
    for (let i = 0; i < e.length; i++) {
      const j = (i + 1) % e.length;
      s += e.x[i]! * e.y[j]! - e.x[j]! * e.y[i]!;
    }
    return s;
  };
  assert.ok(area(circle) > 0);
  assert.ok(area(orient(circle, 'flipX')) < 0);
  // A rotation keeps the sense (the 4-class swap of a mirror does not apply to it).
  assert.ok(area(affine(circle, { scale: 1, angleDeg: 10, dx: 0, dy: 0 })) > 0);
});

test('mirrorLabelMap swaps left/right and clockwise/counter-clockwise together on DVS128 Gesture', () => {
  const m = mirrorLabelMap(DVS_GESTURE_CLASSES);
  const name = (c: string) => DVS_GESTURE_CLASSES[m[DVS_GESTURE_CLASSES.indexOf(c)]!];
  assert.equal(name('left_arm_clockwise'), 'right_arm_counter_clockwise');
  assert.equal(name('right_arm_clockwise'), 'left_arm_counter_clockwise');
  assert.equal(name('left_arm_counter_clockwise'), 'right_arm_clockwise');
  assert.equal(name('right_arm_counter_clockwise'), 'left_arm_clockwise');
  assert.equal(name('right_hand_wave'), 'left_hand_wave');
  assert.equal(name('left_hand_wave'), 'right_hand_wave');
  for (const c of ['hand_clapping', 'arm_roll', 'air_drums', 'air_guitar', 'other_gestures']) assert.equal(name(c), c);
  // Written out by hand in label order: 0 clap, 1/2 waves, 3-6 arm circles, 7-10 unchanged.
  assert.deepEqual(m, [0, 2, 1, 6, 5, 4, 3, 7, 8, 9, 10]);
  assert.deepEqual(m.map((j) => m[j]), DVS_GESTURE_CLASSES.map((_, i) => i));
  assert.deepEqual(mirrorLabelMap(CIFAR10_DVS_CLASSES), CIFAR10_DVS_CLASSES.map((_, i) => i));
  assert.throws(() => mirrorLabelMap(['left_hand_wave', 'other']), /right_hand_wave/);
});

test('EventDrop: random drop matches its rate and is a function of the seed; time and area drops remove exactly their span / box', () => {
  const b = randomEvents(20_000, { width: 128, height: 128 }, 6);
  assert.equal(dropRandom(b, 0, rng(1)), b);
  assert.equal(dropRandom(b, 1, rng(1)).length, 0);
  const d = dropRandom(b, 0.3, rng(2));
  // Binomial(20000, 0.7): sd ≈ 65, allow 5 sd.
  assert.ok(Math.abs(d.length - 14_000) < 325, `kept ${d.length}`);
  assert.deepEqual(rows(dropRandom(b, 0.3, rng(2))), rows(d));
  assert.notDeepEqual(rows(dropRandom(b, 0.3, rng(3))), rows(d));
  assert.throws(() => dropRandom(b, 1.5, rng(1)), /prob must be in \[0, 1\]/);

  const small = batchFromArrays({ x: [0, 1, 2, 3, 4], y: [0, 1, 2, 3, 4], t: [10, 20, 20, 30, 40], p: [1, 0, 1, 0, 1] }, five);
  assert.deepEqual(rows(dropTimeSpan(small, 20, 40)), [[0, 0, 10, 1], [4, 4, 40, 1]]);
  assert.equal(dropTimeSpan(small, 41, 50), small);
  assert.deepEqual(rows(dropRegion(small, { x: 1, y: 1, width: 2, height: 3 })), [[0, 0, 10, 1], [3, 3, 30, 0], [4, 4, 40, 1]]);
});

test('polarity inversion swaps ON/OFF; noise injection adds exactly N in-range events and keeps every original', () => {
  const small = batchFromArrays({ x: [0, 1, 2], y: [0, 1, 2], t: [10, 20, 30], p: [1, 0, 1] }, five);
  assert.deepEqual(rows(invertPolarity(small)), [[0, 0, 10, 0], [1, 1, 20, 1], [2, 2, 30, 0]]);
  const b = randomEvents(2000, { width: 128, height: 128 }, 7, 1_000_000, 5_000);
  const n = injectNoise(b, 500, rng(8));
  assert.equal(n.length, 2500);
  assert.ok(n.t[0]! >= b.t[0]! && n.t[n.length - 1]! <= b.t[b.length - 1]!);
  const key = (r: number[]) => r.join(',');
  const all = new Map<string, number>();
  for (const r of rows(n)) all.set(key(r), (all.get(key(r)) ?? 0) + 1);
  for (const r of rows(b)) {
    const c = all.get(key(r)) ?? 0;
    assert.ok(c > 0, `original event ${key(r)} missing`);
    all.set(key(r), c - 1);
  }
  const on = rows(n).filter((r) => r[3] === 1).length - rows(b).filter((r) => r[3] === 1).length;
  assert.ok(on > 150 && on < 350, `${on} of 500 noise events ON`);
  assert.deepEqual(rows(injectNoise(b, 500, rng(8))), rows(n));
  assert.equal(injectNoise(b, 0, rng(8)), b);
});

test('time stretch scales time about the first event and keeps the order', () => {
  const small = batchFromArrays({ x: [0, 1, 2, 3], y: [0, 1, 2, 3], t: [100, 110, 111, 113], p: [1, 0, 1, 0] }, five);
  assert.deepEqual([...timeStretch(small, 2).t], [100, 120, 122, 126]);
  // 0.5 · (0, 10, 11, 13) = 0, 5, 5.5, 6.5 → rounded half up.
  assert.deepEqual([...timeStretch(small, 0.5).t], [100, 105, 106, 107]);
  assert.deepEqual(rows(timeStretch(small, 1)), rows(small));
  assert.throws(() => timeStretch(small, 0), /factor must be > 0/);
});

test('mixRegion pastes the other sample inside the box, aligned to the base start, and keeps the base outside', () => {
  const base = batchFromArrays({ x: [0, 3, 4], y: [0, 3, 0], t: [1000, 1010, 1020], p: [1, 1, 1] }, five);
  const other = batchFromArrays({ x: [3, 0, 4], y: [4, 0, 3], t: [50, 55, 65], p: [0, 0, 0] }, five);
  // Box x 3..4, y 3..4: base loses (3,3); other contributes (3,4) at 50→1000 and (4,3) at 65→1015.
  assert.deepEqual(rows(mixRegion(base, other, { x: 3, y: 3, width: 2, height: 2 })), [
    [0, 0, 1000, 1],
    [3, 4, 1000, 0],
    [4, 3, 1015, 0],
    [4, 0, 1020, 1],
  ]);
  assert.throws(() => mixRegion(base, randomEvents(3, { width: 6, height: 5 }), { x: 0, y: 0, width: 1, height: 1 }), /sensors differ/);
  assert.deepEqual(rows(mergeByTime(base, other)).map((r) => r[2]), [50, 55, 65, 1000, 1010, 1020]);
});
