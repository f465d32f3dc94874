import type { EventBatch, SensorGeometry } from '../events/index.js';

/**
 * Output columns a decoder fills. With `reuse`, the same arrays are handed out again on the
 * next call (emitted batches are then views valid only until the decoder's next push/end — the
 * zero-allocation mode for hot loops that consume a batch before pulling the next one);
 * otherwise every call gets fresh arrays that the emitted batch owns.
 */
export class OutputColumns {
  x: Uint16Array = new Uint16Array(0);
  y: Uint16Array = new Uint16Array(0);
  t: Float64Array = new Float64Array(0);
  p: Uint8Array = new Uint8Array(0);

  constructor(private readonly reuse: boolean) {}

  /** Makes room for `capacity` events (capacity is bounded by bytes actually received). */
  reserve(capacity: number): void {
    if (this.reuse && this.x.length >= capacity) return;
    const c = this.reuse ? Math.max(capacity, this.x.length * 2) : capacity;
    this.x = new Uint16Array(c);
    this.y = new Uint16Array(c);
    this.t = new Float64Array(c);
    this.p = new Uint8Array(c);
  }

  /** Batch of the first `n` events (views; fresh arrays are trimmed to `n` lazily by subarray). */
  batch(n: number, sensor: SensorGeometry): EventBatch {
    return {
      x: this.x.subarray(0, n),
      y: this.y.subarray(0, n),
      t: this.t.subarray(0, n),
      p: this.p.subarray(0, n),
      length: n,
      sensor,
    };
  }
}

/** Grows `cols` to hold `capacity` events keeping the first `keep` (geometric growth). */
export function growColumns(cols: OutputColumns, capacity: number, keep: number): void {
  if (cols.x.length >= capacity) return;
  const c = Math.max(capacity, cols.x.length * 2, 1024);
  const x = new Uint16Array(c), y = new Uint16Array(c), t = new Float64Array(c), p = new Uint8Array(c);
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
