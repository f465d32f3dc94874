import { Observable, type OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/index.js';
import { carryAnnotations } from './annotations.js';
import type { EventFilter, FilterStats } from './functional/filter.js';

export interface FilterOperatorOptions {
  /** Counters (events seen / kept) added to by this operator, e.g. for Prometheus. */
  readonly stats?: FilterStats;
}

/**
 * Runs an `EventFilter` over a batch stream. A new filter (fresh per-pixel state) is created for
 * each subscription, so one operator instance can be used in several pipelines. Batches left
 * empty by the filter are not emitted; annotations are carried over; errors and completion pass
 * through unchanged.
 */
export function applyFilter(create: () => EventFilter, options: FilterOperatorOptions = {}): OperatorFunction<EventBatch, EventBatch> {
  return (source) =>
    new Observable<EventBatch>((subscriber) => {
      const f = create();
      const stats = options.stats;
      return source.subscribe({
        next(batch) {
          let out: EventBatch;
          try {
            out = f.filter(batch);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          if (stats) {
            stats.seen += batch.length;
            stats.kept += out.length;
          }
          if (out.length > 0) subscriber.next(carryAnnotations(out, batch));
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
