import type { OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/index.js';
import { applyFilter } from './apply-filter.js';
import { statelessFilter } from './functional/filter.js';
import { Downsampler } from './functional/spatial.js';

/**
 * Spatial downsampling by integer factors: x' = floor(x / fx), y' = floor(y / fy), sensor
 * ceil(W / fx) x ceil(H / fy) (Tonic's `Downsample(spatial_factor = 1 / f)` coordinates; Tonic
 * floors the sensor size instead). Events are neither merged nor removed: binning afterwards
 * counts every source event in its coarse cell.
 */
export function downsample(fx: number, fy: number = fx): OperatorFunction<EventBatch, EventBatch> {
  const d = new Downsampler(fx, fy); // validates now; stateless, so shared by subscriptions
  return applyFilter(() => statelessFilter((b) => d.apply(b)));
}
