/**
 * Stateful noise filters (refractory period, background activity, hot pixels) and the event-rate
 * limiter. Each is an `EventFilter`: per-pixel state in flat typed arrays sized from the first
 * batch's sensor and one tight loop per batch: either writing a keep-list then gathering, or
 * (refractory, which keeps most events) writing every event into reused columns and copying out
 * the kept prefix.
 */
import type { EventBatch, SensorGeometry } from '../../events/index.js';
import { BatchScratch, checkSensor, copyKept, gather, IndexScratch, newFilterStats, type EventFilter, type FilterStats } from './filter.js';

abstract class PixelFilter implements EventFilter {
  readonly stats: FilterStats = newFilterStats();
  protected readonly scratch = new IndexScratch();
  protected sensor: SensorGeometry | undefined;

  constructor(protected readonly who: string) {}

  filter(batch: EventBatch): EventBatch {
    if (this.sensor === undefined || this.sensor.width !== batch.sensor.width || this.sensor.height !== batch.sensor.height) {
      checkSensor(batch.sensor, this.who);
      this.sensor = batch.sensor;
      this.allocate(batch.sensor);
    }
    const out = this.select(batch);
    this.stats.seen += batch.length;
    this.stats.kept += out.length;
    return out;
  }

  reset(): void {
    this.sensor = undefined;
  }

  protected abstract allocate(sensor: SensorGeometry): void;
  /** The kept events of `batch` (the sensor state is allocated). */
  protected abstract select(batch: EventBatch): EventBatch;

  /** Keep-list pass (`run` writes the kept indices, returns how many) then one gather. */
  protected gatherKept(batch: EventBatch, run: (keep: Int32Array) => number): EventBatch {
    const keep = this.scratch.get(batch.length);
    return gather(batch, keep, run(keep));
  }
}

/**
 * Refractory period: an event is dropped when the same pixel (either polarity) had an event less
 * than or exactly `period` µs earlier, i.e. kept iff t - t_last > period, the rule of Tonic's
 * `RefractoryPeriod`. Every event, kept or not, refreshes the pixel's last time (Tonic does the
 * same, so a pixel that keeps firing faster than the period stays silent). A pixel's first event
 * is always kept (Tonic's memory starts at -period, which drops an event at exactly t = 0).
 */
export class RefractoryFilter extends PixelFilter {
  private last = new Float64Array(0);
  private readonly columns = new BatchScratch();

  constructor(readonly period: number) {
    super('refractory');
    if (!(period >= 0)) throw new RangeError(`refractory: period must be >= 0 µs, got ${period}`);
  }

  protected allocate(sensor: SensorGeometry): void {
    this.last = new Float64Array(sensor.width * sensor.height).fill(-Infinity);
  }

  // Fused pass: every event is written at the output position and the position advances only
  // when it is kept. Most events are kept, so this beats a keep-list plus gather (about 1.3x).
  protected select(batch: EventBatch): EventBatch {
    const { x, y, t, p } = batch;
    const n = batch.length, W = this.sensor!.width, last = this.last, period = this.period;
    const c = this.columns.get(n);
    const ox = c.x, oy = c.y, ot = c.t, op = c.p;
    let k = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i]!, yi = y[i]!, ti = t[i]!;
      const idx = yi * W + xi;
      ox[k] = xi;
      oy[k] = yi;
      ot[k] = ti;
      op[k] = p[i]!;
      k += ti - last[idx]! > period ? 1 : 0;
      last[idx] = ti;
    }
    return copyKept(batch, c, k);
  }
}

/**
 * Background-activity (nearest-neighbour support) filter: an event is kept iff a neighbouring
 * pixel had an event less than `duration` µs before it (t - t_neighbour < duration, any
 * polarity). The event's own pixel is not a neighbour; its time is updated for every event.
 * - `neighbours: 8` (default) matches dv-processing's `BackgroundActivityNoiseFilter` (8-pixel
 *   neighbourhood, default duration 2000 µs).
 * - `neighbours: 4` matches Tonic's `Denoise(filter_time)` (up/down/left/right only).
 * Difference from both: pixels that never fired support nothing. dv-processing and Tonic start
 * their maps at 0 (Tonic at filter_time), so with timestamps starting near 0 their first
 * `duration` µs pass almost everything; with absolute (Unix) timestamps all three agree.
 */
export class BackgroundActivityFilter extends PixelFilter {
  /** Last event time per pixel, with a 1-pixel border that never fires (no bounds tests). */
  private map = new Float64Array(0);
  private stride = 0;

  constructor(readonly duration: number, readonly neighbours: 4 | 8 = 8) {
    super('background-activity');
    if (!(duration > 0)) throw new RangeError(`background-activity: duration must be > 0 µs, got ${duration}`);
    if (neighbours !== 4 && neighbours !== 8) throw new RangeError(`background-activity: neighbours must be 4 or 8, got ${neighbours}`);
  }

  protected allocate(sensor: SensorGeometry): void {
    this.stride = sensor.width + 2;
    this.map = new Float64Array(this.stride * (sensor.height + 2)).fill(-Infinity);
  }

  protected select(batch: EventBatch): EventBatch {
    return this.gatherKept(batch, (keep) => this.run(batch, keep));
  }

  private run(batch: EventBatch, keep: Int32Array): number {
    const { x, y, t } = batch;
    const n = batch.length, S = this.stride, m = this.map, d = this.duration;
    let k = 0;
    if (this.neighbours === 8) {
      for (let i = 0; i < n; i++) {
        const c = (y[i]! + 1) * S + x[i]! + 1;
        const ti = t[i]!;
        const up = c - S, down = c + S;
        // Short-circuit: most supported events stop at the first neighbour that fired recently.
        const ok =
          ti - m[up]! < d || ti - m[up - 1]! < d || ti - m[up + 1]! < d ||
          ti - m[c - 1]! < d || ti - m[c + 1]! < d ||
          ti - m[down]! < d || ti - m[down - 1]! < d || ti - m[down + 1]! < d;
        m[c] = ti;
        keep[k] = i;
        k += ok ? 1 : 0;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const c = (y[i]! + 1) * S + x[i]! + 1;
        const ti = t[i]!;
        const ok = ti - m[c - S]! < d || ti - m[c + S]! < d || ti - m[c - 1]! < d || ti - m[c + 1]! < d;
        m[c] = ti;
        keep[k] = i;
        k += ok ? 1 : 0;
      }
    }
    return k;
  }
}

export interface HotPixelOptions {
  /** Pixels always removed (Tonic's `MaskHotPixel` coordinates). */
  readonly pixels?: ReadonlyArray<{ readonly x: number; readonly y: number }>;
  /**
   * Learn hot pixels from the stream itself (libcaer's hot-pixel learning): during the first
   * `duration` µs of event time every event passes and is counted; afterwards pixels with at
   * least `minEvents` events in that period are removed for good (until `reset()`).
   */
  readonly learn?: { readonly duration: number; readonly minEvents: number };
}

/** Removes events of known or learnt hot pixels (both polarities). */
export class HotPixelFilter extends PixelFilter {
  private mask = new Uint8Array(0);
  private counts: Uint32Array | undefined;
  private learnEnd = Number.NaN;
  /** Pixels currently masked (fixed + learnt), for reports. */
  hotPixels: Array<{ x: number; y: number }> = [];

  constructor(readonly options: HotPixelOptions) {
    super('hot-pixel');
    const l = options.learn;
    if (l && (!(l.duration > 0) || !(l.minEvents >= 1))) {
      throw new RangeError(`hot-pixel: learn.duration must be > 0 µs and learn.minEvents >= 1, got ${l.duration} / ${l.minEvents}`);
    }
  }

  protected allocate(sensor: SensorGeometry): void {
    this.mask = new Uint8Array(sensor.width * sensor.height);
    this.hotPixels = [];
    for (const px of this.options.pixels ?? []) {
      if (px.x >= 0 && px.x < sensor.width && px.y >= 0 && px.y < sensor.height) {
        this.mask[px.y * sensor.width + px.x] = 1;
        this.hotPixels.push({ x: px.x, y: px.y });
      }
    }
    this.counts = this.options.learn ? new Uint32Array(sensor.width * sensor.height) : undefined;
    this.learnEnd = Number.NaN;
  }

  protected select(batch: EventBatch): EventBatch {
    return this.gatherKept(batch, (keep) => this.run(batch, keep));
  }

  private run(batch: EventBatch, keep: Int32Array): number {
    const { x, y, t } = batch;
    const n = batch.length, W = this.sensor!.width;
    let i = 0;
    let k = 0;
    const counts = this.counts;
    if (counts) {
      if (Number.isNaN(this.learnEnd) && n > 0) this.learnEnd = t[0]! + this.options.learn!.duration;
      const end = this.learnEnd;
      for (; i < n && t[i]! < end; i++) {
        counts[y[i]! * W + x[i]!]++;
        keep[k++] = i;
      }
      if (i < n) this.finishLearning();
    }
    const mask = this.mask;
    for (; i < n; i++) {
      keep[k] = i;
      k += mask[y[i]! * W + x[i]!]! ^ 1;
    }
    return k;
  }

  private finishLearning(): void {
    const counts = this.counts!, W = this.sensor!.width, min = this.options.learn!.minEvents;
    for (let idx = 0; idx < counts.length; idx++) {
      if (counts[idx]! >= min && this.mask[idx] === 0) {
        this.mask[idx] = 1;
        this.hotPixels.push({ x: idx % W, y: Math.floor(idx / W) });
      }
    }
    this.counts = undefined;
  }
}

/**
 * Event-rate limiter: a token bucket in event time. Tokens accrue at `maxRate` events per second
 * of event time up to `burst` (default maxRate / 100, i.e. 10 ms worth, at least 1); each event
 * takes one token or is dropped. So the output never exceeds `burst + maxRate * Δt` events in any
 * span Δt, and within a burst the earliest events are the ones kept. The bucket starts full.
 */
export class RateLimiter implements EventFilter {
  readonly stats: FilterStats = newFilterStats();
  private readonly scratch = new IndexScratch();
  private tokens: number;
  private lastT = Number.NaN;
  readonly burst: number;

  constructor(readonly maxRate: number, burst?: number) {
    if (!(maxRate > 0)) throw new RangeError(`rate-limit: maxRate must be > 0 events/s, got ${maxRate}`);
    this.burst = burst ?? Math.max(1, maxRate / 100);
    if (!(this.burst >= 1)) throw new RangeError(`rate-limit: burst must be >= 1 event, got ${burst}`);
    this.tokens = this.burst;
  }

  filter(batch: EventBatch): EventBatch {
    const n = batch.length;
    const keep = this.scratch.get(n);
    const t = batch.t;
    const perUs = this.maxRate / 1e6, burst = this.burst;
    let tokens = this.tokens, last = Number.isNaN(this.lastT) ? (n > 0 ? t[0]! : 0) : this.lastT;
    let k = 0;
    for (let i = 0; i < n; i++) {
      const ti = t[i]!;
      // Time going backwards adds no tokens (never negative).
      if (ti > last) {
        tokens = Math.min(burst, tokens + (ti - last) * perUs);
        last = ti;
      }
      if (tokens >= 1) {
        tokens -= 1;
        keep[k++] = i;
      }
    }
    this.tokens = tokens;
    if (n > 0) this.lastT = last;
    this.stats.seen += n;
    this.stats.kept += k;
    return gather(batch, keep, k);
  }

  reset(): void {
    this.tokens = this.burst;
    this.lastT = Number.NaN;
  }
}
