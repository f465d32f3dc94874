import type { OperatorFunction } from 'rxjs';
import type { EventBatch } from '../events/index.js';
import { applyFilter, type FilterOperatorOptions } from './apply-filter.js';
import { RateLimiter } from './functional/noise.js';

export interface RateLimitOptions extends FilterOperatorOptions {
  /** Largest burst in events (bucket size); default maxRate / 100 (10 ms worth), at least 1. */
  readonly burst?: number;
}

/**
 * Event-rate limiter in event time (token bucket): at most `maxRate` events per second of event
 * time on average, bursts up to `burst`; excess events are dropped (counted in `stats`). Being
 * driven by event timestamps, a replay at any speed keeps the same events.
 */
export function rateLimit(maxRate: number, options: RateLimitOptions = {}): OperatorFunction<EventBatch, EventBatch> {
  new RateLimiter(maxRate, options.burst); // validates the options now, when the pipeline is built
  return applyFilter(() => new RateLimiter(maxRate, options.burst), options);
}
