import { Observable, type OperatorFunction } from 'rxjs';
import type { EventBatch, FrameTensor } from '../events/index.js';
import { concatBatches } from '../events/index.js';
import { carryAnnotations } from './annotations.js';
import { frameMode, framesFromEvents, type FrameSpec } from './functional/binning.js';
import { checkSameSensor, CountWindower, TimeWindower } from './functional/windows.js';

/**
 * Bins a time-sorted event stream into frames with Tonic's `ToFrame` semantics (the exact
 * slicing rules are in `functional/binning.ts`); frames are `FrameTensor` [T, H, W, 2], at the
 * reduced geometry when `downsample` is given (in every mode).
 *
 * - `timeWindow` / `eventCount` work on endless streams: each frame is emitted (as a tensor with
 *   one step) as soon as it is complete; at completion the tail follows Tonic's rule
 *   (`includeIncomplete`). Feeding a whole sample gives exactly `framesFromEvents`' frames.
 * - `nTimeBins` / `nEventBins` need the whole sample (t_last / n decide the bins): the stream is
 *   collected and one tensor with all N steps is emitted at completion. Use them on bounded
 *   sources (one recording or dataset sample), not on a live camera.
 *
 * Time must not go backwards within the stream. Annotations of the events' batches are attached
 * to the frames they overlap.
 */
export function toFrames(spec: FrameSpec): OperatorFunction<EventBatch, FrameTensor> {
  const mode = frameMode(spec);
  const overlap = spec.overlap ?? 0;
  return (source) =>
    new Observable<FrameTensor>((subscriber) => {
      const emit = (f: FrameTensor) => subscriber.next(f);
      if (mode === 'timeWindow' || mode === 'eventCount') {
        const windower =
          mode === 'timeWindow'
            ? new TimeWindower({ length: spec.timeWindow!, stride: spec.timeWindow! - overlap, bins: 1, downsample: spec.downsample ?? 1 })
            : new CountWindower(spec.eventCount!, spec.eventCount! - overlap, spec.downsample);
        const includeIncomplete = spec.includeIncomplete ?? false;
        return source.subscribe({
          next(batch) {
            try {
              windower.push(batch, emit);
            } catch (err) {
              subscriber.error(err);
            }
          },
          error: (err) => subscriber.error(err),
          complete() {
            try {
              if (windower instanceof TimeWindower) windower.finish({ kind: 'tonic', includeIncomplete }, emit);
              else windower.finish(includeIncomplete, emit);
              subscriber.complete();
            } catch (err) {
              subscriber.error(err);
            }
          },
        });
      }
      const batches: EventBatch[] = [];
      return source.subscribe({
        next(batch) {
          if (batch.length === 0) return;
          try {
            checkSameSensor(batches[0]?.sensor, batch); // one frame tensor has one geometry
            batches.push(batch);
          } catch (err) {
            subscriber.error(err);
          }
        },
        error: (err) => subscriber.error(err),
        complete() {
          if (batches.length === 0) {
            subscriber.complete(); // no events, no sensor geometry: nothing to emit
            return;
          }
          try {
            const all = concatBatches(batches);
            subscriber.next(carryAnnotations(framesFromEvents(all, spec), mergedAnnotations(batches)));
            subscriber.complete();
          } catch (err) {
            subscriber.error(err);
          }
        },
      });
    });
}

function mergedAnnotations(batches: readonly EventBatch[]): object {
  const all = new Set<unknown>();
  for (const b of batches) for (const a of (b as { annotations?: readonly unknown[] }).annotations ?? []) all.add(a);
  return all.size > 0 ? { annotations: [...all] } : {};
}
