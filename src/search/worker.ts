/**
 * Worker-thread side of the trial pool: loads the search target named in workerData, creates
 * its objective once, and runs trials on request, asking the main thread after each epoch
 * whether to go on (the pruner and the study storage live in the main thread).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadTarget, type EpochMetrics, type TargetRef, type TrialObjective, type TrialRequest } from './objective.js';

export type ToWorker = { type: 'run'; request: TrialRequest } | { type: 'decision'; number: number; proceed: boolean };
export type FromWorker =
  | { type: 'epoch'; number: number; epoch: number; metrics: EpochMetrics }
  | { type: 'done'; number: number; metrics: import('./objective.js').TrialMetrics }
  | { type: 'error'; number: number; message: string };

const port = parentPort;
if (!port) throw new Error('search worker must run in a worker thread');
const ref = (workerData as { ref: TargetRef }).ref;
let objective: Promise<TrialObjective> | undefined;
const waiting = new Map<number, (proceed: boolean) => void>();

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'decision') {
    waiting.get(msg.number)?.(msg.proceed);
    waiting.delete(msg.number);
    return;
  }
  const { request } = msg;
  objective ??= loadTarget(ref).then((t) => t.objective());
  objective
    .then((o) =>
      o.run(request, (epoch, metrics) => {
        port.postMessage({ type: 'epoch', number: request.number, epoch, metrics } satisfies FromWorker);
        return new Promise<boolean>((resolve) => waiting.set(request.number, resolve));
      }),
    )
    .then(
      (metrics) => port.postMessage({ type: 'done', number: request.number, metrics } satisfies FromWorker),
      (err: unknown) =>
        port.postMessage({ type: 'error', number: request.number, message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies FromWorker),
    );
});
