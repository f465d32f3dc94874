/**
 * AEDAT 4.0 (iniVation DV / dv-processing) — spec §6, network framing §7.
 *
 * Decoder (push): `file` framing = `#!AER-DAT4.0\r\n`, u32 IOHeader length, IOHeader, packets
 * up to dataTablePosition, then the FileDataTable (parsed at end() into `dataTable`);
 * `network` framing = u32 length + IOHeader, then packets until the socket closes.
 * One EVTS stream is decoded (option `streamId`, default the lowest-id EVTS stream of the
 * info node); packets of other streams are skipped by their size and counted by kind (IMU and
 * trigger packets are decompressed only to count their elements; frames count one per packet).
 *
 * Encoder: IOHeader (all fields present, so its size never changes and a file writer can
 * rewrite it with the final dataTablePosition), EVTS packets, FileDataTable.
 */
import type { EventBatch, SensorGeometry } from '../events/index.js';
import { ChunkDecoder, asciiBytes, concatChunks, dataView, describeStreams, type DecoderOptions, type EventFormat, type StreamInfo } from './decoder.js';
import { sensorFromDeviceName } from './devices.js';
import { FlatBufferError, fileIdentifier, readInt32Field, readInt64Field, readOffsetField, readStringField, rootTable, vectorLength, fieldPosition } from './flatbuffers.js';
import { ByteScratch, Lz4Error, lz4DecodeFrame, lz4EncodeFrame, lz4FrameInfo } from './lz4.js';
import { WasmArena, type ArenaLayout } from './wasm/kernels.js';
import { OutputColumns, growColumns } from './output.js';
import { ZstdError, zstdCompress, zstdDecompress } from './zstd.js';

export const AEDAT4_MAGIC = '#!AER-DAT4.0\r\n';
export const AEDAT4_COMPRESSIONS = ['none', 'lz4', 'lz4-high', 'zstd', 'zstd-high'] as const;
export type Aedat4Compression = (typeof AEDAT4_COMPRESSIONS)[number];
const XML_COMPRESSION = ['NONE', 'LZ4', 'LZ4_HIGH', 'ZSTD', 'ZSTD_HIGH'];
const MAX_IOHEADER_BYTES = 16 << 20;
const PACKET_HEADER = 8;
const EVENT_BYTES = 16;

export interface Aedat4IOHeader {
  compression: Aedat4Compression;
  dataTablePosition: number;
  infoNode: string;
}

export interface Aedat4TableEntry {
  /** Absolute file offset of the packet payload (packet start + 8). */
  byteOffset: number;
  streamId: number;
  size: number;
  numElements: number;
  timestampStart: number;
  timestampEnd: number;
}

/** Parses an IOHeader FlatBuffer starting at `base` of `view`. */
export function parseIOHeader(view: DataView, base: number): Aedat4IOHeader {
  if (fileIdentifier(view, base) !== 'IOHE') throw new FlatBufferError(`IOHeader identifier is "${fileIdentifier(view, base)}", not IOHE`, base + 4);
  const t = rootTable(view, base);
  const code = readInt32Field(view, t, 0, 0);
  const compression = AEDAT4_COMPRESSIONS[code];
  if (!compression) throw new FlatBufferError(`unknown compression type ${code}`, t);
  return {
    compression,
    dataTablePosition: readInt64Field(view, t, 1, -1),
    infoNode: readStringField(view, t, 2) ?? '',
  };
}

/** Streams declared by the info node XML (§6.4), in id order. */
export function parseInfoNode(xml: string): StreamInfo[] {
  const streams: StreamInfo[] = [];
  const starts = [...xml.matchAll(/<node name="(\d+)"[^>]*>/g)];
  for (let i = 0; i < starts.length; i++) {
    const m = starts[i]!;
    const body = xml.slice(m.index! + m[0].length, i + 1 < starts.length ? starts[i + 1]!.index : xml.length);
    const attr = (key: string): string | undefined => new RegExp(`<attr key="${key}"[^>]*>([^<]*)</attr>`).exec(body)?.[1];
    const sizeX = Number(attr('sizeX'));
    const sizeY = Number(attr('sizeY'));
    const source = attr('source');
    const type = attr('typeIdentifier') ?? 'unknown';
    const visual = type === 'EVTS' || type === 'FRME';
    const sensor = sizeX > 0 && sizeY > 0 ? { width: sizeX, height: sizeY } : visual && source ? sensorFromDeviceName(source) : undefined;
    const compression = attr('compression');
    const name = attr('originalOutputName');
    streams.push({
      id: Number(m[1]),
      type,
      ...(name !== undefined ? { name } : {}),
      ...(sensor ? { sensor } : {}),
      ...(compression !== undefined ? { compression } : {}),
    });
  }
  return streams.sort((a, b) => a.id - b.id);
}

/** Parses a decompressed FileDataTable (size-prefixed FlatBuffer, identifier FTAB). */
export function parseDataTable(bytes: Uint8Array): Aedat4TableEntry[] {
  const view = dataView(bytes);
  const base = 4;
  if (bytes.length < 12) throw new FlatBufferError('FileDataTable too short', 0);
  if (fileIdentifier(view, base) !== 'FTAB') throw new FlatBufferError(`FileDataTable identifier is "${fileIdentifier(view, base)}"`, base + 4);
  const root = rootTable(view, base);
  const vec = readOffsetField(view, root, 0);
  if (!vec) return [];
  const n = vectorLength(view, vec, 4);
  const out: Aedat4TableEntry[] = [];
  for (let i = 0; i < n; i++) {
    const slot = vec + 4 + 4 * i;
    const t = slot + view.getUint32(slot, true);
    const info = fieldPosition(view, t, 1);
    if (info && info + 8 > view.byteLength) throw new FlatBufferError('packetInfo outside the table', info);
    out.push({
      byteOffset: readInt64Field(view, t, 0, 0),
      streamId: info ? view.getInt32(info, true) : 0,
      size: info ? view.getInt32(info + 4, true) : 0,
      numElements: readInt64Field(view, t, 2, 0),
      timestampStart: readInt64Field(view, t, 3, 0),
      timestampEnd: readInt64Field(view, t, 4, 0),
    });
  }
  return out;
}

/**
 * Decompresses one packet payload src[start, end) into a view of `scratch` (or of src itself
 * for NONE). Output is bounded by `maxOutput`.
 */
export function decompressAedat4(compression: Aedat4Compression, src: Uint8Array, start: number, end: number, scratch: ByteScratch, maxOutput: number): Uint8Array {
  switch (compression) {
    case 'none':
      return src.subarray(start, end);
    case 'lz4':
    case 'lz4-high': {
      const n = lz4DecodeFrame(src, start, end, scratch, maxOutput);
      return scratch.buf.subarray(0, n);
    }
    case 'zstd':
    case 'zstd-high':
      return zstdDecompress(src.subarray(start, end), maxOutput);
  }
}

export interface Aedat4DecoderOptions extends DecoderOptions {
  /** `file` (default) or `network` (§7: size-prefixed IOHeader, no magic line, no table). */
  framing?: 'file' | 'network';
  /** EVTS stream to decode. Default: the lowest-id EVTS stream of the info node. */
  streamId?: number;
  /** Use the WebAssembly kernels when available (default true). */
  wasm?: boolean;
}

type Phase = 'magic' | 'length' | 'ioheader' | 'packets' | 'table';

const KIND: Record<string, string> = { IMUS: 'imu', TRIG: 'trigger', FRME: 'frame', EVTS: 'events' };

export class Aedat4Decoder extends ChunkDecoder {
  readonly format: EventFormat = 'aedat4';
  ioHeader: Aedat4IOHeader | undefined;
  /** FileDataTable entries, parsed at end() when the file has one. */
  dataTable: Aedat4TableEntry[] | undefined;
  /** Selected EVTS stream id (known after the header). */
  streamId: number | undefined;
  /** Packets seen per stream id. */
  readonly packetsPerStream = new Map<number, number>();
  private phase: Phase;
  private ioLength = 0;
  private readonly scratch = new ByteScratch(1 << 18);
  private readonly cols = new OutputColumns();
  private kinds = new Map<number, string>();
  private readonly wasm: WasmColumns | undefined;

  constructor(options: Aedat4DecoderOptions = {}) {
    super(options);
    this.phase = (options.framing ?? 'file') === 'file' ? 'magic' : 'length';
    this.streamId = options.streamId;
    const arena = options.wasm === false ? undefined : WasmArena.create();
    this.wasm = arena ? new WasmColumns(arena) : undefined;
  }

  protected override recordName(): string {
    return this.phase === 'packets' ? 'AEDAT 4 packet' : this.phase === 'table' ? 'AEDAT 4 data table' : 'AEDAT 4 header';
  }

  protected parse(buf: Uint8Array, out: EventBatch[], final: boolean): number {
    const base = this.stats.bytes;
    const view = dataView(buf);
    let pos = 0;
    if (this.phase === 'magic') {
      if (buf.length < AEDAT4_MAGIC.length) {
        this.want(AEDAT4_MAGIC.length);
        return 0;
      }
      for (let i = 0; i < AEDAT4_MAGIC.length; i++) {
        if (buf[i] !== AEDAT4_MAGIC.charCodeAt(i)) throw this.error('missing "#!AER-DAT4.0\\r\\n" magic line', i);
      }
      pos = AEDAT4_MAGIC.length;
      this.phase = 'length';
    }
    if (this.phase === 'length') {
      if (buf.length - pos < 4) {
        this.want(4);
        return pos;
      }
      this.ioLength = view.getUint32(pos, true);
      if (this.ioLength < 12 || this.ioLength > MAX_IOHEADER_BYTES) throw this.error(`impossible IOHeader length ${this.ioLength}`, base + pos);
      pos += 4;
      this.phase = 'ioheader';
    }
    if (this.phase === 'ioheader') {
      if (buf.length - pos < this.ioLength) {
        this.want(this.ioLength);
        return pos;
      }
      this.acceptIOHeader(buf.subarray(pos, pos + this.ioLength), base + pos);
      pos += this.ioLength;
      this.phase = 'packets';
    }
    if (this.phase === 'packets') pos = this.parsePackets(buf, view, pos, base, out);
    if (this.phase === 'table') {
      const rest = buf.length - pos;
      if (rest > this.maxPacketBytes) throw this.error(`data table longer than ${this.maxPacketBytes} bytes`, base + pos);
      if (!final) {
        this.want(rest + 1);
        return pos;
      }
      // The table only indexes the packets: when it cannot be read (a file cut inside it),
      // allowTruncated drops it as an incomplete tail (end() counts it) and keeps the events.
      const table = this.decodeTable(buf, pos, base);
      if (!table) return pos;
      this.dataTable = table;
      pos = buf.length;
    }
    return pos;
  }

  private acceptIOHeader(bytes: Uint8Array, at: number): void {
    try {
      this.ioHeader = parseIOHeader(dataView(bytes), 0);
    } catch (err) {
      if (err instanceof FlatBufferError) throw this.error(`bad IOHeader: ${err.message}`, at + err.position);
      throw err;
    }
    this.streams = parseInfoNode(this.ioHeader.infoNode);
    this.header = [`compression ${this.ioHeader.compression}`, `dataTablePosition ${this.ioHeader.dataTablePosition}`];
    for (const s of this.streams) this.kinds.set(s.id, KIND[s.type] ?? s.type.toLowerCase());
    if (this.streamId === undefined) this.streamId = this.streams.find((s) => s.type === 'EVTS')?.id ?? 0;
    const chosen = this.streams.find((s) => s.id === this.streamId);
    if (!chosen && this.streams.length > 0) throw this.error(`stream ${this.streamId} does not exist; ${describeStreams(this.streams)}`, at);
    if (chosen && chosen.type !== 'EVTS') throw this.error(`stream ${this.streamId} is ${chosen.type}, not an EVTS event stream; ${describeStreams(this.streams)}`, at);
    this.sensor ??= chosen?.sensor ?? { width: 640, height: 480 };
  }

  private parsePackets(buf: Uint8Array, view: DataView, start: number, base: number, out: EventBatch[]): number {
    const tableAt = this.ioHeader!.dataTablePosition;
    const cols = this.cols;
    let n = 0;
    // Drop the previous arrays (owned by the batches already emitted) so growColumns allocates.
    if (!this.folding) cols.x = new Uint16Array(0);
    let pos = start;
    for (;;) {
      if (tableAt >= 0 && base + pos >= tableAt) {
        if (base + pos > tableAt) throw this.error(`packet overlaps the data table at ${tableAt}`, base + pos);
        this.phase = 'table';
        break;
      }
      if (buf.length - pos < PACKET_HEADER) {
        this.want(PACKET_HEADER);
        break;
      }
      const stream = view.getInt32(pos, true);
      const size = view.getInt32(pos + 4, true);
      if (size < 0 || size > this.maxPacketBytes) throw this.error(`impossible packet size ${size} (stream ${stream})`, base + pos + 4);
      if (tableAt >= 0 && base + pos + PACKET_HEADER + size > tableAt) {
        throw this.error(`packet of ${size} bytes runs into the data table at ${tableAt}`, base + pos);
      }
      if (buf.length - pos < PACKET_HEADER + size) {
        this.want(PACKET_HEADER + size);
        break;
      }
      const payloadAt = pos + PACKET_HEADER;
      this.stats.packets++;
      this.packetsPerStream.set(stream, (this.packetsPerStream.get(stream) ?? 0) + 1);
      if (stream === this.streamId) {
        n = this.decodeEvents(buf, payloadAt, payloadAt + size, base, n);
      } else {
        this.countSkipped(stream, buf, payloadAt, payloadAt + size, base);
      }
      pos = payloadAt + size;
    }
    if (n > 0) {
      const w = this.wasm;
      if (w) this.emitBatch(out, w.arena.view(w.layout(), n, this.sensor!), w.arena.firstOutside(w.layout(), n, this.sensor!), true);
      else this.emitBatch(out, cols.batch(n, this.sensor!));
    }
    return pos;
  }

  private payload(buf: Uint8Array, start: number, end: number, base: number): { view: DataView; bytes: Uint8Array } {
    let bytes: Uint8Array;
    try {
      bytes = decompressAedat4(this.ioHeader!.compression, buf, start, end, this.scratch, this.maxPacketBytes);
    } catch (err) {
      if (err instanceof Lz4Error) throw this.error(`corrupt LZ4 packet: ${err.message}`, base + err.position);
      if (err instanceof ZstdError) throw this.error(err.message, base + start);
      throw err;
    }
    if (bytes.length < 12) throw this.error(`packet payload of ${bytes.length} bytes is too short for a FlatBuffer`, base + start);
    const view = dataView(bytes);
    const declared = view.getUint32(0, true);
    if (declared + 4 > bytes.length) throw this.error(`FlatBuffer size prefix ${declared} exceeds the ${bytes.length}-byte payload`, base + start);
    return { view, bytes };
  }

  private decodeEvents(buf: Uint8Array, start: number, end: number, base: number, n: number): number {
    if (this.wasm) return this.decodeEventsWasm(buf, start, end, base, n);
    const { view } = this.payload(buf, start, end, base);
    const [vec, count] = this.eventVector(view, 0, base + start);
    if (count === 0) return n;
    const cols = this.cols;
    growColumns(cols, n + count, n);
    return decodeEventStructs(view, vec + 4, count, cols.x, cols.y, cols.t, cols.p, n);
  }

  /** Position and length of the Event vector of an EVTS payload starting at `at` of `view`. */
  private eventVector(view: DataView, at: number, errorOffset: number): [number, number] {
    try {
      const id = fileIdentifier(view, at + 4);
      if (id !== 'EVTS') throw new FlatBufferError(`identifier "${id}" where EVTS was expected`, 8);
      const vec = readOffsetField(view, rootTable(view, at + 4), 0);
      return [vec, vec ? vectorLength(view, vec, EVENT_BYTES) : 0];
    } catch (err) {
      if (err instanceof FlatBufferError) throw this.error(`bad EVTS packet: ${err.message} (payload offset ${err.position - at})`, errorOffset);
      throw err;
    }
  }

  /** WASM path: decompress into the arena (LZ4 kernel), decode the structs there too. */
  private decodeEventsWasm(buf: Uint8Array, start: number, end: number, base: number, n: number): number {
    const w = this.wasm!;
    const arena = w.arena;
    const compression = this.ioHeader!.compression;
    let length: number;
    let scratch = w.scratchBase();
    if (compression === 'lz4' || compression === 'lz4-high') {
      try {
        [scratch, length] = lz4FrameIntoArena(buf, start, end, arena, scratch, this.maxPacketBytes);
      } catch (err) {
        if (err instanceof Lz4Error) throw this.error(`corrupt LZ4 packet: ${err.message}`, base + err.position);
        throw err;
      }
    } else {
      const { bytes } = this.payload(buf, start, end, base);
      arena.reserve(scratch + bytes.length);
      arena.u8.set(bytes, scratch);
      length = bytes.length;
    }
    if (length < 12) throw this.error(`packet payload of ${length} bytes is too short for a FlatBuffer`, base + start);
    const view = new DataView(arena.k.memory.buffer, scratch, length);
    if (view.getUint32(0, true) + 4 > length) throw this.error(`FlatBuffer size prefix exceeds the ${length}-byte payload`, base + start);
    const [vec, count] = this.eventVector(view, 0, base + start);
    if (count === 0) return n;
    // Growing the columns moves them but not the payload: the scratch area is re-based first.
    const moved = w.ensure(n + count, n, scratch, length);
    const l = w.layout();
    return arena.k.evts(moved + vec + 4, count, l.ox, l.oy, l.ot, l.op, n, WasmColumns.KERNEL_CONSTANTS);
  }

  private countSkipped(stream: number, buf: Uint8Array, start: number, end: number, base: number): void {
    const kind = this.kinds.get(stream) ?? `stream${stream}`;
    if (kind !== 'imu' && kind !== 'trigger') {
      this.skip(kind, 1);
      return;
    }
    // IMU/trigger packets are small: count their elements (vector of tables at field 0).
    const { view } = this.payload(buf, start, end, base);
    try {
      const vec = readOffsetField(view, rootTable(view, 4), 0);
      this.skip(kind, vec ? vectorLength(view, vec, 4) : 0);
    } catch (err) {
      if (err instanceof FlatBufferError) throw this.error(`bad ${kind} packet: ${err.message}`, base + start);
      throw err;
    }
  }

  /** The FileDataTable at buf[pos..]; undefined when it is unreadable and allowTruncated is set. */
  private decodeTable(buf: Uint8Array, pos: number, base: number): Aedat4TableEntry[] | undefined {
    try {
      return parseDataTable(decompressAedat4(this.ioHeader!.compression, buf, pos, buf.length, this.scratch, this.maxPacketBytes).slice());
    } catch (err) {
      if (!(err instanceof Lz4Error || err instanceof ZstdError || err instanceof FlatBufferError)) throw err;
      if (this.allowTruncated) return undefined;
      // Lz4Error positions index buf; the others have none within it.
      throw this.error(`corrupt or truncated data table: ${err.message}`, base + (err instanceof Lz4Error ? err.position : pos));
    }
  }

  protected override finish(): void {
    if (this.phase !== 'packets' && this.phase !== 'table') throw this.error('input ends inside the AEDAT 4 header', this.stats.bytes);
  }

  protected override release(): void {
    this.wasm?.arena.release();
  }
}

/**
 * Event columns kept in a WASM arena across the packets of one push: [t | x | y | p] at a fixed
 * base with capacity `cap`, and a scratch area for one decompressed packet after them. The
 * bytes below the base hold the struct kernel's loop constants.
 */
class WasmColumns {
  private cap = 0;
  private static readonly BASE = 64;
  static readonly KERNEL_CONSTANTS = 0;

  constructor(readonly arena: WasmArena) {}

  layout(): ArenaLayout {
    const c = this.cap, b = WasmColumns.BASE;
    const ox = b + c * 8, oy = ox + align8(c * 2), op = oy + align8(c * 2);
    return { input: 0, ot: b, ox, oy, op, capacity: c };
  }

  scratchBase(): number {
    const l = this.layout();
    return align8(l.op + this.cap) + 64;
  }

  /**
   * Makes room for `needed` events keeping the first `keep`; the `length` payload bytes at
   * `scratch` move along. Returns the payload's (possibly new) position.
   */
  ensure(needed: number, keep: number, scratch: number, length: number): number {
    if (needed <= this.cap) return scratch;
    const old = this.layout();
    this.cap = Math.max(needed, this.cap * 2, 1 << 14);
    const next = this.layout();
    const dest = this.scratchBase();
    this.arena.reserve(dest + length + 16);
    const m = this.arena.u8;
    // Highest first (payload, p, y, x; t stays): every target lies above its source.
    m.copyWithin(dest, scratch, scratch + length);
    m.copyWithin(next.op, old.op, old.op + keep);
    m.copyWithin(next.oy, old.oy, old.oy + keep * 2);
    m.copyWithin(next.ox, old.ox, old.ox + keep * 2);
    return dest;
  }
}

function align8(v: number): number {
  return (v + 7) & ~7;
}

/**
 * LZ4 frame src[start, end) decoded by the WASM block kernel into the arena: the compressed
 * bytes go to `at`, the output after them. Returns [output position, output length].
 */
function lz4FrameIntoArena(src: Uint8Array, start: number, end: number, arena: WasmArena, at: number, maxOutput: number): [number, number] {
  const info = lz4FrameInfo(src, start, end);
  // Compressed bytes first, output after them.
  const input = at;
  const output = align8(at + (end - start)) + 32; // slack: the kernel over-copies up to 16 bytes
  arena.reserve(output + 32);
  arena.u8.set(src.subarray(start, end), input);
  let s = info.dataStart;
  let d = 0;
  const k = arena.k;
  for (;;) {
    if (s + 4 > end) throw new Lz4Error('truncated LZ4 block header', s);
    const word = (src[s]! | (src[s + 1]! << 8) | (src[s + 2]! << 16) | (src[s + 3]! << 24)) >>> 0;
    s += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (size > info.blockMax || s + size > end) throw new Lz4Error(`LZ4 block size ${size} invalid`, s - 4);
    const limit = Math.min(d + info.blockMax, maxOutput);
    arena.reserve(output + limit + 32);
    if (word & 0x80000000) {
      if (d + size > limit) throw new Lz4Error('stored block overflows the output limit', s);
      arena.u8.copyWithin(output + d, input + (s - start), input + (s - start) + size);
      d += size;
    } else {
      const r = k.lz4block(input + (s - start), input + (s - start) + size, output + d, output, output + limit);
      if (r < 0) throw new Lz4Error('corrupt LZ4 block', k.errpos.value - input + start);
      d = r - output;
    }
    s += size + (info.blockChecksum ? 4 : 0);
    if (d >= maxOutput && s + 4 <= end && (src[s]! | src[s + 1]! | src[s + 2]! | src[s + 3]!) !== 0) {
      throw new Lz4Error(`LZ4 frame decompresses beyond the ${maxOutput}-byte limit`, s);
    }
  }
  return [output, d];
}

/** Hot loop over `count` 16-byte Event structs at `o`; standalone so V8 optimises it alone. */
function decodeEventStructs(view: DataView, o: number, count: number, ox: Uint16Array, oy: Uint16Array, ot: Float64Array, op: Uint8Array, n: number): number {
  const stop = n + count;
  for (let i = n; i < stop; i++, o += EVENT_BYTES) {
    ot[i] = view.getInt32(o + 4, true) * 4294967296 + view.getUint32(o, true);
    ox[i] = view.getInt16(o + 8, true);
    oy[i] = view.getInt16(o + 10, true);
    op[i] = view.getUint8(o + 12) & 1;
  }
  return stop;
}

// ---------------------------------------------------------------------------------------------
// Encoding

export interface Aedat4EncoderOptions {
  sensor: SensorGeometry;
  compression?: Aedat4Compression;
  /** Stream id of the events. Default 0. */
  streamId?: number;
  /** `file` (magic line + table) or `network` (size-prefixed IOHeader only). Default file. */
  framing?: 'file' | 'network';
  /** Camera name for the info node `source` attribute. */
  sourceName?: string;
  /** Events per packet. Default 8192. */
  maxEventsPerPacket?: number;
  zstdLevel?: number;
}

function infoNodeXml(o: Required<Pick<Aedat4EncoderOptions, 'sensor' | 'streamId' | 'sourceName'>> & { compression: Aedat4Compression }): string {
  const c = XML_COMPRESSION[AEDAT4_COMPRESSIONS.indexOf(o.compression)];
  const p = `/mainloop/spikeline/outInfo/${o.streamId}/`;
  return [
    '<dv version="2.0">',
    '    <node name="outInfo" path="/mainloop/spikeline/outInfo/">',
    `        <node name="${o.streamId}" path="${p}">`,
    `            <attr key="compression" type="string">${c}</attr>`,
    '            <attr key="originalModuleName" type="string">spikeline</attr>',
    '            <attr key="originalOutputName" type="string">events</attr>',
    '            <attr key="typeDescription" type="string">Array of events (polarity ON/OFF).</attr>',
    '            <attr key="typeIdentifier" type="string">EVTS</attr>',
    `            <node name="info" path="${p}info/">`,
    `                <attr key="sizeX" type="int">${o.sensor.width}</attr>`,
    `                <attr key="sizeY" type="int">${o.sensor.height}</attr>`,
    `                <attr key="source" type="string">${o.sourceName.replace(/[<&>"]/g, '_')}</attr>`,
    '                <attr key="tsOffset" type="long">0</attr>',
    '            </node>',
    '        </node>',
    '    </node>',
    '</dv>',
    '',
  ].join('\n');
}

/**
 * IOHeader FlatBuffer, preceded by its u32 LE length. Layout: root offset, "IOHE", vtable
 * (compression @4, dataTablePosition @8, infoNode @16), table, string. Always the same size for
 * the same info node, so a file writer can patch dataTablePosition at the end.
 */
export function encodeAedat4IOHeader(compression: Aedat4Compression, dataTablePosition: number, infoNode: string): Uint8Array {
  const text = new TextEncoder().encode(infoNode);
  const strBytes = 4 + text.length + 1;
  const fbBytes = 40 + ((strBytes + 3) & ~3);
  const out = new Uint8Array(4 + fbBytes);
  const v = dataView(out);
  v.setUint32(0, fbBytes, true);
  const B = 4;
  v.setUint32(B, 20, true); // root table at B+20
  out.set(asciiBytes('IOHE'), B + 4);
  v.setUint16(B + 8, 10, true); // vtable bytes
  v.setUint16(B + 10, 20, true); // table inline bytes
  v.setUint16(B + 12, 4, true);
  v.setUint16(B + 14, 8, true);
  v.setUint16(B + 16, 16, true);
  const T = B + 20;
  v.setInt32(T, 12, true); // T - vtable
  v.setInt32(T + 4, AEDAT4_COMPRESSIONS.indexOf(compression), true);
  setInt64(v, T + 8, dataTablePosition);
  v.setUint32(T + 16, 4, true); // string right after the table
  v.setUint32(T + 20, text.length, true);
  out.set(text, T + 24);
  return out;
}

function setInt64(v: DataView, o: number, value: number): void {
  const hi = Math.floor(value / 4294967296);
  v.setUint32(o, value - hi * 4294967296, true);
  v.setInt32(o + 4, hi, true);
}

/** Uncompressed EVTS payload (size-prefixed FlatBuffer) of events [start, end) of `batch`. */
export function encodeAedat4EventPacket(batch: EventBatch, start = 0, end = batch.length): Uint8Array {
  const n = end - start;
  const out = new Uint8Array(32 + n * EVENT_BYTES);
  const v = dataView(out);
  v.setUint32(0, out.length - 4, true);
  v.setUint32(4, 12, true); // root table at B+12 (B = 4)
  out.set(asciiBytes('EVTS'), 8);
  v.setUint16(12, 6, true);
  v.setUint16(14, 8, true);
  v.setUint16(16, 4, true);
  v.setInt32(20, 8, true); // table at 20, vtable at 12
  v.setUint32(24, 4, true); // vector at 28
  v.setUint32(28, n, true);
  const { x, y, t, p } = batch;
  let o = 32;
  for (let i = start; i < end; i++, o += EVENT_BYTES) {
    const ti = t[i]!;
    const hi = Math.floor(ti / 4294967296);
    v.setUint32(o, ti - hi * 4294967296, true);
    v.setInt32(o + 4, hi, true);
    v.setInt16(o + 8, x[i]!, true);
    v.setInt16(o + 10, y[i]!, true);
    out[o + 12] = p[i]! & 1;
  }
  return out;
}

/** Compresses a payload as AEDAT 4 packets/tables are compressed. */
export function compressAedat4(compression: Aedat4Compression, payload: Uint8Array, zstdLevel?: number): Uint8Array {
  switch (compression) {
    case 'none':
      return payload;
    case 'lz4':
    case 'lz4-high':
      return lz4EncodeFrame(payload);
    case 'zstd':
      return zstdCompress(payload, zstdLevel ?? 3);
    case 'zstd-high':
      return zstdCompress(payload, zstdLevel ?? 19);
  }
}

/** FileDataTable payload (size-prefixed FlatBuffer, identifier FTAB), uncompressed. */
export function encodeAedat4DataTable(entries: readonly Aedat4TableEntry[]): Uint8Array {
  const n = entries.length;
  const vecAt = 44; // absolute: count at 44 (B + 40)
  let tablesAt = vecAt + 4 + 4 * n;
  tablesAt = (tablesAt + 7) & ~7;
  const out = new Uint8Array(tablesAt + 48 * n);
  const v = dataView(out);
  v.setUint32(0, out.length - 4, true);
  v.setUint32(4, 16, true); // root at B+16 = 20
  out.set(asciiBytes('FTAB'), 8);
  v.setUint16(12, 6, true);
  v.setUint16(14, 8, true);
  v.setUint16(16, 4, true);
  v.setInt32(20, 8, true); // root table at 20, vtable at 12
  v.setUint32(24, vecAt - 24, true);
  // Shared element vtable at 28: 5 fields.
  v.setUint16(28, 14, true);
  v.setUint16(30, 48, true);
  [8, 16, 24, 32, 40].forEach((off, i) => v.setUint16(32 + 2 * i, off, true));
  v.setUint32(vecAt, n, true);
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    const slot = vecAt + 4 + 4 * i;
    const T = tablesAt + 48 * i;
    v.setUint32(slot, T - slot, true);
    v.setInt32(T, T - 28, true);
    setInt64(v, T + 8, e.byteOffset);
    v.setInt32(T + 16, e.streamId, true);
    v.setInt32(T + 20, e.size, true);
    setInt64(v, T + 24, e.numElements);
    setInt64(v, T + 32, e.timestampStart);
    setInt64(v, T + 40, e.timestampEnd);
  }
  return out;
}

/**
 * Stateful AEDAT 4 writer: `begin()` bytes, then `encode(batch)` packet bytes, then `finish()`
 * which returns the data table (file framing) and the header rewritten with its position (same
 * length as `begin()`'s header: write it back at offset 0).
 */
export class Aedat4Encoder {
  readonly compression: Aedat4Compression;
  readonly table: Aedat4TableEntry[] = [];
  private readonly framing: 'file' | 'network';
  private readonly streamId: number;
  private readonly maxEvents: number;
  private readonly info: string;
  private readonly zstdLevel: number | undefined;
  private offset = 0;

  constructor(options: Aedat4EncoderOptions) {
    this.compression = options.compression ?? 'lz4';
    this.framing = options.framing ?? 'file';
    this.streamId = options.streamId ?? 0;
    this.maxEvents = Math.max(1, Math.floor(options.maxEventsPerPacket ?? 8192));
    this.zstdLevel = options.zstdLevel;
    this.info = infoNodeXml({ sensor: options.sensor, streamId: this.streamId, sourceName: options.sourceName ?? 'spikeline', compression: this.compression });
    if (this.compression.startsWith('zstd')) zstdCompress(new Uint8Array(1)); // fail early if not initialised
  }

  private headerBytes(tablePosition: number): Uint8Array {
    const io = encodeAedat4IOHeader(this.compression, tablePosition, this.info);
    if (this.framing === 'network') return io;
    const out = new Uint8Array(AEDAT4_MAGIC.length + io.length);
    out.set(asciiBytes(AEDAT4_MAGIC));
    out.set(io, AEDAT4_MAGIC.length);
    return out;
  }

  begin(): Uint8Array {
    const h = this.headerBytes(-1);
    this.offset = h.length;
    return h;
  }

  /** Packets for `batch` (several when it exceeds maxEventsPerPacket). */
  encode(batch: EventBatch): Uint8Array {
    const parts: Uint8Array[] = [];
    for (let s = 0; s < batch.length; s += this.maxEvents) {
      const e = Math.min(batch.length, s + this.maxEvents);
      const payload = compressAedat4(this.compression, encodeAedat4EventPacket(batch, s, e), this.zstdLevel);
      const head = new Uint8Array(PACKET_HEADER);
      const hv = dataView(head);
      hv.setInt32(0, this.streamId, true);
      hv.setInt32(4, payload.length, true);
      this.table.push({
        byteOffset: this.offset + PACKET_HEADER,
        streamId: this.streamId,
        size: payload.length,
        numElements: e - s,
        timestampStart: batch.t[s]!,
        timestampEnd: batch.t[e - 1]!,
      });
      this.offset += PACKET_HEADER + payload.length;
      parts.push(head, payload);
    }
    return concatChunks(parts);
  }

  /** Data table bytes to append and the final header to write back at offset 0. */
  finish(): { tail: Uint8Array; header: Uint8Array } {
    if (this.framing === 'network') return { tail: new Uint8Array(0), header: this.headerBytes(-1) };
    const tail = compressAedat4(this.compression, encodeAedat4DataTable(this.table), this.zstdLevel);
    return { tail, header: this.headerBytes(this.offset) };
  }
}

/** Whole-file AEDAT 4 bytes of `batches`. */
export function encodeAedat4(batches: Iterable<EventBatch>, options: Aedat4EncoderOptions): Uint8Array {
  const enc = new Aedat4Encoder(options);
  const parts = [enc.begin()];
  for (const b of batches) parts.push(enc.encode(b));
  const { tail, header } = enc.finish();
  parts[0] = header;
  parts.push(tail);
  return concatChunks(parts);
}
