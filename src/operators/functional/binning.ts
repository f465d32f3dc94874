/**
 * Binning events into frames with Tonic's `ToFrame` semantics, as plain functions over typed
 * arrays (the SNN data loader calls these on whole samples; the streaming operators reuse
 * `accumulate`). Output is a `FrameTensor` [T, H, W, C] with C = 2 (0 = OFF, 1 = ON), counts as
 * float32; `toTonicLayout` gives Tonic's [T, P, H, W].
 *
 * Slicing, exactly as Tonic's slicers (t_0 / t_last = first / last event time, n events):
 * - `timeWindow: w` (µs), `overlap: o` (µs), stride s = w - o > 0: window k = [t_0 + k s, t_0 + k s + w).
 *   Count floor((t_last - t_0 - w) / s) + 1, or ceil(...) + 1 with `includeIncomplete`, at least 1.
 *   So a window must end at or before t_last to count as complete, and the events at t_last are
 *   only binned when a window strictly covers them.
 * - `eventCount: c`, `overlap: o` (events), stride s = c - o > 0: slice k = events [k s, k s + min(c, n)).
 *   Count floor((n - min(c, n)) / s) + 1, or ceil(...) + 1 with `includeIncomplete`.
 * - `nTimeBins: N`, `overlap: f` (fraction of a bin, 0 <= f < 1): w = floor((t_last - t_0) / N) (1 + f),
 *   stride w (1 - f), N windows [t_0 + k stride, t_0 + k stride + w). With `range` (ours, not
 *   Tonic's), t_0 and t_last are the range's start and end instead of the first and last event.
 *   **Tail:** Tonic drops events with t >= t_0 + N w, which always includes the event(s) at t_last
 *   (up to N - 1 µs of events plus the last one). We keep that by default so frames equal Tonic's
 *   and models trained with Tonic see the same input; `includeTail: true` adds the overhang to the
 *   last bin instead, so every event is counted.
 * - `nEventBins: N`, `overlap: f`: c = floor(floor(n / N) (1 + f)), stride floor(c (1 - f)),
 *   slice k = events [k stride, k stride + c) clipped to n (the n mod N last events are dropped).
 * Windows are found by binary search on the sorted timestamps (no per-event division).
 * No events: nTimeBins / nEventBins give N empty frames, the others no frame.
 */
import type { EventBatch, FrameTensor, SensorGeometry } from '../../events/index.js';
import { lowerBoundTime } from '../../events/index.js';
import { Downsampler } from './spatial.js';
import { HistogramKernel } from '../wasm/binning-kernels.js';

export interface FrameSpec {
  readonly timeWindow?: number;
  readonly eventCount?: number;
  readonly nTimeBins?: number;
  readonly nEventBins?: number;
  /** µs for timeWindow, events for eventCount, fraction of a bin for nTimeBins / nEventBins. */
  readonly overlap?: number;
  /** timeWindow / eventCount: also emit the last, incomplete slice (Tonic's include_incomplete). */
  readonly includeIncomplete?: boolean;
  /** nTimeBins: put events past the last full bin into the last bin instead of dropping them. */
  readonly includeTail?: boolean;
  /**
   * nTimeBins: split this span, µs, instead of first to last event (events before it are not
   * counted; with includeTail those past it go into the last bin). Fixed steps of a known window,
   * as live inference bins them, however its events are spread.
   */
  readonly range?: { readonly startUs: number; readonly endUs: number };
  /**
   * Integer spatial factor applied while binning (fused: no downsampled copy of the events);
   * frames are ceil(W / f) x ceil(H / f), the same as `Downsampler` then binning.
   */
  readonly downsample?: number;
}

export type FrameMode = 'timeWindow' | 'eventCount' | 'nTimeBins' | 'nEventBins';

/** Validates a spec: exactly one mode, sensible numbers. Returns the mode. */
export function frameMode(spec: FrameSpec): FrameMode {
  const modes = (['timeWindow', 'eventCount', 'nTimeBins', 'nEventBins'] as const).filter((m) => spec[m] !== undefined);
  if (modes.length !== 1) {
    throw new RangeError(`frames: give exactly one of timeWindow, eventCount, nTimeBins, nEventBins (got ${modes.join(', ') || 'none'})`);
  }
  const mode = modes[0]!;
  const v = spec[mode]!;
  if (spec.downsample !== undefined && (!Number.isInteger(spec.downsample) || spec.downsample < 1)) {
    throw new RangeError(`frames: downsample must be an integer >= 1, got ${spec.downsample}`);
  }
  const o = spec.overlap ?? 0;
  if (spec.range !== undefined) {
    if (mode !== 'nTimeBins') throw new RangeError(`frames: range only applies to nTimeBins, not ${mode}`);
    const { startUs, endUs } = spec.range;
    if (!(Number.isFinite(startUs) && Number.isFinite(endUs) && endUs > startUs)) throw new RangeError(`frames: range must be finite with endUs > startUs, got [${startUs}, ${endUs})`);
  }
  if (mode === 'timeWindow') {
    if (!(v > 0)) throw new RangeError(`frames: timeWindow must be > 0 µs, got ${v}`);
    if (!(o >= 0 && o < v)) throw new RangeError(`frames: overlap must be in [0, timeWindow) µs, got ${o}`);
  } else if (mode === 'eventCount') {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`frames: eventCount must be an integer >= 1, got ${v}`);
    if (!Number.isInteger(o) || o < 0 || o >= v) throw new RangeError(`frames: overlap must be an integer in [0, eventCount), got ${o}`);
  } else {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`frames: ${mode} must be an integer >= 1, got ${v}`);
    if (!(o >= 0 && o < 1)) throw new RangeError(`frames: overlap must be a fraction in [0, 1) for ${mode}, got ${o}`);
  }
  return mode;
}

/** Event index ranges [start[k], end[k]) and time windows [tStart[k], tEnd[k]) of each slice. */
export interface Slices {
  readonly count: number;
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly tStart: Float64Array;
  readonly tEnd: Float64Array;
}

/** Tonic's slice metadata for time-sorted timestamps `t` (see the module comment). */
export function sliceIndices(t: Float64Array, spec: FrameSpec): Slices {
  const mode = frameMode(spec);
  const n = t.length;
  const o = spec.overlap ?? 0;
  if (n === 0) {
    const count = mode === 'nTimeBins' || mode === 'nEventBins' ? spec[mode]! : 0;
    return { count, start: new Int32Array(count), end: new Int32Array(count), tStart: new Float64Array(count).fill(NaN), tEnd: new Float64Array(count).fill(NaN) };
  }
  const t0 = spec.range ? spec.range.startUs : t[0]!;
  const tLast = spec.range ? spec.range.endUs : t[n - 1]!;
  if (mode === 'timeWindow' || mode === 'nTimeBins') {
    let window: number, stride: number, count: number;
    if (mode === 'timeWindow') {
      window = spec.timeWindow!;
      stride = window - o;
      const q = (tLast - t0 - window) / stride;
      count = Math.max(1, (spec.includeIncomplete ? Math.ceil(q) : Math.floor(q)) + 1);
    } else {
      count = spec.nTimeBins!;
      window = Math.floor((tLast - t0) / count) * (1 + o);
      stride = window * (1 - o);
    }
    const s = { count, start: new Int32Array(count), end: new Int32Array(count), tStart: new Float64Array(count), tEnd: new Float64Array(count) };
    let lo = 0;
    for (let k = 0; k < count; k++) {
      const a = k * stride + t0;
      const b = a + window;
      // Starts are non-decreasing, so each search starts where the previous one ended.
      lo = lowerBoundTime(t, a, lo);
      s.start[k] = lo;
      s.end[k] = lowerBoundTime(t, b, lo);
      s.tStart[k] = a;
      s.tEnd[k] = b;
    }
    if (mode === 'nTimeBins' && spec.includeTail) {
      s.end[count - 1] = n;
      s.tEnd[count - 1] = Math.max(s.tEnd[count - 1]!, t[n - 1]! + 1);
    }
    return s;
  }
  let size: number, stride: number, count: number;
  if (mode === 'eventCount') {
    const c = spec.eventCount!;
    size = Math.min(c, n);
    stride = c - o;
    const q = (n - size) / stride;
    count = (spec.includeIncomplete ? Math.ceil(q) : Math.floor(q)) + 1;
  } else {
    count = spec.nEventBins!;
    size = Math.floor(Math.floor(n / count) * (1 + o));
    stride = Math.floor(size * (1 - o));
  }
  const s = { count, start: new Int32Array(count), end: new Int32Array(count), tStart: new Float64Array(count), tEnd: new Float64Array(count) };
  for (let k = 0; k < count; k++) {
    const a = Math.min(n, k * stride);
    const b = Math.min(n, k * stride + size);
    s.start[k] = a;
    s.end[k] = b;
    // Event slices span [first event time, last event time + 1 µs); NaN when empty.
    s.tStart[k] = b > a ? t[a]! : NaN;
    s.tEnd[k] = b > a ? t[b - 1]! + 1 : NaN;
  }
  return s;
}

/** Below this many events per frame element, counting straight into float32 beats the histogram pass. */
const SCRATCH_MIN_FILL = 1 / 4;

// The TypeScript loops (small slices' direct adds; everything when the WebAssembly kernel is
// unavailable) read and write module-level constant typed arrays only. V8 (11.x) compiles a
// loop over arrays it knows as constants about 2x tighter than the same loop over arrays passed
// in (measured 830 vs 320 Mev/s counting 128x128x2 events): so each slice is copied, a chunk at a
// time (memcpy, stays in L1), into the scratch columns below and counted from there. Binning is
// synchronous, so one set of scratch arrays per thread is enough.
const CHUNK = 4096;
const SX = new Uint16Array(CHUNK);
const SY = new Uint16Array(CHUNK);
const SP = new Uint8Array(CHUNK);
/** Histogram for grids up to 2^21 cells (1280x720x2 fits); pages are only touched when used. */
const HIST = new Uint32Array(1 << 21);
/** Downsampling tables of the factor last used (copied from the `Downsampler`'s own). */
const LX = new Uint16Array(0x10000);
const LY = new Uint16Array(0x10000);
let lutOf: Downsampler | undefined;

/**
 * Adds the events [start, end) of `batch` to the frame at `offset` of `data` (NHWC, C = 2,
 * geometry `sensor`), i.e. data[offset + (y W + x) 2 + p] += 1. Large slices count into a uint32
 * histogram that is then added to the float32 frame: the WebAssembly kernel's (binning-kernels)
 * when it loads, else `HIST` here; small ones (fewer events than a quarter of the cells) add
 * straight into the frame. Events must lie inside the sensor. Callers reuse one accumulator
 * across calls; `{ wasm: false }` forces the TypeScript loops (the reference in tests).
 */
export class FrameAccumulator {
  private readonly wasm: boolean;

  constructor(options: { wasm?: boolean } = {}) {
    this.wasm = options.wasm ?? true;
  }

  /**
   * `sensor` is the frame geometry; with `down`, coordinates are mapped through its tables first.
   * `fresh`: the frame is known to be all zeros, so the kernel's counts of a large slice are
   * copied in instead of added (a hint: the result is the same).
   */
  accumulate(batch: EventBatch, start: number, end: number, data: Float32Array, offset: number, sensor: SensorGeometry, down?: Downsampler, fresh = false): void {
    const W = sensor.width;
    const cells = W * sensor.height * 2;
    const direct = end - start < cells * SCRATCH_MIN_FILL;
    if (!direct && this.wasm) {
      const wasm = HistogramKernel.shared();
      if (wasm?.clear(cells)) {
        wasm.count(batch, start, end, W, cells, down);
        const counts = wasm.counts(cells);
        if (fresh) data.set(counts, offset);
        else addCounts(counts, data, offset, cells);
        return;
      }
    }
    if (down && lutOf !== down) {
      LX.set(down.lutX);
      LY.set(down.lutY);
      lutOf = down;
    }
    const viaHist = !direct && cells <= HIST.length;
    if (viaHist) HIST.fill(0, 0, cells);
    const { x, y, p } = batch;
    for (let s = start; s < end; s += CHUNK) {
      const e = Math.min(end, s + CHUNK);
      SX.set(x.subarray(s, e));
      SY.set(y.subarray(s, e));
      SP.set(p.subarray(s, e));
      const m = e - s;
      if (!viaHist) {
        if (down) addDirectLut(m, data, offset, W);
        else addDirect(m, data, offset, W);
      } else if (down) countLut(m, W);
      else count(m, W);
    }
    if (viaHist) addCounts(HIST, data, offset, cells);
  }
}

// One small function per loop: V8 optimises each monomorphically (measured ~2x faster than one
// function with the paths inlined).
function count(m: number, W: number): void {
  for (let i = 0; i < m; i++) {
    const k = ((SY[i]! * W + SX[i]!) << 1) | SP[i]!;
    HIST[k] = HIST[k]! + 1;
  }
}

function countLut(m: number, W: number): void {
  for (let i = 0; i < m; i++) {
    const k = ((LY[SY[i]!]! * W + LX[SX[i]!]!) << 1) | SP[i]!;
    HIST[k] = HIST[k]! + 1;
  }
}

function addDirect(m: number, data: Float32Array, offset: number, W: number): void {
  for (let i = 0; i < m; i++) {
    const k = offset + (((SY[i]! * W + SX[i]!) << 1) | SP[i]!);
    data[k] = data[k]! + 1;
  }
}

function addDirectLut(m: number, data: Float32Array, offset: number, W: number): void {
  for (let i = 0; i < m; i++) {
    const k = offset + (((LY[SY[i]!]! * W + LX[SX[i]!]!) << 1) | SP[i]!);
    data[k] = data[k]! + 1;
  }
}

function addCounts(counts: Uint32Array | Float32Array, data: Float32Array, offset: number, cells: number): void {
  for (let k = 0; k < cells; k++) data[offset + k] = data[offset + k]! + counts[k]!;
}

/** Allocates a zeroed tensor of `steps` frames of `sensor`. */
export function allocateFrames(steps: number, sensor: SensorGeometry, tStart?: Float64Array, tEnd?: Float64Array): FrameTensor {
  return {
    data: new Float32Array(steps * sensor.height * sensor.width * 2),
    steps,
    height: sensor.height,
    width: sensor.width,
    channels: 2,
    tStart: tStart ?? new Float64Array(steps),
    tEnd: tEnd ?? new Float64Array(steps),
  };
}

/**
 * Bins a whole, time-sorted batch (one sample) into frames: the plain-function form of
 * `ToFrame`. `accumulator` may be passed in to reuse its histogram across calls.
 *
 * Output: a fresh buffer, unless `into` is given: then the frames are written into its start
 * (each frame zeroed just before it is counted, so it is still in cache) and the tensor's data is
 * a view of it; `into` must hold them all (RangeError naming both sizes otherwise). Reusing the
 * output is the fast way for many frames (event counts, short windows): writing a fresh buffer
 * costs a page fault per 4 KiB the first time, which is most of the time on some VMs.
 */
export function framesFromEvents(batch: EventBatch, spec: FrameSpec, accumulator = new FrameAccumulator(), into?: Float32Array): FrameTensor {
  const slices = sliceIndices(batch.t, spec);
  const down = spec.downsample !== undefined && spec.downsample !== 1 ? downsamplerFor(spec.downsample) : undefined;
  const sensor = down ? down.sensorOf(batch.sensor) : batch.sensor;
  const frameSize = sensor.width * sensor.height * 2;
  const size = slices.count * frameSize;
  if (into && into.length < size) {
    throw new RangeError(`frames: the output buffer holds ${into.length} floats, ${slices.count} frames of ${sensor.width}x${sensor.height}x2 need ${size}`);
  }
  const frames = into
    ? { data: into.subarray(0, size), steps: slices.count, height: sensor.height, width: sensor.width, channels: 2, tStart: slices.tStart, tEnd: slices.tEnd }
    : allocateFrames(slices.count, sensor, slices.tStart, slices.tEnd);
  for (let k = 0; k < slices.count; k++) {
    if (into) into.fill(0, k * frameSize, (k + 1) * frameSize);
    accumulator.accumulate(batch, slices.start[k]!, slices.end[k]!, frames.data, k * frameSize, sensor, down, true);
  }
  return frames;
}

/** Downsamplers are immutable (two 128 KiB tables): keep the few factors in use. */
const downsamplers = new Map<number, Downsampler>();
export function downsamplerFor(f: number): Downsampler {
  let d = downsamplers.get(f);
  if (!d) downsamplers.set(f, (d = new Downsampler(f)));
  return d;
}

/** Tonic's layout: float32 [T, P, H, W] from our [T, H, W, C]. */
export function toTonicLayout(frames: FrameTensor): Float32Array {
  const { steps: T, height: H, width: W, channels: C, data } = frames;
  const out = new Float32Array(data.length);
  const plane = H * W;
  for (let s = 0; s < T; s++) {
    const base = s * plane * C;
    for (let c = 0; c < C; c++) {
      const o = base + c * plane;
      for (let j = 0; j < plane; j++) out[o + j] = data[base + j * C + c]!;
    }
  }
  return out;
}
