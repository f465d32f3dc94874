import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GestureDecider, type DecisionOptions, type GestureTransition } from '../../src/pipeline/decision.js';

/** Runs a decider over [endUs, probabilities] steps, then finishes it. */
function run(classes: number, options: DecisionOptions, steps: [number, number[]][]): GestureTransition[] {
  const out: GestureTransition[] = [];
  const d = new GestureDecider(classes, options);
  for (const [endUs, p] of steps) d.step(endUs, p, (t) => out.push(t));
  d.finish((t) => out.push(t));
  return out;
}

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} != ${expected}`);

test('without smoothing: onset at the step a class takes the lead, decision after minDuration, hysteresis between the thresholds', () => {
  const got = run(3, { smoothingMs: 0, onThreshold: 0.6, offThreshold: 0.4, minDurationMs: 200 }, [
    [100_000, [0.34, 0.33, 0.33]], // nobody reaches offThreshold: no lead
    [200_000, [0.2, 0.7, 0.1]], // class 1 leads since 100 ms; led 100 ms < 200 ms
    [300_000, [0.2, 0.7, 0.1]], // led 200 ms and >= 0.6: start
    [400_000, [0.3, 0.5, 0.2]], // below on, above off: still on
    [500_000, [0.6, 0.3, 0.1]], // 0.3 < off: ended at 400 ms; class 0 leads since 400 ms
    [600_000, [0.35, 0.3, 0.35]], // class 0 lost the lead after 100 ms: never reported
    [700_000, [0.1, 0.1, 0.8]], // class 2 leads since 600 ms
    [800_000, [0.1, 0.1, 0.8]], // start
  ]);
  assert.deepEqual(got, [
    { phase: 'start', id: 1, classId: 1, startUs: 100_000, decidedUs: 300_000, confidence: 0.7 },
    { phase: 'end', id: 1, classId: 1, startUs: 100_000, endUs: 400_000, confidence: (0.7 + 0.5) / 2 },
    { phase: 'start', id: 2, classId: 2, startUs: 600_000, decidedUs: 800_000, confidence: 0.8 },
    // finish() ends the gesture in progress at the last step seen
    { phase: 'end', id: 2, classId: 2, startUs: 600_000, endUs: 800_000, confidence: 0.8 },
  ]);
});

test('a class that overtakes the current gesture at onThreshold ends it and leads from that step', () => {
  const got = run(2, { smoothingMs: 0, onThreshold: 0.6, offThreshold: 0.3, minDurationMs: 0 }, [
    [100_000, [0.8, 0.2]],
    [200_000, [0.35, 0.65]], // class 0 still above off, but class 1 is above on and on top
    [300_000, [0.5, 0.5]],
  ]);
  assert.deepEqual(got, [
    // the first step of a stream counts as an instant: onset = its end
    { phase: 'start', id: 1, classId: 0, startUs: 100_000, decidedUs: 100_000, confidence: 0.8 },
    { phase: 'end', id: 1, classId: 0, startUs: 100_000, endUs: 100_000, confidence: 0.8 },
    { phase: 'start', id: 2, classId: 1, startUs: 100_000, decidedUs: 200_000, confidence: 0.65 },
    { phase: 'end', id: 2, classId: 1, startUs: 100_000, endUs: 300_000, confidence: (0.65 + 0.5) / 2 },
  ]);
});

test('exponential smoothing weighs each step by the event time it covers', () => {
  const options = { smoothingMs: 100, onThreshold: 0.9, offThreshold: 0.5, minDurationMs: 0 };
  // s1 after k steps of 100 ms towards 1 from 0.5: 1 - 0.5 e^-k (a = 1 - e^(-dt/tau) per step)
  const steps = run(2, options, [
    [100_000, [0.5, 0.5]],
    [200_000, [0, 1]], // 1 - 0.5/e = 0.816: leads (>= 0.5), not yet on
    [300_000, [0, 1]], // 1 - 0.5/e^2 = 0.932: on
  ]);
  assert.equal(steps[0]!.phase, 'start');
  assert.equal(steps[0]!.classId, 1);
  assert.equal(steps[0]!.startUs, 100_000);
  assert.equal((steps[0] as { decidedUs: number }).decidedUs, 300_000);
  close(steps[0]!.confidence, 1 - 0.5 * Math.exp(-2), 'confidence after two 100 ms steps');
  // One 200 ms step (a window stride) gives the same smoothed value as two 100 ms steps.
  const strided = run(2, options, [
    [100_000, [0.5, 0.5]],
    [300_000, [0, 1]],
  ]);
  assert.equal(strided[0]!.phase === 'start' && strided[0]!.decidedUs, 300_000);
  close(strided[0]!.confidence, 1 - 0.5 * Math.exp(-2), 'confidence after one 200 ms step');
});

test('a background class never leads: "nothing" wins over a foreground class above offThreshold', () => {
  const got = run(3, { smoothingMs: 0, onThreshold: 0.6, offThreshold: 0.3, minDurationMs: 0, backgroundClass: 0 }, [
    [100_000, [0.95, 0.03, 0.02]],
    [200_000, [0.45, 0.4, 0.15]], // class 1 above off, but background is on top
    [300_000, [0.2, 0.75, 0.05]],
    [400_000, [0.9, 0.05, 0.05]],
  ]);
  assert.deepEqual(got, [
    { phase: 'start', id: 1, classId: 1, startUs: 200_000, decidedUs: 300_000, confidence: 0.75 },
    { phase: 'end', id: 1, classId: 1, startUs: 200_000, endUs: 300_000, confidence: 0.75 },
  ]);
});

test('without a background class, onThreshold rejects a lead that never gets sure enough', () => {
  const unsure = Array.from({ length: 20 }, (_, k) => [100_000 * (k + 1), [0.2, 0.55, 0.25]] as [number, number[]]);
  assert.deepEqual(run(3, { smoothingMs: 0, onThreshold: 0.6, offThreshold: 0.4, minDurationMs: 0 }, unsure), []);
});

test('finish() starts a new epoch: smoothing restarts and gesture ids keep counting', () => {
  const out: GestureTransition[] = [];
  const d = new GestureDecider(2, { smoothingMs: 1000, onThreshold: 0.6, offThreshold: 0.4, minDurationMs: 0 });
  d.step(1_000_000, [0.9, 0.1], (t) => out.push(t));
  d.finish((t) => out.push(t));
  // After the epoch, the first step initialises the average (no memory of class 0).
  d.step(5_000, [0.1, 0.9], (t) => out.push(t));
  assert.deepEqual(out.map((t) => [t.phase, t.id, t.classId, t.startUs]), [['start', 1, 0, 1_000_000], ['end', 1, 0, 1_000_000], ['start', 2, 1, 5_000]]);
});

test('bad options and inputs name the field', () => {
  assert.throws(() => new GestureDecider(2, { smoothingMs: 0, onThreshold: 0.5, offThreshold: 0.6, minDurationMs: 0 }), /decision\.offThreshold: must be in \[0, onThreshold = 0\.5\], got 0\.6/);
  assert.throws(() => new GestureDecider(2, { smoothingMs: -1, onThreshold: 0.5, offThreshold: 0.4, minDurationMs: 0 }), /decision\.smoothingMs/);
  assert.throws(() => new GestureDecider(2, { smoothingMs: 0, onThreshold: 0.5, offThreshold: 0.4, minDurationMs: 0, backgroundClass: 2 }), /decision\.background: class 2 is not one of the model's 2 classes/);
  const d = new GestureDecider(2, { smoothingMs: 0, onThreshold: 0.5, offThreshold: 0.4, minDurationMs: 0 });
  assert.throws(() => d.step(0, [1, 0, 0], () => undefined), /got 3 probabilities, the model has 2 classes/);
});

test('confirmMs: the lead must stay at or above onThreshold that long (from the start of its first sure step); a shorter burst is never reported', () => {
  const options = { smoothingMs: 0, onThreshold: 0.8, offThreshold: 0.5, minDurationMs: 0, confirmMs: 250 };
  const got = run(2, options, [
    [100_000, [0.5, 0.5]], // nobody leads (a tie goes to class 0 at 0.5 = off: lead, but not sure)
    [200_000, [0.1, 0.9]], // class 1 sure since 100 ms: 100 ms < 250
    [300_000, [0.1, 0.9]], // 200 ms
    [400_000, [0.3, 0.7]], // below on: the run of sure steps breaks (still leading)
    [500_000, [0.1, 0.9]], // sure again since 400 ms
    [600_000, [0.1, 0.9]], // 200 ms
    [700_000, [0.1, 0.9]], // 300 ms >= 250: start; the onset is where the lead began (100 ms)
  ]);
  assert.deepEqual(got, [
    { phase: 'start', id: 1, classId: 1, startUs: 100_000, decidedUs: 700_000, confidence: 0.9 },
    { phase: 'end', id: 1, classId: 1, startUs: 100_000, endUs: 700_000, confidence: 0.9 },
  ]);
  // Without confirmation the first sure step decides.
  assert.equal((run(2, { ...options, confirmMs: 0 }, [[100_000, [0.5, 0.5]], [200_000, [0.1, 0.9]]])[0] as { decidedUs: number }).decidedUs, 200_000);
  assert.throws(() => new GestureDecider(2, { ...options, confirmMs: -1 }), /decision\.confirmMs: must be >= 0, got -1/);
});

test('classOnThreshold: a class with its own onThreshold starts (and overtakes) only at it', () => {
  const options = { smoothingMs: 0, onThreshold: 0.6, offThreshold: 0.4, minDurationMs: 0, classOnThreshold: { 1: 0.9 } };
  const got = run(2, options, [
    [100_000, [0.2, 0.8]], // class 1 leads at 0.8 < its 0.9: not announced
    [200_000, [0.7, 0.3]], // class 0 at its 0.6: start
    [300_000, [0.2, 0.8]], // class 1 on top but below 0.9: no overtaking; class 0 at 0.2 < off: ends
    [400_000, [0.05, 0.95]], // class 1 at 0.95: start
  ]);
  assert.deepEqual(got.filter((t) => t.phase === 'start').map((t) => [t.classId, (t as { decidedUs: number }).decidedUs]), [[0, 200_000], [1, 400_000]]);
  assert.throws(() => new GestureDecider(2, { ...options, classOnThreshold: { 2: 0.9 } }), /decision\.classOnThreshold: class 2 is not one of the model's 2 classes/);
  assert.throws(() => new GestureDecider(2, { ...options, classOnThreshold: { 1: 0.3 } }), /decision\.classOnThreshold: class 1: must be in \[offThreshold = 0\.4, 1\], got 0\.3/);
});

test('without smoothing the smoothed value is the probability itself: exactly onThreshold starts a gesture', () => {
  // 0.2 + (0.9 - 0.2) is 0.8999999999999999 in floating point; "no smoothing" must give 0.9.
  const got = run(2, { smoothingMs: 0, onThreshold: 0.9, offThreshold: 0.5, minDurationMs: 0 }, [
    [100_000, [0.2, 0.8]], // class 1 leads below onThreshold
    [200_000, [0.9, 0.1]], // class 0 at exactly onThreshold: start
  ]);
  assert.deepEqual(got, [
    { phase: 'start', id: 1, classId: 0, startUs: 100_000, decidedUs: 200_000, confidence: 0.9 },
    { phase: 'end', id: 1, classId: 0, startUs: 100_000, endUs: 200_000, confidence: 0.9 },
  ]);
});
