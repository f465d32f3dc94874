import type { OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/index.js';
import { applyFilter } from './apply-filter.js';
import { statelessFilter } from './functional/filter.js';
import { orient as orientFn, type Orientation } from './functional/spatial.js';

/**
 * Flips, rotates or transposes every event (see `Orientation` for the exact maps); rotations by
 * 90° / 270° and the transpose swap the sensor's width and height. No event is removed.
 */
export function orient(op: Orientation): OperatorFunction<EventBatch, EventBatch> {
  const valid: readonly Orientation[] = ['flipX', 'flipY', 'rotate90', 'rotate180', 'rotate270', 'transpose'];
  if (!valid.includes(op)) throw new RangeError(`orient: orientation must be one of ${valid.join(', ')}, got "${String(op)}"`);
  return applyFilter(() => statelessFilter((b) => orientFn(b, op)));
}
