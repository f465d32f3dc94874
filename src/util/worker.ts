import { Worker } from 'node:worker_threads';

// Workers inherit the parent's node flags; --input-type (set when spikeline is embedded with
// `node --input-type=module -e`) is refused for a file entry point.
const EXEC_ARGV = process.execArgv.filter((a) => !a.startsWith('--input-type'));

/**
 * Starts a worker thread on the module `name` (without extension) next to `callerUrl`. From the
 * compiled package it loads `name.js`; when the caller runs from TypeScript source (tests, tsx)
 * it loads `name.ts` through tsx, whose loader hooks worker threads do not inherit.
 */
export function startWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  const fromSource = callerUrl.endsWith('.ts');
  const url = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, callerUrl);
  if (!fromSource) return new Worker(url, { workerData, execArgv: EXEC_ARGV });
  const bootstrap = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
