import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { threadCpuSeconds } from '../../src/util/cpu-time.js';

/** Spins until the process has used `seconds` more CPU (process.cpuUsage: the independent measure). */
const BURN = `
  const start = process.cpuUsage();
  let x = 0;
  while ((process.cpuUsage(start).user + process.cpuUsage(start).system) / 1e6 < SECONDS) x += Math.sqrt(x + 1);
`;

test('threadCpuSeconds counts the CPU this thread uses, not other threads', async () => {
  const p0 = process.cpuUsage();
  const t0 = threadCpuSeconds();
  new Function(BURN.replace('SECONDS', '0.4'))();
  const proc = (process.cpuUsage(p0).user + process.cpuUsage(p0).system) / 1e6;
  const own = threadCpuSeconds() - t0;
  // The process total also holds GC and other helper threads; the busy loop is most of it.
  assert.ok(own <= proc + 0.02 && own >= 0.7 * proc, `thread ${own} s vs process ${proc} s`);

  const t1 = threadCpuSeconds();
  const w = new Worker(BURN.replace('SECONDS', '0.4'), { eval: true });
  await new Promise((resolve, reject) => w.on('exit', resolve).on('error', reject));
  const whileWorking = threadCpuSeconds() - t1;
  assert.ok(whileWorking < 0.2, `the main thread waited, yet ${whileWorking} s were counted to it`);
});
