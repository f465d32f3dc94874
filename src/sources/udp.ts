/**
 * UDP sources and senders for the datagram protocols of udp-codecs.ts (`aedat3`, `jaer`,
 * `spif`). A source binds `udp://host:port` and decodes each datagram on its own: malformed
 * datagrams are counted and skipped, sequence gaps counted as lost. UDP cannot push back, so a
 * valve is not honoured: put a bounded buffer with a drop policy behind a UDP source.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { Observable } from 'rxjs';
import type { EventBatch, SensorGeometry } from '../events/index.js';
import { Aedat3Decoder } from '../formats/index.js';
import { FlowValve } from '../operators/bounded-buffer.js';
import { parseEndpoint } from './endpoint.js';
import { makeSource, type EventSource } from './status.js';
import { Aedat3DatagramEncoder, Aedat3Reassembler, encodeSpif, JaerDecoder, JaerEncoder, SpifDecoder, type JaerChip } from './udp-codecs.js';

export type UdpProtocol = 'aedat3' | 'jaer' | 'spif';

export interface UdpSourceOptions {
  readonly protocol: UdpProtocol;
  /** Sensor size: required for `spif` (the protocol has none); aedat3 default 128x128; jAER from `chip`. */
  readonly sensor?: SensorGeometry;
  readonly chip?: JaerChip;
  /** SPIF: use the timestamp words the sender includes instead of the receive time. */
  readonly senderTimestamps?: boolean;
  /** Kernel receive buffer, bytes (default 8 MiB; the OS may cap it). */
  readonly receiveBufferBytes?: number;
  /** Called with the bound address (useful with port 0). */
  readonly onListening?: (address: { host: string; port: number }) => void;
}

/** Monotonic µs clock for receive timestamps (never goes backwards). */
function receiveClock(): () => number {
  let last = 0;
  return () => {
    const now = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    last = Math.max(last, now);
    return last;
  };
}

export function udpSource(url: string, options: UdpSourceOptions): EventSource {
  const ep = parseEndpoint(url);
  if (ep.scheme !== 'udp') throw new RangeError(`udpSource needs a udp:// URL, got "${url}"`);
  if (options.protocol === 'spif' && !options.sensor) throw new RangeError('udpSource: spif needs options.sensor (the protocol carries no sensor size)');
  if (!['aedat3', 'jaer', 'spif'].includes(options.protocol)) throw new RangeError(`udpSource: unknown protocol "${options.protocol}"`);
  return makeSource(url, (ctx) => {
    const socket: Socket = createSocket({ type: ep.host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
    let handle: (d: Buffer) => void;
    if (options.protocol === 'aedat3') {
      const reasm = new Aedat3Reassembler();
      const dec = new Aedat3Decoder({ framing: 'packets', source: url, sensor: options.sensor ?? { width: 128, height: 128 } });
      handle = (d) => {
        const m = reasm.stats.malformed, l = reasm.stats.lost, s = reasm.stats.stale;
        const packet = reasm.push(d);
        ctx.stats.malformed += reasm.stats.malformed - m;
        ctx.stats.lost += reasm.stats.lost - l;
        ctx.stats.stale += reasm.stats.stale - s;
        if (!packet) return;
        const outside = dec.stats.skipped['outOfRange'] ?? 0;
        try {
          for (const b of dec.push(packet)) ctx.emit(b);
        } catch {
          ctx.stats.malformed++;
        }
        ctx.stats.droppedEvents += (dec.stats.skipped['outOfRange'] ?? 0) - outside; // outside the sensor
      };
    } else if (options.protocol === 'jaer') {
      const dec = new JaerDecoder(options.chip ?? 'dvs128');
      handle = (d) => {
        const m = dec.stats.malformed, l = dec.stats.lost, s = dec.stats.stale, x = dec.stats.droppedEvents;
        const b = dec.decode(d);
        ctx.stats.malformed += dec.stats.malformed - m;
        ctx.stats.lost += dec.stats.lost - l;
        ctx.stats.stale += dec.stats.stale - s;
        ctx.stats.droppedEvents += dec.stats.droppedEvents - x;
        if (b) ctx.emit(b);
      };
    } else {
      const dec = new SpifDecoder(options.sensor!, options.senderTimestamps ?? false);
      const clock = receiveClock();
      handle = (d) => {
        const m = dec.stats.malformed, x = dec.stats.droppedEvents;
        const b = dec.decode(d, clock());
        ctx.stats.malformed += dec.stats.malformed - m;
        ctx.stats.droppedEvents += dec.stats.droppedEvents - x;
        if (b) ctx.emit(b);
      };
    }
    socket.on('message', (d: Buffer) => {
      ctx.stats.packets++;
      ctx.stats.bytes += d.length;
      handle(d);
    });
    socket.on('error', (err) => ctx.fail(err));
    ctx.setState('connecting');
    socket.bind(ep.port, ep.host, () => {
      try {
        socket.setRecvBufferSize(options.receiveBufferBytes ?? 8 * 1024 * 1024);
      } catch {
        // The kernel may refuse large buffers; the default still works at lower rates.
      }
      const a = socket.address();
      ctx.setState('open');
      options.onListening?.({ host: a.address, port: a.port });
    });
    return () => {
      try {
        socket.close();
      } catch {
        // already closed after an error
      }
      ctx.setState('closed');
    };
  });
}

export interface UdpSendOptions {
  readonly protocol: UdpProtocol;
  readonly chip?: JaerChip;
  /** Most datagrams per second (default unlimited; loopback receivers drop when flooded). */
  readonly maxDatagramsPerSecond?: number;
  /** Pause line of the source (a file replay honours it) while datagrams are queued. */
  readonly valve?: FlowValve;
}

export interface UdpSendStats {
  datagrams: number;
  bytes: number;
  events: number;
}

/** Datagram bytes queued before the sender closes the source's valve, and where it reopens. */
const QUEUE_HIGH_BYTES = 4 * 1024 * 1024;
const QUEUE_LOW_BYTES = 1024 * 1024;

/**
 * Sends `source`'s batches as datagrams to `udp://host:port`; resolves with counters once the
 * source completed and every datagram was handed to the kernel.
 */
export function sendUdp(source: Observable<EventBatch>, url: string, options: UdpSendOptions): Promise<UdpSendStats> {
  const ep = parseEndpoint(url);
  if (ep.scheme !== 'udp') throw new RangeError(`sendUdp needs a udp:// URL, got "${url}"`);
  const encode: (b: EventBatch) => Uint8Array[] =
    options.protocol === 'aedat3'
      ? ((e) => (b: EventBatch) => e.encode(b))(new Aedat3DatagramEncoder())
      : options.protocol === 'jaer'
        ? ((e) => (b: EventBatch) => e.encode(b))(new JaerEncoder(options.chip ?? 'dvs128'))
        : (b: EventBatch) => encodeSpif(b);
  const valve = options.valve ?? new FlowValve();
  const stats: UdpSendStats = { datagrams: 0, bytes: 0, events: 0 };
  const socket = createSocket(ep.host.includes(':') ? 'udp6' : 'udp4');
  const queue: Uint8Array[] = [];
  let queuedBytes = 0;
  const gap = options.maxDatagramsPerSecond ? 1000 / options.maxDatagramsPerSecond : 0;
  return new Promise<UdpSendStats>((resolve, reject) => {
    let done = false;
    let sending = false;
    let failed = false;
    let next = performance.now();
    const finish = (err?: unknown) => {
      socket.close();
      if (err) reject(err);
      else resolve(stats);
    };
    const pump = async () => {
      if (sending) return;
      sending = true;
      while (queue.length > 0 && !failed) {
        const d = queue.shift()!;
        queuedBytes -= d.length;
        if (queuedBytes < QUEUE_LOW_BYTES) valve.resume();
        if (gap > 0) {
          const wait = next - performance.now();
          if (wait > 1) await new Promise((r) => setTimeout(r, wait));
          next = Math.max(next, performance.now() - 50) + gap;
        }
        await new Promise<void>((res, rej) => socket.send(d, ep.port, ep.host, (err) => (err ? rej(err) : res()))).catch((err) => {
          failed = true;
          sub.unsubscribe();
          finish(err);
        });
        stats.datagrams++;
        stats.bytes += d.length;
      }
      sending = false;
      if (done && queue.length === 0 && !failed) finish();
    };
    const sub = source.subscribe({
      next(b) {
        try {
          for (const d of encode(b)) {
            queue.push(d);
            queuedBytes += d.length;
          }
        } catch (err) {
          failed = true;
          sub?.unsubscribe();
          finish(err);
          return;
        }
        stats.events += b.length;
        if (queuedBytes > QUEUE_HIGH_BYTES) valve.pause();
        void pump();
      },
      error: (err) => {
        failed = true;
        finish(err);
      },
      complete: () => {
        done = true;
        void pump();
      },
    });
  });
}
