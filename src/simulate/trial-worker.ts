/**
 * Worker-thread side of the dataset generator's pool: simulates and writes the trials it is
 * sent, one at a time, reporting progress and each trial's statistics.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { TrialSettings } from './dataset.js';
import { writeTrial } from './trial-files.js';
import type { FromTrialWorker, TrialJob } from './trial-pool.js';

const port = parentPort;
if (!port) throw new Error('trial worker must run in a worker thread');
const settings = (workerData as { settings: TrialSettings }).settings;

port.on('message', (job: TrialJob) => {
  writeTrial(settings, job.ref, (fraction) => port.postMessage({ type: 'progress', k: job.k, fraction } satisfies FromTrialWorker)).then(
    (stats) => port.postMessage({ type: 'done', k: job.k, stats } satisfies FromTrialWorker),
    (err: unknown) => port.postMessage({ type: 'error', k: job.k, message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies FromTrialWorker),
  );
});
