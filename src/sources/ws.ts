/**
 * WebSocket ingest: connects to `ws://host:port/path` and decodes every binary message as one
 * spikeline event frame (ws-frame.ts). Malformed messages (and text messages) are counted and
 * skipped; the connection stays up. Reconnects with backoff like the TCP source; honours a
 * valve by pausing the socket.
 */
import WebSocket from 'ws';
import type { FlowValve } from '../operators/bounded-buffer.js';
import { parseEndpoint } from './endpoint.js';
import { Backoff, makeSource, nextRetry, type EventSource, type ReconnectOptions } from './status.js';
import { decodeWsFrame } from './ws-frame.js';

export interface WsSourceOptions extends ReconnectOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  readonly valve?: FlowValve;
  /** Largest accepted message, bytes (default 64 MiB). */
  readonly maxPayload?: number;
}

export function wsSource(url: string, options: WsSourceOptions = {}): EventSource {
  const ep = parseEndpoint(url);
  if (ep.scheme !== 'ws' && ep.scheme !== 'wss') throw new RangeError(`wsSource needs a ws:// URL, got "${url}"`);
  const reconnect = options.reconnect ?? true;
  return makeSource(url, (ctx) => {
    const backoff = new Backoff(options);
    let ws: WebSocket | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    let connectedBefore = false;
    const offValve = options.valve?.onChange((paused) => (paused ? ws?.pause() : ws?.resume()));

    const open = () => {
      if (stopped) return;
      ctx.setState(connectedBefore ? 'reconnecting' : 'connecting');
      let failure: unknown;
      const s = new WebSocket(url, {
        maxPayload: options.maxPayload ?? 64 * 1024 * 1024,
        ...(options.token ? { headers: { authorization: `Bearer ${options.token}` } } : {}),
      });
      ws = s;
      s.binaryType = 'nodebuffer';
      s.on('open', () => {
        if (connectedBefore) ctx.stats.reconnects++;
        connectedBefore = true;
        ctx.setState('open');
        if (options.valve?.paused) s.pause();
      });
      s.on('message', (data: Buffer, isBinary: boolean) => {
        ctx.stats.packets++;
        ctx.stats.bytes += data.length;
        if (!isBinary) {
          ctx.stats.malformed++;
          return;
        }
        try {
          ctx.emit(decodeWsFrame(data));
          backoff.reset(); // healthy once a frame decodes
        } catch (err) {
          ctx.stats.malformed++;
          ctx.noteError(err);
        }
      });
      s.on('error', (err) => (failure ??= err));
      s.on('close', () => {
        if (ws === s) ws = undefined;
        if (stopped) return;
        const delay = nextRetry(ctx, backoff, reconnect, failure);
        if (delay !== undefined) timer = setTimeout(open, delay);
      });
    };
    open();
    return () => {
      stopped = true;
      offValve?.();
      if (timer) clearTimeout(timer);
      ws?.terminate();
      if (ctx.stats.state !== 'failed') ctx.setState('closed');
    };
  });
}
