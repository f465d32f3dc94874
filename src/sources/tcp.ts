/**
 * TCP client source for camera network streams:
 * - `dv`: DV / dv-processing `NetworkWriter` output (AEDAT 4 framing, spec §7): size-prefixed
 *   IOHeader then packets; compression from the header.
 * - `aedat3`: cAER / libcaer AEDAT 3.x stream (spec §8): 20-byte network header then packets.
 * Each connection gets a fresh decoder (the server resends the header on every connection).
 * A malformed packet desynchronises a byte stream, so it is counted and the connection is
 * dropped and re-established. With `reconnect` (default true) a dropped or refused connection is
 * retried with exponential backoff; without it, the stream completes when the server closes.
 */
import { connect, type Socket } from 'node:net';
import { sliceBatch, type SensorGeometry } from '../events/index.js';
import { Aedat3Decoder, Aedat4Decoder, type EventDecoder } from '../formats/index.js';
import type { FlowValve } from '../operators/bounded-buffer.js';
import { parseEndpoint } from './endpoint.js';
import { Backoff, makeSource, nextRetry, type EventSource, type ReconnectOptions } from './status.js';

export type TcpProtocol = 'dv' | 'aedat3';

export interface TcpSourceOptions extends ReconnectOptions {
  readonly protocol?: TcpProtocol;
  /** Sensor geometry when the stream does not declare it (AEDAT 3 streams); default 128x128 for aedat3. */
  readonly sensor?: SensorGeometry;
  /** DV stream id to decode (default: lowest EVTS stream). */
  readonly streamId?: number;
  /** Pause line from a bounded buffer: the socket stops reading while it is closed. */
  readonly valve?: FlowValve;
  /** Largest accepted packet (bytes, after decompression); default 64 MiB. */
  readonly maxPacketBytes?: number;
  /** Connection timeout, ms (default 5000). */
  readonly connectTimeoutMs?: number;
  /** Socket read buffer, reused for every read (default 1 MiB). */
  readonly readBufferBytes?: number;
}

/**
 * Bytes decoded between two looks at the valve. Without a valve a read is decoded whole: every
 * slice boundary inside a packet makes the decoder copy that packet (DV packets are ~1 MiB).
 */
const FEED_SLICE = 64 * 1024;
/**
 * Largest batch emitted: a whole read can decode to a few hundred thousand events, which go out
 * as views of at most this many (the batch size the rest of the pipeline is tuned for).
 */
const MAX_BATCH_EVENTS = 65536;

export function tcpSource(url: string, options: TcpSourceOptions = {}): EventSource {
  const ep = parseEndpoint(url);
  if (ep.scheme !== 'tcp') throw new RangeError(`tcpSource needs a tcp:// URL, got "${url}"`);
  const protocol = options.protocol ?? 'dv';
  const reconnect = options.reconnect ?? true;
  return makeSource(url, (ctx) => {
    const backoff = new Backoff(options);
    let socket: Socket | undefined;
    let timer: NodeJS.Timeout | undefined;
    let connectedBefore = false;
    let stopped = false;
    // Bytes read but not yet decoded when the valve closed, and the function that decodes them.
    let held: Uint8Array | undefined;
    let resumeHeld: () => boolean = () => true;
    const offValve = options.valve?.onChange((paused) => {
      if (paused) socket?.pause();
      else if (resumeHeld()) socket?.resume();
    });
    const readBuffer = Buffer.allocUnsafe(options.readBufferBytes ?? 1024 * 1024);
    const readView = new Uint8Array(readBuffer.buffer, readBuffer.byteOffset, readBuffer.length);

    const decoder = (): EventDecoder => {
      const common = { source: url, allowTruncated: true, maxPacketBytes: options.maxPacketBytes ?? 64 * 1024 * 1024 };
      return protocol === 'dv'
        ? new Aedat4Decoder({ ...common, framing: 'network', ...(options.streamId !== undefined ? { streamId: options.streamId } : {}), ...(options.sensor ? { sensor: options.sensor } : {}) })
        : new Aedat3Decoder({ ...common, framing: 'network', sensor: options.sensor ?? { width: 128, height: 128 } });
    };

    const open = () => {
      if (stopped) return;
      ctx.setState(connectedBefore ? 'reconnecting' : 'connecting');
      const dec = decoder();
      let failed: unknown;
      held = undefined; // bytes held from a previous connection belong to its stream
      // Decodes `chunk` in slices, stopping as soon as the valve closes: what is left is copied
      // aside (the read buffer is reused) and decoded first when the valve reopens, so a pause
      // takes effect within one slice, not one 1 MiB read. Returns false to stop reading.
      const feed = (chunk: Uint8Array): boolean => {
        let off = 0;
        while (off < chunk.length) {
          if (options.valve?.paused) {
            held = chunk.slice(off);
            return false;
          }
          const end = options.valve ? Math.min(chunk.length, off + FEED_SLICE) : chunk.length;
          const before = dec.stats.packets;
          const outside = dec.stats.skipped['outOfRange'] ?? 0;
          try {
            for (const b of dec.push(chunk.subarray(off, end))) {
              if (b.length <= MAX_BATCH_EVENTS) ctx.emit(b);
              else for (let i = 0; i < b.length; i += MAX_BATCH_EVENTS) ctx.emit(sliceBatch(b, i, i + MAX_BATCH_EVENTS));
            }
            // Only a connection that delivers decodable packets counts as healthy for the backoff.
            if (dec.stats.packets > 0) backoff.reset();
          } catch (err) {
            ctx.stats.malformed++;
            failed = err;
            s.destroy();
            return false;
          } finally {
            ctx.stats.packets += dec.stats.packets - before;
            ctx.stats.droppedEvents += (dec.stats.skipped['outOfRange'] ?? 0) - outside; // outside the sensor
          }
          off = end;
        }
        return true;
      };
      const onData = (chunk: Uint8Array): boolean => {
        ctx.stats.bytes += chunk.length;
        return feed(chunk);
      };
      resumeHeld = () => {
        if (!held) return true;
        const rest = held;
        held = undefined;
        return feed(rest);
      };
      // Reads land in one reused 1 MiB buffer (2-3x the throughput of 64 KiB 'data' chunks on
      // loopback); the decoder copies the bytes of a record that straddles reads. `feed` sees a
      // plain Uint8Array view so that `held = chunk.slice()` copies (on a Node Buffer it would not).
      const s = connect({
        host: ep.host,
        port: ep.port,
        noDelay: true,
        timeout: options.connectTimeoutMs ?? 5000,
        onread: { buffer: readBuffer, callback: (n: number) => onData(readView.subarray(0, n)) },
      });
      socket = s;
      s.once('connect', () => {
        s.setTimeout(0);
        if (connectedBefore) ctx.stats.reconnects++;
        connectedBefore = true;
        ctx.setState('open');
        if (options.valve?.paused) s.pause();
      });
      s.on('timeout', () => s.destroy(new Error(`${url}: connection timed out`)));
      s.on('error', (err) => (failed ??= err));
      s.on('close', () => {
        if (socket === s) socket = undefined;
        if (stopped) return;
        if (failed === undefined) {
          try {
            for (const b of dec.end()) ctx.emit(b);
          } catch (err) {
            ctx.stats.malformed++;
            failed = err;
          }
        }
        const delay = nextRetry(ctx, backoff, reconnect, failed);
        if (delay !== undefined) timer = setTimeout(open, delay);
      });
    };

    open();
    return () => {
      stopped = true;
      offValve?.();
      if (timer) clearTimeout(timer);
      socket?.destroy();
      if (ctx.stats.state !== 'failed') ctx.setState('closed');
    };
  });
}
