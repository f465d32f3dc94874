/**
 * Stateless per-event transforms: polarity selection, region-of-interest crop, orientation
 * (flips, rotations, transpose) and spatial downsampling. Plain functions over the typed columns;
 * each returns a new batch (or the input when it is unchanged) and never writes into its input.
 */
import type { EventBatch, SensorGeometry } from '../../events/index.js';
import { allocateBatch } from '../../events/index.js';
import { gather, type IndexScratch } from './filter.js';

/** Keeps the events whose polarity equals `polarity` (0 = OFF, 1 = ON). */
export function selectPolarity(batch: EventBatch, polarity: 0 | 1, scratch: IndexScratch): EventBatch {
  const n = batch.length;
  const keep = scratch.get(n);
  const p = batch.p;
  let k = 0;
  for (let i = 0; i < n; i++) {
    // Branch-free (V8 compiles `cond ? 1 : 0` to a branch, mispredicted on mixed polarities):
    // the index is always written and counts only when (p ^ polarity) - 1 is negative, i.e. p === polarity.
    keep[k] = i;
    k += ((p[i]! ^ polarity) - 1) >>> 31;
  }
  return gather(batch, keep, k);
}

export interface Region {
  /** Left column of the region (inclusive). */
  readonly x: number;
  /** Top row of the region (inclusive). */
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Keeps events inside `roi` and moves them to the region's origin; the output sensor is the
 * region's size. A region reaching past the sensor edge is allowed (it simply receives no events
 * there) so one ROI works for several cameras.
 */
export function cropRegion(batch: EventBatch, roi: Region, scratch: IndexScratch): EventBatch {
  checkRegion(roi);
  const n = batch.length;
  const keep = scratch.get(n);
  const { x, y } = batch;
  const x0 = roi.x, y0 = roi.y, w = roi.width, h = roi.height, w1 = w - 1, h1 = h - 1;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - x0, dy = y[i]! - y0;
    keep[k] = i;
    // Branch-free inside test: 0 <= dx <= w-1 and 0 <= dy <= h-1 iff no operand has its sign bit set.
    k += ((dx | (w1 - dx) | dy | (h1 - dy)) >>> 31) ^ 1;
  }
  const out = allocateBatch(k, { width: w, height: h });
  const { t, p } = batch;
  const ox = out.x, oy = out.y, ot = out.t, op = out.p;
  for (let j = 0; j < k; j++) {
    const i = keep[j]!;
    ox[j] = x[i]! - x0;
    oy[j] = y[i]! - y0;
    ot[j] = t[i]!;
    op[j] = p[i]!;
  }
  return out;
}

function checkRegion(roi: Region): void {
  for (const f of ['x', 'y', 'width', 'height'] as const) {
    const v = roi[f];
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`crop: region.${f} must be an integer in 0..65535, got ${v}`);
  }
  if (roi.width === 0 || roi.height === 0) throw new RangeError(`crop: region must not be empty (${roi.width}x${roi.height})`);
}

/**
 * Orientation changes, named after what happens to the image:
 * - `flipX`: mirror left-right, x' = W-1-x; `flipY`: upside down, y' = H-1-y;
 * - `rotate90`: 90° clockwise, (x', y') = (H-1-y, x), sensor becomes H x W;
 * - `rotate180`: both flips; `rotate270`: 90° counter-clockwise, (x', y') = (y, W-1-x);
 * - `transpose`: (x', y') = (y, x), sensor becomes H x W (SpikingJelly's CIFAR10-DVS orientation).
 */
export type Orientation = 'flipX' | 'flipY' | 'rotate90' | 'rotate180' | 'rotate270' | 'transpose';

export function orient(batch: EventBatch, op: Orientation): EventBatch {
  const n = batch.length;
  const { width: W, height: H } = batch.sensor;
  const swap = op === 'rotate90' || op === 'rotate270' || op === 'transpose';
  const sensor: SensorGeometry = swap ? { width: H, height: W } : batch.sensor;
  const out = allocateBatch(n, sensor);
  out.t.set(batch.t);
  out.p.set(batch.p);
  const { x, y } = batch;
  const ox = out.x, oy = out.y;
  switch (op) {
    case 'flipX':
      oy.set(y);
      for (let i = 0; i < n; i++) ox[i] = W - 1 - x[i]!;
      break;
    case 'flipY':
      ox.set(x);
      for (let i = 0; i < n; i++) oy[i] = H - 1 - y[i]!;
      break;
    case 'rotate180':
      for (let i = 0; i < n; i++) {
        ox[i] = W - 1 - x[i]!;
        oy[i] = H - 1 - y[i]!;
      }
      break;
    case 'rotate90':
      oy.set(x);
      for (let i = 0; i < n; i++) ox[i] = H - 1 - y[i]!;
      break;
    case 'rotate270':
      ox.set(y);
      for (let i = 0; i < n; i++) oy[i] = W - 1 - x[i]!;
      break;
    case 'transpose':
      ox.set(y);
      oy.set(x);
      break;
    default:
      throw new RangeError(`orient: unknown orientation "${op as string}"`);
  }
  return out;
}

/**
 * Integer spatial downsampling: x' = floor(x / fx), y' = floor(y / fy); the sensor becomes
 * ceil(W / fx) x ceil(H / fy). Tonic's `Downsample(spatial_factor = 1/f)` gives the same
 * coordinates but floors the sensor size, which puts the last column out of range when W is not
 * a multiple of f (346 / 4): we round up instead. Lookup tables over the whole uint16 range
 * replace the per-event division.
 */
export class Downsampler {
  /** floor(v / fx) for every uint16 v (shared with fused binning). */
  readonly lutX: Uint16Array;
  readonly lutY: Uint16Array;

  constructor(readonly fx: number, readonly fy: number = fx) {
    for (const [name, f] of [['factor x', fx], ['factor y', fy]] as const) {
      if (!Number.isInteger(f) || f < 1 || f > 0xffff) throw new RangeError(`downsample: ${name} must be an integer >= 1, got ${f}`);
    }
    this.lutX = divisionTable(fx);
    this.lutY = fy === fx ? this.lutX : divisionTable(fy);
  }

  sensorOf(sensor: SensorGeometry): SensorGeometry {
    return { width: Math.ceil(sensor.width / this.fx), height: Math.ceil(sensor.height / this.fy) };
  }

  /** New x and y columns; t and p are the input's own (batches are immutable), not copies. */
  apply(batch: EventBatch): EventBatch {
    const n = batch.length;
    const { x, y } = batch;
    const ox = new Uint16Array(n), oy = new Uint16Array(n), lx = this.lutX, ly = this.lutY;
    for (let i = 0; i < n; i++) {
      ox[i] = lx[x[i]!]!;
      oy[i] = ly[y[i]!]!;
    }
    return { x: ox, y: oy, t: batch.t, p: batch.p, length: n, sensor: this.sensorOf(batch.sensor) };
  }
}

function divisionTable(f: number): Uint16Array {
  const lut = new Uint16Array(0x10000);
  for (let v = 0; v < 0x10000; v++) lut[v] = Math.floor(v / f);
  return lut;
}
