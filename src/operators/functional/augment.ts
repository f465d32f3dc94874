/**
 * Event-level augmentations for training, as plain functions over time-sorted batches at full
 * sensor resolution (before any downsampling, so a sub-pixel scale or rotation still moves
 * events between downsampled cells). Every function takes its parameters explicitly (the caller
 * draws them from a seeded source), returns a new time-sorted batch on the same sensor and never
 * writes into its input; events a transform moves off the sensor are dropped, never clamped.
 *
 * A mirror (orient 'flipX') changes what a gesture means: `mirrorLabelMap` gives the class each
 * class becomes.
 */
import { allocateBatch, lowerBoundTime, sliceBatch, type EventBatch } from '../../events/index.js';
import { gather, IndexScratch } from './filter.js';
import type { Region } from './spatial.js';

/** Kept-index buffer reused across calls (gather copies out of it): large allocations are slow. */
const scratch = new IndexScratch();

export interface AffineParams {
  /** Zoom about the sensor centre (> 1 enlarges the scene). */
  scale: number;
  /** Rotation about the sensor centre, degrees, clockwise as seen in the image (y points down). */
  angleDeg: number;
  /** Translation after scale and rotation, pixels (may be fractional). */
  dx: number;
  dy: number;
}

/**
 * Scales, rotates and translates event coordinates about the sensor centre, rounding to the
 * nearest pixel; events that land off the sensor are dropped. Scaling up leaves gaps between
 * mapped pixels, which the later downsampling fills when the scale is below the factor.
 */
export function affine(batch: EventBatch, a: AffineParams): EventBatch {
  const { width: W, height: H } = batch.sensor;
  if (!(a.scale > 0) || !Number.isFinite(a.angleDeg) || !Number.isFinite(a.dx) || !Number.isFinite(a.dy)) {
    throw new RangeError(`affine: scale must be > 0 and angle / dx / dy finite, got ${JSON.stringify(a)}`);
  }
  const rad = (a.angleDeg * Math.PI) / 180;
  const c = a.scale * Math.cos(rad);
  const s = a.scale * Math.sin(rad);
  const cx = (W - 1) / 2;
  const cy = (H - 1) / 2;
  const n = batch.length;
  const out = allocateBatch(n, batch.sensor);
  const { x, y, t, p } = batch;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const u = x[i]! - cx;
    const v = y[i]! - cy;
    const nx = Math.round(cx + c * u - s * v + a.dx);
    const ny = Math.round(cy + s * u + c * v + a.dy);
    if (nx < 0 || ny < 0 || nx >= W || ny >= H) continue;
    out.x[k] = nx;
    out.y[k] = ny;
    out.t[k] = t[i]!;
    out.p[k] = p[i]!;
    k++;
  }
  return sliceBatch(out, 0, k);
}

/** Drops each event independently with probability `prob` (EventDrop's random drop). */
export function dropRandom(batch: EventBatch, prob: number, rand: () => number): EventBatch {
  checkFraction('dropRandom: prob', prob);
  const keep = scratch.get(batch.length);
  let k = 0;
  for (let i = 0; i < batch.length; i++) if (rand() >= prob) keep[k++] = i;
  return gather(batch, keep, k);
}

/** Drops the events with start <= t < end (EventDrop's drop by time). */
export function dropTimeSpan(batch: EventBatch, start: number, end: number): EventBatch {
  const s = lowerBoundTime(batch.t, start);
  const e = lowerBoundTime(batch.t, end, s);
  if (e === s) return batch;
  const keep = scratch.get(batch.length - (e - s));
  let k = 0;
  for (let i = 0; i < s; i++) keep[k++] = i;
  for (let i = e; i < batch.length; i++) keep[k++] = i;
  return gather(batch, keep, k);
}

/** Drops the events inside `box` (EventDrop's drop by area). */
export function dropRegion(batch: EventBatch, box: Region): EventBatch {
  const keep = scratch.get(batch.length);
  let k = 0;
  const { x, y } = batch;
  for (let i = 0; i < batch.length; i++) if (!inside(x[i]!, y[i]!, box)) keep[k++] = i;
  return gather(batch, keep, k);
}

/** Swaps ON and OFF (a light subject on a dark scene becomes a dark one on a light scene). */
export function invertPolarity(batch: EventBatch): EventBatch {
  const out = allocateBatch(batch.length, batch.sensor);
  out.x.set(batch.x);
  out.y.set(batch.y);
  out.t.set(batch.t);
  for (let i = 0; i < batch.length; i++) out.p[i] = batch.p[i]! ^ 1;
  return out;
}

/**
 * Adds `count` background-activity events, uniform over the sensor, both polarities alike, at
 * integer times uniform in [first, last] event time of the batch, merged in time order.
 */
export function injectNoise(batch: EventBatch, count: number, rand: () => number): EventBatch {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`injectNoise: count must be a non-negative integer, got ${count}`);
  if (count === 0 || batch.length === 0) return batch;
  const { width: W, height: H } = batch.sensor;
  const t0 = batch.t[0]!;
  const span = batch.t[batch.length - 1]! - t0;
  const times = new Float64Array(count);
  for (let i = 0; i < count; i++) times[i] = t0 + Math.floor(rand() * (span + 1));
  times.sort();
  const noise = allocateBatch(count, batch.sensor);
  noise.t.set(times);
  for (let i = 0; i < count; i++) {
    noise.x[i] = Math.floor(rand() * W);
    noise.y[i] = Math.floor(rand() * H);
    noise.p[i] = rand() < 0.5 ? 0 : 1;
  }
  return mergeByTime(batch, noise);
}

/** Scales time about the first event: t' = t0 + round((t - t0) · factor) (factor 2 = half tempo). */
export function timeStretch(batch: EventBatch, factor: number): EventBatch {
  if (!(factor > 0) || !Number.isFinite(factor)) throw new RangeError(`timeStretch: factor must be > 0, got ${factor}`);
  const out = allocateBatch(batch.length, batch.sensor);
  out.x.set(batch.x);
  out.y.set(batch.y);
  out.p.set(batch.p);
  if (batch.length === 0) return out;
  const t0 = batch.t[0]!;
  // Rounding a non-decreasing map keeps the order, so the output stays time-sorted.
  for (let i = 0; i < batch.length; i++) out.t[i] = t0 + Math.round((batch.t[i]! - t0) * factor);
  return out;
}

/**
 * EventMix-style mixing: the events of `base` outside `box` together with those of `other`
 * inside it, `other`'s times shifted by `shiftUs` (default: so both start together). Both must
 * share the sensor.
 */
export function mixRegion(base: EventBatch, other: EventBatch, box: Region, shiftUs?: number): EventBatch {
  if (base.sensor.width !== other.sensor.width || base.sensor.height !== other.sensor.height) {
    throw new RangeError(`mixRegion: sensors differ (${base.sensor.width}x${base.sensor.height} vs ${other.sensor.width}x${other.sensor.height})`);
  }
  const outside = dropRegion(base, box);
  const keep = scratch.get(other.length);
  let k = 0;
  for (let i = 0; i < other.length; i++) if (inside(other.x[i]!, other.y[i]!, box)) keep[k++] = i;
  const pasted = gather(other, keep, k);
  if (pasted.length === 0) return outside;
  if (base.length === 0 && shiftUs === undefined) return pasted;
  const shift = shiftUs ?? base.t[0]! - other.t[0]!;
  const moved = allocateBatch(pasted.length, base.sensor);
  moved.x.set(pasted.x);
  moved.y.set(pasted.y);
  moved.p.set(pasted.p);
  for (let i = 0; i < pasted.length; i++) moved.t[i] = pasted.t[i]! + shift;
  return mergeByTime(outside, moved);
}

/** Merges two time-sorted batches of one sensor (ties: `a`'s events first). */
export function mergeByTime(a: EventBatch, b: EventBatch): EventBatch {
  const n = a.length + b.length;
  const out = allocateBatch(n, a.sensor);
  let i = 0;
  let j = 0;
  for (let k = 0; k < n; k++) {
    const src = j >= b.length || (i < a.length && a.t[i]! <= b.t[j]!) ? a : b;
    const s = src === a ? i++ : j++;
    out.x[k] = src.x[s]!;
    out.y[k] = src.y[s]!;
    out.t[k] = src.t[s]!;
    out.p[k] = src.p[s]!;
  }
  return out;
}

/**
 * The class a mirrored (left-right flipped) sample of each class shows. A mirror turns a subject's
 * right arm into a left arm and reverses every sense of rotation, whichever side "clockwise" is
 * judged from; hand clapping, arm roll, air drums, air guitar and "other" stay themselves (a
 * mirrored guitarist is a left-handed one). Classes not named here (e.g. CIFAR10-DVS) are
 * mirror-invariant.
 */
const MIRRORED: Readonly<Record<string, string>> = {
  right_hand_wave: 'left_hand_wave',
  left_hand_wave: 'right_hand_wave',
  right_arm_clockwise: 'left_arm_counter_clockwise',
  left_arm_counter_clockwise: 'right_arm_clockwise',
  right_arm_counter_clockwise: 'left_arm_clockwise',
  left_arm_clockwise: 'right_arm_counter_clockwise',
};

/** label → label of the mirrored sample, for a list of class names. */
export function mirrorLabelMap(classes: readonly string[]): number[] {
  return classes.map((name, i) => {
    const to = MIRRORED[name];
    if (to === undefined) return i;
    const j = classes.indexOf(to);
    if (j < 0) throw new RangeError(`mirrorLabelMap: class "${name}" mirrors to "${to}", which the class list lacks`);
    return j;
  });
}

function inside(x: number, y: number, box: Region): boolean {
  return x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
}

function checkFraction(what: string, v: number): void {
  if (!(v >= 0 && v <= 1)) throw new RangeError(`${what} must be in [0, 1], got ${v}`);
}
