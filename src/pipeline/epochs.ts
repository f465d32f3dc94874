/**
 * Time-reset handling. The processing chain (filters, binning, model) is subscribed once per
 * "epoch" of event time. When the stream's clock goes backwards (a camera restarted and counts
 * from zero again), or events were skipped and left a hole in event time, the epoch is closed
 * (its last partial step is flushed), the caller resets the model and a fresh chain (fresh
 * filter and binning state) starts on the new time base.
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
  private epoch = new Subject<EventBatch>();
  private subscription: Subscription;
  private lastT = -Infinity;
  private skipped = false;

  constructor(private readonly options: EpochChainOptions) {
    this.subscription = options.subscribe(this.epoch);
  }

  /** Events were skipped: the next batch starts a new epoch rather than run empty steps across the hole. */
  markSkipped(): void {
    this.skipped = true;
  }

  /** Starts a new epoch when `batch` (non-empty) goes back in time or follows skipped events; call before `next(batch)`. */
  advance(batch: EventBatch): void {
    if (batch.t[0]! < this.lastT) {
      this.timeResets++;
      this.restart(`event time went back from ${this.lastT} to ${batch.t[0]} µs (camera restarted?): binning and model state reset`);
    } else if (this.skipped) {
      this.restart('stale events skipped: binning and model state reset');
    }
    this.skipped = false;
    this.lastT = batch.t[batch.length - 1]!;
  }

  next(batch: EventBatch): void {
    this.epoch.next(batch);
  }

  /** The stream ended: flushes the current epoch. */
  complete(): void {
    this.epoch.complete();
  }

  unsubscribe(): void {
    this.subscription.unsubscribe();
  }

  private restart(why: string): void {
    this.epoch.complete();
    this.options.onNewEpoch(why);
    this.epoch = new Subject<EventBatch>();
    this.subscription = this.options.subscribe(this.epoch);
  }
}
