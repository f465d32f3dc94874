/**
 * The canonical in-memory event representation: a struct of arrays.
 *
 * Coordinates follow the image convention (x = column from the left, y = row from the top),
 * `p` is 1 for ON and 0 for OFF, and `t` holds integer microseconds in a Float64Array (exact up
 * to 2^53, which covers absolute Unix-µs timestamps). Batches are immutable once emitted:
 * operators return new batches or subarray views and never write into their input.
 */
export interface SensorGeometry {
  readonly width: number;
  readonly height: number;
}

export interface EventBatch {
  readonly x: Uint16Array;
  readonly y: Uint16Array;
  readonly t: Float64Array;
  readonly p: Uint8Array;
  readonly length: number;
  readonly sensor: SensorGeometry;
}

/** Allocates a zero-filled batch of `length` events (for decoders that fill it in place). */
export function allocateBatch(length: number, sensor: SensorGeometry): EventBatch {
  return {
    x: new Uint16Array(length),
    y: new Uint16Array(length),
    t: new Float64Array(length),
    p: new Uint8Array(length),
    length,
    sensor,
  };
}

/** Wraps existing columns as a batch after checking that their lengths agree. */
export function eventBatch(
  columns: { x: Uint16Array; y: Uint16Array; t: Float64Array; p: Uint8Array },
  sensor: SensorGeometry,
): EventBatch {
  const length = columns.x.length;
  if (columns.y.length !== length || columns.t.length !== length || columns.p.length !== length) {
    throw new RangeError(
      `event columns differ in length: x=${length} y=${columns.y.length} t=${columns.t.length} p=${columns.p.length}`,
    );
  }
  return { ...columns, length, sensor };
}

/** Builds a batch from plain arrays (tests, small hand-written inputs). */
export function batchFromArrays(
  events: { x: ArrayLike<number>; y: ArrayLike<number>; t: ArrayLike<number>; p: ArrayLike<number> },
  sensor: SensorGeometry,
): EventBatch {
  return eventBatch(
    {
      x: Uint16Array.from(events.x),
      y: Uint16Array.from(events.y),
      t: Float64Array.from(events.t),
      p: Uint8Array.from(events.p),
    },
    sensor,
  );
}

/** A view of events [start, end) sharing memory with `batch` (no copy). */
export function sliceBatch(batch: EventBatch, start: number, end: number = batch.length): EventBatch {
  const s = Math.max(0, Math.min(start, batch.length));
  const e = Math.max(s, Math.min(end, batch.length));
  if (s === 0 && e === batch.length) return batch;
  return {
    x: batch.x.subarray(s, e),
    y: batch.y.subarray(s, e),
    t: batch.t.subarray(s, e),
    p: batch.p.subarray(s, e),
    length: e - s,
    sensor: batch.sensor,
  };
}

/** Concatenates batches of the same sensor into one newly allocated batch. */
export function concatBatches(batches: readonly EventBatch[], sensor?: SensorGeometry): EventBatch {
  const geometry = sensor ?? batches[0]?.sensor;
  if (!geometry) throw new RangeError('concatBatches needs at least one batch or a sensor');
  if (batches.length === 1) return batches[0]!;
  let total = 0;
  for (const b of batches) total += b.length;
  const out = allocateBatch(total, geometry);
  let offset = 0;
  for (const b of batches) {
    out.x.set(b.x, offset);
    out.y.set(b.y, offset);
    out.t.set(b.t, offset);
    out.p.set(b.p, offset);
    offset += b.length;
  }
  return out;
}

/** Index of the first event with t >= time (binary search; `t` must be non-decreasing). */
export function lowerBoundTime(t: Float64Array, time: number, from = 0, to = t.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** View of the events with tStart <= t < tEnd of a time-sorted batch. */
export function sliceByTime(batch: EventBatch, tStart: number, tEnd: number): EventBatch {
  const s = lowerBoundTime(batch.t, tStart);
  const e = lowerBoundTime(batch.t, tEnd, s);
  return sliceBatch(batch, s, e);
}

/** Index of the first event whose timestamp is smaller than its predecessor's, or -1. */
export function firstTimeInversion(batch: EventBatch): number {
  const t = batch.t;
  for (let i = 1; i < batch.length; i++) if (t[i]! < t[i - 1]!) return i;
  return -1;
}

export function sameGeometry(a: SensorGeometry, b: SensorGeometry): boolean {
  return a.width === b.width && a.height === b.height;
}
