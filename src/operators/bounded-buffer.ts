import { from, Observable, type ObservableInput, type OperatorFunction, type Subscription } from 'rxjs';
import type { EventBatch } from '../events/index.js';
import { sliceBatch } from '../events/index.js';

/**
 * What a full buffer does with more input:
 * - `drop-oldest`: discard the oldest queued events (a live view stays current);
 * - `drop-newest`: discard the incoming events (what was queued is processed in order);
 * - `pause`: ask the source to stop reading (TCP then pushes back on the sender, a file replay
 *   waits); a source that cannot pause (UDP) keeps pushing and the overflow is dropped newest-first.
 */
export type OverflowPolicy = 'drop-oldest' | 'drop-newest' | 'pause';

/**
 * A pause/resume line from a consumer back to its source. Sources that can pause (TCP, file
 * replay, WebSocket) take a valve in their options and stop reading while it is closed.
 */
export class FlowValve {
  private listeners = new Set<(paused: boolean) => void>();
  private state = false;
  /** How often the consumer asked the source to pause. */
  pauses = 0;

  get paused(): boolean {
    return this.state;
  }

  pause(): void {
    if (this.state) return;
    this.state = true;
    this.pauses++;
    for (const l of this.listeners) l(true);
  }

  resume(): void {
    if (!this.state) return;
    this.state = false;
    for (const l of this.listeners) l(false);
  }

  /** Registers a listener; returns the function that removes it. */
  onChange(listener: (paused: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export interface BufferStats {
  queuedEvents: number;
  queuedBatches: number;
  /** Largest number of events ever queued (never above the capacity). */
  maxQueuedEvents: number;
  droppedEvents: number;
  droppedBatches: number;
}

export function newBufferStats(): BufferStats {
  return { queuedEvents: 0, queuedBatches: 0, maxQueuedEvents: 0, droppedEvents: 0, droppedBatches: 0 };
}

export interface BoundedBufferOptions {
  /** Most events held in the queue (not counting the batch being processed). */
  readonly capacity: number;
  readonly policy: OverflowPolicy;
  /** Required with `pause`: the valve the source listens to. */
  readonly valve?: FlowValve;
  readonly stats?: BufferStats;
}

/**
 * `concatMap` with a bounded queue: runs `work` on one batch at a time (the slow consumer: model
 * inference, a network write) and holds at most `capacity` events waiting, applying `policy` when
 * more arrive. Every dropped event is counted in `stats`; memory stays bounded whatever the input
 * rate. With `pause`, the valve closes when the queue reaches 3/4 of the capacity and reopens
 * when it drains to 1/4. Completion waits for the queue to drain; an error from the source or
 * from `work` is forwarded at once.
 */
export function boundedConcatMap<R>(work: (batch: EventBatch) => ObservableInput<R>, options: BoundedBufferOptions): OperatorFunction<EventBatch, R> {
  const { capacity, policy } = options;
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`boundedConcatMap: capacity must be an integer >= 1, got ${capacity}`);
  if (!['drop-oldest', 'drop-newest', 'pause'].includes(policy)) throw new RangeError(`boundedConcatMap: unknown policy "${policy}"`);
  if (policy === 'pause' && !options.valve) throw new RangeError('boundedConcatMap: policy "pause" needs a valve shared with the source');
  const high = Math.max(1, Math.floor((capacity * 3) / 4));
  const low = Math.floor(capacity / 4);
  return (source) =>
    new Observable<R>((subscriber) => {
      const stats = options.stats ?? newBufferStats();
      const valve = options.valve;
      const queue: EventBatch[] = [];
      let head = 0;
      let queued = 0;
      let active: Subscription | undefined;
      let busy = false;
      let sourceDone = false;
      let draining = false;

      const drop = (events: number, batches: number) => {
        stats.droppedEvents += events;
        stats.droppedBatches += batches;
      };
      const sync = () => {
        stats.queuedEvents = queued;
        stats.queuedBatches = queue.length - head;
        if (queued > stats.maxQueuedEvents) stats.maxQueuedEvents = queued;
      };

      const enqueue = (batch: EventBatch) => {
        if (batch.length === 0) return;
        let b = batch;
        if (policy === 'drop-oldest') {
          if (b.length > capacity) {
            drop(b.length - capacity, 0);
            b = sliceBatch(b, b.length - capacity);
          }
          while (queued + b.length > capacity) {
            const old = queue[head]!;
            const excess = queued + b.length - capacity;
            if (old.length <= excess) {
              queue[head++] = undefined as unknown as EventBatch;
              queued -= old.length;
              drop(old.length, 1);
            } else {
              queue[head] = sliceBatch(old, excess);
              queued -= excess;
              drop(excess, 0);
            }
          }
        } else {
          const room = capacity - queued;
          if (b.length > room) {
            drop(b.length - room, room === 0 ? 1 : 0);
            if (room === 0) return sync();
            b = sliceBatch(b, 0, room);
          }
        }
        queue.push(b);
        queued += b.length;
        if (head > 1024 && head * 2 > queue.length) {
          queue.splice(0, head);
          head = 0;
        }
        if (policy === 'pause' && queued >= high) valve!.pause();
        sync();
      };

      const finishIfDone = () => {
        if (sourceDone && !busy && head === queue.length) subscriber.complete();
      };

      // Iterative drain: synchronous work completes inside subscribe, so no recursion builds up.
      const drain = () => {
        if (draining) return;
        draining = true;
        while (!busy && head < queue.length && !subscriber.closed) {
          const batch = queue[head]!;
          queue[head++] = undefined as unknown as EventBatch;
          queued -= batch.length;
          if (policy === 'pause' && queued <= low) valve!.resume();
          sync();
          busy = true;
          let input: ObservableInput<R>;
          try {
            input = work(batch);
          } catch (err) {
            subscriber.error(err);
            break;
          }
          active = from(input).subscribe({
            next: (r) => subscriber.next(r),
            error: (err) => subscriber.error(err),
            complete: () => {
              busy = false;
              active = undefined;
              if (!draining) drain();
            },
          });
        }
        draining = false;
        finishIfDone();
      };

      const upstream = source.subscribe({
        next(batch) {
          enqueue(batch);
          drain();
        },
        error: (err) => subscriber.error(err),
        complete() {
          sourceDone = true;
          finishIfDone();
        },
      });
      return () => {
        upstream.unsubscribe();
        active?.unsubscribe();
        if (policy === 'pause') valve!.resume();
      };
    });
}
