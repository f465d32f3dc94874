/**
 * NATS sink: publishes each message as JSON on `<subject>.<type>` (e.g. `spikeline.demo.prediction`),
 * or on `<subject>.<type>.<camera>` when a camera is named (what `spikeline gateway` subscribes to).
 * The connection is made and re-made in the background; while the server is unreachable messages
 * are dropped and counted, so a missing bus never stalls or fails the pipeline.
 */
import { connect, type NatsConnection } from 'nats';
import type { PipelineMessage, PipelineMessageType } from './messages.js';
import type { PipelineMetrics } from './prometheus.js';
import { DEFAULT_RECORDED_TYPES, type MessageSink } from './sink.js';
import { closeBus } from '../sources/nats-bus.js';

export interface NatsSinkOptions {
  /** Server URL, e.g. nats://127.0.0.1:4222. */
  url: string;
  /** Subject prefix; the message type is appended. Default `spikeline`. */
  subject?: string;
  /** Appended after the type: `<subject>.<type>.<camera>`. */
  camera?: string;
  types?: readonly PipelineMessageType[];
  /** Delay between reconnection attempts, ms. Default 1000. */
  reconnectMs?: number;
  token?: string;
  metrics?: PipelineMetrics;
  /** Connection state changes (logging); a first connection that keeps failing is reported once. */
  onState?: (state: 'connected' | 'disconnected', detail?: string) => void;
}

/** `<prefix>.<type>`, or `<prefix>.<type>.<camera>` for one camera of a line. */
export function messageSubject(prefix: string, type: PipelineMessageType, camera?: string): string {
  return camera ? `${prefix}.${type}.${camera}` : `${prefix}.${type}`;
}

export class NatsSink implements MessageSink {
  readonly name = 'nats';
  private connection: NatsConnection | undefined;
  private connected = false;
  private closing = false;
  private readonly types: ReadonlySet<string>;
  private readonly subject: string;
  private readonly encoder = new TextEncoder();
  private readonly ready: Promise<void>;
  private retry: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private reportedDown = false;
  published = 0;
  dropped = 0;

  constructor(private readonly options: NatsSinkOptions) {
    this.types = new Set(options.types ?? DEFAULT_RECORDED_TYPES);
    this.subject = options.subject ?? 'spikeline';
    options.metrics?.sinkMessages.inc({ sink: this.name }, 0);
    options.metrics?.sinkErrors.inc({ sink: this.name }, 0);
    this.ready = this.open();
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Resolves once connected or closed; never rejects. */
  async waitConnected(): Promise<void> {
    await this.ready;
  }

  /** First connection: retried every `reconnectMs` (timer unref'd) until it succeeds or close(). */
  private async open(): Promise<void> {
    while (!this.closing) {
      try {
        const nc = await connect({
          servers: this.options.url,
          name: 'spikeline',
          maxReconnectAttempts: -1,
          reconnectTimeWait: this.options.reconnectMs ?? 1000,
          ...(this.options.token ? { token: this.options.token } : {}),
        });
        if (this.closing) {
          await nc.close();
          return;
        }
        this.connection = nc;
        this.setConnected(true);
        void this.watch(nc);
        return;
      } catch (err) {
        if (this.closing) return;
        // Reported once, not on every retry: an absent bus must not flood the log.
        if (!this.reportedDown) this.options.onState?.('disconnected', (err as Error).message);
        this.reportedDown = true;
        await new Promise<void>((resolve) => {
          this.retry = setTimeout(resolve, this.options.reconnectMs ?? 1000);
          this.retry.unref();
          this.wake = resolve;
        });
      }
    }
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') this.setConnected(false, String(s.data));
      else if (s.type === 'reconnect') this.setConnected(true);
    }
  }

  private setConnected(connected: boolean, detail?: string): void {
    if (connected === this.connected) return;
    this.connected = connected;
    this.options.onState?.(connected ? 'connected' : 'disconnected', detail);
  }

  publish(message: PipelineMessage): void {
    if (!this.types.has(message.type)) return;
    const nc = this.connection;
    if (!nc || !this.connected || this.closing) {
      this.dropped++;
      this.options.metrics?.sinkErrors.inc({ sink: this.name });
      return;
    }
    nc.publish(messageSubject(this.subject, message.type, this.options.camera), this.encoder.encode(JSON.stringify(message)));
    this.published++;
    this.options.metrics?.sinkMessages.inc({ sink: this.name });
  }

  /** Flushes published messages to the server (drain, bounded: a dead server must not hold a stop), then closes. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.retry) clearTimeout(this.retry);
    this.wake?.();
    const nc = this.connection;
    if (!nc || nc.isClosed()) return;
    if (this.connected) await closeBus(nc);
    else await nc.close();
    this.connected = false;
  }
}
