import type { OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/index.js';
import { applyFilter, type FilterOperatorOptions } from './apply-filter.js';
import { BackgroundActivityFilter } from './functional/noise.js';

export interface DenoiseOptions extends FilterOperatorOptions {
  /** Support window in µs: a neighbour event less than this long ago supports an event. Default 2000 (dv-processing's default). */
  readonly duration?: number;
  /** 8 (dv-processing, default) or 4 (Tonic's `Denoise`) neighbouring pixels. */
  readonly neighbours?: 4 | 8;
}

/**
 * Background-activity denoising: keeps an event iff a neighbouring pixel fired less than
 * `duration` µs before it. See `BackgroundActivityFilter` for the exact rule and how it differs
 * from dv-processing and Tonic at the start of a stream.
 */
export function denoise(options: DenoiseOptions = {}): OperatorFunction<EventBatch, EventBatch> {
  const duration = options.duration ?? 2000;
  const neighbours = options.neighbours ?? 8;
  new BackgroundActivityFilter(duration, neighbours); // validates the options now, when the pipeline is built
  return applyFilter(() => new BackgroundActivityFilter(duration, neighbours), options);
}
