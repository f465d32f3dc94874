import type { OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/index.js';
import { applyFilter, type FilterOperatorOptions } from './apply-filter.js';
import { HotPixelFilter, type HotPixelOptions } from './functional/noise.js';

/**
 * Removes the events of hot pixels: a fixed list (`pixels`) and/or pixels learnt from the first
 * `learn.duration` µs of the stream (at least `learn.minEvents` events there; events pass while
 * learning). Pixels outside the sensor in the fixed list are ignored.
 */
export function hotPixels(options: HotPixelOptions & FilterOperatorOptions): OperatorFunction<EventBatch, EventBatch> {
  new HotPixelFilter(options); // validates the options now, when the pipeline is built
  return applyFilter(() => new HotPixelFilter(options), options);
}
