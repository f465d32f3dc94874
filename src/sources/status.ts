import { BehaviorSubject, Observable, type Subscriber } from 'rxjs';
import { sliceBatch, type EventBatch } from '../events/index.js';

/**
 * How far event time may go back without being a clock reset, µs. Sensors and their drivers
 * deliver events a little out of order; a camera that restarts counts from zero, far behind.
 */
export const TIME_JITTER_US = 10_000;

/** Life cycle of a source, as `status$` reports it. */
export type SourceState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' | 'failed';

/**
 * Counters of one source, plain numbers that only grow (Prometheus counters map 1:1; the serving
 * area reads them on scrape). Shared by all subscriptions of the source object.
 */
export interface SourceStats {
  /** Label: file path or URL. */
  readonly source: string;
  state: SourceState;
  events: number;
  batches: number;
  bytes: number;
  /** Protocol packets / datagrams / messages received. */
  packets: number;
  /** Packets that failed to decode and were skipped (or, on TCP, that forced a reconnect). */
  malformed: number;
  /** Datagrams known lost (sequence-number gaps) or partial packets dropped. */
  lost: number;
  /** Events dropped by the source itself (out of the sensor, overflow). */
  droppedEvents: number;
  /** Duplicated or late datagrams skipped (UDP sources). */
  stale: number;
  /** Successful connections after the first one. */
  reconnects: number;
  /** Times event time went back by more than TIME_JITTER_US (clock reset); each starts a new batch. */
  timeResets: number;
  /** Events whose time went back by at most TIME_JITTER_US (sensor jitter): moved up to the time before them. */
  jitter: number;
  /** Last event timestamp seen (µs event time), NaN before any event. */
  lastEventTime: number;
  lastError: string | undefined;
}

export function newSourceStats(source: string): SourceStats {
  return {
    source,
    state: 'idle',
    events: 0,
    batches: 0,
    bytes: 0,
    packets: 0,
    malformed: 0,
    lost: 0,
    stale: 0,
    droppedEvents: 0,
    reconnects: 0,
    timeResets: 0,
    jitter: 0,
    lastEventTime: Number.NaN,
    lastError: undefined,
  };
}

/** An event source: subscribe for batches; `stats` and `status$` describe it while it runs. */
export interface EventSource extends Observable<EventBatch> {
  readonly stats: SourceStats;
  readonly status$: Observable<SourceState>;
}

/**
 * Builds an `EventSource` around a subscribe function that receives a `SourceContext` (counters,
 * state changes and the batch emitter that keeps the time-reset and event counters).
 */
export function makeSource(label: string, subscribe: (ctx: SourceContext) => () => void): EventSource {
  const stats = newSourceStats(publicSourceLabel(label));
  const status = new BehaviorSubject<SourceState>('idle');
  const obs = new Observable<EventBatch>((subscriber) => subscribe(new SourceContext(stats, status, subscriber)));
  return Object.assign(obs, { stats, status$: status.asObservable() });
}

export class SourceContext {
  constructor(
    readonly stats: SourceStats,
    private readonly status: BehaviorSubject<SourceState>,
    readonly subscriber: Subscriber<EventBatch>,
  ) {}

  get closed(): boolean {
    return this.subscriber.closed;
  }

  setState(state: SourceState): void {
    this.stats.state = state;
    if (this.status.value !== state) this.status.next(state);
  }

  /**
   * Emits `batch` in time order. Where time goes back by more than TIME_JITTER_US (a clock reset,
   * also between packets decoded from one read) the batch is split, so consumers see the reset at
   * a batch boundary as they would had the read ended there. An event a little behind the one
   * before it (jitter; also across batches) gets that event's time, in place, instead of
   * resetting the network downstream. The last piece keeps the batch's extra fields (a bus
   * batch's `ack`, annotations).
   */
  emit(batch: EventBatch): void {
    const t = batch.t;
    let latest = this.stats.lastEventTime;
    let from = 0;
    for (let i = 0; i < batch.length; i++) {
      const ti = t[i]!;
      if (!(ti < latest)) latest = ti;
      else if (latest - ti <= TIME_JITTER_US) {
        t[i] = latest;
        this.stats.jitter++;
      } else {
        if (i > from) this.emitOrdered(sliceBatch(batch, from, i));
        from = i;
        latest = ti;
      }
    }
    this.emitOrdered(from === 0 ? batch : { ...batch, ...sliceBatch(batch, from) });
  }

  private emitOrdered(batch: EventBatch): void {
    if (batch.length === 0 || this.subscriber.closed) return;
    const s = this.stats;
    if (batch.t[0]! < s.lastEventTime) s.timeResets++;
    s.events += batch.length;
    s.batches++;
    s.lastEventTime = batch.t[batch.length - 1]!;
    this.subscriber.next(batch);
  }

  fail(err: unknown): void {
    this.stats.lastError = err instanceof Error ? err.message : String(err);
    this.setState('failed');
    this.subscriber.error(err);
  }

  complete(): void {
    this.setState('closed');
    this.subscriber.complete();
  }

  noteError(err: unknown): void {
    this.stats.lastError = err instanceof Error ? err.message : String(err);
  }
}

export interface ReconnectOptions {
  /** Reconnect after the connection drops or fails; default true for live sockets. */
  readonly reconnect?: boolean;
  /** First retry delay, ms (default 100), doubled per failure up to `maxDelayMs` (default 5000). */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Give up (error the stream) after this many consecutive failed attempts; default unlimited. */
  readonly maxRetries?: number;
}

/** Exponential backoff schedule with ±20 % jitter so many clients do not reconnect in lockstep. */
export class Backoff {
  private failures = 0;
  constructor(private readonly o: ReconnectOptions) {}

  get attempts(): number {
    return this.failures;
  }

  /** Delay before the next attempt, or undefined when retries are exhausted. */
  next(): number | undefined {
    if (this.failures >= (this.o.maxRetries ?? Infinity)) return undefined;
    const base = Math.min(this.o.maxDelayMs ?? 5000, (this.o.initialDelayMs ?? 100) * 2 ** this.failures);
    this.failures++;
    return base * (0.8 + 0.4 * Math.random());
  }

  reset(): void {
    this.failures = 0;
  }
}

/**
 * After a connection closed (with `err` if it failed): ends the stream when reconnecting is off
 * or retries are exhausted, otherwise sets 'reconnecting' and returns the delay before the next
 * attempt. Returns undefined when no retry should be scheduled.
 */
export function nextRetry(ctx: SourceContext, backoff: Backoff, reconnect: boolean, err?: unknown): number | undefined {
  if (ctx.closed) return undefined;
  if (err !== undefined) ctx.noteError(err);
  if (!reconnect) {
    if (err !== undefined) ctx.fail(err);
    else ctx.complete();
    return undefined;
  }
  const delay = backoff.next();
  if (delay === undefined) {
    ctx.fail(err ?? new Error(`${ctx.stats.source}: gave up after ${backoff.attempts} attempts`));
    return undefined;
  }
  ctx.setState('reconnecting');
  return delay;
}

/**
 * A source URL without what may carry a secret (user info, query, fragment): the label reaches
 * `/metrics`, status messages and logs. File paths are kept as they are.
 */
export function publicSourceLabel(label: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(?:[^/?#@]*@)?([^?#]*)/i.exec(label);
  return m ? `${m[1]}${m[2]}` : label;
}
