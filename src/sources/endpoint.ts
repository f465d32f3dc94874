/** `scheme://host:port[/path]` endpoints used by the sources, servers and the CLI. */
export interface Endpoint {
  readonly scheme: 'tcp' | 'udp' | 'ws' | 'wss';
  readonly host: string;
  readonly port: number;
  /** Path and query for WebSocket URLs ("/" when absent). */
  readonly path: string;
}

/** WebSocket URLs may omit their scheme's port; URL parsing also drops it when given. */
const DEFAULT_PORTS: Readonly<Record<string, number>> = { ws: 80, wss: 443 };

export function parseEndpoint(url: string): Endpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    const port = /^[a-z]+:\/\/(?:\[[^\]]*\]|[^/:]*):(\d+)(?:[/?]|$)/i.exec(url)?.[1];
    if (Number(port) > 65535) throw new RangeError(`endpoint "${url}": port ${port} is out of range 0..65535`);
    throw new RangeError(`not an endpoint URL: "${url}" (expected e.g. tcp://127.0.0.1:7777)`);
  }
  const scheme = u.protocol.replace(/:$/, '');
  if (scheme !== 'tcp' && scheme !== 'udp' && scheme !== 'ws' && scheme !== 'wss') {
    throw new RangeError(`unsupported scheme "${scheme}" in "${url}" (tcp, udp, ws, wss)`);
  }
  // Port 0 (listeners: any free port) is allowed; a missing port is not, except for WebSockets.
  const port = u.port === '' ? DEFAULT_PORTS[scheme] : Number(u.port);
  if (port === undefined) throw new RangeError(`endpoint "${url}" needs a port in 0..65535`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  return { scheme, host, port, path: `${u.pathname || '/'}${u.search}` };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
