import type { OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/index.js';
import { applyFilter, type FilterOperatorOptions } from './apply-filter.js';
import { RefractoryFilter } from './functional/noise.js';

/**
 * Refractory-period filter: drops an event when its pixel (any polarity) had an event at most
 * `period` µs before (kept iff t - t_last > period, Tonic's rule); every event refreshes the
 * pixel's time. Per-pixel state lives for the subscription and survives batch boundaries.
 */
export function refractory(period: number, options?: FilterOperatorOptions): OperatorFunction<EventBatch, EventBatch> {
  new RefractoryFilter(period); // validates the options now, when the pipeline is built
  return applyFilter(() => new RefractoryFilter(period), options);
}
