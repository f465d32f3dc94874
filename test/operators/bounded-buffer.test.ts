import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, Observable, toArray } from 'rxjs';
import { batchFromArrays, type EventBatch } from '../../src/events/index.js';
import { boundedConcatMap, FlowValve, newBufferStats, type OverflowPolicy } from '../../src/operators/index.js';
import { rng } from '../support/events.js';

const sensor = { width: 4, height: 4 };
const batch = (n: number, t0: number): EventBatch =>
  batchFromArrays({ x: new Array(n).fill(0), y: new Array(n).fill(0), t: Array.from({ length: n }, (_, i) => t0 + i), p: new Array(n).fill(1) }, sensor);

/** A source that pushes `count` batches as fast as the event loop allows, honouring a valve. */
function fastSource(count: number, size: (i: number) => number, valve?: FlowValve): Observable<EventBatch> {
  return new Observable((sub) => {
    let i = 0;
    let t = 0;
    let stopped = false;
    const step = () => {
      if (stopped) return;
      while (i < count && !(valve?.paused ?? false)) {
        const b = batch(size(i++), t);
        t += b.length;
        sub.next(b);
        if (i % 4 === 0) break; // yield now and then, like a socket
      }
      if (i >= count) sub.complete();
      else setImmediate(step);
    };
    setImmediate(step);
    return () => void (stopped = true);
  });
}

const slowWork = (b: EventBatch) => new Promise<number>((r) => setTimeout(() => r(b.length), 1));

test('pause: the source is held back, nothing is dropped, every event arrives in order', async () => {
  const valve = new FlowValve();
  const stats = newBufferStats();
  const out = await lastValueFrom(fastSource(200, () => 10, valve).pipe(boundedConcatMap(slowWork, { capacity: 100, policy: 'pause', valve, stats }), toArray()));
  assert.equal(out.reduce((a, n) => a + n, 0), 2000);
  assert.equal(stats.droppedEvents, 0);
  assert.ok(valve.pauses > 0, 'the valve closed at least once');
  assert.ok(stats.maxQueuedEvents <= 100);
  assert.equal(valve.paused, false);
});

for (const policy of ['drop-oldest', 'drop-newest'] as OverflowPolicy[]) {
  test(`${policy}: memory stays bounded and processed + dropped = produced (random batch sizes)`, async () => {
    const r = rng(policy.length);
    const sizes = Array.from({ length: 300 }, () => 1 + Math.floor(r() * 120));
    const stats = newBufferStats();
    const out = await lastValueFrom(fastSource(sizes.length, (i) => sizes[i]!).pipe(boundedConcatMap(slowWork, { capacity: 250, policy, stats }), toArray()));
    const produced = sizes.reduce((a, n) => a + n, 0);
    const processed = out.reduce((a, n) => a + n, 0);
    assert.equal(processed + stats.droppedEvents, produced);
    assert.ok(stats.droppedEvents > 0);
    assert.ok(stats.maxQueuedEvents <= 250);
    assert.equal(stats.queuedEvents, 0);
  });
}

test('options are validated', () => {
  assert.throws(() => boundedConcatMap(slowWork, { capacity: 0, policy: 'drop-newest' }), /capacity/);
  assert.throws(() => boundedConcatMap(slowWork, { capacity: 10, policy: 'pause' }), /valve/);
});
