/**
 * CSV event text: an optional `%geometry:W,H` line (the sensor size, as Metavision's CSV files
 * start), header `x,y,t,p`, one event per line, integers (t in µs, p 0/1). Written for
 * interchange with spreadsheets/pandas (`pd.read_csv(path, comment='%')`); the reader accepts the
 * same shape (any column order given by the header, CRLF or LF) so written files round-trip.
 * Without a geometry line or a `sensor` option the size is the extent of the first batch.
 */
import type { EventBatch, SensorGeometry } from '../events/index.js';
import { ChunkDecoder, type DecoderOptions, type EventFormat } from './decoder.js';
import { growColumns, OutputColumns } from './output.js';

export const CSV_HEADER = 'x,y,t,p';

/** The `%geometry:W,H` line written before the header. */
export function csvGeometryLine(sensor: SensorGeometry): string {
  return `%geometry:${sensor.width},${sensor.height}`;
}

/** CSV lines of a batch (no header). */
export function encodeCsvRows(batch: EventBatch): Uint8Array {
  const { x, y, t, p } = batch;
  let s = '';
  const parts: string[] = [];
  for (let i = 0; i < batch.length; i++) {
    s += `${x[i]},${y[i]},${t[i]},${p[i]}\n`;
    if (s.length > 1 << 16) {
      parts.push(s);
      s = '';
    }
  }
  parts.push(s);
  return new TextEncoder().encode(parts.join(''));
}

const MAX_LINE = 4096;
const utf8 = new TextDecoder();

export class CsvDecoder extends ChunkDecoder {
  readonly format: EventFormat = 'csv';
  private order: number[] | undefined;
  private line = 1;
  private readonly out = new OutputColumns();

  constructor(options: DecoderOptions = {}) {
    super(options);
  }

  protected override recordName(): string {
    return 'CSV line (no final newline)';
  }

  protected parse(buf: Uint8Array, out: EventBatch[], final: boolean): number {
    let pos = 0;
    let n = 0;
    const cols = this.out;
    cols.x = new Uint16Array(0);
    const vals = [0, 0, 0, 0];
    let maxX = 0, maxY = 0;
    for (;;) {
      let nl = buf.indexOf(0x0a, pos);
      if (nl < 0) {
        if (buf.length - pos > MAX_LINE) throw this.error(`CSV line ${this.line} longer than ${MAX_LINE} bytes`, this.stats.bytes + pos);
        if (!(final && pos < buf.length)) break;
        nl = buf.length; // last line without newline
      }
      const text = utf8.decode(buf.subarray(pos, nl)).trim();
      const at = this.stats.bytes + pos;
      pos = Math.min(buf.length, nl + 1);
      const lineNo = this.line++;
      if (text === '') continue;
      if (!this.order && text.startsWith('%')) {
        const g = /^%geometry: *(\d+) *, *(\d+)$/.exec(text);
        if (g && Number(g[1]) > 0 && Number(g[2]) > 0) this.sensor ??= { width: Number(g[1]), height: Number(g[2]) };
        continue;
      }
      const cells = text.split(',');
      if (!this.order) {
        const names = cells.map((c) => c.trim().toLowerCase());
        const order = ['x', 'y', 't', 'p'].map((k) => names.indexOf(k));
        if (order.some((i) => i < 0)) throw this.error(`CSV header "${text}" lacks one of x,y,t,p`, at);
        this.order = order;
        continue;
      }
      for (let k = 0; k < 4; k++) {
        const v = Number(cells[this.order[k]!]);
        if (!Number.isSafeInteger(v) || v < 0 || (k !== 2 && v > 65535) || (k === 3 && v > 1)) {
          throw this.error(`CSV line ${lineNo}: bad ${'xytp'[k]} value "${cells[this.order[k]!] ?? ''}"`, at);
        }
        vals[k] = v;
      }
      growColumns(cols, n + 1, n);
      cols.x[n] = vals[0]!;
      cols.y[n] = vals[1]!;
      cols.t[n] = vals[2]!;
      cols.p[n] = vals[3]!;
      if (vals[0]! > maxX) maxX = vals[0]!;
      if (vals[1]! > maxY) maxY = vals[1]!;
      n++;
      if (pos >= buf.length) break;
    }
    // CSV declares no geometry: the first batch's extent decides unless configured.
    if (n > 0) {
      this.sensor ??= { width: maxX + 1, height: maxY + 1 };
      this.emitBatch(out, cols.batch(n, this.sensor));
    }
    return pos;
  }
}
