/**
 * The serving HTTP server: `/` dashboard, `/metrics` (Prometheus), `/healthz` (liveness),
 * `/readyz` (readiness), `/schema/ws.json` and the `/ws` WebSocket. Binds 127.0.0.1 by default;
 * binding any other address requires a token, which then guards `/ws` and `/metrics`
 * (`Authorization: Bearer <token>` or `?token=<token>`, the only way a browser WebSocket can
 * pass it). Health endpoints stay open for orchestrator probes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { WebSocketSink } from '../sinks/websocket.js';
import { WS_MESSAGE_SCHEMA } from '../sinks/ws-schema.js';
import { isLoopback } from '../sources/endpoint.js';
import { DASHBOARD_HTML } from './dashboard.js';

export interface HealthReport {
  /** The process works (event loop turning, pipeline not crashed). */
  live: boolean;
  /** The pipeline is running with its source connected and its model loaded. */
  ready: boolean;
  /** Free-form details shown in the probe's JSON body. */
  details?: Record<string, unknown>;
}

export interface ServingServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  registry?: Registry;
  ws?: WebSocketSink;
  /** Shared secret for /ws and /metrics; required when `host` is not a loopback address. */
  token?: string;
  health: () => HealthReport;
}

export class ServerConfigError extends Error {
  override readonly name = 'ServerConfigError';
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export class ServingServer {
  readonly host: string;
  private readonly server: Server;
  private readonly tokenDigest: Buffer | undefined;
  private port: number;

  constructor(private readonly options: ServingServerOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 8080;
    if (!isLoopback(this.host) && !options.token) {
      throw new ServerConfigError(
        `server.host: binding ${this.host} (not loopback) requires a token (server.tokenEnv / --token) to protect /ws and /metrics`,
      );
    }
    // Comparing fixed-length digests keeps the check constant-time whatever the token length.
    this.tokenDigest = options.token ? digest(options.token) : undefined;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`internal error: ${(err as Error).message}\n`);
      });
    });
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      const fail = (err: NodeJS.ErrnoException) => {
        const hint = err.code === 'EADDRINUSE' ? ': the port is taken, choose another (server.port / --port; 0 = any free port)' : '';
        reject(new ServerConfigError(`server: cannot listen on ${this.host}:${this.port} (${err.code ?? err.message})${hint}`));
      };
      this.server.once('error', fail);
      this.server.listen(this.port, this.host, () => {
        this.server.off('error', fail);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.url;
  }

  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${host}:${this.port}`;
  }

  private authorized(req: IncomingMessage): boolean {
    if (!this.tokenDigest) return true;
    const header = req.headers.authorization;
    let presented: string | null = header?.startsWith('Bearer ') ? header.slice(7).trim() : null;
    if (presented === null) presented = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token');
    return presented !== null && timingSafeEqual(digest(presented), this.tokenDigest);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    switch (path) {
      case '/':
      case '/index.html':
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-cache',
          'content-security-policy':
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'",
          'x-content-type-options': 'nosniff',
        });
        res.end(req.method === 'HEAD' ? undefined : DASHBOARD_HTML);
        return;
      case '/metrics': {
        if (!this.options.registry) break;
        if (!this.authorized(req)) return unauthorized(res);
        const body = await this.options.registry.metrics();
        res.writeHead(200, { 'content-type': this.options.registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      case '/healthz':
      case '/readyz': {
        const h = this.options.health();
        const ok = path === '/healthz' ? h.live : h.live && h.ready;
        json(res, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', ...h });
        return;
      }
      case '/schema/ws.json':
        json(res, 200, WS_MESSAGE_SCHEMA);
        return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const reject = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (path !== '/ws' || !this.options.ws) reject('404 Not Found');
    else if (!this.authorized(req)) reject('401 Unauthorized');
    else this.options.ws.handleUpgrade(req, socket, head);
  }

  /** Stops accepting connections and closes idle keep-alive ones; the WebSocket sink is closed by its owner. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    // In-flight scrapes get a moment to finish, then everything is cut.
    const timer = setTimeout(() => this.server.closeAllConnections(), 2000);
    timer.unref();
    await closed;
    clearTimeout(timer);
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function unauthorized(res: ServerResponse): void {
  res.writeHead(401, { 'www-authenticate': 'Bearer', 'content-type': 'text/plain' }).end('unauthorized\n');
}
