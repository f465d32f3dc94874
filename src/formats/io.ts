/**
 * File-level reading on top of the push decoders: format detection from content, an
 * AsyncIterable of EventBatch over bounded fs reads (steady memory on multi-GB files), and
 * whole-file / whole-buffer helpers.
 */
import { open } from 'node:fs/promises';
import { concatBatches, type EventBatch, type SensorGeometry } from '../events/index.js';
import { Aedat3Decoder, type Aedat3DecoderOptions } from './aedat3.js';
import { Aedat4Decoder, type Aedat4DecoderOptions } from './aedat4.js';
import { Aedat2Decoder, type Aedat2DecoderOptions } from './aedat2.js';
import { CsvDecoder } from './csv.js';
import { NmnistDecoder } from './nmnist.js';
import { DatDecoder, Evt2Decoder, Evt3Decoder } from './prophesee.js';
import type { EventDecoder, EventFormat } from './decoder.js';
import { detectFormat } from './detect.js';
import { FormatError } from './errors.js';

/** Options of every decoder, flat: each decoder reads the fields it knows. */
export interface ReadOptions extends Omit<Aedat3DecoderOptions, 'framing'>, Omit<Aedat4DecoderOptions, 'framing'>, Aedat2DecoderOptions {
  /** Framing for formats that have a network variant (AEDAT 3.1, AEDAT 4). Default `file`. */
  framing?: 'file' | 'network' | 'packets';
  /** Skip detection and decode as this format. */
  format?: EventFormat;
  /** Bytes per fs read. Default 1 MiB. */
  chunkBytes?: number;
}

/** A push decoder for `format` (see decoder.ts); the building block for sockets and files. */
export function createDecoder(format: EventFormat, options: ReadOptions = {}): EventDecoder {
  switch (format) {
    case 'aedat3':
      return new Aedat3Decoder(options);
    case 'aedat4':
      if (options.framing === 'packets') throw new RangeError('AEDAT 4 has no bare-packet framing');
      return new Aedat4Decoder({ ...options, framing: options.framing ?? 'file' });
    case 'aedat2':
      return new Aedat2Decoder(options);
    case 'evt2':
      return new Evt2Decoder(options);
    case 'evt3':
      return new Evt3Decoder(options);
    case 'dat':
      return new DatDecoder(options);
    case 'nmnist':
      return new NmnistDecoder(options);
    case 'csv':
      return new CsvDecoder(options);
    default:
      throw new FormatError(`no decoder for format "${String(format)}"`, 0, options.source);
  }
}

/** Decodes an in-memory file (format detected unless given) into one batch. */
export function decodeBuffer(bytes: Uint8Array, options: ReadOptions = {}): EventBatch {
  const { batches, decoder } = decodeBufferBatches(bytes, options);
  return batches.length === 1 ? batches[0]! : concatBatches(batches, decoder.sensor ?? { width: 0, height: 0 });
}

/** Decodes an in-memory file into its batches plus the decoder (stats, header, streams). */
export function decodeBufferBatches(bytes: Uint8Array, options: ReadOptions = {}): { batches: EventBatch[]; decoder: EventDecoder } {
  const format = options.format ?? detectFormat(bytes, options.source);
  if (!format) throw new FormatError('unrecognised event file format', 0, options.source);
  const decoder = createDecoder(format, options);
  const batches = [...decoder.push(bytes), ...decoder.end()];
  return { batches, decoder };
}

/** An opened event file: iterate it for batches; `decoder` holds header facts and stats. */
export interface EventFile extends AsyncIterable<EventBatch> {
  readonly path: string;
  readonly format: EventFormat;
  readonly size: number;
  readonly decoder: EventDecoder;
  /** The file's bytes in bounded reads, one buffer reused (for a decoder folding into a summary). */
  chunks(): AsyncGenerator<Uint8Array>;
}

const DETECT_BYTES = 4096;

/** Opens `path`, detects its format from the first bytes and prepares a streaming reader. */
export async function openEventFile(path: string, options: ReadOptions = {}): Promise<EventFile> {
  const handle = await open(path, 'r');
  let size: number;
  let head: Uint8Array;
  try {
    size = (await handle.stat()).size;
    head = new Uint8Array(Math.min(DETECT_BYTES, size));
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  const format = options.format ?? detectFormat(head, path);
  if (!format) throw new FormatError('unrecognised event file format', 0, path);
  const decoder = createDecoder(format, { ...options, source: options.source ?? path });
  const chunkBytes = Math.max(4096, Math.floor(options.chunkBytes ?? 1 << 20));
  const chunks = async function* (): AsyncGenerator<Uint8Array> {
    const fh = await open(path, 'r');
    try {
      // One read buffer reused for the whole file: decoders copy what they keep.
      const buf = new Uint8Array(chunkBytes);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, chunkBytes, null);
        if (bytesRead === 0) break;
        yield buf.subarray(0, bytesRead);
      }
    } finally {
      await fh.close();
    }
  };
  return {
    path,
    format,
    size,
    decoder,
    chunks,
    async *[Symbol.asyncIterator]() {
      for await (const chunk of chunks()) for (const b of decoder.push(chunk)) yield b;
      for (const b of decoder.end()) yield b;
    },
  };
}

/** Streams the batches of a file (format detected from content). */
export async function* readEventBatches(path: string, options: ReadOptions = {}): AsyncGenerator<EventBatch> {
  yield* await openEventFile(path, options);
}

/** Reads a whole file into one batch. */
export async function readEvents(path: string, options: ReadOptions = {}): Promise<EventBatch> {
  const file = await openEventFile(path, options);
  const batches: EventBatch[] = [];
  for await (const b of file) batches.push(b);
  const sensor: SensorGeometry = file.decoder.sensor ?? { width: 0, height: 0 };
  return batches.length === 1 ? batches[0]! : concatBatches(batches, sensor);
}
