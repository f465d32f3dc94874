import { type EventBatch, type SensorGeometry } from '../events/index.js';

/**
 * Growable struct-of-arrays event accumulator for producers (the simulator) that do not know
 * their output size in advance. `take()` hands the filled prefix out as an owned EventBatch and
 * starts over, so emitted batches are never written again.
 */
export class EventBuffer {
  x: Uint16Array;
  y: Uint16Array;
  t: Float64Array;
  p: Uint8Array;
  length = 0;

  constructor(readonly sensor: SensorGeometry, capacity = 1 << 14) {
    this.x = new Uint16Array(capacity);
    this.y = new Uint16Array(capacity);
    this.t = new Float64Array(capacity);
    this.p = new Uint8Array(capacity);
  }

  /** Makes room for `extra` more events. */
  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.x.length) return;
    let cap = this.x.length * 2;
    while (cap < need) cap *= 2;
    const x = new Uint16Array(cap), y = new Uint16Array(cap), t = new Float64Array(cap), p = new Uint8Array(cap);
    x.set(this.x.subarray(0, this.length));
    y.set(this.y.subarray(0, this.length));
    t.set(this.t.subarray(0, this.length));
    p.set(this.p.subarray(0, this.length));
    this.x = x; this.y = y; this.t = t; this.p = p;
  }

  /** The events gathered so far as a batch with its own memory; the buffer is emptied. */
  take(): EventBatch {
    const n = this.length;
    const batch: EventBatch = {
      x: this.x.slice(0, n),
      y: this.y.slice(0, n),
      t: this.t.slice(0, n),
      p: this.p.slice(0, n),
      length: n,
      sensor: this.sensor,
    };
    this.length = 0;
    return batch;
  }
}
