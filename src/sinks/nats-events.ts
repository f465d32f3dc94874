/**
 * Event-batch sink for NATS JetStream: publishes a camera's batches, one SLEV frame each
 * (src/sources/ws-frame.ts), on `spikeline.events.<camera>` of the events stream (created if
 * missing, see src/sources/nats-bus.ts). Every publish is acknowledged by JetStream (stored);
 * up to `window` acks are awaited concurrently so publishing runs at bus speed, and
 * `backlogFull` tells the caller to pause its source meanwhile. Batches larger than
 * `maxEvents` are split, keeping each message under the server's payload limit.
 *
 * When the server goes away (restart, network), failed frames are sent again, in order, until
 * they are stored; frames published meanwhile queue behind them (at most `maxQueued`, then the
 * oldest are dropped and counted). Each frame carries a message id, so JetStream's duplicate
 * window stores a frame only once even if its first ack was lost. Queueing starts as soon as the
 * connection reports the disconnect, not at the first failed ack (seconds later): frames sent
 * meanwhile would be stored before the lost ones are sent again, out of order. A server that is
 * up but has no stream for the subject any more (deleted by hand) answers "no responders" to
 * every publish: the stream is created again (with `limits`) rather than retried against for ever.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, type JetStreamClient, type NatsConnection, type NatsError } from 'nats';
import type { Observable, Subscription } from 'rxjs';
import { sliceBatch, type EventBatch } from '../events/index.js';
import type { FlowValve } from '../operators/bounded-buffer.js';
import { busManager, checkCameraName, closeBus, connectBus, ensureEventStream, eventsSubject, frameId, type EventStreamLimits } from '../sources/nats-bus.js';
import { encodeWsFrame } from '../sources/ws-frame.js';

export interface NatsEventSinkOptions {
  /** The connection to publish on (its disconnects are watched). */
  nc: NatsConnection;
  camera: string;
  /** Publishes awaiting their JetStream ack, at most. Default 256. */
  window?: number;
  /** Events per message, at most. Default 65 536 (590 KB, under NATS's 1 MB default max_payload), fewer if the server's max_payload is smaller. */
  maxEvents?: number;
  /** Frames held while the server is away, at most. Default 4096. */
  maxQueued?: number;
  /** Delay between attempts while the server is away, ms. Default 500. */
  retryMs?: number;
  /** Called once per outage, with the first error (and once more if the stream cannot be created again). */
  onRetry?: (err: Error) => void;
  /** Limits of the events stream when it has to be created again (default EVENT_STREAM_DEFAULTS). */
  limits?: EventStreamLimits;
}

/** Bytes of a message that are not events: the SLEV header (24) and the message-id header, with room to spare. */
const MESSAGE_OVERHEAD = 256;

/**
 * Events per message under the server's max_payload (9 bytes each): a larger message is refused
 * every time it is sent, and resending it would hold the publisher forever.
 */
function eventsPerMessage(maxPayload: number | undefined): number {
  return Math.max(1, Math.min(65_536, Math.floor(((maxPayload ?? Number.POSITIVE_INFINITY) - MESSAGE_OVERHEAD) / 9)));
}

interface Frame {
  seq: number;
  id: string;
  data: Uint8Array;
  events: number;
}

export class NatsEventSink {
  readonly subject: string;
  /** Stored by JetStream (acknowledged). */
  readonly published = { batches: 0, events: 0, bytes: 0 };
  /** Frames dropped because too many were waiting for the server. */
  dropped = { batches: 0, events: 0 };
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waiting: Frame[] = [];
  private retrying: Promise<void> | undefined;
  private readonly window: number;
  private readonly maxEvents: number;
  private readonly idPrefix = randomBytes(6).toString('hex');
  private seq = 0;
  private wake: (() => void) | undefined;
  private readonly js: JetStreamClient;
  private disconnected = false;
  private reconnected: (() => void) | undefined;
  /** This outage's failure to create the events stream again was reported (once per outage). */
  private recreateReported = false;

  constructor(private readonly options: NatsEventSinkOptions) {
    this.subject = eventsSubject(checkCameraName(options.camera));
    this.window = options.window ?? 256;
    this.maxEvents = options.maxEvents ?? eventsPerMessage(options.nc.info?.max_payload);
    this.js = options.nc.jetstream();
    void this.watch();
  }

  private async watch(): Promise<void> {
    for await (const s of this.options.nc.status()) {
      if (s.type === 'disconnect') {
        this.disconnected = true;
        this.retry(new Error(`disconnected from ${String(s.data)}`));
      } else if (s.type === 'reconnect') {
        this.disconnected = false;
        this.reconnected?.();
      }
    }
  }

  /** True while `window` publishes await their ack or the server is away: pause the source. */
  get backlogFull(): boolean {
    return this.inFlight.size >= this.window || this.retrying !== undefined;
  }

  /** Resolves when the source may go on. */
  async whenRoom(): Promise<void> {
    while (this.backlogFull) await new Promise<void>((r) => (this.wake = r));
  }

  /** Queues a batch (split if large). Never throws: see the class comment for outages. */
  publish(batch: EventBatch): void {
    for (let i = 0; i < batch.length; i += this.maxEvents) {
      const part = sliceBatch(batch, i, Math.min(batch.length, i + this.maxEvents));
      const seq = this.seq++;
      const frame = { seq, id: frameId(this.idPrefix, seq), data: encodeWsFrame(part), events: part.length };
      if (this.retrying !== undefined) this.hold(frame);
      else this.send(frame);
    }
  }

  private send(frame: Frame): void {
    const p = this.js.publish(this.subject, frame.data, { msgID: frame.id }).then(
      () => this.stored(frame),
      (err: Error) => {
        this.hold(frame);
        this.retry(err);
      },
    );
    this.inFlight.add(p);
    void p.then(() => {
      this.inFlight.delete(p);
      this.notify();
    });
  }

  private stored(frame: Frame): void {
    this.published.batches++;
    this.published.events += frame.events;
    this.published.bytes += frame.data.length;
  }

  private hold(frame: Frame): void {
    this.waiting.push(frame);
    const max = this.options.maxQueued ?? 4096;
    while (this.waiting.length > max) {
      const old = this.waiting.shift()!;
      this.dropped.batches++;
      this.dropped.events += old.events;
    }
  }

  /** Once the frames in flight have settled, sends the failed and held ones again, in order, one by one. */
  private retry(first: Error): void {
    if (this.retrying !== undefined) return;
    this.options.onRetry?.(first);
    this.recreateReported = false;
    // Cleared in a callback, which always runs after this assignment (resend() may finish at once);
    // frames published between resend()'s end and the callback follow the resent ones.
    this.retrying = this.resend().finally(() => {
      this.retrying = undefined;
      for (const frame of this.waiting.splice(0)) this.send(frame);
      this.notify();
    });
  }

  private async resend(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    // Frames sent while the connection is down would be flushed at the reconnect, ahead of any
    // lost in the outage: nothing goes out before it, then one at a time until one is stored.
    while (this.disconnected) await new Promise<void>((r) => (this.reconnected = r));
    this.waiting.sort((a, b) => a.seq - b.seq);
    while (this.waiting.length > 0) {
      const frame = this.waiting[0]!;
      try {
        await this.js.publish(this.subject, frame.data, { msgID: frame.id });
        this.waiting.shift();
        this.stored(frame);
      } catch (err) {
        if ((err as NatsError).code === ErrorCode.NoResponders && !this.disconnected) await this.recreateStream();
        else await new Promise((r) => setTimeout(r, this.options.retryMs ?? 500));
      }
    }
  }

  /** Creates the events stream again (it was deleted under the publisher); waits a retry delay if that fails. */
  private async recreateStream(): Promise<void> {
    try {
      await ensureEventStream(await busManager(this.options.nc), this.options.limits);
    } catch (err) {
      if (!this.recreateReported) this.options.onRetry?.(new Error(`the events stream is gone and could not be created again: ${(err as Error).message}`));
      this.recreateReported = true;
      await new Promise((r) => setTimeout(r, this.options.retryMs ?? 500));
    }
  }

  private notify(): void {
    if (this.backlogFull) return;
    this.wake?.();
    this.wake = undefined;
  }

  /** Waits until every batch published so far is stored (through any outage). */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0 || this.retrying !== undefined) {
      await Promise.allSettled([...this.inFlight]);
      await this.retrying;
    }
  }
}

export interface PublishEventsOptions {
  /** nats://HOST:PORT */
  url: string;
  camera: string;
  token?: string;
  limits?: EventStreamLimits;
  /** Paused while the publish window is full (sources that can wait: files, TCP). */
  valve?: FlowValve;
  signal?: AbortSignal;
  /** The bus went away: batches are held and sent again once it is back. */
  onRetry?: (err: Error) => void;
}

/**
 * Publishes a whole event source to the bus until it ends or `signal` aborts, then waits for the
 * last acks (through any outage of the server). Resolves with what was stored and dropped.
 */
export async function publishEvents(source: Observable<EventBatch>, options: PublishEventsOptions): Promise<{ published: NatsEventSink['published']; dropped: NatsEventSink['dropped'] }> {
  const nc = await connectBus(options.url, { name: `spikeline-publish-${options.camera}`, ...(options.token ? { token: options.token } : {}) });
  try {
    await ensureEventStream(await busManager(nc), options.limits);
    const sink = new NatsEventSink({ nc, camera: options.camera, ...(options.onRetry ? { onRetry: options.onRetry } : {}), ...(options.limits ? { limits: options.limits } : {}) });
    const valve = options.valve;
    await new Promise<void>((resolve, reject) => {
      const sub: Subscription = source.subscribe({
        next: (batch) => {
          sink.publish(batch);
          if (valve && sink.backlogFull && !valve.paused) {
            valve.pause();
            void sink.whenRoom().then(() => valve.resume());
          }
        },
        error: reject,
        complete: resolve,
      });
      const stop = () => {
        sub.unsubscribe();
        resolve();
      };
      // A stop asked for while connecting has already fired its event.
      if (options.signal?.aborted) stop();
      else options.signal?.addEventListener('abort', stop, { once: true });
    });
    await sink.flush();
    return { published: sink.published, dropped: sink.dropped };
  } finally {
    await closeBus(nc);
  }
}
