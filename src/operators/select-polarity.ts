import type { OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/index.js';
import { applyFilter, type FilterOperatorOptions } from './apply-filter.js';
import { statelessFilter } from './functional/filter.js';
import { selectPolarity as selectPolarityFn } from './functional/spatial.js';

/**
 * Keeps only ON (`1`) or only OFF (`0`) events. Order and timestamps are preserved; a batch with
 * none of the wanted polarity is not emitted.
 */
export function selectPolarity(polarity: 0 | 1, options?: FilterOperatorOptions): OperatorFunction<EventBatch, EventBatch> {
  if (polarity !== 0 && polarity !== 1) throw new RangeError(`selectPolarity: polarity must be 0 (OFF) or 1 (ON), got ${String(polarity)}`);
  return applyFilter(() => statelessFilter((b, s) => selectPolarityFn(b, polarity, s)), options);
}
