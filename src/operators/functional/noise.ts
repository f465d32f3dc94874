/**
 * Stateful noise filters (refractory period, background activity, hot pixels) and the event-rate
 * limiter. Each is an `EventFilter`: per-pixel state in flat typed arrays sized from the first
 * batch's sensor and one tight loop per batch: either writing a keep-list then gathering (hot
 * pixels, which keep almost everything), or (refractory, background activity, rate limit) one
 * fused pass writing every event at the output position, advancing only for kept ones, through
 * module-level scratch columns (below).
 */
import type { EventBatch, SensorGeometry } from '../../events/index.js';
import { BackgroundActivityKernel } from '../wasm/noise-kernels.js';
import {
  allocateFilterOutput, checkSensor, gather, IndexScratch, keptPrefix, newFilterStats, type EventFilter, type FilterStats,
} from './filter.js';

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

  constructor(readonly period: number) {
    super('refractory');
    if (!(period >= 0)) throw new RangeError(`refractory: period must be >= 0 µs, got ${period}`);
  }

  protected allocate(sensor: SensorGeometry): void {
    this.last = new Float64Array(sensor.width * sensor.height).fill(-Infinity);
  }

  protected select(batch: EventBatch): EventBatch {
    const W = this.sensor!.width, last = this.last, period = this.period;
    return throughScratch(batch, (m) => refractoryKernel(m, W, last, period));
  }
}

// Scratch for the refractory, background-activity and rate-limit loops: module-level constants,
// because V8 (11.x) compiles a loop over typed arrays it knows as constants much tighter than
// over arrays passed in (see binning.ts; 1.2-1.8x for these whole filters). Input chunks are
// copied in, kept events collected in the output columns, then copied to the batch (memcpy, in
// cache). Filtering is synchronous, so one set per thread serves every instance.
const CHUNK = 4096;
const IX = new Uint16Array(CHUNK);
const IY = new Uint16Array(CHUNK);
const IT = new Float64Array(CHUNK);
const IP = new Uint8Array(CHUNK);
const OX = new Uint16Array(CHUNK);
const OY = new Uint16Array(CHUNK);
const OT = new Float64Array(CHUNK);
const OP = new Uint8Array(CHUNK);

/**
 * A fused filter pass through the scratch columns: copies `batch` in chunk by chunk, `run(m)`
 * filters the m events of the input scratch into the output scratch and returns how many it
 * kept, which are copied to the result (see `keptPrefix`).
 */
function throughScratch(batch: EventBatch, run: (m: number) => number): EventBatch {
  const n = batch.length;
  const { x, y, t, p } = batch;
  const out = allocateFilterOutput(n, batch.sensor);
  let k = 0;
  for (let s = 0; s < n; s += CHUNK) {
    const e = Math.min(n, s + CHUNK);
    IX.set(x.subarray(s, e));
    IY.set(y.subarray(s, e));
    IT.set(t.subarray(s, e));
    IP.set(p.subarray(s, e));
    const kept = run(e - s);
    out.x.set(OX.subarray(0, kept), k);
    out.y.set(OY.subarray(0, kept), k);
    out.t.set(OT.subarray(0, kept), k);
    out.p.set(OP.subarray(0, kept), k);
    k += kept;
  }
  return keptPrefix(batch, out, k);
}

/** Refractory pass over the scratch chunk (`last`: per-pixel last time, row stride W). */
function refractoryKernel(m: number, W: number, last: Float64Array, period: number): number {
  let k = 0;
  for (let i = 0; i < m; i++) {
    const xi = IX[i]!, yi = IY[i]!, ti = IT[i]!;
    const idx = yi * W + xi;
    OX[k] = xi;
    OY[k] = yi;
    OT[k] = ti;
    OP[k] = IP[i]!;
    k += +(ti - last[idx]! > period);
    last[idx] = ti;
  }
  return k;
}

/** Events of the chunk the last support kernel processed: all, or up to the first time inversion (or NaN). */
let stoppedAt = 0;

/**
 * Support-map pass over the scratch chunk of `m` events with 8 neighbours (maps in the bordered
 * layout of row stride S): returns how many were kept into the output scratch. Each event reads
 * its own support cell and writes its time to its neighbours' cells; the keep bit is added
 * without a branch (`+(a < b)`; V8 compiles `cond ? 1 : 0` to a jump, mispredicted on a ~50 %
 * keep rate).
 */
function support8(m: number, S: number, last: Float64Array, sup: Float64Array, d: number, newest: number): number {
  let k = 0, i = 0;
  for (; i < m; i++) {
    const ti = IT[i]!;
    if (!(ti >= newest)) break;
    newest = ti;
    const xi = IX[i]!, yi = IY[i]!;
    const c = (yi + 1) * S + xi + 1;
    const ok = +(ti - sup[c]! < d);
    last[c] = ti;
    sup[c - S - 1] = ti;
    sup[c - S] = ti;
    sup[c - S + 1] = ti;
    sup[c - 1] = ti;
    sup[c + 1] = ti;
    sup[c + S - 1] = ti;
    sup[c + S] = ti;
    sup[c + S + 1] = ti;
    OT[k] = ti;
    OX[k] = xi;
    OY[k] = yi;
    OP[k] = IP[i]!;
    k += ok;
  }
  stoppedAt = i;
  return k;
}

/** `support8` with the 4-neighbourhood. */
function support4(m: number, S: number, last: Float64Array, sup: Float64Array, d: number, newest: number): number {
  let k = 0, i = 0;
  for (; i < m; i++) {
    const ti = IT[i]!;
    if (!(ti >= newest)) break;
    newest = ti;
    const xi = IX[i]!, yi = IY[i]!;
    const c = (yi + 1) * S + xi + 1;
    const ok = +(ti - sup[c]! < d);
    last[c] = ti;
    sup[c - S] = ti;
    sup[c - 1] = ti;
    sup[c + 1] = ti;
    sup[c + S] = ti;
    OT[k] = ti;
    OX[k] = xi;
    OY[k] = yi;
    OP[k] = IP[i]!;
    k += ok;
  }
  stoppedAt = i;
  return k;
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
 *
 * Runs a WebAssembly SIMD loop when available (see `BackgroundActivityKernel`, src/operators/wasm),
 * otherwise the TypeScript loops below; both keep exactly the same events and pixel times.
 */
export class BackgroundActivityFilter extends PixelFilter {
  /** The WebAssembly loop and its memory (created on the first batch), unless disabled or unavailable. */
  private kernel: BackgroundActivityKernel | undefined;
  /** Whether `kernel` holds the current sensor's map (else the TypeScript state below is used). */
  private useKernel = false;
  /** Last event time per pixel, with a 1-pixel border that never fires (no bounds tests). */
  private last = new Float64Array(0);
  /**
   * Newest neighbour time per pixel (same layout). Each event writes its time into its
   * neighbours' cells, so the keep test is one read instead of 4 or 8 (stores need no compare).
   * While time never goes back the newest write is the neighbours' maximum, and "some neighbour
   * fired less than `duration` ago" equals "the newest one did" (t - t_n is monotone in t_n even
   * rounded). After a time inversion `last` alone decides until the map is rebuilt from it.
   */
  private support = new Float64Array(0);
  private supportValid = true;
  /** Newest event time seen: `support` stays exact only for events at or after it. */
  private newest = -Infinity;
  private stride = 0;
  /** Neighbour offsets in the bordered layout, for the time-inversion path and the rebuild. */
  private offsets = new Int32Array(0);

  constructor(readonly duration: number, readonly neighbours: 4 | 8 = 8, readonly options: BackgroundActivityOptions = {}) {
    super('background-activity');
    if (!(duration > 0)) throw new RangeError(`background-activity: duration must be > 0 µs, got ${duration}`);
    if (neighbours !== 4 && neighbours !== 8) throw new RangeError(`background-activity: neighbours must be 4 or 8, got ${neighbours}`);
  }

  protected allocate(sensor: SensorGeometry): void {
    if (this.options.wasm !== false) this.kernel ??= BackgroundActivityKernel.create();
    this.useKernel = this.kernel?.allocate(sensor) ?? false;
    if (this.useKernel) {
      this.last = this.support = new Float64Array(0);
      return;
    }
    const S = (this.stride = sensor.width + 2);
    this.last = new Float64Array(S * (sensor.height + 2)).fill(-Infinity);
    this.support = new Float64Array(S * (sensor.height + 2)).fill(-Infinity);
    this.supportValid = true;
    this.newest = -Infinity;
    this.offsets = Int32Array.from(this.neighbours === 8 ? [-S - 1, -S, -S + 1, -1, 1, S - 1, S, S + 1] : [-S, -1, 1, S]);
  }

  // Fused pass: every event is written at the output position, which advances only for kept
  // events (no keep-list and gather).
  protected select(batch: EventBatch): EventBatch {
    if (this.useKernel) return this.kernel!.select(batch, this.neighbours, this.duration);
    const { x, y, t, p } = batch;
    const n = batch.length, S = this.stride, last = this.last, sup = this.support, d = this.duration;
    const out = allocateFilterOutput(n, batch.sensor);
    const ox = out.x, oy = out.y, ot = out.t, op = out.p;
    let i = 0, k = 0, newest = this.newest;
    if (n > 0 && t[0]! >= newest) {
      if (!this.supportValid) this.rebuildSupport();
      // Support path, chunk by chunk through the scratch columns, while time does not go back.
      while (i < n) {
        const e = Math.min(n, i + CHUNK);
        IX.set(x.subarray(i, e));
        IY.set(y.subarray(i, e));
        IT.set(t.subarray(i, e));
        IP.set(p.subarray(i, e));
        const kept = this.neighbours === 8 ? support8(e - i, S, last, sup, d, newest) : support4(e - i, S, last, sup, d, newest);
        ox.set(OX.subarray(0, kept), k);
        oy.set(OY.subarray(0, kept), k);
        ot.set(OT.subarray(0, kept), k);
        op.set(OP.subarray(0, kept), k);
        k += kept;
        if (stoppedAt > 0) newest = IT[stoppedAt - 1]!;
        i += stoppedAt;
        if (i < e) break;
      }
    }
    if (i < n) {
      // Time went back: test the neighbours' last times directly for the rest of the batch.
      this.supportValid = false;
      const offs = this.offsets, m = offs.length;
      for (; i < n; i++) {
        const ti = t[i]!;
        const xi = x[i]!, yi = y[i]!;
        const c = (yi + 1) * S + xi + 1;
        let ok = 0;
        for (let j = 0; j < m; j++) ok |= +(ti - last[c + offs[j]!]! < d);
        last[c] = ti;
        if (ti > newest) newest = ti;
        ot[k] = ti;
        ox[k] = xi;
        oy[k] = yi;
        op[k] = p[i]!;
        k += ok;
      }
    }
    this.newest = newest;
    return keptPrefix(batch, out, k);
  }

  /**
   * Copy of the last event time of every pixel (row-major, width x height; -Infinity: never
   * fired), the state that decides what is kept next; empty before the first batch.
   */
  lastEventTimes(): Float64Array {
    if (this.sensor === undefined) return new Float64Array(0);
    if (this.useKernel) return this.kernel!.lastTimes();
    const { width: W, height: H } = this.sensor, S = this.stride;
    const out = new Float64Array(W * H);
    for (let yy = 0; yy < H; yy++) out.set(this.last.subarray((yy + 1) * S + 1, (yy + 1) * S + 1 + W), yy * W);
    return out;
  }

  /** support = the newest (largest) neighbour time of every pixel; NaN times support nothing. */
  private rebuildSupport(): void {
    const { width: W, height: H } = this.sensor!;
    const S = this.stride, last = this.last, sup = this.support, offs = this.offsets, m = offs.length;
    for (let yy = 1; yy <= H; yy++) {
      for (let c = yy * S + 1, e = c + W; c < e; c++) {
        let v = -Infinity;
        for (let j = 0; j < m; j++) {
          const u = last[c + offs[j]!]!;
          if (u > v) v = u;
        }
        sup[c] = v;
      }
    }
    this.supportValid = true;
  }
}

export interface BackgroundActivityOptions {
  /** Use the WebAssembly SIMD loop when available (default true); false runs the TypeScript loops. */
  readonly wasm?: boolean;
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
        const px = y[i]! * W + x[i]!;
        counts[px] = counts[px]! + 1;
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

/** Token-bucket state in and out of `takeTokens` (tokens, time of the last refill). */
let bucketTokens = 0;
let bucketLast = 0;

/**
 * Token bucket over the scratch chunk of `m` events: returns how many were kept into the output
 * scratch. The refill is done for equal timestamps too (it adds exactly 0 and tokens <= burst, so
 * the result is the same), so its branch only sees time going back, which is rare and
 * predictable; the take is branch-free (`+(a >= b)`), as which events of a stream over the rate
 * get a token is close to random.
 */
function takeTokens(m: number, perUs: number, burst: number): number {
  let tokens = bucketTokens, last = bucketLast, k = 0;
  for (let i = 0; i < m; i++) {
    const ti = IT[i]!;
    // Time going backwards adds no tokens (never negative).
    if (ti >= last) {
      tokens = Math.min(burst, tokens + (ti - last) * perUs);
      last = ti;
    }
    const take = +(tokens >= 1);
    tokens -= take;
    OT[k] = ti;
    OX[k] = IX[i]!;
    OY[k] = IY[i]!;
    OP[k] = IP[i]!;
    k += take;
  }
  bucketTokens = tokens;
  bucketLast = last;
  return k;
}

/**
 * Event-rate limiter: a token bucket in event time. Tokens accrue at `maxRate` events per second
 * of event time up to `burst` (default maxRate / 100, i.e. 10 ms worth, at least 1); each event
 * takes one token or is dropped. So the output never exceeds `burst + maxRate * Δt` events in any
 * span Δt, and within a burst the earliest events are the ones kept. The bucket starts full.
 */
export class RateLimiter implements EventFilter {
  readonly stats: FilterStats = newFilterStats();
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
    const perUs = this.maxRate / 1e6, burst = this.burst;
    bucketTokens = this.tokens;
    bucketLast = Number.isNaN(this.lastT) ? (n > 0 ? batch.t[0]! : 0) : this.lastT;
    const out = throughScratch(batch, (m) => takeTokens(m, perUs, burst));
    this.tokens = bucketTokens;
    if (n > 0) this.lastT = bucketLast;
    this.stats.seen += n;
    this.stats.kept += out.length;
    return out;
  }

  reset(): void {
    this.tokens = this.burst;
    this.lastT = Number.NaN;
  }
}
