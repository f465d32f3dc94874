import { Observable, type OperatorFunction } from 'rxjs';
import type { EventBatch, FrameTensor } from '../events/index.js';
import { TimeWindower } from './functional/windows.js';

export interface SlidingWindowOptions {
  /** Window length, µs. */
  readonly length: number;
  /** Distance between consecutive window starts, µs (smaller than `length` = overlapping). */
  readonly stride: number;
  /** Equal-time sub-bins per window (the T of the emitted tensor); default 1. */
  readonly bins?: number;
  /** Window grid origin, µs (windows at origin + k stride; default the first event's time). */
  readonly origin?: number;
  /** Also emit the windows still open at completion (partially filled); default false. */
  readonly emitPartial?: boolean;
  /** Integer spatial downsampling fused into binning (frames at the reduced geometry); default 1. */
  readonly downsample?: number;
}

/**
 * Sliding windows for live classification: a tensor of `bins` frames covering
 * [origin + k stride, origin + k stride + length) for k = 0, 1, …, emitted as soon as an event at
 * or after the window's end arrives. Sub-bin j covers [start + j length / bins, start +
 * (j + 1) length / bins). Windows that contain no event are emitted too (all zeros), so the
 * classifier sees the true timeline; each event is binned into every window that contains it.
 */
export function slidingWindows(options: SlidingWindowOptions): OperatorFunction<EventBatch, FrameTensor> {
  const windowing = {
    length: options.length,
    stride: options.stride,
    bins: options.bins ?? 1,
    ...(options.origin !== undefined ? { origin: options.origin } : {}),
    ...(options.downsample !== undefined ? { downsample: options.downsample } : {}),
  };
  new TimeWindower(windowing); // validates the options now, when the pipeline is built
  return (source) =>
    new Observable<FrameTensor>((subscriber) => {
      const w = new TimeWindower(windowing);
      const emit = (f: FrameTensor) => subscriber.next(f);
      return source.subscribe({
        next(batch) {
          try {
            w.push(batch, emit);
          } catch (err) {
            subscriber.error(err);
          }
        },
        error: (err) => subscriber.error(err),
        complete() {
          w.finish(options.emitPartial ? { kind: 'partial' } : { kind: 'none' }, emit);
          subscriber.complete();
        },
      });
    });
}
