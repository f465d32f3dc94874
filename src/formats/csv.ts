/**
 * CSV event text: an optional `%geometry:W,H` line (the sensor size, as Metavision's CSV files
 * start), header `x,y,t,p`, one event per line, integers (t in µs, p 0/1). Written for
 * interchange with spreadsheets/pandas (`pd.read_csv(path, comment='%')`).
 *
 * The reader takes the event text other tools write, as `csvLayout` recognises it: a header in
 * any column order, with `timestamp` / `ts` / `time` / `timestamp_us` for t and `polarity` /
 * `pol` for p (DV's CSV export: `timestamp,x,y,polarity`), other columns ignored; separated by
 * commas, semicolons, tabs or spaces; CRLF or LF. Without a header: Metavision's `x,y,p,t` rows
 * (after its `%geometry` line; `x,y,t,p` when the third column of the first row is not a
 * polarity but the fourth is), and whitespace-separated `t x y p` (the Event Camera Dataset's
 * `events.txt`). Timestamps with a decimal point or exponent in the first row are seconds
 * (converted to whole µs), else µs; a polarity of -1 is OFF. Without a geometry line or a
 * `sensor` option the size is the extent of the first batch.
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

/** Where a file's x, y, t and p are, and how its lines are cut. */
export interface CsvLayout {
  /** Column index of x, y, t, p. */
  columns: [number, number, number, number];
  /** The field separator; ' ' means any run of spaces or tabs. */
  delimiter: ',' | ';' | '\t' | ' ';
  /** The line read was the header (else it is the first data row). */
  header: boolean;
  /** Timestamps are seconds (a decimal point or exponent in the first data row), else µs; undefined until that row is read. */
  seconds?: boolean;
}

const NAMES: Record<string, number> = { x: 0, y: 1, t: 2, ts: 2, timestamp: 2, time: 2, timestamp_us: 2, p: 3, pol: 3, polarity: 3 };
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function delimiterOf(line: string): CsvLayout['delimiter'] {
  return line.includes(',') ? ',' : line.includes(';') ? ';' : line.includes('\t') ? '\t' : ' ';
}

function splitCsvLine(line: string, delimiter: CsvLayout['delimiter']): string[] {
  return delimiter === ' ' ? line.trim().split(/[ \t]+/) : line.split(delimiter);
}

/** Whether a cell holds a timestamp in seconds (a fraction or an exponent). */
const isSeconds = (cell: string | undefined): boolean => /[.eE]/.test(cell ?? '');
const isPolarity = (cell: string | undefined): boolean => ['0', '1', '-1'].includes((cell ?? '').trim());

/** A polarity cell's value: 0/1, -1 for OFF, true/false (DV's export); NaN for anything else. */
function polarityValue(cell: string): number {
  const c = cell.trim().toLowerCase();
  return c === 'true' ? 1 : c === 'false' || c === '-1' ? 0 : c === '' ? Number.NaN : Number(c);
}

/**
 * The layout of an event CSV from its first line after the `%` lines; undefined when it is no
 * event text spikeline reads (see the module comment). A header leaves the timestamp unit to the
 * first data row.
 */
export function csvLayout(first: string): CsvLayout | undefined {
  // A header may be commented out (`# t x y p`), as numpy's savetxt writes it.
  const line = first.replace(/^\uFEFF/, '').replace(/^#/, '').trim();
  const delimiter = delimiterOf(line);
  const cells = splitCsvLine(line, delimiter).map((c) => c.trim());
  if (cells.length >= 4 && cells.slice(0, 4).every((c) => NUMBER.test(c))) {
    if (cells.length !== 4) return undefined;
    // Headerless: the Event Camera Dataset's `t x y p` (spaces), else Metavision's `x,y,p,t`.
    if (delimiter === ' ') return { columns: [1, 2, 0, 3], delimiter, header: false, seconds: isSeconds(cells[0]) };
    const xytp = !isPolarity(cells[2]) && isPolarity(cells[3]);
    return xytp ? { columns: [0, 1, 2, 3], delimiter, header: false, seconds: isSeconds(cells[2]) } : { columns: [0, 1, 3, 2], delimiter, header: false, seconds: isSeconds(cells[3]) };
  }
  const columns = [-1, -1, -1, -1];
  for (const [i, cell] of cells.entries()) {
    const k = NAMES[cell.toLowerCase()];
    if (k === undefined) continue;
    if (columns[k] !== -1) return undefined; // named twice (t and timestamp, say): ambiguous
    columns[k] = i;
  }
  if (columns.some((i) => i < 0)) return undefined;
  return { columns: columns as CsvLayout['columns'], delimiter, header: true };
}

export class CsvDecoder extends ChunkDecoder {
  readonly format: EventFormat = 'csv';
  private layout: CsvLayout | undefined;
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
      if (!this.layout && text.startsWith('%')) {
        const g = /^%geometry: *(\d+) *, *(\d+)$/.exec(text);
        if (g && Number(g[1]) > 0 && Number(g[2]) > 0) this.sensor ??= { width: Number(g[1]), height: Number(g[2]) };
        continue;
      }
      // `#` lines are comments, unless the first names the columns.
      if (text.startsWith('#') && (this.layout || !csvLayout(text)?.header)) continue;
      if (!this.layout) {
        const layout = csvLayout(text);
        if (!layout) throw this.error(`CSV line ${lineNo}: "${text.slice(0, 80)}" is neither a header naming x, y, t (or timestamp) and p (or polarity) nor a row of x,y,p,t or t x y p`, at);
        this.layout = layout;
        if (layout.header) continue;
      }
      const L = this.layout;
      const cells = splitCsvLine(text, L.delimiter);
      L.seconds ??= isSeconds(cells[L.columns[2]]);
      for (let k = 0; k < 4; k++) {
        const cell = cells[L.columns[k]!];
        let v = cell === undefined ? Number.NaN : k === 3 ? polarityValue(cell) : cell.trim() === '' ? Number.NaN : Number(cell);
        if (k === 2 && L.seconds) v = Math.round(v * 1e6);
        if (!Number.isSafeInteger(v) || v < 0 || (k !== 2 && v > 65535) || (k === 3 && v > 1)) {
          throw this.error(`CSV line ${lineNo}: bad ${'xytp'[k]} value "${cell ?? ''}"${k === 2 && L.seconds ? ' (read as seconds, as in the first row)' : ''}`, at);
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
