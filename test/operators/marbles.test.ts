import { test } from 'node:test';
import assert from 'node:assert/strict';
import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { batchFromArrays, type EventBatch, type FrameTensor } from '../../src/events/index.js';
import {
  boundedConcatMap, crop, denoise, downsample, hotPixels, newBufferStats, newFilterStats,
  orient, rateLimit, refractory, selectPolarity, slidingWindows, timeSteps, toFrames,
} from '../../src/operators/index.js';

const sensor = { width: 4, height: 4 };
const ev = (t: number[], p: number[] = t.map(() => 1), x: number[] = t.map(() => 1), y: number[] = t.map(() => 1)): EventBatch =>
  batchFromArrays({ x, y, t, p }, sensor);

/** Marble-friendly view of a batch: its timestamps (the filters under test keep or drop whole events). */
const times = (b: EventBatch) => Array.from(b.t);
/** One frame's total count and start time. */
const frameSummary = (f: FrameTensor) => ({ t: f.tStart[0]!, n: f.data.reduce((a, v) => a + v, 0), steps: f.steps });

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
}

test('filters: batches left empty are not emitted; completion and errors pass through', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a-b-c|', { a: ev([1, 2], [1, 0]), b: ev([3], [0]), c: ev([4, 5], [0, 1]) });
    expectObservable(src.pipe(selectPolarity(1), map(times))).toBe('a---c|', { a: [1], c: [5] });
    const bad = cold('a-#', { a: ev([1], [1]) }, new Error('socket closed'));
    expectObservable(bad.pipe(selectPolarity(1), map(times))).toBe('a-#', { a: [1] }, new Error('socket closed'));
  });
});

test('refractory keeps state across batches (per subscription)', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a-b-c|', { a: ev([0, 50]), b: ev([120]), c: ev([300]) });
    const op = refractory(100);
    // 50 is within 100 of 0; 120 is 70 after 50 (which refreshed the clock); 300 passes.
    expectObservable(src.pipe(op, map(times))).toBe('a---c|', { a: [0], c: [300] });
    // A second subscription starts from fresh state.
    expectObservable(src.pipe(op, map(times))).toBe('a---c|', { a: [0], c: [300] });
  });
});

test('geometry operators: crop, orient, downsample', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a|', { a: ev([1, 2], [1, 1], [0, 3], [0, 3]) });
    expectObservable(src.pipe(crop({ x: 2, y: 2, width: 2, height: 2 }), map((b) => [b.x[0], b.y[0], b.sensor.width]))).toBe('a|', { a: [1, 1, 2] });
    expectObservable(src.pipe(orient('flipX'), map((b) => Array.from(b.x)))).toBe('a|', { a: [3, 0] });
    expectObservable(src.pipe(downsample(2), map((b) => [...b.x, b.sensor.width]))).toBe('a|', { a: [0, 1, 2] });
  });
});

test('denoise, hot pixels and rate limit count what they drop', () => {
  scheduler().run(({ cold, expectObservable, flush }) => {
    const denoised = newFilterStats();
    const hot = newFilterStats();
    const limited = newFilterStats();
    // (1,1) at 0 then its neighbour (2,1) at 10, then (1,1) again at 20 (supported by (2,1) at 10).
    const src = cold('a-b|', { a: ev([0, 10], [1, 1], [1, 2], [1, 1]), b: ev([20], [1], [1], [1]) });
    expectObservable(src.pipe(denoise({ duration: 100, stats: denoised }), map(times))).toBe('a-b|', { a: [10], b: [20] });
    // (2,1) is the hot pixel: the event at 10 goes; b passes whole.
    expectObservable(src.pipe(hotPixels({ pixels: [{ x: 2, y: 1 }], stats: hot }), map(times))).toBe('a-b|', { a: [0], b: [20] });
    // 1 event/s with a burst of 1: only the first event of the 20 µs fits.
    expectObservable(src.pipe(rateLimit(1, { burst: 1, stats: limited }), map(times))).toBe('a--|', { a: [0] });
    flush();
    // Events seen and kept, by hand: 3 seen by each; denoise drops 1 (the unsupported first), hot pixel 1, rate limit 2.
    assert.deepEqual({ seen: denoised.seen, kept: denoised.kept }, { seen: 3, kept: 2 });
    assert.deepEqual({ seen: hot.seen, kept: hot.kept }, { seen: 3, kept: 2 });
    assert.deepEqual({ seen: limited.seen, kept: limited.kept }, { seen: 3, kept: 1 });
  });
});

test('timeSteps emits one frame per dt including empty steps, and flushes the partial last step', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a-b-c-----|', { a: ev([0, 3]), b: ev([12]), c: ev([35]) });
    // dt 10: a opens [0,10); b (t=12) closes it; c (t=35) closes [10,20) and the empty [20,30).
    expectObservable(src.pipe(timeSteps(10), map(frameSummary))).toBe('--b-(cd)--(e|)', {
      b: { t: 0, n: 2, steps: 1 },
      c: { t: 10, n: 1, steps: 1 },
      d: { t: 20, n: 0, steps: 1 },
      e: { t: 30, n: 1, steps: 1 },
    });
  });
});

test('timeSteps skips long pauses beyond maxEmptySteps and counts them', () => {
  scheduler().run(({ cold, expectObservable, flush }) => {
    const stats = { skippedSteps: 0 };
    const src = cold('a-b------|', { a: ev([0]), b: ev([1000]) });
    const out = src.pipe(timeSteps(10, { maxEmptySteps: 2, stats }), map((f) => f.tStart[0]));
    // Step 0 holds t=0; of the 99 empty steps before t=1000 only the last 2 are emitted.
    expectObservable(out).toBe('--(abc)--(d|)', { a: 0, b: 980, c: 990, d: 1000 });
    flush();
    assert.equal(stats.skippedSteps, 97);
  });
});

test('timeSteps skips a pause inside one batch exactly as when the pause falls between batches', () => {
  scheduler().run(({ cold, expectObservable, flush }) => {
    const stats = { skippedSteps: 0 };
    // t=3 in step 0, then 997 µs of silence, then t=1000 (step 100): the same pause as above, in one batch.
    const src = cold('a-----|', { a: ev([0, 3, 1000]) });
    const out = src.pipe(timeSteps(10, { maxEmptySteps: 2, stats }), map(frameSummary));
    expectObservable(out).toBe('(abc)-(d|)', {
      a: { t: 0, n: 2, steps: 1 },
      b: { t: 980, n: 0, steps: 1 },
      c: { t: 990, n: 0, steps: 1 },
      d: { t: 1000, n: 1, steps: 1 },
    });
    flush();
    assert.equal(stats.skippedSteps, 97);
  });
});

test('timeSteps with origin 0 aligns steps to multiples of dt without emitting the steps before the stream', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a-b-----|', { a: ev([1_600_000_000_000_003, 1_600_000_000_000_004]), b: ev([1_600_000_000_000_021]) });
    expectObservable(src.pipe(timeSteps(10, { origin: 0 }), map(frameSummary))).toBe('--(ab)--(c|)', {
      a: { t: 1_600_000_000_000_000, n: 2, steps: 1 },
      b: { t: 1_600_000_000_000_010, n: 0, steps: 1 },
      c: { t: 1_600_000_000_000_020, n: 1, steps: 1 },
    });
  });
});

test('slidingWindows: overlapping windows with sub-bins, emitted when complete', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a-b|', { a: ev([0, 5, 12]), b: ev([25]) });
    const out = src.pipe(slidingWindows({ length: 20, stride: 10, bins: 2 }), map((f) => [f.tStart[0], f.steps, f.data.reduce((s, v) => s + v, 0)]));
    // [0,20) closes at t=25 with 3 events; [10,30) is still open at completion.
    expectObservable(out).toBe('--a|', { a: [0, 2, 3] });
  });
});

test('toFrames marble: time windows close on later events, Tonic tail at completion', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('a-b-----|', { a: ev([0, 4]), b: ev([11, 25]) });
    expectObservable(src.pipe(toFrames({ timeWindow: 10 }), map(frameSummary))).toBe('--(ab)--|', {
      a: { t: 0, n: 2, steps: 1 },
      b: { t: 10, n: 1, steps: 1 },
    });
    expectObservable(src.pipe(toFrames({ timeWindow: 10, includeIncomplete: true }), map(frameSummary))).toBe('--(ab)--(c|)', {
      a: { t: 0, n: 2, steps: 1 },
      b: { t: 10, n: 1, steps: 1 },
      c: { t: 20, n: 1, steps: 1 },
    });
    expectObservable(src.pipe(toFrames({ nTimeBins: 2 }), map((f) => f.steps))).toBe('--------(a|)', { a: 2 });
  });
});

test('boundedConcatMap drop-newest: a slow consumer, bounded queue, every dropped event counted', () => {
  scheduler().run(({ cold, expectObservable, flush }) => {
    const stats = newBufferStats();
    const src = cold('abcd|', { a: ev([1, 2]), b: ev([3, 4]), c: ev([5, 6]), d: ev([7]) });
    // Work takes 5 frames per batch; capacity 3 events: a runs, b queues (2), c partly fits (1).
    const slow = (b: EventBatch): Observable<number[]> => cold('-----(x|)', { x: times(b) });
    expectObservable(src.pipe(boundedConcatMap(slow, { capacity: 3, policy: 'drop-newest', stats }))).toBe('-----x----y----(z|)', { x: [1, 2], y: [3, 4], z: [5] });
    flush();
    assert.deepEqual([stats.droppedEvents, stats.droppedBatches, stats.maxQueuedEvents], [2, 1, 3]);
  });
});

test('boundedConcatMap drop-oldest keeps the newest events', () => {
  scheduler().run(({ cold, expectObservable, flush }) => {
    const stats = newBufferStats();
    const src = cold('abcd|', { a: ev([1, 2]), b: ev([3, 4]), c: ev([5, 6]), d: ev([7]) });
    const slow = (b: EventBatch): Observable<number[]> => cold('-----(x|)', { x: times(b) });
    expectObservable(src.pipe(boundedConcatMap(slow, { capacity: 3, policy: 'drop-oldest', stats }))).toBe('-----x----y----(z|)', { x: [1, 2], y: [5, 6], z: [7] });
    flush();
    // c arrived with [3,4] queued and room for 3: 3 dropped; d then pushed out 4 (a whole batch).
    assert.deepEqual([stats.droppedEvents, stats.droppedBatches, stats.maxQueuedEvents], [2, 1, 3]);
  });
});
