/**
 * Runs trials either in worker threads (one trial per worker at a time, default one worker per
 * core) or in the calling thread (workers = 0: tests, debugging). A worker that dies fails its
 * trial and is replaced.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { loadTarget, type EpochCallback, type TargetRef, type TrialMetrics, type TrialObjective, type TrialRequest } from './objective.js';
import type { FromWorker, ToWorker } from './worker.js';
import { startWorker } from '../util/worker.js';

export interface TrialRunner {
  readonly size: number;
  run(request: TrialRequest, onEpoch: EpochCallback): Promise<TrialMetrics>;
  close(): Promise<void>;
}

export function defaultWorkers(): number {
  return availableParallelism();
}

export function createRunner(ref: TargetRef, workers: number): TrialRunner {
  return workers <= 0 ? new InProcessRunner(ref) : new WorkerPool(ref, workers);
}

class InProcessRunner implements TrialRunner {
  readonly size = 1;
  private objective: Promise<TrialObjective> | undefined;
  constructor(private readonly ref: TargetRef) {}

  run(request: TrialRequest, onEpoch: EpochCallback): Promise<TrialMetrics> {
    this.objective ??= loadTarget(this.ref).then((t) => t.objective());
    return this.objective.then((o) => o.run(request, onEpoch));
  }

  async close(): Promise<void> {
    if (this.objective !== undefined) await (await this.objective).dispose?.();
  }
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

interface Job {
  request: TrialRequest;
  onEpoch: EpochCallback;
  resolve: (m: TrialMetrics) => void;
  reject: (e: Error) => void;
}

// Under tsx (tests, `node --import tsx`) this module is a .ts file and so is the worker; worker
// threads do not inherit tsx's loader hooks, so a small bootstrap registers them first.
class WorkerPool implements TrialRunner {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly jobs = new Map<Worker, Job>();
  private closed = false;

  constructor(
    private readonly ref: TargetRef,
    readonly size: number,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  run(request: TrialRequest, onEpoch: EpochCallback): Promise<TrialMetrics> {
    if (this.closed) return Promise.reject(new Error('trial pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, onEpoch, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('trial pool closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = startWorker(import.meta.url, 'worker', { ref: this.ref });
    const slot: Slot = { worker, busy: false };
    worker.on('message', (msg: FromWorker) => {
      const job = this.jobs.get(worker);
      if (!job || msg.number !== job.request.number) return;
      if (msg.type === 'epoch') {
        job.onEpoch(msg.epoch, msg.metrics).then(
          (proceed) => worker.postMessage({ type: 'decision', number: msg.number, proceed } satisfies ToWorker),
          () => worker.postMessage({ type: 'decision', number: msg.number, proceed: false } satisfies ToWorker),
        );
        return;
      }
      this.jobs.delete(worker);
      slot.busy = false;
      if (msg.type === 'done') job.resolve(msg.metrics);
      else job.reject(new Error(msg.message));
      this.dispatch();
    });
    const fail = (err: Error): void => {
      const job = this.jobs.get(worker);
      this.jobs.delete(worker);
      job?.reject(err);
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) {
        this.slots[i] = this.spawn();
        this.dispatch();
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`trial worker exited with code ${code}`));
    });
    return slot;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const job = this.queue.shift();
      if (!job) return;
      slot.busy = true;
      this.jobs.set(slot.worker, job);
      slot.worker.postMessage({ type: 'run', request: job.request } satisfies ToWorker);
    }
  }
}
