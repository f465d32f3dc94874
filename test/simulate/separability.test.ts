import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sliceByTime, concatBatches, type EventBatch } from '../../src/events/index.js';
import { GESTURE_CLASS_IDS, LIGHTINGS } from '../../src/simulate/gesture-classes.js';
import { GestureSession } from '../../src/simulate/session.js';
import { accuracy, checkSeparability, globalFeatures, logisticRegression, nearestCentroid, standardize } from '../../src/simulate/separability.js';

/** Every class once per user, 64×64 (the scene scales with the sensor) to keep the test quick. */
function samples(users: number[]): { features: number[]; label: number; events: number }[] {
  const out: { features: number[]; label: number; events: number }[] = [];
  for (const user of users) {
    const session = new GestureSession({ seed: 21, user, lighting: LIGHTINGS[user % 5]!, width: 64, height: 64, threshold: 0.1 });
    const segs = GESTURE_CLASS_IDS.map((id) => session.addGesture(id, 250_000, 700_000));
    const batches: EventBatch[] = [];
    session.run(session.scheduledUntil, (b) => batches.push(b));
    const all = concatBatches(batches);
    for (const s of segs) {
      const ev = sliceByTime(all, s.start, s.end);
      out.push({ features: globalFeatures(ev), label: s.classId - 1, events: ev.length });
    }
  }
  return out;
}

test('global statistics (event count, mean x/y, ON fraction) do not give the class away', () => {
  const train = samples([1, 2, 3, 4, 5, 6, 7, 8]);
  const test = samples([24, 25, 26, 27]);
  const z = standardize(train.map((s) => s.features), test.map((s) => s.features));
  const truth = test.map((s) => s.label);
  const nc = accuracy(nearestCentroid(z.train, train.map((s) => s.label), z.test), truth);
  const lr = accuracy(logisticRegression(z.train, train.map((s) => s.label), z.test, 11), truth);
  // Chance is 1/11 ≈ 9 %; an SNN on the same data is expected well above 90 %.
  assert.ok(nc < 0.5, `nearest centroid ${nc}`);
  assert.ok(lr < 0.5, `logistic regression ${lr}`);
  // Motion energy is normalised: no class's mean event count is far from the others'.
  const mean = train.reduce((s, x) => s + x.events, 0) / train.length;
  for (let c = 0; c < 11; c++) {
    const xs = train.filter((s) => s.label === c);
    const m = xs.reduce((s, x) => s + x.events, 0) / xs.length;
    assert.ok(m > 0.6 * mean && m < 1.5 * mean, `class ${c + 1}: ${m.toFixed(0)} events vs mean ${mean.toFixed(0)}`);
  }
});

test('checkSeparability reads a gesture folder through the loader, train split vs test split', async () => {
  const r = await checkSeparability('fixtures/gesture-mini');
  assert.equal(r.trainSamples, 12);
  assert.equal(r.testSamples, 12);
  assert.equal(r.classMeanEvents.length, 11);
  assert.ok(r.classMeanEvents.every((v) => v > 0));
  for (const a of [r.nearestCentroid, r.logistic, r.motionLogistic]) assert.ok(a >= 0 && a <= 1 && Number.isInteger(a * 12));
});
