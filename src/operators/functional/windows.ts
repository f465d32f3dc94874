/**
 * Incremental (streaming) framing over a time-sorted event stream fed batch by batch: the core
 * of the `toFrames`, `slidingWindows` and `timeSteps` operators. A window is emitted as soon as it
 * is known to be complete (an event at or after its end has arrived), so memory holds only the
 * batches that overlap still-open windows. Frames are built by adding each pending batch's slice
 * to the frame (binning is additive), never by concatenating batches. Contiguous windows
 * (stride = length, e.g. `timeSteps`) are binned as batches arrive, so closing a window costs
 * only the batch that closes it: live inference does not wait for a whole step's binning.
 */
import type { EventBatch, FrameTensor, SensorGeometry } from '../../events/index.js';
import { lowerBoundTime, sameGeometry, sliceBatch } from '../../events/index.js';
import { annotationsOverlapping } from '../annotations.js';
import { allocateFrames, downsamplerFor, FrameAccumulator } from './binning.js';
import type { Downsampler } from './spatial.js';

export interface TimeWindowing {
  /** Window length, µs. */
  readonly length: number;
  /** Distance between window starts, µs (length = stride: contiguous; < length: overlapping). */
  readonly stride: number;
  /** Equal sub-bins per window: each emitted tensor has `bins` steps. */
  readonly bins: number;
  /**
   * Window grid: windows start at origin + k stride (default origin: the first event's time).
   * Windows that end before the first event are never emitted, so origin 0 simply aligns the
   * windows to multiples of the stride.
   */
  readonly origin?: number;
  /**
   * When more than this many windows would be emitted empty before the next event (a pause in the
   * stream), the rest are skipped and counted in `skippedWindows`; default unlimited.
   */
  readonly maxEmptyWindows?: number;
  /**
   * Integer spatial downsampling fused into binning (frames at the reduced geometry, as after the
   * `downsample` operator, without its copy of every batch); default 1.
   */
  readonly downsample?: number;
}

/** What happens to the windows still open at the end of the stream. */
export type TimeWindowFlush =
  /** Tonic's time-window rule: floor/ceil((t_last - t_0 - length) / stride) + 1 windows, >= 1. */
  | { readonly kind: 'tonic'; readonly includeIncomplete: boolean }
  /** Emit every window that has started at or before the last event (partial last window). */
  | { readonly kind: 'partial' }
  /** Emit nothing more. */
  | { readonly kind: 'none' };

export class TimeWindower {
  private readonly pending: EventBatch[] = [];
  private readonly acc = new FrameAccumulator();
  private origin = Number.NaN;
  private next = 0;
  private tLast = Number.NaN;
  private sensor: SensorGeometry | undefined;
  /** Geometry of the frames: the sensor's, or its downsampled one. */
  private frameSensor: SensorGeometry | undefined;
  private readonly down: Downsampler | undefined;
  /**
   * Contiguous windows only: the frame of window `openIndex`, holding the events of the first
   * `openFolded` pending batches (every event belongs to exactly one window, so each batch slice
   * is added once).
   */
  private open: FrameTensor | null = null;
  private openIndex = -1;
  private openFolded = 0;
  skippedWindows = 0;

  constructor(private readonly w: TimeWindowing) {
    if (!(w.length > 0)) throw new RangeError(`windows: length must be > 0 µs, got ${w.length}`);
    if (!(w.stride > 0)) throw new RangeError(`windows: stride must be > 0 µs, got ${w.stride}`);
    if (!Number.isInteger(w.bins) || w.bins < 1) throw new RangeError(`windows: bins must be an integer >= 1, got ${w.bins}`);
    this.down = fusedDownsampler(w.downsample);
  }

  /** Feeds one batch; calls `emit` for every window it completes. */
  push(batch: EventBatch, emit: (f: FrameTensor) => void): void {
    if (batch.length === 0) return;
    checkSameSensor(this.sensor, batch);
    if (!this.sensor) this.frameSensor = this.down ? this.down.sensorOf(batch.sensor) : batch.sensor;
    this.sensor = batch.sensor;
    if (Number.isNaN(this.origin)) {
      this.origin = this.w.origin ?? batch.t[0]!;
      // An explicit origin is a grid: start at the first window that can hold the first event
      // rather than emitting every window since the origin.
      this.next = Math.max(0, Math.floor((batch.t[0]! - this.origin - this.w.length) / this.w.stride) + 1);
    }
    const tMax = batch.t[batch.length - 1]!;
    this.tLast = Number.isNaN(this.tLast) ? tMax : Math.max(this.tLast, tMax);
    // Events before window 0 (only possible with an explicit origin) never belong to a window.
    const first = lowerBoundTime(batch.t, this.origin);
    if (first < batch.length) this.pending.push(first === 0 ? batch : sliceBatch(batch, first));
    this.emitUntil(this.tLast, emit);
    if (this.w.stride === this.w.length && this.start(this.next) <= this.tLast) this.fold(this.next);
  }

  /** End of stream: emits the remaining windows according to `flush`. */
  finish(flush: TimeWindowFlush, emit: (f: FrameTensor) => void): void {
    if (Number.isNaN(this.tLast) || flush.kind === 'none') return;
    let total: number;
    if (flush.kind === 'tonic') {
      const q = (this.tLast - this.origin - this.w.length) / this.w.stride;
      total = Math.max(1, (flush.includeIncomplete ? Math.ceil(q) : Math.floor(q)) + 1);
    } else {
      total = Math.floor((this.tLast - this.origin) / this.w.stride) + 1;
    }
    while (this.next < total) this.emitWindow(emit);
    this.pending.length = 0;
  }

  private start(k: number): number {
    return k * this.w.stride + this.origin;
  }

  private emitUntil(tMax: number, emit: (f: FrameTensor) => void): void {
    const maxEmpty = this.w.maxEmptyWindows ?? Infinity;
    while (this.start(this.next) + this.w.length <= tMax) {
      if (maxEmpty < Infinity && this.skipPause(tMax, maxEmpty)) continue;
      this.emitWindow(emit);
    }
  }

  /** A pause: if the next event lies more than `maxEmpty` windows ahead, jumps close to it. */
  private skipPause(tMax: number, maxEmpty: number): boolean {
    const firstPending = this.firstEventFrom(this.start(this.next), tMax);
    const firstUseful = Math.max(0, Math.floor((firstPending - this.origin - this.w.length) / this.w.stride) + 1);
    if (firstUseful - this.next <= maxEmpty) return false;
    const skipTo = firstUseful - maxEmpty;
    this.skippedWindows += skipTo - this.next;
    this.next = skipTo;
    return true;
  }

  /**
   * Time of the first pending event at or after `time` (`fallback` if none). Not simply the
   * oldest pending event: a batch stays pending while it reaches the open window, and a pause
   * may lie inside it.
   */
  private firstEventFrom(time: number, fallback: number): number {
    for (const b of this.pending) {
      if (b.t[b.length - 1]! >= time) return b.t[lowerBoundTime(b.t, time)]!;
    }
    return fallback;
  }

  /** Frame of window k with every pending batch added (incrementally for contiguous windows). */
  private fold(k: number): FrameTensor {
    const { length, bins } = this.w;
    const a = this.start(k);
    if (this.openIndex !== k || !this.open) {
      const tStart = new Float64Array(bins), tEnd = new Float64Array(bins);
      for (let j = 0; j < bins; j++) {
        tStart[j] = a + (j * length) / bins;
        tEnd[j] = j === bins - 1 ? a + length : a + ((j + 1) * length) / bins;
      }
      this.open = allocateFrames(bins, this.frameSensor!, tStart, tEnd);
      this.openIndex = k;
      this.openFolded = 0;
    }
    const frames = this.open;
    const sensor = this.frameSensor!;
    const frameSize = sensor.width * sensor.height * 2;
    for (let i = this.openFolded; i < this.pending.length; i++) {
      const b = this.pending[i]!;
      if (b.t[b.length - 1]! < a) continue;
      let lo = lowerBoundTime(b.t, a);
      for (let j = 0; j < bins && lo < b.length; j++) {
        const hi = lowerBoundTime(b.t, frames.tEnd[j]!, lo);
        if (hi > lo) this.acc.accumulate(b, lo, hi, frames.data, j * frameSize, sensor, this.down);
        lo = hi;
      }
    }
    this.openFolded = this.pending.length;
    return frames;
  }

  private emitWindow(emit: (f: FrameTensor) => void): void {
    const a = this.start(this.next);
    const frames = this.fold(this.next);
    this.open = null;
    emit(withAnnotations(frames, this.pending, a, a + this.w.length));
    this.next++;
    // Drop what no later window can need.
    const nextStart = this.start(this.next);
    let drop = 0;
    while (drop < this.pending.length && this.pending[drop]!.t[this.pending[drop]!.length - 1]! < nextStart) drop++;
    if (drop > 0) this.pending.splice(0, drop);
  }
}

/**
 * Tonic's event-count slicing over a stream: slice k holds the events with global indices
 * [k stride, k stride + count); at the end Tonic's count rule decides about the tail.
 */
export class CountWindower {
  private readonly pending: Array<{ batch: EventBatch; offset: number }> = [];
  private readonly acc = new FrameAccumulator();
  private received = 0;
  private next = 0;
  private sensor: SensorGeometry | undefined;
  /** Geometry of the frames: the sensor's, or its downsampled one. */
  private frameSensor: SensorGeometry | undefined;
  private readonly down: Downsampler | undefined;

  /** `downsample`: integer spatial factor fused into binning, as `TimeWindowing.downsample`. */
  constructor(private readonly count: number, private readonly stride: number, downsample?: number) {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`windows: eventCount must be an integer >= 1, got ${count}`);
    if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`windows: event stride must be an integer >= 1, got ${stride}`);
    this.down = fusedDownsampler(downsample);
  }

  push(batch: EventBatch, emit: (f: FrameTensor) => void): void {
    if (batch.length === 0) return;
    checkSameSensor(this.sensor, batch);
    if (!this.sensor) this.frameSensor = this.down ? this.down.sensorOf(batch.sensor) : batch.sensor;
    this.sensor = batch.sensor;
    this.pending.push({ batch, offset: this.received });
    this.received += batch.length;
    while (this.next * this.stride + this.count <= this.received) this.emitSlice(this.next * this.stride, this.next * this.stride + this.count, emit);
  }

  finish(includeIncomplete: boolean, emit: (f: FrameTensor) => void): void {
    const n = this.received;
    if (n === 0) return;
    const size = Math.min(this.count, n);
    const q = (n - size) / this.stride;
    const total = (includeIncomplete ? Math.ceil(q) : Math.floor(q)) + 1;
    while (this.next < total) {
      const a = Math.min(n, this.next * this.stride);
      this.emitSlice(a, Math.min(n, this.next * this.stride + size), emit);
    }
    this.pending.length = 0;
  }

  private emitSlice(a: number, b: number, emit: (f: FrameTensor) => void): void {
    const sensor = this.frameSensor!;
    const frames = allocateFrames(1, sensor);
    let tFirst = NaN, tLast = NaN;
    for (const { batch, offset } of this.pending) {
      const lo = Math.max(a, offset) - offset;
      const hi = Math.min(b, offset + batch.length) - offset;
      if (hi <= lo) continue;
      if (Number.isNaN(tFirst)) tFirst = batch.t[lo]!;
      tLast = batch.t[hi - 1]!;
      this.acc.accumulate(batch, lo, hi, frames.data, 0, sensor, this.down);
    }
    frames.tStart[0] = tFirst;
    frames.tEnd[0] = tLast + 1;
    emit(withAnnotations(frames, this.pending.map((e) => e.batch), tFirst, tLast + 1));
    this.next++;
    const nextStart = this.next * this.stride;
    let drop = 0;
    while (drop < this.pending.length && this.pending[drop]!.offset + this.pending[drop]!.batch.length <= nextStart) drop++;
    if (drop > 0) this.pending.splice(0, drop);
  }
}

/** Throws when `batch` comes from another sensor than the stream's first batch (`first`). */
export function checkSameSensor(first: SensorGeometry | undefined, batch: EventBatch): void {
  if (first && !sameGeometry(first, batch.sensor)) {
    throw new RangeError(`windows: sensor changed mid-stream from ${first.width}x${first.height} to ${batch.sensor.width}x${batch.sensor.height}`);
  }
}

/** The `Downsampler` of an optional fused factor (undefined for 1), validated. */
function fusedDownsampler(f = 1): Downsampler | undefined {
  if (!Number.isInteger(f) || f < 1) throw new RangeError(`windows: downsample must be an integer >= 1, got ${f}`);
  return f > 1 ? downsamplerFor(f) : undefined;
}

function withAnnotations(frames: FrameTensor, batches: Iterable<EventBatch>, start: number, end: number): FrameTensor {
  const annotations = annotationsOverlapping(batches, start, end);
  return annotations ? Object.assign(frames, { annotations }) : frames;
}
