import type { OperatorFunction } from 'rxjs';
import type { EventBatch, SensorGeometry } from '../events/index.js';
import { applyFilter } from './apply-filter.js';
import { statelessFilter } from './functional/filter.js';
import { Rescaler } from './functional/scale.js';

/**
 * Rescales a stream of `from` geometry to `to`: x' = floor(x * to.width / from.width), y' likewise
 * (see `Rescaler`). Events are neither merged nor removed; binning afterwards counts every
 * source event in its target cell. Batches of another geometry are refused with an error.
 */
export function scale(from: SensorGeometry, to: SensorGeometry): OperatorFunction<EventBatch, EventBatch> {
  const r = new Rescaler(from, to); // validates now; stateless, so shared by subscriptions
  return applyFilter(() =>
    statelessFilter((b) => {
      if (b.sensor.width !== from.width || b.sensor.height !== from.height) {
        throw new RangeError(`scale: batch sensor is ${b.sensor.width}x${b.sensor.height}, expected ${from.width}x${from.height}`);
      }
      return r.apply(b);
    }),
  );
}
