/**
 * AEDAT 4 random access through the FileDataTable (spec §6.8): read only the header and the
 * table, then only the packets of one stream that overlap a time range. Files without a table
 * (dataTablePosition = −1, e.g. a recording that was not closed) fall back to a sequential
 * scan, so both paths give the same events.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { sliceByTime, firstTimeInversion, type EventBatch } from '../events/index.js';
import { Aedat4Decoder, AEDAT4_MAGIC, decompressAedat4, parseDataTable, parseInfoNode, parseIOHeader, type Aedat4IOHeader, type Aedat4TableEntry } from './aedat4.js';
import { DEFAULT_MAX_PACKET_BYTES, dataView, type StreamInfo } from './decoder.js';
import { FormatError } from './errors.js';
import { FlatBufferError } from './flatbuffers.js';
import { ByteScratch, Lz4Error } from './lz4.js';
import { openEventFile } from './io.js';

export interface Aedat4Index {
  ioHeader: Aedat4IOHeader;
  streams: StreamInfo[];
  /** Byte offset of the first packet. */
  dataStart: number;
  /** FileDataTable entries, or undefined when the file has none. */
  table: Aedat4TableEntry[] | undefined;
  size: number;
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** Header, streams and data table of an AEDAT 4 file, reading nothing else. */
export async function readAedat4Index(path: string, maxTableBytes = DEFAULT_MAX_PACKET_BYTES): Promise<Aedat4Index> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = await readAt(fh, 0, 18);
    if (head.length < 18 || String.fromCharCode(...head.subarray(0, 14)) !== AEDAT4_MAGIC) throw new FormatError('not an AEDAT 4.0 file (magic line)', 0, path);
    const length = dataView(head).getUint32(14, true);
    if (length < 12 || 18 + length > size) throw new FormatError(`impossible IOHeader length ${length}`, 14, path);
    const io = await readAt(fh, 18, length);
    let ioHeader: Aedat4IOHeader;
    try {
      ioHeader = parseIOHeader(dataView(io), 0);
    } catch (err) {
      if (err instanceof FlatBufferError) throw new FormatError(`bad IOHeader: ${err.message}`, 18 + err.position, path);
      throw err;
    }
    const dataStart = 18 + length;
    let table: Aedat4TableEntry[] | undefined;
    const at = ioHeader.dataTablePosition;
    if (at >= 0) {
      if (at < dataStart || at > size) throw new FormatError(`dataTablePosition ${at} outside the file`, 18, path);
      if (size - at > maxTableBytes) throw new FormatError(`data table of ${size - at} bytes exceeds the limit`, at, path);
      const raw = await readAt(fh, at, size - at);
      try {
        table = parseDataTable(decompressAedat4(ioHeader.compression, raw, 0, raw.length, new ByteScratch(), maxTableBytes).slice());
      } catch (err) {
        if (err instanceof FlatBufferError || err instanceof Lz4Error || (err instanceof Error && err.name === 'ZstdError')) {
          throw new FormatError(`corrupt data table: ${err.message}`, at, path);
        }
        throw err;
      }
    }
    return { ioHeader, streams: parseInfoNode(ioHeader.infoNode), dataStart, table, size };
  } finally {
    await fh.close();
  }
}

export interface Aedat4RangeOptions {
  /** EVTS stream id (default: lowest-id EVTS stream). */
  streamId?: number;
  /** Ignore the data table and scan sequentially (for checks). */
  ignoreTable?: boolean;
}

function cut(batch: EventBatch, start: number, end: number): EventBatch {
  if (firstTimeInversion(batch) < 0) return sliceByTime(batch, start, end);
  const keep: number[] = [];
  for (let i = 0; i < batch.length; i++) if (batch.t[i]! >= start && batch.t[i]! < end) keep.push(i);
  return {
    x: Uint16Array.from(keep, (i) => batch.x[i]!),
    y: Uint16Array.from(keep, (i) => batch.y[i]!),
    t: Float64Array.from(keep, (i) => batch.t[i]!),
    p: Uint8Array.from(keep, (i) => batch.p[i]!),
    length: keep.length,
    sensor: batch.sensor,
  };
}

/**
 * Events with start <= t < end of one EVTS stream. With a data table only overlapping packets
 * are read (positioned reads); otherwise the file is scanned.
 */
export async function* readAedat4Range(path: string, start: number, end: number, options: Aedat4RangeOptions = {}): AsyncGenerator<EventBatch> {
  const index = await readAedat4Index(path);
  const streamId = options.streamId ?? index.streams.find((s) => s.type === 'EVTS')?.id ?? 0;
  if (!index.table || options.ignoreTable) {
    for await (const b of await openEventFile(path, { format: 'aedat4', streamId })) {
      const c = cut(b, start, end);
      if (c.length) yield c;
    }
    return;
  }
  const fh = await open(path, 'r');
  try {
    // The decoder is primed with the size-prefixed IOHeader (network framing) and then fed the
    // selected packets only: the same validation as a sequential read.
    const dec = new Aedat4Decoder({ framing: 'network', streamId, source: path });
    dec.push(await readAt(fh, 14, index.dataStart - 14));
    const tableEnd = index.ioHeader.dataTablePosition;
    for (const e of index.table) {
      if (e.streamId !== streamId || e.timestampEnd < start || e.timestampStart >= end) continue;
      const at = e.byteOffset - 8;
      if (at < index.dataStart || e.size < 0 || e.byteOffset + e.size > tableEnd) {
        throw new FormatError(`data table entry points outside the packet area (offset ${e.byteOffset}, size ${e.size})`, tableEnd, path);
      }
      for (const b of dec.push(await readAt(fh, at, 8 + e.size))) {
        const c = cut(b, start, end);
        if (c.length) yield c;
      }
    }
    dec.end();
  } finally {
    await fh.close();
  }
}
