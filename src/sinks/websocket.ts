/**
 * WebSocket fan-out of pipeline messages (predictions, firing, status, previews) to many clients.
 *
 * Each message is serialised once and the same buffer is written to every client. A client that
 * reads slower than the pipeline produces never stalls it: when the client's socket buffer
 * (`bufferedAmount`) holds more than `maxBufferedBytes`, new messages for that client are dropped
 * and counted (per client, reported to it in status messages, and in Prometheus). Previews, the
 * bulkiest and least important messages, are dropped first, at a quarter of that limit. Clients
 * that stop answering pings are terminated at the next heartbeat.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { PipelineMessage, StatusMessage } from './messages.js';
import type { PipelineMetrics } from './prometheus.js';
import type { MessageSink } from './sink.js';

export interface WebSocketSinkOptions {
  /** Per-client outgoing buffer ceiling before messages are dropped. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Largest message a client may send (it is closed with 1009 beyond). Default 4 KiB. */
  maxPayloadBytes?: number;
  /** Ping interval; a client that missed the previous pong is terminated. Default 15 s. 0 disables. */
  heartbeatMs?: number;
  /** Further connections are refused with HTTP 503. Default 256. */
  maxClients?: number;
  /** Sent to each client right after it connects (the `hello` message). */
  hello?: () => PipelineMessage;
  metrics?: PipelineMetrics;
}

interface Client {
  socket: WebSocket;
  alive: boolean;
  previews: boolean;
  dropped: number;
  sent: number;
}

export interface ClientStats {
  previews: boolean;
  sent: number;
  dropped: number;
  bufferedAmount: number;
}

const CLOSE_GOING_AWAY = 1001;

export class WebSocketSink implements MessageSink {
  readonly name = 'websocket';
  readonly maxBufferedBytes: number;
  readonly heartbeatMs: number;
  private readonly maxClients: number;
  private readonly server: WebSocketServer;
  private readonly clients = new Set<Client>();
  private readonly heartbeat: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: WebSocketSinkOptions = {}) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1 << 20;
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.maxClients = options.maxClients ?? 256;
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayloadBytes ?? 4096,
      perMessageDeflate: false,
      clientTracking: false,
    });
    // Declared up front so dashboards see zeros, not missing series, before the first drop.
    for (const reason of ['slow_client', 'closed']) options.metrics?.wsMessagesDropped.inc({ reason }, 0);
    options.metrics?.wsClients.set(0);
    if (this.heartbeatMs > 0) {
      this.heartbeat = setInterval(() => this.ping(), this.heartbeatMs);
      this.heartbeat.unref();
    }
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Per-client counters (tests, status). */
  clientStats(): ClientStats[] {
    return [...this.clients].map((c) => ({
      previews: c.previews,
      sent: c.sent,
      dropped: c.dropped,
      bufferedAmount: c.socket.bufferedAmount,
    }));
  }

  /**
   * Completes an HTTP upgrade already accepted by the server (path and auth checked there).
   * `?previews=0` in the URL opts a client out of frame previews.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closed || this.clients.size >= this.maxClients) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    const previews = url.searchParams.get('previews') !== '0';
    this.server.handleUpgrade(request, socket, head, (ws) => this.accept(ws, previews));
  }

  private accept(socket: WebSocket, previews: boolean): void {
    const client: Client = { socket, alive: true, previews, dropped: 0, sent: 0 };
    this.clients.add(client);
    this.options.metrics?.wsClients.set(this.clients.size);
    socket.on('pong', () => {
      client.alive = true;
    });
    socket.on('message', (data, isBinary) => {
      client.alive = true;
      if (isBinary) return;
      // The only client request is an application-level ping (browsers cannot send WS pings).
      try {
        const msg = JSON.parse(data.toString()) as { type?: unknown };
        if (msg.type === 'ping') this.write(client, Buffer.from(JSON.stringify({ type: 'pong', time: Date.now() })), 'pong');
      } catch {
        // Garbage from a client is ignored; maxPayload bounds its size.
      }
    });
    const remove = (): void => {
      if (this.clients.delete(client)) this.options.metrics?.wsClients.set(this.clients.size);
    };
    socket.on('close', remove);
    socket.on('error', remove);
    const hello = this.options.hello?.();
    if (hello) this.write(client, Buffer.from(JSON.stringify(hello)), hello.type);
  }

  /** Sends one message to every client that can take it now; never blocks. */
  publish(message: PipelineMessage): void {
    if (this.clients.size === 0) return;
    if (message.type === 'status') {
      // Status carries each client's own drop count, so it is serialised per client.
      for (const c of this.clients) {
        const personal: StatusMessage = { ...message, droppedForYou: c.dropped };
        this.write(c, Buffer.from(JSON.stringify(personal)), 'status');
      }
      return;
    }
    const data = Buffer.from(JSON.stringify(message));
    const preview = message.type === 'frame';
    for (const c of this.clients) {
      if (preview && !c.previews) continue;
      this.write(c, data, message.type, preview);
    }
  }

  private write(client: Client, data: Buffer, type: string, lowPriority = false): void {
    const socket = client.socket;
    if (socket.readyState !== WebSocket.OPEN) {
      this.drop(client, 'closed');
      return;
    }
    const limit = lowPriority ? this.maxBufferedBytes / 4 : this.maxBufferedBytes;
    if (socket.bufferedAmount + data.length > limit) {
      this.drop(client, 'slow_client');
      return;
    }
    socket.send(data, { binary: false });
    client.sent++;
    this.options.metrics?.wsMessagesSent.inc({ type });
  }

  private drop(client: Client, reason: string): void {
    client.dropped++;
    this.options.metrics?.wsMessagesDropped.inc({ reason });
  }

  private ping(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        // No pong since the last heartbeat: the peer vanished without closing.
        c.socket.terminate();
        this.clients.delete(c);
        this.options.metrics?.wsClients.set(this.clients.size);
        continue;
      }
      c.alive = false;
      c.socket.ping();
    }
  }

  /**
   * Closes every client with 1001 (going away) after what is already queued has been written,
   * terminating those that do not finish within `timeoutMs`.
   */
  async close(reason = 'server shutting down', timeoutMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    const pending = [...this.clients].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.socket.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(() => {
            c.socket.terminate();
            resolve();
          }, timeoutMs);
          c.socket.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          c.socket.close(CLOSE_GOING_AWAY, reason);
        }),
    );
    await Promise.all(pending);
    this.clients.clear();
    this.options.metrics?.wsClients.set(0);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
