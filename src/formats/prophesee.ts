/**
 * Prophesee RAW (EVT 2.0, EVT 3.0) and DAT — spec §11.
 *
 * All three start with `% key value` text lines (optionally closed by `% end`). EVT 2.0 is a
 * stream of 32-bit LE words (CD events carry 6 timestamp LSBs, TIME_HIGH words the rest); EVT
 * 3.0 is a stateful stream of 16-bit LE words (y, then x or vectors of x; 24-bit time split in
 * TIME_HIGH/TIME_LOW). Events before the first TIME_HIGH have no time base and are dropped
 * (counted as `noTimeBase`). DAT holds 8-byte LE records (u32 t, u32 packed x/y/p) after a
 * 2-byte type/size pair.
 */
import type { EventBatch, SensorGeometry } from '../events/index.js';
import { ChunkDecoder, asciiLine, dataView, indexOfNewline, type DecoderOptions, type EventFormat } from './decoder.js';
import { sensorFromDeviceName } from './devices.js';
import { OutputColumns, growColumns } from './output.js';

const MAX_HEADER_BYTES = 1 << 20;

/** Geometry from `% format …;width=W;height=H`, `% geometry WxH` or `% Width`/`% Height` lines. */
export function propheseeGeometry(lines: readonly string[]): SensorGeometry | undefined {
  let width = 0, height = 0;
  for (const line of lines) {
    const f = /width=(\d+)/i.exec(line), g = /height=(\d+)/i.exec(line);
    if (f && g) return { width: Number(f[1]), height: Number(g[1]) };
    const geo = /^% *geometry +(\d+)x(\d+)/i.exec(line);
    if (geo) return { width: Number(geo[1]), height: Number(geo[2]) };
    const w = /^% *width +(\d+)/i.exec(line);
    if (w) width = Number(w[1]);
    const h = /^% *height +(\d+)/i.exec(line);
    if (h) height = Number(h[1]);
  }
  if (width > 0 && height > 0) return { width, height };
  for (const line of lines) {
    const s = sensorFromDeviceName(line);
    if (/plugin|integrator|sensor|camera/i.test(line) && s) return s;
  }
  return undefined;
}

/**
 * EVT version a RAW header declares (`% evt 2.0`, `% format EVT21;…` → 2.1, …), or undefined.
 * Minor versions matter: EVT 2.1 is a different (64-bit) encoding from EVT 2.0.
 */
export function propheseeEvtVersion(lines: readonly string[]): number | undefined {
  for (const line of lines) {
    const m = /^% *evt +(\d)(?:\.(\d))?/i.exec(line) ?? /format +EVT(\d)(\d)?(?!\d)/i.exec(line);
    if (m) return Number(m[1]) + Number(m[2] ?? 0) / 10;
  }
  return undefined;
}

/**
 * EVT version of an older RAW header that has no `evt` / `format` key, from the camera it names
 * (spec §11.1): Gen3 sensors recorded EVT 2.0, Gen4 / IMX636 and later EVT 3.0. Undefined when the
 * header names neither.
 */
export function propheseeLegacyEvt(lines: readonly string[]): 2 | 3 | undefined {
  for (const line of lines) {
    const generation = /^% *(?:sensor_)?generation +(\d+)/i.exec(line);
    if (generation) return Number(generation[1]) <= 3 ? 2 : 3;
    if (/^% *plugin_name /i.test(line)) {
      if (/gen3/i.test(line)) return 2;
      if (/gen4|imx6|genx/i.test(line)) return 3;
    }
  }
  return undefined;
}

/** " (not supported …)" for an EVT version no decoder reads, else "". */
export function unsupportedEvt(version: number): string {
  return version === 2 || version === 3 ? '' : ' (not supported: spikeline reads EVT 2.0 and EVT 3.0)';
}

/** Shared `%` header handling. */
abstract class PercentHeaderDecoder extends ChunkDecoder {
  protected inHeader = true;
  protected readonly out = new OutputColumns();
  protected readonly defaultSensor: SensorGeometry;
  /** EVT version this decoder reads (RAW decoders); a header declaring another one is refused. */
  protected readonly evt: number | undefined;

  constructor(options: DecoderOptions, defaultSensor: SensorGeometry, evt?: number) {
    super(options);
    this.defaultSensor = defaultSensor;
    this.evt = evt;
  }

  /** Parses header lines; returns the body start, or -1 (having asked for more bytes) when more are needed. */
  protected parseHeader(buf: Uint8Array, final: boolean): number {
    let pos = 0;
    const lines: string[] = [];
    for (;;) {
      if (pos >= buf.length) {
        if (!final) return this.needMore(buf);
        break;
      }
      if (buf[pos] !== 0x25) break;
      const nl = indexOfNewline(buf, pos, Math.min(buf.length, MAX_HEADER_BYTES));
      if (nl < 0) {
        if (buf.length >= MAX_HEADER_BYTES) throw this.error(`'%' header longer than ${MAX_HEADER_BYTES} bytes`, pos);
        if (!final) return this.needMore(buf);
        throw this.error('truncated header line', pos);
      }
      const line = asciiLine(buf, pos, nl);
      lines.push(line);
      pos = nl + 1;
      if (/^% *end$/i.test(line)) break;
    }
    this.header = lines;
    const declared = propheseeEvtVersion(lines);
    if (this.evt !== undefined && declared !== undefined && declared !== this.evt) {
      throw this.error(`header declares Prophesee EVT ${declared.toFixed(1)} data, not EVT ${this.evt.toFixed(1)}${unsupportedEvt(declared)}`, 0);
    }
    this.sensor ??= propheseeGeometry(lines) ?? this.defaultSensor;
    this.inHeader = false;
    return pos;
  }

  private needMore(buf: Uint8Array): -1 {
    this.want(buf.length + 1);
    return -1;
  }

  /** Reports and clears the records a hot loop counted but skipped. */
  protected flushSkips(st: { early: number; triggers: number; other: number }): void {
    if (st.early) this.skip('noTimeBase', st.early);
    if (st.triggers) this.skip('trigger', st.triggers);
    if (st.other) this.skip('other', st.other);
    st.early = st.triggers = st.other = 0;
  }

  protected emit(n: number, out: EventBatch[]): void {
    if (n > 0) this.emitBatch(out, this.out.batch(n, this.sensor!));
  }
}

export type PropheseeDecoderOptions = DecoderOptions;

const EVT2_LOOP = 2 ** 34;

interface Evt2State {
  timeHigh: number;
  loops: number;
  early: number;
  triggers: number;
  other: number;
}

/** EVT 2.0 hot loop over 32-bit words [o, end); standalone so V8 optimises it alone. */
function decodeEvt2Words(view: DataView, o: number, end: number, ox: Uint16Array, oy: Uint16Array, ot: Float64Array, op: Uint8Array, st: Evt2State): number {
  let th = st.timeHigh, loops = st.loops;
  let n = 0, early = 0, triggers = 0, other = 0;
  for (; o < end; o += 4) {
    const w = view.getUint32(o, true);
    const type = w >>> 28;
    if (type <= 1) {
      if (th < 0) {
        early++;
        continue;
      }
      ox[n] = (w >>> 11) & 0x7ff;
      oy[n] = w & 0x7ff;
      op[n] = type;
      ot[n] = loops + th * 64 + ((w >>> 22) & 0x3f);
      n++;
    } else if (type === 0x8) {
      const next = w & 0x0fffffff;
      // A large backwards jump of TIME_HIGH is the 34-bit counter wrapping.
      if (th >= 0 && next < th && th - next > 1 << 27) loops += EVT2_LOOP;
      th = next;
    } else if (type === 0xa) {
      triggers++;
    } else {
      other++;
    }
  }
  st.timeHigh = th;
  st.loops = loops;
  st.early += early;
  st.triggers += triggers;
  st.other += other;
  return n;
}

export class Evt2Decoder extends PercentHeaderDecoder {
  readonly format: EventFormat = 'evt2';
  private readonly state: Evt2State = { timeHigh: -1, loops: 0, early: 0, triggers: 0, other: 0 };

  constructor(options: PropheseeDecoderOptions = {}) {
    super(options, { width: 640, height: 480 }, 2);
  }

  protected override recordName(): string {
    return '32-bit EVT 2.0 word';
  }

  protected parse(buf: Uint8Array, out: EventBatch[], final: boolean): number {
    let pos = 0;
    if (this.inHeader) {
      pos = this.parseHeader(buf, final);
      if (pos < 0) return 0;
    }
    const words = (buf.length - pos) >>> 2;
    this.out.reserve(words, this.folding);
    const end = pos + words * 4;
    const st = this.state;
    const n = decodeEvt2Words(dataView(buf), pos, end, this.out.x, this.out.y, this.out.t, this.out.p, st);
    this.flushSkips(st);
    this.emit(n, out);
    this.want(4);
    return end;
  }
}

const EVT3_LOOP = 2 ** 24;
// openeb: a TIME_HIGH drop of more than (2^24 − 2^12) − 10·2^12 µs is a counter loop.
const EVT3_LOOP_THRESHOLD = (EVT3_LOOP - 4096 - 10 * 4096) / 4096;

interface Evt3State {
  high: number;
  low: number;
  loops: number;
  y: number;
  baseX: number;
  pol: number;
  early: number;
  triggers: number;
  other: number;
  /** Next word position and events written so far (in/out of the kernel). */
  pos: number;
  n: number;
}

/**
 * EVT 3.0 hot loop from st.pos to `end`; stops early (returning the position reached) when the
 * output could overflow, so the caller grows it and calls again.
 */
function decodeEvt3Words(buf: Uint8Array, end: number, ox: Uint16Array, oy: Uint16Array, ot: Float64Array, op: Uint8Array, st: Evt3State): number {
  let high = st.high, low = st.low, loops = st.loops, y = st.y, baseX = st.baseX, pol = st.pol;
  let n = st.n, early = 0, triggers = 0, other = 0;
  const cap = ox.length - 12;
  let t = high < 0 ? 0 : loops + high * 4096 + low;
  let o = st.pos;
  for (; o < end && n <= cap; o += 2) {
    const w = buf[o]! | (buf[o + 1]! << 8);
    const type = w >>> 12;
    if (high < 0 && type !== 0x8) {
      early++;
      continue;
    }
    switch (type) {
      case 0x0:
        y = w & 0x7ff;
        break;
      case 0x2:
        ox[n] = w & 0x7ff;
        oy[n] = y;
        op[n] = (w >>> 11) & 1;
        ot[n] = t;
        n++;
        break;
      case 0x3:
        baseX = w & 0x7ff;
        pol = (w >>> 11) & 1;
        break;
      case 0x4:
      case 0x5: {
        let mask = w & (type === 0x4 ? 0xfff : 0xff);
        while (mask !== 0) {
          const k = 31 - Math.clz32(mask & -mask);
          mask &= mask - 1;
          ox[n] = baseX + k;
          oy[n] = y;
          op[n] = pol;
          ot[n] = t;
          n++;
        }
        baseX += type === 0x4 ? 12 : 8;
        break;
      }
      case 0x6:
        low = w & 0xfff;
        t = loops + high * 4096 + low;
        break;
      case 0x8: {
        const next = w & 0xfff;
        if (high >= 0 && next < high && high - next > EVT3_LOOP_THRESHOLD) loops += EVT3_LOOP;
        high = next;
        low = 0;
        t = loops + high * 4096;
        break;
      }
      case 0xa:
        triggers++;
        break;
      default:
        other++;
    }
  }
  st.high = high;
  st.low = low;
  st.loops = loops;
  st.y = y;
  st.baseX = baseX;
  st.pol = pol;
  st.early += early;
  st.triggers += triggers;
  st.other += other;
  st.n = n;
  st.pos = o;
  return o;
}

export class Evt3Decoder extends PercentHeaderDecoder {
  readonly format: EventFormat = 'evt3';
  private readonly state: Evt3State = { high: -1, low: 0, loops: 0, y: 0, baseX: 0, pol: 0, early: 0, triggers: 0, other: 0, pos: 0, n: 0 };

  constructor(options: PropheseeDecoderOptions = {}) {
    super(options, { width: 1280, height: 720 }, 3);
  }

  protected override recordName(): string {
    return '16-bit EVT 3.0 word';
  }

  protected parse(buf: Uint8Array, out: EventBatch[], final: boolean): number {
    let pos = 0;
    if (this.inHeader) {
      pos = this.parseHeader(buf, final);
      if (pos < 0) return 0;
    }
    const words = (buf.length - pos) >>> 1;
    const cols = this.out;
    // Vectors emit up to 12 events per word: grow on demand instead of sizing for the worst case.
    cols.reserve(Math.min(words + 12, 1 << 16), this.folding);
    const st = this.state;
    st.n = 0;
    st.pos = pos;
    const end = pos + words * 2;
    while (decodeEvt3Words(buf, end, cols.x, cols.y, cols.t, cols.p, st) < end) growColumns(cols, cols.x.length * 2, st.n);
    const n = st.n;
    this.flushSkips(st);
    this.emit(n, out);
    this.want(2);
    return end;
  }
}

export class DatDecoder extends PercentHeaderDecoder {
  readonly format: EventFormat = 'dat';
  /** Event type byte after the header (0x00 Event2D, 0x0C EventCD, 0x0E ExtTrigger). */
  eventType: number | undefined;
  private typeBytes = false;
  private readonly clock = { last: -1, epoch: 0 };

  constructor(options: PropheseeDecoderOptions = {}) {
    super(options, { width: 304, height: 240 });
  }

  protected override recordName(): string {
    return '8-byte DAT record';
  }

  protected parse(buf: Uint8Array, out: EventBatch[], final: boolean): number {
    let pos = 0;
    if (this.inHeader) {
      pos = this.parseHeader(buf, final);
      if (pos < 0) return 0;
      this.typeBytes = this.header.length > 0;
    }
    if (this.typeBytes) {
      if (buf.length - pos < 2) {
        this.want(2);
        return pos;
      }
      this.eventType = buf[pos]!;
      const size = buf[pos + 1]!;
      if (size !== 8) throw this.error(`DAT event size ${size} (only 8-byte records are supported)`, this.stats.bytes + pos + 1);
      if (this.eventType === 0x0e) throw this.error('DAT file of external triggers holds no CD events', this.stats.bytes + pos);
      pos += 2;
      this.typeBytes = false;
    }
    const records = (buf.length - pos) >>> 3;
    this.out.reserve(records, this.folding);
    const end = pos + records * 8;
    const n = decodeDatRecords(dataView(buf), pos, end, this.out.x, this.out.y, this.out.t, this.out.p, this.clock);
    this.emit(n, out);
    this.want(8);
    return end;
  }
}

/** DAT hot loop over 8-byte records [o, end), unwrapping the 32-bit timestamp. */
function decodeDatRecords(view: DataView, o: number, end: number, ox: Uint16Array, oy: Uint16Array, ot: Float64Array, op: Uint8Array, clock: { last: number; epoch: number }): number {
  let last = clock.last, epoch = clock.epoch, n = 0;
  for (; o < end; o += 8) {
    const ts = view.getUint32(o, true);
    const w = view.getUint32(o + 4, true);
    if (ts < last && last - ts > 2147483648) epoch += 4294967296;
    last = ts;
    ox[n] = w & 0x3fff;
    oy[n] = (w >>> 14) & 0x3fff;
    op[n] = (w >>> 28) & 1;
    ot[n] = epoch + ts;
    n++;
  }
  clock.last = last;
  clock.epoch = epoch;
  return n;
}
