/** `scheme://host:port[/path]` endpoints used by the sources, servers and the CLI. */
export interface Endpoint {
  readonly scheme: 'tcp' | 'udp' | 'ws' | 'wss';
  readonly host: string;
  readonly port: number;
  /** Path and query for WebSocket URLs ("/" when absent). */
  readonly path: string;
}

export function parseEndpoint(url: string): Endpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RangeError(`not an endpoint URL: "${url}" (expected e.g. tcp://127.0.0.1:7777)`);
  }
  const scheme = u.protocol.replace(/:$/, '');
  if (scheme !== 'tcp' && scheme !== 'udp' && scheme !== 'ws' && scheme !== 'wss') {
    throw new RangeError(`unsupported scheme "${scheme}" in "${url}" (tcp, udp, ws, wss)`);
  }
  // Port 0 (listeners: any free port) is allowed; a missing port is not.
  const port = Number(u.port);
  if (u.port === '' || !Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`endpoint "${url}" needs a port in 0..65535`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  return { scheme, host, port, path: `${u.pathname || '/'}${u.search}` };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
