/**
 * Writing events to AEDAT 2.0 (DVS128 layout), AEDAT 3.1, AEDAT 4.0 (none/LZ4/ZSTD, with data
 * table) and CSV, batch by batch (bounded memory), behind one EventEncoder interface.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { EventBatch, SensorGeometry } from '../events/index.js';
import { Aedat2Encoder } from './aedat2.js';
import { Aedat3PacketEncoder, encodeAedat3Header } from './aedat3.js';
import { Aedat4Encoder } from './aedat4.js';
import { CSV_HEADER, csvGeometryLine, encodeCsvRows } from './csv.js';
import { concatChunks } from './decoder.js';
import { initZstd } from './zstd.js';

export const WRITABLE_FORMATS = ['aedat2', 'aedat3', 'aedat4', 'csv'] as const;
export type WritableFormat = (typeof WRITABLE_FORMATS)[number];
export type WriteCompression = 'none' | 'lz4' | 'zstd';

export interface WriteOptions {
  format: WritableFormat;
  /** AEDAT 4 packet compression. Default lz4 (DV's default). */
  compression?: WriteCompression;
  /** Sensor written in headers (AEDAT 4 info node). Default: the first batch's. */
  sensor?: SensorGeometry;
  /** Device name for AEDAT 3.1 `#Source` / AEDAT 4 `source`. */
  sourceName?: string;
  /** Events per AEDAT 3.1/4 packet. */
  maxEventsPerPacket?: number;
}

/** Format-independent encoder: header bytes, packet bytes per batch, trailer (+ final header). */
export interface EventEncoder {
  begin(): Uint8Array;
  encode(batch: EventBatch): Uint8Array;
  /** `header`, when given, replaces the bytes of begin() (same length) — AEDAT 4's table position. */
  finish(): { tail: Uint8Array; header?: Uint8Array };
}

/** An encoder for `options.format`; async because ZSTD's compressor loads WASM once. */
export async function createEncoder(options: WriteOptions & { sensor: SensorGeometry }): Promise<EventEncoder> {
  switch (options.format) {
    case 'aedat2': {
      const enc = new Aedat2Encoder(options.sensor);
      // The header is written with the first batch (it depends on the first timestamp).
      return { begin: () => new Uint8Array(0), encode: (b) => enc.encode(b), finish: () => ({ tail: enc.emptyHeader() }) };
    }
    case 'aedat3': {
      const enc = new Aedat3PacketEncoder({ sourceId: 1, ...(options.maxEventsPerPacket ? { maxEventsPerPacket: options.maxEventsPerPacket } : {}) });
      return {
        begin: () => encodeAedat3Header({ sourceId: 1, sensor: options.sensor, ...(options.sourceName ? { sourceName: options.sourceName } : {}) }),
        encode: (b) => enc.encode(b),
        finish: () => ({ tail: new Uint8Array(0) }),
      };
    }
    case 'aedat4': {
      const compression = options.compression ?? 'lz4';
      if (compression === 'zstd') await initZstd();
      const enc = new Aedat4Encoder({
        sensor: options.sensor,
        compression,
        ...(options.sourceName ? { sourceName: options.sourceName } : {}),
        ...(options.maxEventsPerPacket ? { maxEventsPerPacket: options.maxEventsPerPacket } : {}),
      });
      return { begin: () => enc.begin(), encode: (b) => enc.encode(b), finish: () => enc.finish() };
    }
    case 'csv':
      return { begin: () => new TextEncoder().encode(`${csvGeometryLine(options.sensor)}\n${CSV_HEADER}\n`), encode: encodeCsvRows, finish: () => ({ tail: new Uint8Array(0) }) };
  }
}

/** Format implied by an output file name, if any. `.aedat` means AEDAT 3.1 (DVS Gesture's). */
export function formatFromExtension(path: string): WritableFormat | undefined {
  if (/\.aedat4$/i.test(path)) return 'aedat4';
  if (/\.aedat3?$/i.test(path)) return 'aedat3';
  if (/\.aedat2$|\.dat2$/i.test(path)) return 'aedat2';
  if (/\.csv$/i.test(path)) return 'csv';
  return undefined;
}

export interface WriteResult {
  events: number;
  bytes: number;
}

/**
 * Streams `batches` into `path`. Memory stays bounded by one batch; AEDAT 4's header is
 * rewritten in place at the end with the data table position. The bytes go to a temporary file
 * beside `path` that replaces it only once everything is written and synced: if the batches or
 * the encoder fail, an existing `path` is untouched and the temporary file is removed (a partial
 * file would otherwise pass as a complete, shorter recording).
 */
export async function writeEventFile(
  path: string,
  batches: Iterable<EventBatch> | AsyncIterable<EventBatch>,
  options: WriteOptions,
  onProgress?: (events: number) => void,
): Promise<WriteResult> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.part`);
  const fh = await open(temporary, 'wx');
  let closed = false;
  try {
    const result = await writeEncoded(fh, batches, options, onProgress);
    await fh.sync();
    closed = true;
    await fh.close();
    await rename(temporary, path);
    return result;
  } catch (err) {
    if (!closed) await fh.close();
    await rm(temporary, { force: true });
    throw err;
  }
}

/** The encoder loop of writeEventFile, writing to an open file. */
async function writeEncoded(
  fh: FileHandle,
  batches: Iterable<EventBatch> | AsyncIterable<EventBatch>,
  options: WriteOptions,
  onProgress?: (events: number) => void,
): Promise<WriteResult> {
  let encoder: EventEncoder | undefined;
  let events = 0;
  let bytes = 0;
  const write = async (data: Uint8Array): Promise<void> => {
    let done = 0;
    while (done < data.length) done += (await fh.write(data, done, data.length - done)).bytesWritten;
    bytes += data.length;
  };
  const start = async (sensor: SensorGeometry): Promise<EventEncoder> => {
    const enc = await createEncoder({ ...options, sensor: options.sensor ?? sensor });
    await write(enc.begin());
    return enc;
  };
  for await (const batch of batches as AsyncIterable<EventBatch>) {
    encoder ??= await start(batch.sensor);
    if (batch.length === 0) continue;
    await write(encoder.encode(batch));
    events += batch.length;
    onProgress?.(events);
  }
  encoder ??= await start(options.sensor ?? { width: 128, height: 128 });
  const { tail, header } = encoder.finish();
  await write(tail);
  if (header) {
    let done = 0;
    while (done < header.length) done += (await fh.write(header, done, header.length - done, done)).bytesWritten;
  }
  return { events, bytes };
}

/** Encodes batches into one in-memory file. */
export async function encodeEvents(batches: Iterable<EventBatch>, options: WriteOptions): Promise<Uint8Array> {
  const list = [...batches];
  const enc = await createEncoder({ ...options, sensor: options.sensor ?? list[0]?.sensor ?? { width: 128, height: 128 } });
  const parts = [enc.begin()];
  for (const b of list) if (b.length > 0) parts.push(enc.encode(b));
  const { tail, header } = enc.finish();
  if (header) parts[0] = header;
  parts.push(tail);
  return concatChunks(parts);
}
