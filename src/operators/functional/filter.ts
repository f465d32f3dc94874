import type { EventBatch, SensorGeometry } from '../../events/index.js';

/**
 * The one interface every event filter implements (dv-processing style), so filters chain and
 * the RxJS operators stay thin. `filter` never mutates its input; it returns the input itself
 * when every event is kept, otherwise a new batch. Stateful filters keep per-pixel state across
 * calls until `reset()`.
 */
export interface EventFilter {
  filter(batch: EventBatch): EventBatch;
  /** Forgets all state (as if newly created); counters are kept. */
  reset(): void;
  readonly stats: FilterStats;
}

/** Counters of one filter instance; `seen - kept` events were removed. */
export interface FilterStats {
  seen: number;
  kept: number;
}

export function newFilterStats(): FilterStats {
  return { seen: 0, kept: 0 };
}

/**
 * Reusable Int32 index scratch for the keep-list of a filter pass: grows to the largest batch
 * seen, so the hot loop never allocates.
 */
export class IndexScratch {
  private buf = new Int32Array(0);

  get(n: number): Int32Array {
    if (this.buf.length < n) this.buf = new Int32Array(Math.max(n, this.buf.length * 2, 1024));
    return this.buf;
  }
}

/**
 * Copies the events at `keep[0..count)` (increasing indices) into a new exactly-sized batch.
 * Returns `batch` itself when nothing was removed (no copy), so lossless passes are free. When
 * only a few events were removed, the kept runs are copied with `TypedArray#set` (memcpy)
 * instead of event by event.
 */
export function gather(batch: EventBatch, keep: Int32Array, count: number, sensor: SensorGeometry = batch.sensor): EventBatch {
  const n = batch.length;
  if (count === n && sensor === batch.sensor) return batch;
  const out = allocateFilterOutput(count, sensor);
  if (count > 0 && n - count <= n >>> 5) {
    copyRuns(batch, keep, count, out);
    return out;
  }
  const { x, y, t, p } = batch;
  const ox = out.x, oy = out.y, ot = out.t, op = out.p;
  for (let k = 0; k < count; k++) {
    const i = keep[k]!;
    ox[k] = x[i]!;
    oy[k] = y[i]!;
    ot[k] = t[i]!;
    op[k] = p[i]!;
  }
  return out;
}

/**
 * The first `count` events of `cols` (columns at least that long) as a new exactly-sized batch,
 * or `batch` itself when nothing was removed.
 */
export function copyKept(batch: EventBatch, cols: { x: Uint16Array; y: Uint16Array; t: Float64Array; p: Uint8Array }, count: number): EventBatch {
  if (count === batch.length) return batch;
  const out = allocateFilterOutput(count, batch.sensor);
  out.x.set(cols.x.subarray(0, count));
  out.y.set(cols.y.subarray(0, count));
  out.t.set(cols.t.subarray(0, count));
  out.p.set(cols.p.subarray(0, count));
  return out;
}

/**
 * A batch whose four columns share one uninitialised ArrayBuffer ([t | x | y | p], t first so
 * every column is aligned): one allocation instead of four and no zero-filling, which is most
 * of the cost of a fresh output on this path. Callers must write every element.
 */
export function allocateFilterOutput(n: number, sensor: SensorGeometry): EventBatch {
  const buf = Buffer.allocUnsafeSlow(13 * n).buffer;
  return {
    t: new Float64Array(buf, 0, n),
    x: new Uint16Array(buf, 8 * n, n),
    y: new Uint16Array(buf, 10 * n, n),
    p: new Uint8Array(buf, 12 * n, n),
    length: n,
    sensor,
  };
}

/**
 * Ends a fused filter pass that wrote every event into `out` (from `allocateFilterOutput(batch.length)`)
 * at the output position, advancing it only for kept events. Returns `batch` itself when nothing
 * was removed; views of the first `count` events when at least a quarter were kept (no copy: the
 * unused tail costs at most 3x the kept bytes and is freed with the batch); otherwise an
 * exactly-sized copy, so a sparse result does not pin the whole buffer.
 */
export function keptPrefix(batch: EventBatch, out: EventBatch, count: number): EventBatch {
  if (count === batch.length) return batch;
  if (count >= batch.length >>> 2) {
    return { t: out.t.subarray(0, count), x: out.x.subarray(0, count), y: out.y.subarray(0, count), p: out.p.subarray(0, count), length: count, sensor: batch.sensor };
  }
  return copyKept(batch, out, count);
}

/** Copies the maximal runs of consecutive indices in keep[0..count) into `out`. */
function copyRuns(batch: EventBatch, keep: Int32Array, count: number, out: EventBatch): void {
  const { x, y, t, p } = batch;
  let j = 0;
  let o = 0;
  while (j < count) {
    const start = keep[j++]!;
    let end = start + 1;
    while (j < count && keep[j] === end) {
      end++;
      j++;
    }
    out.x.set(x.subarray(start, end), o);
    out.y.set(y.subarray(start, end), o);
    out.t.set(t.subarray(start, end), o);
    out.p.set(p.subarray(start, end), o);
    o += end - start;
  }
}

/** Checks a sensor geometry is usable for per-pixel maps (named field in the error). */
export function checkSensor(sensor: SensorGeometry, who: string): void {
  if (!Number.isInteger(sensor.width) || !Number.isInteger(sensor.height) || sensor.width <= 0 || sensor.height <= 0) {
    throw new RangeError(`${who}: sensor geometry must be positive integers, got ${sensor.width}x${sensor.height}`);
  }
}

/** Wraps a stateless batch transform as an `EventFilter` (counts seen / kept). */
export function statelessFilter(fn: (batch: EventBatch, scratch: IndexScratch) => EventBatch): EventFilter {
  const scratch = new IndexScratch();
  const stats = newFilterStats();
  return {
    stats,
    reset() {},
    filter(batch) {
      const out = fn(batch, scratch);
      stats.seen += batch.length;
      stats.kept += out.length;
      return out;
    },
  };
}
