/**
 * Recording any source to a file (AEDAT 4 by default; the format follows the extension), with
 * bounded memory: batches wait in a queue of at most `capacity` events between the source and the
 * file writer; above 3/4 of it the source's valve is closed (files, TCP and WebSocket pause), and
 * a source that cannot pause (UDP) has its overflow dropped and counted.
 */
import type { Observable, Subscription } from 'rxjs';
import { lowerBoundTime, sliceBatch, type EventBatch } from '../events/index.js';
import { formatFromExtension, writeEventFile, type WriteCompression, type WritableFormat } from '../formats/index.js';
import { FlowValve } from '../operators/bounded-buffer.js';

export interface RecordOptions {
  readonly format?: WritableFormat;
  readonly compression?: WriteCompression;
  /** Stop after this much event time (µs) from the first event. */
  readonly duration?: number;
  /** Stop after this much wall time (ms), events or not. */
  readonly maxWallMs?: number;
  /** The valve the source honours (pass the one given to the source). */
  readonly valve?: FlowValve;
  /** Queue capacity in events (default 4M). */
  readonly capacity?: number;
  readonly onProgress?: (events: number) => void;
  /** Stops the recording (Ctrl-C): what was received so far is written and the file closed. */
  readonly signal?: AbortSignal;
}

export interface RecordResult {
  events: number;
  bytes: number;
  droppedEvents: number;
}

export async function recordToFile(source: Observable<EventBatch>, path: string, options: RecordOptions = {}): Promise<RecordResult> {
  const format = options.format ?? formatFromExtension(path) ?? 'aedat4';
  const capacity = options.capacity ?? 4 * 1024 * 1024;
  const valve = options.valve ?? new FlowValve();
  const queue: EventBatch[] = [];
  let queued = 0;
  let dropped = 0;
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  let tEnd = Infinity;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let sub: Subscription | undefined;
  const stop = () => {
    ended = true;
    sub?.unsubscribe();
    notify();
  };
  sub = source.subscribe({
    next(batch) {
      if (ended || batch.length === 0) return;
      if (tEnd === Infinity && options.duration !== undefined) tEnd = batch.t[0]! + options.duration;
      let b = batch;
      if (b.t[b.length - 1]! >= tEnd) {
        b = sliceBatch(b, 0, lowerBoundTime(b.t, tEnd));
        if (b.length > 0) queue.push(b);
        queued += b.length;
        stop();
        return;
      }
      if (queued + b.length > capacity) {
        dropped += b.length; // only reachable for sources that ignore the valve
        return;
      }
      queue.push(b);
      queued += b.length;
      if (queued >= (capacity * 3) / 4) valve.pause();
      notify();
    },
    error(err) {
      failure = err;
      ended = true;
      notify();
    },
    complete() {
      ended = true;
      notify();
    },
  });
  if (ended) sub.unsubscribe(); // the source stopped us synchronously, before `sub` was set
  const timer = options.maxWallMs !== undefined ? setTimeout(stop, options.maxWallMs) : undefined;
  options.signal?.addEventListener('abort', stop, { once: true });

  async function* batches(): AsyncGenerator<EventBatch> {
    for (;;) {
      while (queue.length > 0) {
        const b = queue.shift()!;
        queued -= b.length;
        if (queued <= capacity / 4) valve.resume();
        yield b;
      }
      if (ended) return;
      await new Promise<void>((r) => (wake = r));
    }
  }

  try {
    const res = await writeEventFile(path, batches(), { format, ...(options.compression ? { compression: options.compression } : {}) }, options.onProgress);
    if (failure !== undefined) throw failure;
    return { ...res, droppedEvents: dropped };
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener('abort', stop); // a long-lived signal would keep every recording's closure
    sub.unsubscribe();
  }
}
