/**
 * N-MNIST / N-Caltech101 `.bin` — spec §12. No header; 5-byte records: x, y, then
 * bit 7 = polarity (1 = ON) and a 23-bit big-endian timestamp. A record with y = 240 is the
 * ATIS tools' timestamp-overflow marker: skipped, and later timestamps get +2^23 (the value
 * consistent with a 23-bit counter; N-MNIST recordings are too short to contain markers).
 */
import type { EventBatch } from '../events/index.js';
import { ChunkDecoder, type DecoderOptions, type EventFormat } from './decoder.js';
import { OutputColumns } from './output.js';

export const NMNIST_SENSOR = Object.freeze({ width: 34, height: 34 });

export class NmnistDecoder extends ChunkDecoder {
  readonly format: EventFormat = 'nmnist';
  private readonly out = new OutputColumns();
  private readonly state = { overflow: 0, markers: 0 };

  constructor(options: DecoderOptions = {}) {
    super(options);
    this.sensor ??= NMNIST_SENSOR;
  }

  protected override recordName(): string {
    return '5-byte N-MNIST record';
  }

  protected parse(buf: Uint8Array, out: EventBatch[]): number {
    const records = Math.floor(buf.length / 5);
    this.out.reserve(records, this.folding);
    const end = records * 5;
    const st = this.state;
    const n = decodeNmnistRecords(buf, end, this.out.x, this.out.y, this.out.t, this.out.p, st);
    if (st.markers) this.skip('overflowMarker', st.markers);
    st.markers = 0;
    if (n > 0) this.emitBatch(out, this.out.batch(n, this.sensor!));
    this.want(5);
    return end;
  }
}

/** Hot loop over 5-byte records [0, end); standalone so V8 optimises it alone. */
function decodeNmnistRecords(
  buf: Uint8Array, end: number,
  ox: Uint16Array, oy: Uint16Array, ot: Float64Array, op: Uint8Array,
  st: { overflow: number; markers: number },
): number {
  let n = 0, markers = 0, overflow = st.overflow;
  for (let o = 0; o < end; o += 5) {
    const x = buf[o]!, y = buf[o + 1]!, b2 = buf[o + 2]!;
    if (y === 240) {
      markers++;
      overflow += 8388608;
      continue;
    }
    ox[n] = x;
    oy[n] = y;
    op[n] = b2 >>> 7;
    ot[n] = overflow + (((b2 & 0x7f) << 16) | (buf[o + 3]! << 8) | buf[o + 4]!);
    n++;
  }
  st.overflow = overflow;
  st.markers += markers;
  return n;
}
