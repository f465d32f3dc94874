/**
 * The bounded queue between the source and the processing (backpressure). The source feeds the
 * queue (`boundedConcatMap`); queued batches are processed synchronously in slices of a few ms,
 * and the queue yields to the event loop between slices, so socket reads keep landing in the
 * queue while the model works and, when the model cannot keep up, the oldest events are dropped
 * and counted rather than memory growing. A live view also skips batches that waited too long.
 */
import { EMPTY, Observable, defer, tap, type OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/index.js';
import { boundedConcatMap, type BoundedBufferOptions } from '../operators/index.js';

/** Longest run of queued batches processed without yielding to the event loop, ms. */
const SLICE_MS = 3;

export interface QueueOptions {
  buffer: BoundedBufferOptions;
  /** Batches that waited longer than this in the queue are skipped (0 = never). */
  maxDelayMs: number;
  /** Each non-empty batch as the source emits it, before any queueing (so latency includes the wait). */
  arrived: (batch: EventBatch, now: number) => void;
  /** A batch skipped because it waited longer than `maxDelayMs`. */
  stale: (batch: EventBatch) => void;
  /** Processes one fresh non-empty batch, synchronously. */
  process: (batch: EventBatch) => void;
}

export function processQueued(o: QueueOptions): OperatorFunction<EventBatch, never> {
  return (source) =>
    defer(() => {
      const arrivedAt = new WeakMap<EventBatch, number>();
      let sliceStart: number | undefined;
      return source.pipe(
        tap((batch) => {
          if (batch.length === 0) return;
          const now = performance.now();
          o.arrived(batch, now);
          arrivedAt.set(batch, now);
        }),
        boundedConcatMap((batch) => {
          if (batch.length === 0) return EMPTY;
          const at = arrivedAt.get(batch);
          if (o.maxDelayMs > 0 && at !== undefined && performance.now() - at > o.maxDelayMs) {
            o.stale(batch);
            return EMPTY;
          }
          o.process(batch);
          // Queued batches are processed back to back for up to SLICE_MS, then the queue yields
          // one macrotask so pending socket reads land in it (and overflow is counted there).
          // Yielding after every batch would cap throughput at one batch per loop turn.
          const now = performance.now();
          if (sliceStart === undefined) {
            sliceStart = now;
            queueMicrotask(() => (sliceStart = undefined));
          }
          if (now - sliceStart < SLICE_MS) return EMPTY;
          sliceStart = undefined;
          return new Observable<never>((s) => {
            const id = setImmediate(() => s.complete());
            return () => clearImmediate(id);
          });
        }, o.buffer),
      );
    });
}
