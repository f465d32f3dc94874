/**
 * AEDAT 2.0 (jAER) — spec §2. `#` header lines, then big-endian (int32 address, int32
 * timestamp) records. Addresses are decoded by an `Aedat2Layout` (bit fields, flips, polarity
 * sense, records to skip), chosen from the `# AEChip:` line unless configured:
 *
 * - DVS128 (also CIFAR10-DVS): x = 127 − rx, y = 127 − ry, ON ⇔ raw bit 0 == 0, skip records
 *   with bit 15 (external) or bit 31 (special) set — libcaer's convention, so AEDAT 2.0 and
 *   AEDAT 3.1/4 DVS128 data share one orientation.
 * - DAVIS240/346: x = W−1−rx (bits 12–21), y = H−1−ry (bits 22–30), ON ⇔ bit 11, skip APS/IMU
 *   (bit 31) and external events (bit 10).
 *
 * Timestamps are unsigned 32-bit µs; a drop of more than 2^31 is a counter wrap (+2^32), smaller
 * backward steps are kept as they are (real non-monotonic data).
 *
 * 32 bits cannot hold absolute Unix-µs times (AEDAT 4, DV): the encoder then stores times
 * relative to the first event and records the offset in a `# Timestamp offset us: N` comment
 * line, which this decoder adds back (other readers see recording-relative times, as jAER
 * files normally have).
 */
import { sameGeometry, type EventBatch, type SensorGeometry } from '../events/index.js';
import { ChunkDecoder, asciiBytes, concatChunks, asciiLine, dataView, indexOfNewline, type DecoderOptions, type EventFormat } from './decoder.js';
import { sensorFromDeviceName } from './devices.js';
import { OutputColumns } from './output.js';
import { WasmArena } from './wasm/kernels.js';

/** Bytes of the kernels' layout/state block (and DVS128 loop constants) at the arena start. */
const CFG_BYTES = 256;
/** Records copied into the arena, decoded and copied out at a time (64 KiB in, 104 KiB out: stays in L2). */
const PIECE_RECORDS = 8192;

export const AEDAT2_MAGIC = '#!AER-DAT2.0';
const MAX_HEADER_BYTES = 16 << 20;

/** How a raw 32-bit address maps to (x, y, p); see the presets below. */
export interface Aedat2Layout {
  name: string;
  width: number;
  height: number;
  xShift: number;
  xMask: number;
  yShift: number;
  yMask: number;
  polarityShift: number;
  /** Raw polarity bit value that means ON. */
  onValue: 0 | 1;
  /** Records with any of these address bits set are not polarity events. */
  skipMask: number;
  flipX: boolean;
  flipY: boolean;
  /** Swap x and y after decoding (SpikingJelly's CIFAR10-DVS orientation, spec §2.5). */
  transpose?: boolean;
}

export const AEDAT2_LAYOUTS = {
  dvs128: { name: 'dvs128', width: 128, height: 128, xShift: 1, xMask: 0x7f, yShift: 8, yMask: 0x7f, polarityShift: 0, onValue: 0, skipMask: 0x80008000, flipX: true, flipY: true },
  davis240: { name: 'davis240', width: 240, height: 180, xShift: 12, xMask: 0x3ff, yShift: 22, yMask: 0x1ff, polarityShift: 11, onValue: 1, skipMask: 0x80000400, flipX: true, flipY: true },
  davis346: { name: 'davis346', width: 346, height: 260, xShift: 12, xMask: 0x3ff, yShift: 22, yMask: 0x1ff, polarityShift: 11, onValue: 1, skipMask: 0x80000400, flipX: true, flipY: true },
} as const satisfies Record<string, Aedat2Layout>;

export type Aedat2LayoutName = keyof typeof AEDAT2_LAYOUTS;

/**
 * Layout for a `# AEChip:` class name (DVS128 when unknown or absent). Every jAER DAVIS camera
 * (package `…chips.davis`) shares one address layout at its own size: the size the device
 * table knows for the name, else DAVIS240's.
 */
export function aedat2LayoutForChip(chip: string | undefined): Aedat2Layout {
  if (!chip || !/davis/i.test(chip)) return AEDAT2_LAYOUTS.dvs128;
  const size = sensorFromDeviceName(chip) ?? AEDAT2_LAYOUTS.davis240;
  const preset = [AEDAT2_LAYOUTS.davis240, AEDAT2_LAYOUTS.davis346].find((l) => sameGeometry(l, size));
  return preset ?? { ...AEDAT2_LAYOUTS.davis240, name: `davis${size.width}x${size.height}`, width: size.width, height: size.height };
}

export interface Aedat2DecoderOptions extends DecoderOptions {
  /** Address layout: a preset name, a custom layout, or `auto` (from `# AEChip:`; default). */
  layout?: Aedat2LayoutName | Aedat2Layout | 'auto';
  /** Apply SpikingJelly's transpose on top of the layout. */
  transpose?: boolean;
  /** Use the WebAssembly kernel when available (default true). */
  wasm?: boolean;
}

const WRAP = 4294967296;

export class Aedat2Decoder extends ChunkDecoder {
  readonly format: EventFormat = 'aedat2';
  layout: Aedat2Layout | undefined;
  /** `# AEChip:` value, when present. */
  chip: string | undefined;
  /** Unix ms from `# Creation time: System.currentTimeMillis() N`, when present. */
  creationTimeMs: number | undefined;
  private inHeader = true;
  private readonly requested: Aedat2DecoderOptions['layout'];
  private readonly transpose: boolean;
  private readonly out = new OutputColumns();
  /** Offset from a `# Timestamp offset us:` header line (spikeline-written files), else 0. */
  timeOffset = 0;
  private readonly state: KernelState = { last: 0, epoch: 0, skipped: 0, outside: 0 };
  private readonly arena: WasmArena | undefined;

  constructor(options: Aedat2DecoderOptions = {}) {
    super(options);
    this.requested = options.layout ?? 'auto';
    this.transpose = options.transpose ?? false;
    this.arena = options.wasm === false ? undefined : WasmArena.create();
  }

  protected override release(): void {
    this.arena?.release();
  }

  protected override recordName(): string {
    return this.inHeader ? 'AEDAT 2.0 header line' : '8-byte AEDAT 2.0 record';
  }

  protected parse(buf: Uint8Array, out: EventBatch[], final: boolean): number {
    let pos = 0;
    if (this.inHeader) {
      pos = this.parseHeader(buf, final);
      if (this.inHeader) return pos;
    }
    const L = this.layout!;
    const view = dataView(buf);
    const records = (buf.length - pos) >>> 3;
    if (records === 0) {
      this.want(8);
      return pos;
    }
    const state = this.state;
    const end = pos + records * 8;
    state.epoch += this.timeOffset;
    const sensor = this.sensor!;
    // Every event of this call goes to columns the emitted batch owns (fresh unless folding).
    this.out.reserve(records, this.folding);
    let n = 0;
    /** Index of the first event outside the sensor (undefined: emitBatch scans in JS). */
    let outside: number | undefined = Number.POSITIVE_INFINITY;
    const arena = this.arena;
    if (arena) {
      // The input goes in by pieces of PIECE_RECORDS, each decoded right after its copy and its
      // events copied out right after that, everything still in cache.
      const layout = arena.layout(CFG_BYTES, Math.min(records, PIECE_RECORDS) * 8, Math.min(records, PIECE_RECORDS));
      const cfg = new DataView(arena.k.memory.buffer, 0, CFG_BYTES);
      const xa = L.flipX ? L.width - 1 : 0, ya = L.flipY ? L.height - 1 : 0;
      [L.xShift, L.xMask, L.yShift, L.yMask, L.polarityShift, L.skipMask, L.width, L.height, xa, L.flipX ? -1 : 1, ya, L.flipY ? -1 : 1, L.onValue === 0 ? 1 : 0, state.last, 0, 0]
        .forEach((v, i) => cfg.setInt32(4 * i, v | 0, true));
      cfg.setFloat64(64, state.epoch, true);
      // Transposing = writing the decoded x into the y column and vice versa.
      const cx = this.transpose ? layout.oy : layout.ox, cy = this.transpose ? layout.ox : layout.oy;
      const k = arena.k;
      const dvs = L === AEDAT2_LAYOUTS.dvs128;
      // The kernels drop raw addresses beyond the chip; only a declared smaller sensor needs a scan.
      const scan = this.transpose ? sensor.width < L.height || sensor.height < L.width : sensor.width < L.width || sensor.height < L.height;
      const mem = arena.u8;
      for (let o = pos; o < end; o += PIECE_RECORDS * 8) {
        const e = Math.min(end, o + PIECE_RECORDS * 8);
        mem.set(buf.subarray(o, e), layout.input);
        const stop = layout.input + (e - o);
        let src = layout.input;
        let m = 0;
        while (src < stop) {
          if (dvs) {
            // Specialised DVS128 loop; it stops at a group with a special record or a possible
            // wrap, which the generic kernel then handles (one 8-record group) before returning.
            m += k.aedat2dvs(src, stop, cx + 2 * m, cy + 2 * m, layout.ot + 8 * m, layout.op + m, 0);
            src = cfg.getInt32(72, true);
            if (src >= stop) break;
          }
          const groupEnd = dvs ? Math.min(src + 64, stop) : stop;
          m += k.aedat2(src, groupEnd, cx + 2 * m, cy + 2 * m, layout.ot + 8 * m, layout.op + m, 0);
          src = groupEnd;
        }
        arena.copyOut(layout, m, this.out, n);
        if (scan) {
          const first = arena.firstOutside(layout, m, sensor);
          if (first === undefined) outside = undefined;
          else if (outside !== undefined && first < m) outside = Math.min(outside, n + first);
        }
        n += m;
      }
      state.last = cfg.getUint32(52, true);
      state.skipped += cfg.getInt32(56, true);
      state.outside += cfg.getInt32(60, true);
      state.epoch = cfg.getFloat64(64, true);
    } else {
      const ox = this.transpose ? this.out.y : this.out.x;
      const oy = this.transpose ? this.out.x : this.out.y;
      n = decodeAedat2Records(view, pos, end, L, ox, oy, this.out.t, this.out.p, state);
      outside = undefined;
    }
    state.epoch -= this.timeOffset;
    const skipped = state.skipped, outOfChip = state.outside;
    state.skipped = 0;
    state.outside = 0;
    if (skipped) this.skip('special', skipped);
    if (outOfChip) this.skip('outOfRange', outOfChip);
    if (n > 0) {
      const batch = this.out.batch(n, sensor);
      this.emitBatch(out, batch, outside === undefined ? undefined : Math.min(outside, n));
    }
    this.want(8);
    return end;
  }

  private parseHeader(buf: Uint8Array, final: boolean): number {
    let pos = 0;
    const lines: string[] = [];
    for (;;) {
      if (pos >= buf.length) {
        if (!final) {
          this.want(buf.length + 1); // cannot tell yet whether another '#' line follows
          return 0;
        }
        break;
      }
      if (buf[pos] !== 0x23) break;
      const nl = indexOfNewline(buf, pos, Math.min(buf.length, MAX_HEADER_BYTES));
      if (nl < 0) {
        if (buf.length >= MAX_HEADER_BYTES) throw this.error(`AEDAT 2.0 header longer than ${MAX_HEADER_BYTES} bytes`, pos);
        if (!final) {
          this.want(buf.length + 1);
          return 0;
        }
        throw this.error('truncated AEDAT 2.0 header line', pos);
      }
      const line = asciiLine(buf, pos, nl);
      if (lines.length === 0 && line !== AEDAT2_MAGIC) throw this.error(`missing ${AEDAT2_MAGIC} magic line`, 0);
      lines.push(line);
      pos = nl + 1;
      if (/^#end of ascii header$/i.test(line.trim())) break;
    }
    if (lines.length === 0) throw this.error(`missing ${AEDAT2_MAGIC} magic line`, 0);
    this.header = lines;
    let declared: SensorGeometry | undefined;
    for (const line of lines) {
      const chip = /^# ?AEChip: *(.+)$/.exec(line);
      if (chip) this.chip = chip[1]!.trim();
      const created = /currentTimeMillis\(\) *(\d+)/.exec(line);
      if (created) this.creationTimeMs = Number(created[1]);
      const offset = /^# ?Timestamp offset us: *(\d+)$/i.exec(line);
      if (offset) this.timeOffset = Number(offset[1]);
      const size = /^# ?Sensor size: *(\d+)x(\d+)$/i.exec(line);
      if (size) declared = { width: Number(size[1]), height: Number(size[2]) };
    }
    const r = this.requested;
    this.layout = r === 'auto' || r === undefined ? aedat2LayoutForChip(this.chip) : typeof r === 'string' ? AEDAT2_LAYOUTS[r] : r;
    if (!this.layout) throw this.error(`unknown AEDAT 2.0 layout "${String(r)}"`, 0);
    const geometry = declared ?? { width: this.layout.width, height: this.layout.height };
    this.sensor ??= this.transpose ? { width: geometry.height, height: geometry.width } : geometry;
    this.inHeader = false;
    return pos;
  }
}

interface KernelState {
  /** Previous raw timestamp (wrap detection) and the accumulated wrap offset. */
  last: number;
  epoch: number;
  skipped: number;
  outside: number;
}

/** Hot loop over whole records [o, end); standalone so V8 optimises it on its own. */
function decodeAedat2Records(
  view: DataView, o: number, end: number, L: Aedat2Layout,
  ox: Uint16Array, oy: Uint16Array, ot: Float64Array, op: Uint8Array, state: KernelState,
): number {
  const xs = L.xShift, xm = L.xMask, ys = L.yShift, ym = L.yMask, ps = L.polarityShift, skip = L.skipMask;
  const w = L.width, h = L.height;
  const xa = L.flipX ? w - 1 : 0, xf = L.flipX ? -1 : 1;
  const ya = L.flipY ? h - 1 : 0, yf = L.flipY ? -1 : 1;
  const pxor = L.onValue === 0 ? 1 : 0;
  let last = state.last, epoch = state.epoch;
  let n = 0, skipped = 0, outside = 0;
  for (; o < end; o += 8) {
    const a = view.getUint32(o);
    const ts = view.getUint32(o + 4);
    if (ts < last && last - ts > 2147483648) epoch += WRAP;
    last = ts;
    if ((a & skip) !== 0) {
      skipped++;
      continue;
    }
    const rx = (a >>> xs) & xm;
    const ry = (a >>> ys) & ym;
    if (rx >= w || ry >= h) {
      outside++;
      continue;
    }
    ox[n] = xa + xf * rx;
    oy[n] = ya + yf * ry;
    op[n] = ((a >>> ps) & 1) ^ pxor;
    ot[n] = epoch + ts;
    n++;
  }
  state.last = last;
  state.epoch = epoch;
  state.skipped += skipped;
  state.outside += outside;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Encoding: the smallest jAER chip layout that holds the sensor (DVS128, DAVIS240, DAVIS346), so
// jAER reads the file as that chip; a sensor smaller than its chip (N-MNIST's 34x34 in DVS128)
// is declared by a `# Sensor size: WxH` line, which this decoder reads back.

const WRITE_CHIPS: ReadonlyArray<readonly [Aedat2Layout, string]> = [
  [AEDAT2_LAYOUTS.dvs128, 'ch.unizh.ini.jaer.chip.retina.DVS128'],
  [AEDAT2_LAYOUTS.davis240, 'eu.seebetter.ini.chips.davis.DAVIS240C'],
  [AEDAT2_LAYOUTS.davis346, 'eu.seebetter.ini.chips.davis.Davis346B'],
];

/** Layout and `# AEChip:` class the encoder uses for `sensor`; RangeError when none holds it. */
export function aedat2ChipFor(sensor: SensorGeometry): { layout: Aedat2Layout; chip: string } {
  const found = WRITE_CHIPS.find(([l]) => sensor.width <= l.width && sensor.height <= l.height);
  if (!found) throw new RangeError(`AEDAT 2.0 holds jAER chip layouts up to DAVIS346 (346x260); a ${sensor.width}x${sensor.height} sensor does not fit`);
  return { layout: found[0], chip: found[1] };
}

export interface Aedat2HeaderOptions {
  /** Unix ms of the `# Creation time:` line. Default: now. */
  creationTimeMs?: number;
  /** Offset subtracted from every timestamp (`# Timestamp offset us:` line when non-zero). */
  timeOffsetUs?: number;
  /** Sensor of the events; chooses the chip (default DVS128). */
  sensor?: SensorGeometry;
}

export function encodeAedat2Header(options: Aedat2HeaderOptions = {}): Uint8Array {
  const sensor = options.sensor ?? DVS128_SENSOR;
  const { layout, chip } = aedat2ChipFor(sensor);
  const partial = sensor.width !== layout.width || sensor.height !== layout.height;
  return asciiBytes(
    [
      AEDAT2_MAGIC,
      '# This is a raw AE data file created by spikeline',
      '# Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event',
      '# Timestamps tick is 1 us',
      `# AEChip: ${chip}`,
      `# Creation time: System.currentTimeMillis() ${Math.floor(options.creationTimeMs ?? Date.now())}`,
      ...(options.timeOffsetUs ? [`# Timestamp offset us: ${options.timeOffsetUs}`] : []),
      ...(partial ? [`# Sensor size: ${sensor.width}x${sensor.height}`] : []),
      '#End Of ASCII Header',
    ]
      .map((l) => `${l}\r\n`)
      .join(''),
  );
}

const DVS128_SENSOR: SensorGeometry = { width: 128, height: 128 };

/**
 * Stateful file encoder: the header goes out with the first non-empty batch (its first
 * timestamp decides the offset: times >= 2^32 µs are stored relative to it). Checks events fit
 * the sensor and that no two consecutive timestamps differ by 2^31 µs or more (a reader could
 * not unwrap them).
 */
export class Aedat2Encoder {
  private last = -1;
  private offset = -1;
  private readonly layout: Aedat2Layout;

  constructor(private readonly sensor: SensorGeometry = DVS128_SENSOR) {
    this.layout = aedat2ChipFor(sensor).layout;
  }

  /** Header for a file that got no events (otherwise the first encode() emits it). */
  emptyHeader(): Uint8Array {
    return this.offset < 0 ? encodeAedat2Header({ sensor: this.sensor }) : new Uint8Array(0);
  }

  encode(batch: EventBatch): Uint8Array {
    const n = batch.length;
    if (n === 0) return new Uint8Array(0);
    let header: Uint8Array = new Uint8Array(0);
    if (this.offset < 0) {
      const t0 = batch.t[0]!;
      this.offset = t0 >= WRAP ? t0 : 0;
      header = encodeAedat2Header({ creationTimeMs: this.offset ? this.offset / 1000 : Date.now(), timeOffsetUs: this.offset, sensor: this.sensor });
    }
    const out = new Uint8Array(header.length + n * 8);
    out.set(header);
    const view = new DataView(out.buffer, header.length);
    const { x, y, p } = batch;
    const off = this.offset;
    const t = batch.t;
    const L = this.layout;
    const W = this.sensor.width, H = this.sensor.height;
    const on = L.onValue === 0 ? 1 : 0;
    let last = this.last;
    for (let i = 0; i < n; i++) {
      const xi = x[i]!, yi = y[i]!, ti = t[i]!;
      if (xi >= W || yi >= H) throw new RangeError(`AEDAT 2.0: event ${i} at (${xi}, ${yi}) is outside the ${W}x${H} sensor`);
      if (!(ti >= off) || !Number.isSafeInteger(ti)) throw new RangeError(`AEDAT 2.0 cannot store timestamp ${ti} (event ${i}; offset ${off})`);
      if (last >= 0 && Math.abs(ti - last) >= 2147483648) throw new RangeError(`timestamp step ${ti - last} µs too large for 32-bit AEDAT 2.0 (event ${i})`);
      last = ti;
      const rx = L.flipX ? L.width - 1 - xi : xi;
      const ry = L.flipY ? L.height - 1 - yi : yi;
      view.setUint32(i * 8, ((rx << L.xShift) | (ry << L.yShift) | (((p[i]! & 1) ^ on) << L.polarityShift)) >>> 0);
      view.setUint32(i * 8 + 4, (ti - off) % WRAP);
    }
    this.last = last;
    return out;
  }
}

/** Whole-file AEDAT 2.0 bytes of `batches` (sensor of the first batch). */
export function encodeAedat2(batches: Iterable<EventBatch>): Uint8Array {
  const list = [...batches];
  const enc = new Aedat2Encoder(list[0]?.sensor);
  const parts: Uint8Array[] = [];
  for (const b of list) parts.push(enc.encode(b));
  parts.push(enc.emptyHeader());
  return concatChunks(parts);
}
