import { Observable, type OperatorFunction } from 'rxjs';
import type { EventBatch, FrameTensor } from '../events/index.js';
import { TimeWindower } from './functional/windows.js';

export interface TimeStepOptions {
  /**
   * Step grid origin, µs; default the first event's time. Steps start at origin + k dt and the
   * first one emitted is the one holding the first event, so `origin: 0` aligns steps to
   * multiples of dt (steps line up across cameras and restarts).
   */
  readonly origin?: number;
  /**
   * A pause in the stream longer than this many steps emits only this many empty steps and skips
   * the rest (counted in `stats.skippedSteps`); a stateful network has long decayed by then.
   * Default 10 000.
   */
  readonly maxEmptySteps?: number;
  /** Emit the last, partial step at completion; default true. */
  readonly flush?: boolean;
  /** Integer spatial downsampling fused into binning (frames at the reduced geometry); default 1. */
  readonly downsample?: number;
  /**
   * Equal sub-bins per step (a model's temporal sub-bins): each emitted tensor holds the step's
   * `bins` frames, sub-bin j covering [start + j dt / bins, start + (j + 1) dt / bins); default 1.
   */
  readonly bins?: number;
  /** Receives the number of skipped empty steps. */
  readonly stats?: { skippedSteps: number };
}

/**
 * One frame per `dt` µs of event time, for stateful (per-step) inference: step k covers
 * [origin + k dt, origin + (k + 1) dt) and is emitted (a tensor of `bins` frames, one by default)
 * as soon as an event at or after its end arrives. Steps without events are emitted as all-zero frames so the model's
 * clock advances with the camera's; note that with no events at all nothing is emitted (event
 * time only moves when events arrive).
 */
export function timeSteps(dt: number, options: TimeStepOptions = {}): OperatorFunction<EventBatch, FrameTensor> {
  const windowing = {
    length: dt,
    stride: dt,
    bins: options.bins ?? 1,
    maxEmptyWindows: options.maxEmptySteps ?? 10_000,
    ...(options.origin !== undefined ? { origin: options.origin } : {}),
    ...(options.downsample !== undefined ? { downsample: options.downsample } : {}),
  };
  new TimeWindower(windowing); // validates the options now, when the pipeline is built
  return (source) =>
    new Observable<FrameTensor>((subscriber) => {
      const w = new TimeWindower(windowing);
      const emit = (f: FrameTensor) => subscriber.next(f);
      const report = () => {
        if (options.stats) options.stats.skippedSteps = w.skippedWindows;
      };
      return source.subscribe({
        next(batch) {
          try {
            w.push(batch, emit);
            report();
          } catch (err) {
            subscriber.error(err);
          }
        },
        error: (err) => subscriber.error(err),
        complete() {
          w.finish(options.flush === false ? { kind: 'none' } : { kind: 'partial' }, emit);
          report();
          subscriber.complete();
        },
      });
    });
}
