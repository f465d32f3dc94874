/**
 * Runs the dataset generator's trials in the calling thread (workers ≤ 1) or in worker threads,
 * one trial per worker at a time. Trials are independent pure functions of the seed, so the
 * files are the same whichever thread writes them; `onDone` is awaited in the calling thread.
 */
import type { Worker } from 'node:worker_threads';
import type { TrialRef, TrialSettings, TrialStats } from './dataset.js';
import { writeTrial } from './trial-files.js';
import { startWorker } from '../util/worker.js';

/** Trial `k` of the generator's list. */
export interface TrialJob {
  k: number;
  ref: TrialRef;
}

export type FromTrialWorker =
  | { type: 'progress'; k: number; fraction: number }
  | { type: 'done'; k: number; stats: TrialStats }
  | { type: 'error'; k: number; message: string };

export async function runTrials(
  jobs: readonly TrialJob[],
  settings: TrialSettings,
  workers: number,
  onProgress: (k: number, fraction: number) => void,
  onDone: (k: number, stats: TrialStats) => Promise<void>,
): Promise<void> {
  const size = Math.min(workers, jobs.length);
  if (size <= 1) {
    for (const job of jobs) await onDone(job.k, await writeTrial(settings, job.ref, (f) => onProgress(job.k, f)));
    return;
  }
  const queue = [...jobs];
  const pool: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      let failed = false;
      const fail = (err: Error): void => {
        failed = true;
        reject(err);
      };
      const next = (worker: Worker): void => {
        const job = queue.shift();
        if (!job) {
          if (running === 0) resolve();
          return;
        }
        running++;
        worker.postMessage(job satisfies TrialJob);
      };
      for (let i = 0; i < size; i++) {
        const worker = startWorker(import.meta.url, 'trial-worker', { settings });
        pool.push(worker);
        worker.on('message', (msg: FromTrialWorker) => {
          if (failed) return;
          if (msg.type === 'progress') return onProgress(msg.k, msg.fraction);
          if (msg.type === 'error') return fail(new Error(`trial ${jobs.find((j) => j.k === msg.k)?.ref.name ?? msg.k}: ${msg.message}`));
          onDone(msg.k, msg.stats).then(() => {
            running--;
            next(worker);
          }, fail);
        });
        worker.on('error', fail);
        worker.on('exit', (code) => {
          if (!failed && (queue.length > 0 || running > 0)) fail(new Error(`trial worker exited with code ${code}`));
        });
        next(worker);
      }
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}
