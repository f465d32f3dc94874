/**
 * spikeline as the camera end: serves an event stream to network clients.
 * - `tcp://` + `dv`: a DV-compatible TCP server (what DV's "TCP server" output and
 *   dv-processing's `NetworkWriter` send, spec §7): every client gets the size-prefixed IOHeader
 *   (stream 0, sensor size, compression) and then AEDAT 4 packets as events flow.
 * - `tcp://` + `aedat3`: cAER-style AEDAT 3.1 stream (spec §8): the 20-byte network header,
 *   then polarity packets.
 * - `ws://`: spikeline WebSocket frames (ws-frame.ts), one message per batch.
 * Clients joining late receive the stream from that point (a live camera). Packets are encoded
 * once per batch and written to every client.
 *
 * Backpressure: with `backpressure: 'pause'` (default) a client whose socket buffer exceeds
 * `highWaterBytes` closes the `valve` (which the source honours: a file replay waits) until it
 * drains, so nothing is lost; with `'drop'` that client's packets are dropped and counted (a
 * real camera cannot wait). Servers bind 127.0.0.1 unless told otherwise; WebSocket servers on
 * other addresses require a token (`?token=` or `Authorization: Bearer`).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Observable, Subscription } from 'rxjs';
import { WebSocketServer, type WebSocket } from 'ws';
import { sliceBatch, type EventBatch, type SensorGeometry } from '../events/index.js';
import {
  Aedat3PacketEncoder,
  Aedat4Encoder,
  compressAedat4,
  encodeAedat3NetworkHeader,
  encodeAedat4EventPacket,
  type Aedat4Compression,
} from '../formats/index.js';
import { FlowValve } from '../operators/bounded-buffer.js';
import { isLoopback, parseEndpoint } from './endpoint.js';
import { encodeWsFrame } from './ws-frame.js';

export interface ServeOptions {
  /** `tcp://host:port` or `ws://host:port/path`; port 0 picks a free port (see `address`). */
  readonly url: string;
  /** TCP wire protocol; default `dv`. */
  readonly protocol?: 'dv' | 'aedat3';
  readonly sensor: SensorGeometry;
  /** DV packet compression; default `none` (the fastest on loopback; DV reads all). */
  readonly compression?: Aedat4Compression;
  /** Subscribe to the source only once the first client has connected; default true. */
  readonly waitForClient?: boolean;
  readonly backpressure?: 'pause' | 'drop';
  /** The valve the source listens to (created when omitted; pass the source's own). */
  readonly valve?: FlowValve;
  /** Per-client bytes queued before backpressure applies; default 8 MiB. */
  readonly highWaterBytes?: number;
  /** Events per packet; default 8192. */
  readonly maxEventsPerPacket?: number;
  /** WebSocket auth token; required when binding a non-loopback address. */
  readonly token?: string;
  /** Camera name in the DV info node. */
  readonly sourceName?: string;
}

export interface ServerStats {
  clients: number;
  connections: number;
  batches: number;
  events: number;
  bytesSent: number;
  /** Packets not sent to a slow client (drop mode), summed over clients. */
  droppedPackets: number;
  droppedEvents: number;
}

export interface EventServer {
  readonly address: { host: string; port: number };
  readonly url: string;
  readonly stats: ServerStats;
  readonly valve: FlowValve;
  /** Resolves when the source completed and every client was flushed and closed. */
  readonly done: Promise<void>;
  /** Stops the stream; clients still taking their queued bytes after 2 s are cut off. */
  close(): Promise<void>;
}

/** How long close() lets clients take what is queued for them before cutting them off. */
const CLOSE_GRACE_MS = 2000;

interface Client {
  write(bytes: Uint8Array): boolean;
  readonly buffered: number;
  end(): void;
  destroy(): void;
}

/** Starts a server streaming `source` to its clients; resolves once listening. */
export async function serveEvents(source: Observable<EventBatch>, options: ServeOptions): Promise<EventServer> {
  const ep = parseEndpoint(options.url);
  if (ep.scheme === 'udp') throw new RangeError('serveEvents: use sendUdp for udp:// destinations');
  const protocol = options.protocol ?? 'dv';
  const valve = options.valve ?? new FlowValve();
  const highWater = options.highWaterBytes ?? 8 * 1024 * 1024;
  const policy = options.backpressure ?? 'pause';
  const maxEvents = Math.max(1, options.maxEventsPerPacket ?? 8192);
  const compression = options.compression ?? 'none';
  const stats: ServerStats = { clients: 0, connections: 0, batches: 0, events: 0, bytesSent: 0, droppedPackets: 0, droppedEvents: 0 };
  const clients = new Set<Client>();
  const blocked = new Set<Client>();
  let subscription: Subscription | undefined;
  let finished = false;
  let resolveDone!: () => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  done.catch(() => undefined); // observed through `done` by callers that care

  // Per-connection preamble.
  let preamble: Uint8Array;
  let encode: (batch: EventBatch) => Array<{ bytes: Uint8Array; events: number }>;
  if (ep.scheme === 'ws' || ep.scheme === 'wss') {
    preamble = new Uint8Array(0);
    encode = (b) => {
      const out: Array<{ bytes: Uint8Array; events: number }> = [];
      for (let s = 0; s < b.length; s += maxEvents) {
        const part = sliceBatch(b, s, s + maxEvents);
        out.push({ bytes: encodeWsFrame(part), events: part.length });
      }
      return out;
    };
  } else if (protocol === 'dv') {
    preamble = new Aedat4Encoder({ sensor: options.sensor, compression, framing: 'network', sourceName: options.sourceName ?? 'spikeline' }).begin();
    encode = (b) => {
      const out: Array<{ bytes: Uint8Array; events: number }> = [];
      for (let s = 0; s < b.length; s += maxEvents) {
        const e = Math.min(b.length, s + maxEvents);
        const payload = compressAedat4(compression, encodeAedat4EventPacket(b, s, e));
        const packet = new Uint8Array(8 + payload.length);
        const v = new DataView(packet.buffer);
        v.setInt32(0, 0, true); // stream id 0, as NetworkWriter
        v.setInt32(4, payload.length, true);
        packet.set(payload, 8);
        out.push({ bytes: packet, events: e - s });
      }
      return out;
    };
  } else {
    const enc = new Aedat3PacketEncoder({ maxEventsPerPacket: maxEvents });
    preamble = encodeAedat3NetworkHeader(1, 0n);
    encode = (b) => [{ bytes: enc.encode(b), events: b.length }];
  }

  const updateValve = () => {
    if (policy !== 'pause') return;
    if (blocked.size > 0) valve.pause();
    else valve.resume();
  };

  const broadcast = (batch: EventBatch) => {
    if (batch.length === 0) return;
    stats.batches++;
    stats.events += batch.length;
    const packets = encode(batch);
    for (const c of clients) {
      for (const p of packets) {
        if (policy === 'drop' && c.buffered > highWater) {
          stats.droppedPackets++;
          stats.droppedEvents += p.events;
          continue;
        }
        c.write(p.bytes);
        stats.bytesSent += p.bytes.length;
      }
      if (policy === 'pause' && c.buffered > highWater && !blocked.has(c)) {
        blocked.add(c);
        updateValve();
      }
    }
  };

  const finish = (err?: unknown) => {
    if (finished) return;
    finished = true;
    for (const c of clients) (err ? c.destroy() : c.end());
    void closeListener().then(() => (err ? rejectDone(err) : resolveDone()));
  };

  const start = () => {
    if (subscription) return;
    subscription = source.subscribe({ next: broadcast, error: (e) => finish(e), complete: () => finish() });
  };

  const addClient = (c: Client) => {
    if (finished) {
      c.end();
      return;
    }
    clients.add(c);
    stats.clients = clients.size;
    stats.connections++;
    if (preamble.length > 0) {
      c.write(preamble);
      stats.bytesSent += preamble.length;
    }
    if (options.waitForClient !== false) start();
  };
  const removeClient = (c: Client) => {
    clients.delete(c);
    blocked.delete(c);
    stats.clients = clients.size;
    updateValve();
  };
  const drained = (c: Client) => {
    if (blocked.delete(c)) updateValve();
  };

  let closeListener: () => Promise<void>;
  let address: { host: string; port: number };
  if (ep.scheme === 'tcp') {
    const server: Server = createServer((socket: Socket) => {
      socket.setNoDelay(true);
      const c: Client = {
        write: (b) => socket.write(b),
        get buffered() {
          return socket.writableLength;
        },
        end: () => socket.end(),
        destroy: () => socket.destroy(),
      };
      socket.on('drain', () => drained(c));
      socket.on('error', () => undefined); // a vanished client is just removed
      socket.on('close', () => removeClient(c));
      addClient(c);
    });
    await listen(server, ep.host, ep.port);
    const a = server.address() as { address: string; port: number };
    address = { host: a.address, port: a.port };
    closeListener = () => new Promise((res) => server.close(() => res()));
  } else {
    if (!isLoopback(ep.host) && !options.token) throw new RangeError(`serveEvents: a WebSocket server on ${ep.host} (not loopback) needs a token`);
    const wss = new WebSocketServer({ host: ep.host, port: ep.port, path: ep.path.split('?')[0], maxPayload: 1024, verifyClient: (info: { req: IncomingMessage }) => tokenOk(info.req, options.token) });
    wss.on('connection', (ws: WebSocket) => {
      const c: Client = {
        write: (b) => (ws.send(b, { binary: true }, () => drained(c)), true),
        get buffered() {
          return ws.bufferedAmount;
        },
        end: () => ws.close(1000, 'end of stream'),
        destroy: () => ws.terminate(),
      };
      ws.on('error', () => undefined);
      ws.on('close', () => removeClient(c));
      addClient(c);
    });
    await new Promise<void>((res, rej) => {
      wss.once('listening', res);
      wss.once('error', rej);
    });
    const a = wss.address() as { address: string; port: number };
    address = { host: a.address, port: a.port };
    closeListener = () => new Promise((res) => wss.close(() => res()));
  }
  if (options.waitForClient === false) start();

  return {
    address,
    url: `${ep.scheme}://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}${ep.scheme === 'tcp' ? '' : ep.path}`,
    stats,
    valve,
    done,
    async close() {
      subscription?.unsubscribe();
      if (!finished) finish();
      // A client that stopped reading never drains, and the listener waits for every client.
      const cut = setTimeout(() => {
        for (const c of clients) c.destroy();
      }, CLOSE_GRACE_MS);
      await done.catch(() => undefined);
      clearTimeout(cut);
    },
  };
}

function tokenOk(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const auth = req.headers.authorization;
  if (auth === `Bearer ${token}`) return true;
  const q = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
  return q === token;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(port, host, () => {
      server.off('error', rej);
      res();
    });
  });
}
