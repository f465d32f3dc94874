/**
 * Incremental ("push") decoding shared by file readers and network sources.
 *
 * A decoder is fed arbitrary byte chunks — file reads, TCP segments, reassembled UDP payloads —
 * and returns the events those bytes completed. Packets split across chunks are handled by
 * queueing the unconsumed tail; the queue is sized by the bytes actually received (at most 4x
 * them while a large record arrives, never by a header field alone), and a record larger than `maxPacketBytes` is
 * rejected before waiting for it. `end()` reports a truncated tail as a FormatError unless
 * `allowTruncated` is set, in which case the tail is counted in `stats.truncatedBytes` and
 * dropped.
 *
 * Chunks passed to `push` may be reused by the caller afterwards: a decoder copies what it
 * keeps. Emitted batches own their memory (safe to keep).
 */
import type { EventBatch, EventSummary, SensorGeometry } from '../events/index.js';
import { FormatError } from './errors.js';
import { copyBatch, dropOutside, firstOutside } from './output.js';

export type EventFormat = 'aedat2' | 'aedat3' | 'aedat4' | 'evt2' | 'evt3' | 'dat' | 'nmnist' | 'csv';

export interface DecoderOptions {
  /** Name used in error messages (file path or stream label). */
  source?: string;
  /** Drop an incomplete final record at `end()` instead of throwing. Default false. */
  allowTruncated?: boolean;
  /** Largest accepted packet/record in bytes (after decompression too). Default 256 MiB. */
  maxPacketBytes?: number;
  /** Override the sensor geometry the format or its header declares. */
  sensor?: SensorGeometry;
}

export interface DecoderStats {
  /** Bytes consumed so far (headers included). */
  bytes: number;
  /** Polarity events emitted. */
  events: number;
  /** Event packets/records decoded (format-specific unit: AEDAT 3/4 packets, else 0). */
  packets: number;
  /** Non-event data skipped, by kind (e.g. `imu`, `frame`, `special`, `trigger`, `invalid`). */
  skipped: Record<string, number>;
  /** Bytes of an incomplete tail dropped at `end()` (only with allowTruncated). */
  truncatedBytes: number;
}

/** Stream description gathered from a header (AEDAT 4 info node, AEDAT 3 source lines). */
export interface StreamInfo {
  id: number;
  type: string;
  name?: string;
  sensor?: SensorGeometry;
  compression?: string;
}

export interface EventDecoder {
  readonly format: EventFormat;
  /** Sensor geometry, known once the header has been parsed (undefined before). */
  readonly sensor: SensorGeometry | undefined;
  readonly stats: DecoderStats;
  /** Streams declared by the header (formats with several streams), else empty. */
  readonly streams: readonly StreamInfo[];
  /** Header text lines / key-values, for `info`. */
  readonly header: readonly string[];
  /** Feeds bytes; returns the events they completed (possibly none). */
  push(chunk: Uint8Array): EventBatch[];
  /** Signals end of input; returns any remaining events or throws on a truncated tail. */
  end(): EventBatch[];
  /**
   * Before the first push: folds the decoded events into `summary` instead of returning batches
   * (push and end return none): `info`'s one pass. No batch leaves the decoder, so it decodes into the same
   * memory every time instead of allocating each batch's.
   */
  foldInto(summary: EventSummary): void;
}

/** "streams in the file: 0 EVTS 320x240, 2 IMUS" — for errors about a missing stream. */
export function describeStreams(streams: readonly StreamInfo[]): string {
  const list = streams.map((s) => `${s.id} ${s.type}${s.name && s.name !== s.type ? ` ${s.name}` : ''}${s.sensor ? ` ${s.sensor.width}x${s.sensor.height}` : ''}`);
  return `streams in the file: ${list.join(', ')}`;
}

export const DEFAULT_MAX_PACKET_BYTES = 256 * 1024 * 1024;
const SPARE_MAX_BYTES = 4 << 20;

/**
 * Base class: queues chunks until at least `need` bytes are available, then hands one
 * contiguous buffer to `parse`, which consumes whole records and calls `want(n)` to say how
 * many bytes (from the first unconsumed one) it needs next.
 */
export abstract class ChunkDecoder implements EventDecoder {
  abstract readonly format: EventFormat;
  sensor: SensorGeometry | undefined;
  readonly stats: DecoderStats = { bytes: 0, events: 0, packets: 0, skipped: {}, truncatedBytes: 0 };
  streams: StreamInfo[] = [];
  header: string[] = [];
  protected readonly source: string | undefined;
  protected readonly allowTruncated: boolean;
  protected readonly maxPacketBytes: number;
  /**
   * Received bytes of a record straddling chunks, copied (the caller may reuse its chunk) into
   * one growing buffer: a 1 MiB packet arriving in 64 KiB pieces costs 3 allocations and ~1.3
   * MiB of copying, not 17 allocations and 2 MiB (a copy per piece, then a join).
   */
  private pending = new Uint8Array(0);
  /**
   * The buffer last handed to parse(), reused for the next straddling record: parse() keeps no
   * views of its buffer (decoders copy what they emit), and fresh memory costs page faults on
   * every first touch. Buffers over SPARE_MAX_BYTES are not kept.
   */
  private spare = new Uint8Array(0);
  private queued = 0;
  private need = 1;
  private ended = false;
  private fold: EventSummary | undefined;

  constructor(options: DecoderOptions = {}) {
    this.source = options.source;
    this.allowTruncated = options.allowTruncated ?? false;
    this.maxPacketBytes = options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
    this.sensor = options.sensor;
  }

  push(chunk: Uint8Array): EventBatch[] {
    if (this.ended) throw new Error('push() after end()');
    const out: EventBatch[] = [];
    let off = 0;
    try {
      while (off < chunk.length) {
        if (this.queued === 0) {
          // Fast path: parse straight from the caller's chunk, no copy.
          if (chunk.length - off < this.need) {
            this.enqueue(chunk, off, chunk.length);
            break;
          }
          const consumed = this.runParse(chunk.subarray(off), out);
          off += consumed;
          if (consumed === 0) {
            this.enqueue(chunk, off, chunk.length);
            break;
          }
        } else {
          // A record straddles chunks: complete it from the head of this chunk (plus a little
          // more, so byte-wise header scanning does not go quadratic), parse that small buffer.
          const take = Math.min(chunk.length - off, Math.max(this.need - this.queued, 4096));
          this.enqueue(chunk, off, off + take);
          off += take;
          if (this.queued < this.need) break;
          const buf = this.takePending();
          const consumed = this.runParse(buf, out);
          const rest = buf.length - consumed;
          // An unconsumed tail that came from this chunk goes back to it (fast path resumes).
          if (rest > 0 && rest <= take) off -= rest;
          else if (rest > 0) this.enqueue(buf, consumed, buf.length);
        }
      }
    } catch (err) {
      this.takePending();
      throw err;
    }
    return out;
  }

  private runParse(buf: Uint8Array, out: EventBatch[]): number {
    this.need = 1;
    const consumed = this.parse(buf, out, false);
    this.stats.bytes += consumed;
    return consumed;
  }

  /** Copies bytes[start, end) after the pending bytes. */
  private enqueue(bytes: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (this.queued + len > this.pending.length) {
      // Grow toward the awaited record, but never beyond 4x the bytes received so far.
      const have = this.queued + len;
      const next = new Uint8Array(Math.max(have, Math.min(this.need, 4 * have)));
      next.set(this.pending.subarray(0, this.queued));
      this.pending = next;
    }
    this.pending.set(bytes.subarray(start, end), this.queued);
    this.queued += len;
  }

  /** The pending bytes, handed over; the next straddling record goes to the spare buffer. */
  private takePending(): Uint8Array {
    const taken = this.pending;
    const buf = taken.subarray(0, this.queued);
    this.pending = this.spare;
    this.spare = taken.length <= SPARE_MAX_BYTES ? taken : new Uint8Array(0);
    this.queued = 0;
    return buf;
  }

  end(): EventBatch[] {
    if (this.ended) return [];
    this.ended = true;
    const out: EventBatch[] = [];
    try {
      const buf = this.takePending();
      const consumed = this.parse(buf, out, true);
      this.stats.bytes += consumed;
      if (consumed < buf.length) {
        const at = this.stats.bytes;
        if (!this.allowTruncated) {
          throw this.error(`truncated input: ${buf.length - consumed} trailing byte(s) do not form a complete ${this.recordName()}`, at);
        }
        this.stats.truncatedBytes += buf.length - consumed;
        this.stats.bytes += buf.length - consumed;
      }
      this.finish(out);
    } finally {
      this.release();
    }
    return out;
  }

  /**
   * Consumes whole records of `buf` (absolute offset `this.stats.bytes`), appending events.
   * Keeps no views of `buf` after returning: the decoder reuses that memory.
   */
  protected abstract parse(buf: Uint8Array, out: EventBatch[], final: boolean): number;
  /** Hook after the last parse (validation of required headers etc.). */
  protected finish(_out: EventBatch[]): void {}

  /** Called once at end(), after the last parse: hands shared resources (WASM arenas) back. */
  protected release(): void {}
  /** Name of the unit a truncated tail belongs to, for the error message. */
  protected recordName(): string {
    return 'record';
  }

  /** Declares that the next parse needs at least `bytes` unconsumed bytes. */
  protected want(bytes: number): void {
    this.need = Math.max(1, bytes);
  }

  protected error(reason: string, offset: number): FormatError {
    return new FormatError(reason, offset, this.source);
  }

  foldInto(summary: EventSummary): void {
    // Columns already handed out in batches must never be reused: only a fresh decoder folds.
    if (this.stats.bytes > 0 || this.queued > 0) throw new Error('foldInto() must be called before the first push()');
    this.fold = summary;
  }

  /** True when no batch leaves the decoder (foldInto): output memory may be reused. */
  protected get folding(): boolean {
    return this.fold !== undefined;
  }

  protected skip(kind: string, count: number): void {
    this.stats.skipped[kind] = (this.stats.skipped[kind] ?? 0) + count;
  }

  /**
   * Queues a decoded batch whose columns the decoder owns: fresh ones, or (`borrowed`) views of
   * memory it reuses, which are copied unless folding. The one rule of every decoder: events
   * outside the sensor (x >= width or y >= height, e.g. a negative int16 read as 65535) are
   * dropped and counted as `skipped.outOfRange`, never emitted. `outside` is the index of the
   * first such event when the caller already scanned for it (WASM kernels).
   */
  protected emitBatch(out: EventBatch[], batch: EventBatch, outside = firstOutside(batch), borrowed = false): void {
    let kept = batch;
    if (outside < batch.length) {
      kept = dropOutside(batch, outside);
      this.skip('outOfRange', batch.length - kept.length);
    }
    if (kept.length === 0) return;
    this.stats.events += kept.length;
    if (this.fold) this.fold.add(kept);
    else out.push(borrowed ? copyBatch(kept) : kept);
  }
}

export function concatChunks(chunks: readonly Uint8Array[], total?: number): Uint8Array {
  const size = total ?? chunks.reduce((s, c) => s + c.length, 0);
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

export function dataView(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Index of the first `\n` at or after `from`, or -1. */
export function indexOfNewline(buf: Uint8Array, from: number, limit = buf.length): number {
  for (let i = from; i < limit; i++) if (buf[i] === 0x0a) return i;
  return -1;
}

/** Decodes bytes [start, end) as latin1 text without a trailing CR. */
export function asciiLine(buf: Uint8Array, start: number, end: number): string {
  let e = end;
  if (e > start && buf[e - 1] === 0x0d) e--;
  let s = '';
  for (let i = start; i < e; i += 4096) {
    s += String.fromCharCode(...buf.subarray(i, Math.min(e, i + 4096)));
  }
  return s;
}

export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}
