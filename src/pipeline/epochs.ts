/**
 * Time-reset handling. The processing chain (filters, binning, model) is subscribed once per
 * "epoch" of event time, when the epoch's first batch arrives. When the stream's clock goes
 * backwards (a camera restarted and counts from zero again), or the caller cut the stream (events
 * were skipped and left a hole in event time, another camera connected), the epoch is closed (its
 * last partial step is flushed), the caller resets the model and a fresh chain (fresh filter and
 * binning state) starts on the new time base.
 */
import { Subject, type Observable, type Subscription } from 'rxjs';
import type { EventBatch } from '../events/index.js';

export interface EpochChainOptions {
  /** Subscribes a fresh processing chain to one epoch's batches. */
  subscribe: (epoch: Observable<EventBatch>) => Subscription;
  /** Called between two epochs, after the old one is flushed: reset the model, say why. */
  onNewEpoch: (why: string) => void;
}

export class EpochChain {
  /** Times the stream's clock went backwards. */
  timeResets = 0;
  private epoch: { subject: Subject<EventBatch>; subscription: Subscription } | undefined;
  private lastT = -Infinity;
  private cutWhy: string | undefined;

  constructor(private readonly options: EpochChainOptions) {}

  /** The next batch starts a new epoch (e.g. skipped events: no empty steps across the hole). */
  cut(why: string): void {
    this.cutWhy ??= why;
  }

  /** Starts a new epoch when `batch` (non-empty) goes back in time or follows a cut; call before `next(batch)`. */
  advance(batch: EventBatch): void {
    if (batch.t[0]! < this.lastT) {
      this.timeResets++;
      this.restart(`event time went back from ${this.lastT} to ${batch.t[0]} µs (camera restarted?): binning and model state reset`);
    } else if (this.cutWhy !== undefined) {
      this.restart(`${this.cutWhy}: binning and model state reset`);
    }
    this.cutWhy = undefined;
    this.lastT = batch.t[batch.length - 1]!;
  }

  next(batch: EventBatch): void {
    if (!this.epoch) {
      const subject = new Subject<EventBatch>();
      this.epoch = { subject, subscription: this.options.subscribe(subject) };
    }
    this.epoch.subject.next(batch);
  }

  /** The stream ended: flushes the current epoch. */
  complete(): void {
    this.epoch?.subject.complete();
  }

  unsubscribe(): void {
    this.epoch?.subscription.unsubscribe();
  }

  private restart(why: string): void {
    if (!this.epoch) return;
    this.epoch.subject.complete();
    this.epoch = undefined;
    this.options.onNewEpoch(why);
  }
}
