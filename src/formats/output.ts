import { sliceBatch, type EventBatch, type SensorGeometry } from '../events/index.js';

/**
 * Output columns a decoder fills. reserve() hands out fresh arrays, as the batches emitted from
 * the previous ones own them: a caller may keep any batch for as long as it likes (a decoder that
 * wrote into arrays it had already emitted would corrupt batches still in use, as `info` did when
 * one push returned two batches). Only a decoder that emits no batches at all (folding into a
 * summary, ChunkDecoder.foldInto) reuses them.
 */
export class OutputColumns {
  x: Uint16Array = new Uint16Array(0);
  y: Uint16Array = new Uint16Array(0);
  t: Float64Array = new Float64Array(0);
  p: Uint8Array = new Uint8Array(0);

  /**
   * Columns from reserve() for a batch to hand out: not zero-filled (see allocateColumns), so
   * batch() clears or drops what the caller did not write.
   */
  private fresh = false;

  /**
   * Columns for `capacity` events (bounded by bytes actually received): fresh ones, or with
   * `reuse` (no batch of them was emitted) the current ones when large enough.
   */
  reserve(capacity: number, reuse = false): void {
    if (reuse && this.x.length >= capacity) return;
    Object.assign(this, allocateColumns(reuse ? Math.max(capacity, this.x.length * 2) : capacity, false));
    this.fresh = !reuse;
  }

  /**
   * Batch of the first `n` events, which the caller has written: views of arrays no later call
   * writes to. Of fresh columns (reserve() without reuse) the unused rest is zeroed, so no stale
   * heap bytes are reachable through `.buffer`; when the events fill less than half of them the
   * batch is an exact copy instead (a read of mostly frame or IMU packets would otherwise keep a
   * large allocation alive for a few events).
   */
  batch(n: number, sensor: SensorGeometry): EventBatch {
    const view = {
      x: this.x.subarray(0, n),
      y: this.y.subarray(0, n),
      t: this.t.subarray(0, n),
      p: this.p.subarray(0, n),
      length: n,
      sensor,
    };
    if (this.fresh && n < this.x.length) {
      if (n < this.x.length / 2) return copyBatch(view);
      this.x.fill(0, n);
      this.y.fill(0, n);
      this.t.fill(0, n);
      this.p.fill(0, n);
    }
    this.fresh = false;
    return view;
  }
}

/**
 * Columns for `capacity` events in one ArrayBuffer ([t | x | y | p], t first for alignment): one
 * allocation per batch instead of four, since every batch gets memory of its own.
 *
 * With `zeroed` false the memory is not cleared (Buffer.allocUnsafeSlow: malloc instead of
 * calloc), for callers that write every event before anyone can see it: owned batches are
 * mostly served from memory malloc got back from earlier, collected batches, which calloc would
 * clear in a pass over 13 bytes per event that the decoder then overwrites.
 */
export function allocateColumns(capacity: number, zeroed = true): { x: Uint16Array; y: Uint16Array; t: Float64Array; p: Uint8Array } {
  const buf = zeroed ? new ArrayBuffer(capacity * 13) : Buffer.allocUnsafeSlow(capacity * 13).buffer;
  return {
    t: new Float64Array(buf, 0, capacity),
    x: new Uint16Array(buf, capacity * 8, capacity),
    y: new Uint16Array(buf, capacity * 10, capacity),
    p: new Uint8Array(buf, capacity * 12, capacity),
  };
}

/** Grows `cols` to hold `capacity` events keeping the first `keep` (geometric growth). */
export function growColumns(cols: OutputColumns, capacity: number, keep: number): void {
  if (cols.x.length >= capacity) return;
  const c = Math.max(capacity, cols.x.length * 2, 1024);
  const { x, y, t, p } = allocateColumns(c);
  if (keep > 0) {
    x.set(cols.x.subarray(0, keep));
    y.set(cols.y.subarray(0, keep));
    t.set(cols.t.subarray(0, keep));
    p.set(cols.p.subarray(0, keep));
  }
  cols.x = x;
  cols.y = y;
  cols.t = t;
  cols.p = p;
}

/** Index of the first event of `batch` outside its sensor (x >= width or y >= height), else its length. */
export function firstOutside(batch: EventBatch): number {
  const { x, y, length } = batch;
  const w = batch.sensor.width, h = batch.sensor.height;
  for (let i = 0; i < length; i++) if (x[i]! >= w || y[i]! >= h) return i;
  return length;
}

/**
 * Removes the events outside the sensor from a batch the decoder still owns (not yet emitted),
 * compacting its columns in place from `from` (the first outside event). Returns the kept events.
 */
export function dropOutside(batch: EventBatch, from: number): EventBatch {
  const { x, y, t, p } = batch;
  const w = batch.sensor.width, h = batch.sensor.height;
  let k = from;
  for (let i = from; i < batch.length; i++) {
    const xi = x[i]!, yi = y[i]!;
    if (xi >= w || yi >= h) continue;
    x[k] = xi;
    y[k] = yi;
    t[k] = t[i]!;
    p[k] = p[i]!;
    k++;
  }
  return sliceBatch(batch, 0, k);
}

/** A batch owning copies of `batch`'s events (for views of memory the decoder reuses). */
export function copyBatch(batch: EventBatch): EventBatch {
  const n = batch.length;
  const cols = allocateColumns(n, false);
  cols.x.set(batch.x.subarray(0, n));
  cols.y.set(batch.y.subarray(0, n));
  cols.t.set(batch.t.subarray(0, n));
  cols.p.set(batch.p.subarray(0, n));
  return { ...cols, length: n, sensor: batch.sensor };
}
