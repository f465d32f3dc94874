#!/usr/bin/env node
// Long mutation-fuzzing run of every decoder (the test suite runs a short one):
//   node --import tsx scripts/fuzz-formats.ts --iterations 100000 [--seed N] [--json]
// `--iterations` mutated inputs per seed file (each format has >= 1 synthetic seed; the real
// samples of ../shared are seeds too when present, the ~1 MB sample.aedat4 every 20th iteration). The fuzzing runs in a worker thread watched by this
// thread: an input that runs longer than --hang-seconds (default 30) is a hang — the worker is
// stopped and the input saved to fuzz-hang-<seed>.bin. Exits 1 on any failure (an exception
// other than FormatError, or a hang), printing the first ones.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { fuzz, fuzzSeeds, type FuzzFailure } from '../test/formats/fuzz-core.js';
import { createProgress } from '../src/util/progress.js';
import { startWorker } from '../src/util/worker.js';

interface Job {
  iterations: number;
  seed: number;
  /** [seedIndex, iteration, inputLength, counter] of the input being decoded. */
  shared: SharedArrayBuffer;
  /** Bytes of the current input (up to its capacity). */
  input: SharedArrayBuffer;
}

const SLICE = 500;

if (!isMainThread) {
  const job = workerData as Job;
  const cur = new Int32Array(job.shared);
  const bytes = new Uint8Array(job.input);
  const seeds = await fuzzSeeds();
  for (let done = 0; done < job.iterations; done += SLICE) {
    const r = fuzz(seeds, Math.min(SLICE, job.iterations - done), job.seed * 1_000_003 + done, undefined, (k, i, input) => {
      cur[0] = k;
      cur[1] = done + i;
      cur[2] = Math.min(input.length, bytes.length);
      bytes.set(input.subarray(0, bytes.length));
      Atomics.add(cur, 3, 1);
    });
    parentPort!.postMessage({ done: done + Math.min(SLICE, job.iterations - done), result: r, seeds: seeds.map((s) => s.name), formats: seeds.map((s) => s.format) });
  }
} else {
  const { values } = parseArgs({
    options: {
      iterations: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      'hang-seconds': { type: 'string', default: '30' },
    },
  });
  const iterations = Number(values.iterations);
  const seed = Number(values.seed);
  const hangMs = Number(values['hang-seconds']) * 1000;
  const shared = new SharedArrayBuffer(16);
  const input = new SharedArrayBuffer(4 << 20);
  const cur = new Int32Array(shared);
  // This same file, in a worker thread.
  const worker = startWorker(import.meta.url, 'fuzz-formats', { iterations, seed, shared, input } satisfies Job);
  const progress = createProgress('fuzz-formats');
  const started = Date.now();
  const total = { inputs: 0, decoded: 0, formatErrors: 0, slowestMs: 0 };
  const perFormat: Record<string, number> = {};
  const failures: FuzzFailure[] = [];
  let seedNames: string[] = [];
  let hang: string | undefined;
  let lastCounter = -1;
  let lastChange = Date.now();
  const watchdog = setInterval(() => {
    const c = Atomics.load(cur, 3);
    if (c !== lastCounter) {
      lastCounter = c;
      lastChange = Date.now();
      return;
    }
    if (Date.now() - lastChange > hangMs) {
      const file = `fuzz-hang-${seed}.bin`;
      writeFileSync(file, new Uint8Array(input, 0, cur[2]));
      hang = `input ${cur[1]} of seed #${cur[0]} (${seedNames[cur[0]!] ?? '?'}) ran over ${hangMs / 1000} s; saved to ${file}`;
      void worker.terminate();
    }
  }, 1000);
  worker.on('message', (m: { done: number; result: ReturnType<typeof fuzz>; seeds: string[]; formats: string[] }) => {
    seedNames = m.seeds;
    m.seeds.forEach((name, i) => (perFormat[m.formats[i]!] = (perFormat[m.formats[i]!] ?? 0) + (m.result.perSeed[name] ?? 0)));
    total.inputs += m.result.inputs;
    total.decoded += m.result.decoded;
    total.formatErrors += m.result.formatErrors;
    total.slowestMs = Math.max(total.slowestMs, m.result.slowestMs);
    failures.push(...m.result.failures);
    progress.update({ done: m.done, total: iterations, info: { inputs: total.inputs, failures: failures.length } });
  });
  const code = await new Promise<number>((resolve) => {
    worker.on('error', (err) => {
      failures.push({ seed: 'worker', iteration: -1, error: String(err) });
      resolve(1);
    });
    worker.on('exit', (c) => resolve(c));
  });
  clearInterval(watchdog);
  progress.finish();
  const summary = {
    iterations_per_seed: iterations,
    seeds: seedNames,
    inputs: total.inputs,
    inputs_per_format: perFormat,
    decoded_ok: total.decoded,
    format_errors: total.formatErrors,
    other_failures: failures.length,
    hang: hang ?? null,
    slowest_input_ms: Math.round(total.slowestMs),
    seconds: Math.round((Date.now() - started) / 1000),
  };
  console.log(values.json ? JSON.stringify(summary) : summary);
  for (const f of failures.slice(0, 10)) console.error(`FAIL ${f.seed} #${f.iteration}: ${f.error}`);
  process.exit(failures.length || hang || code !== 0 ? 1 : 0);
}
