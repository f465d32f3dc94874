/**
 * Event-batch sink for NATS JetStream: publishes a camera's batches, one SLEV frame each
 * (src/sources/ws-frame.ts), on `spikeline.events.<camera>` of the events stream (created if
 * missing, see src/sources/nats-bus.ts). Every publish is acknowledged by JetStream (stored);
 * up to `window` acks are awaited concurrently so publishing runs at bus speed, and
 * `backlogFull` tells the caller to pause its source meanwhile. Batches larger than
 * `maxEvents` are split, keeping each message under the server's payload limit.
 */
import type { JetStreamClient, PubAck } from 'nats';
import type { Observable, Subscription } from 'rxjs';
import { sliceBatch, type EventBatch } from '../events/index.js';
import type { FlowValve } from '../operators/bounded-buffer.js';
import { checkCameraName, connectBus, ensureEventStream, eventsSubject, type EventStreamLimits } from '../sources/nats-bus.js';
import { encodeWsFrame } from '../sources/ws-frame.js';

export interface NatsEventSinkOptions {
  js: JetStreamClient;
  camera: string;
  /** Publishes awaiting their JetStream ack, at most. Default 256. */
  window?: number;
  /** Events per message, at most. Default 65 536 (590 KB, under NATS's 1 MB default max_payload). */
  maxEvents?: number;
}

export class NatsEventSink {
  readonly subject: string;
  published = { batches: 0, events: 0, bytes: 0 };
  private readonly inFlight = new Set<Promise<PubAck>>();
  private failure: Error | undefined;
  private readonly window: number;
  private readonly maxEvents: number;
  private drained: (() => void) | undefined;

  constructor(private readonly options: NatsEventSinkOptions) {
    this.subject = eventsSubject(checkCameraName(options.camera));
    this.window = options.window ?? 256;
    this.maxEvents = options.maxEvents ?? 65_536;
  }

  /** True while `window` publishes await their ack: pause the source until `whenRoom()`. */
  get backlogFull(): boolean {
    return this.inFlight.size >= this.window;
  }

  /** Resolves when a publish slot is free; rejects with the first publish failure. */
  async whenRoom(): Promise<void> {
    while (this.backlogFull && !this.failure) await new Promise<void>((r) => (this.drained = r));
    if (this.failure) throw this.failure;
  }

  /** Queues a batch (split if large); throws the first earlier publish failure. */
  publish(batch: EventBatch): void {
    if (this.failure) throw this.failure;
    for (let i = 0; i < batch.length; i += this.maxEvents) {
      const frame = encodeWsFrame(sliceBatch(batch, i, Math.min(batch.length, i + this.maxEvents)));
      const p = this.options.js.publish(this.subject, frame);
      this.inFlight.add(p);
      this.published.batches++;
      this.published.events += Math.min(this.maxEvents, batch.length - i);
      this.published.bytes += frame.length;
      p.then(
        () => this.settle(p),
        (err: Error) => {
          this.failure ??= new Error(`publishing to ${this.subject}: ${err.message}`);
          this.settle(p);
        },
      );
    }
  }

  private settle(p: Promise<PubAck>): void {
    this.inFlight.delete(p);
    if (!this.backlogFull || this.failure) {
      this.drained?.();
      this.drained = undefined;
    }
  }

  /** Waits until every batch published so far is stored; throws the first failure. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    if (this.failure) throw this.failure;
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
}

/**
 * Publishes a whole event source to the bus until it ends or `signal` aborts, then waits for the
 * last acks. Resolves with what was published; rejects on the first failed publish.
 */
export async function publishEvents(source: Observable<EventBatch>, options: PublishEventsOptions): Promise<NatsEventSink['published']> {
  const nc = await connectBus(options.url, { name: `spikeline-publish-${options.camera}`, ...(options.token ? { token: options.token } : {}) });
  try {
    await ensureEventStream(await nc.jetstreamManager(), options.limits);
    const sink = new NatsEventSink({ js: nc.jetstream(), camera: options.camera });
    const valve = options.valve;
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const sub: Subscription = source.subscribe({
        next: (batch) => {
          if (failed) return;
          try {
            sink.publish(batch);
          } catch (err) {
            // A synchronous source may still be inside subscribe(): stop it once that returns.
            failed = true;
            queueMicrotask(() => sub.unsubscribe());
            reject(err as Error);
            return;
          }
          if (valve && sink.backlogFull && !valve.paused) {
            valve.pause();
            sink.whenRoom().then(() => valve.resume(), () => valve.resume());
          }
        },
        error: reject,
        complete: resolve,
      });
      options.signal?.addEventListener('abort', () => {
        sub.unsubscribe();
        resolve();
      });
    });
    await sink.flush();
    return sink.published;
  } finally {
    await nc.drain().catch(() => nc.close());
  }
}
