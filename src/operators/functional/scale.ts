/**
 * Spatial rescaling between sensor sizes by any ratio, each axis on its own: x' = floor(x * W' / W),
 * y' = floor(y * H' / H). Every event is kept; shrinking merges source pixels into one target
 * pixel (its counts add up), growing leaves target pixels empty. The aspect ratio is not kept
 * when W'/W differs from H'/H. Lookup tables over the uint16 range replace the per-event math.
 */
import type { EventBatch, SensorGeometry } from '../../events/index.js';
import { allocateBatch } from '../../events/index.js';

export class Rescaler {
  private readonly lutX: Uint16Array;
  private readonly lutY: Uint16Array;

  constructor(
    readonly from: SensorGeometry,
    readonly to: SensorGeometry,
  ) {
    for (const [name, v] of [['from.width', from.width], ['from.height', from.height], ['to.width', to.width], ['to.height', to.height]] as const) {
      if (!Number.isInteger(v) || v < 1 || v > 0xffff) throw new RangeError(`scale: ${name} must be an integer in 1..65535, got ${v}`);
    }
    this.lutX = scaleTable(from.width, to.width);
    this.lutY = scaleTable(from.height, to.height);
  }

  apply(batch: EventBatch): EventBatch {
    const n = batch.length;
    const out = allocateBatch(n, this.to);
    out.t.set(batch.t);
    out.p.set(batch.p);
    const { x, y } = batch;
    const ox = out.x, oy = out.y, lx = this.lutX, ly = this.lutY;
    for (let i = 0; i < n; i++) {
      ox[i] = lx[x[i]!]!;
      oy[i] = ly[y[i]!]!;
    }
    return out;
  }
}

/** floor(v * to / from) for every uint16 v, in integers (no float rounding at exact multiples). */
function scaleTable(from: number, to: number): Uint16Array {
  const lut = new Uint16Array(0x10000);
  for (let v = 0; v < 0x10000; v++) lut[v] = Math.min(0xffff, Math.floor((v * to) / from));
  return lut;
}
