import type { EventBatch } from './event-batch.js';

/** Reference checksum modulus of the event-format spec §1.1: 2^61 − 1. */
export const CHECKSUM_MODULUS = (1n << 61n) - 1n;

/** Largest chunk whose partial sums stay exact in a double (spatial terms < 2^33 per event). */
const EXACT_CHUNK = 1 << 17;

/**
 * Running statistics of an event stream, as the fixture READMEs and `spikeline info` report
 * them: count, first/last timestamp (file order), coordinate ranges, ON count and the
 * order-independent checksum Σ(x·7919 + y·104729 + p·15485863 + t) mod (2^61 − 1).
 */
export class EventSummary {
  events = 0;
  on = 0;
  tFirst = Number.NaN;
  tLast = Number.NaN;
  xMin = Infinity;
  xMax = -Infinity;
  yMin = Infinity;
  yMax = -Infinity;
  private sum = 0n;

  add(batch: EventBatch): this {
    const n = batch.length;
    if (n === 0) return this;
    const { x, y, t, p } = batch;
    if (this.events === 0) this.tFirst = t[0]!;
    this.tLast = t[n - 1]!;
    for (let start = 0; start < n; start += EXACT_CHUNK) {
      const end = Math.min(n, start + EXACT_CHUNK);
      // Timestamps are summed as offsets from the chunk's first one so the double stays exact.
      const t0 = t[start]!;
      let spatial = 0;
      let dt = 0;
      let dtMaxAbs = 0;
      let on = 0;
      let xMin = this.xMin, xMax = this.xMax, yMin = this.yMin, yMax = this.yMax;
      for (let i = start; i < end; i++) {
        const xi = x[i]!, yi = y[i]!, pi = p[i]!;
        spatial += xi * 7919 + yi * 104729 + pi * 15485863;
        const d = t[i]! - t0;
        dt += d;
        if (d > dtMaxAbs) dtMaxAbs = d;
        else if (-d > dtMaxAbs) dtMaxAbs = -d;
        on += pi;
        if (xi < xMin) xMin = xi;
        if (xi > xMax) xMax = xi;
        if (yi < yMin) yMin = yi;
        if (yi > yMax) yMax = yi;
      }
      this.xMin = xMin; this.xMax = xMax; this.yMin = yMin; this.yMax = yMax;
      this.on += on;
      const dtSum = dtMaxAbs * (end - start) < Number.MAX_SAFE_INTEGER ? BigInt(dt) : exactOffsetSum(t, start, end, t0);
      this.sum = (this.sum + BigInt(spatial) + dtSum + BigInt(t0) * BigInt(end - start)) % CHECKSUM_MODULUS;
    }
    this.events += n;
    return this;
  }

  /** The checksum as a non-negative BigInt (negative timestamps are reduced mod 2^61 − 1). */
  get checksum(): bigint {
    return ((this.sum % CHECKSUM_MODULUS) + CHECKSUM_MODULUS) % CHECKSUM_MODULUS;
  }

  toJSON(): Record<string, number | string | null> {
    const empty = this.events === 0;
    return {
      events: this.events,
      t_first: empty ? null : this.tFirst,
      t_last: empty ? null : this.tLast,
      x_min: empty ? null : this.xMin,
      x_max: empty ? null : this.xMax,
      y_min: empty ? null : this.yMin,
      y_max: empty ? null : this.yMax,
      on: this.on,
      checksum: this.checksum.toString(),
    };
  }
}

/** Slow exact path for chunks spanning so much time that a double sum could round. */
function exactOffsetSum(t: Float64Array, start: number, end: number, t0: number): bigint {
  let sum = 0n;
  for (let i = start; i < end; i++) sum += BigInt(t[i]! - t0);
  return sum;
}
