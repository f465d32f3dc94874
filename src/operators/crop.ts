import type { OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/index.js';
import { applyFilter, type FilterOperatorOptions } from './apply-filter.js';
import { statelessFilter } from './functional/filter.js';
import { cropRegion, type Region } from './functional/spatial.js';

/**
 * Region-of-interest crop: keeps events with roi.x <= x < roi.x + width and roi.y <= y <
 * roi.y + height, shifts them so the region's top-left corner becomes (0, 0), and sets the
 * sensor geometry to the region's size. Batches with no event inside are not emitted.
 */
export function crop(roi: Region, options?: FilterOperatorOptions): OperatorFunction<EventBatch, EventBatch> {
  return applyFilter(() => statelessFilter((b, s) => cropRegion(b, roi, s)), options);
}
