import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventBatch } from '../../src/events/index.js';
import { simulatedCamera, type GestureAnnouncement } from '../../src/simulate/camera.js';

test('the simulated camera streams time-ordered events from its start time and announces each gesture', async () => {
  const batches: EventBatch[] = [];
  const announced: GestureAnnouncement[] = [];
  const gestures: GestureAnnouncement[] = [];
  const start = 1_700_000_000_000_000;
  const sub = simulatedCamera({ lighting: 'led', startUs: start, speed: 4, gestureSeconds: 0.4, gapSeconds: 0.2, gesturesPerSubject: 2, idleSeconds: 0.3,
    onGesture: (g) => {
      announced.push(g);
      if (g.classId !== 12) gestures.push(g);
    } })
    .subscribe({ next: (b) => batches.push(b) });
  // Stop once a few gestures and a subject change have gone by (bounded by wall time).
  const until = Date.now() + 120_000;
  while (gestures.length < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  sub.unsubscribe();
  const count = batches.length;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(batches.length, count, 'no batches after unsubscribe');
  assert.ok(gestures.length >= 4, `${gestures.length} gestures announced`);
  let last = start;
  for (const b of batches) {
    assert.ok(b.length > 0);
    for (let i = 0; i < b.length; i++) {
      assert.ok(b.t[i]! >= last);
      last = b.t[i]!;
      assert.ok(b.x[i]! < 128 && b.y[i]! < 128);
    }
  }
  for (let k = 0; k < announced.length; k++) {
    const g = announced[k]!;
    // Gestures 1..11, "no gesture" periods 12 with their kind.
    assert.ok(g.classId >= 1 && g.classId <= 12 && g.label === g.classId - 1);
    assert.equal(g.idle !== undefined, g.classId === 12);
    assert.ok(g.start >= start && g.end > g.start);
    if (k > 0) assert.ok(g.start >= announced[k - 1]!.end);
  }
  // Two gestures per subject: the third gesture is by the next user.
  assert.equal(gestures[2]!.user, (gestures[0]!.user % 29) + 1);
  assert.equal(gestures[1]!.user, gestures[0]!.user);
});

test('a camera asked to run faster than it can simulate falls behind but leaves the event loop to others', async () => {
  let batches = 0;
  // 10^4 x real time is far beyond what the simulator does: the old loop never returned from tick().
  const sub = simulatedCamera({ lighting: 'natural', startUs: 0, speed: 1e4 }).subscribe({ next: () => batches++ });
  let timerRan = false;
  await new Promise<void>((resolve) => setTimeout(() => { timerRan = true; resolve(); }, 20));
  sub.unsubscribe();
  assert.ok(timerRan);
  assert.ok(batches > 0);
  const after = batches;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(batches, after, 'no batches after unsubscribe');
});
