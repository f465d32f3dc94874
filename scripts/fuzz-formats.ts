#!/usr/bin/env node
// Long mutation-fuzzing run of every decoder (the test suite runs a short one):
//   node --import tsx scripts/fuzz-formats.ts --iterations 100000 [--seed N] [--json]
// `--iterations` mutated inputs per seed file (each format has >= 1 seed). Exits 1 when any
// input raised something other than a FormatError, printing the first failures.
import { parseArgs } from 'node:util';
import { fuzz, fuzzSeeds } from '../test/formats/fuzz-core.js';
import { createProgress } from '../src/util/progress.js';

const { values } = parseArgs({
  options: { iterations: { type: 'string', default: '10000' }, seed: { type: 'string', default: '1' }, json: { type: 'boolean', default: false } },
});
const iterations = Number(values.iterations);
const seed = Number(values.seed);
const seeds = await fuzzSeeds();
const progress = createProgress('fuzz-formats');
const started = Date.now();
// Run in slices so progress is reported and the event loop is not starved forever.
const total = { inputs: 0, decoded: 0, formatErrors: 0, failures: [] as ReturnType<typeof fuzz>['failures'], slowestMs: 0, perSeed: {} as Record<string, number> };
const slice = 1000;
for (let done = 0; done < iterations; done += slice) {
  const r = fuzz(seeds, Math.min(slice, iterations - done), seed * 1_000_003 + done);
  total.inputs += r.inputs;
  total.decoded += r.decoded;
  total.formatErrors += r.formatErrors;
  total.failures.push(...r.failures);
  total.slowestMs = Math.max(total.slowestMs, r.slowestMs);
  for (const [k, v] of Object.entries(r.perSeed)) total.perSeed[k] = (total.perSeed[k] ?? 0) + v;
  progress.update({ done: done + Math.min(slice, iterations - done), total: iterations, info: { inputs: total.inputs, failures: total.failures.length } });
}
progress.finish();
const summary = {
  iterations_per_seed: iterations,
  seeds: seeds.map((s) => s.name),
  inputs: total.inputs,
  decoded_ok: total.decoded,
  format_errors: total.formatErrors,
  other_failures: total.failures.length,
  slowest_input_ms: Math.round(total.slowestMs),
  seconds: Math.round((Date.now() - started) / 1000),
};
console.log(values.json ? JSON.stringify(summary) : summary);
for (const f of total.failures.slice(0, 10)) console.error(`FAIL ${f.seed} #${f.iteration}: ${f.error}`);
process.exit(total.failures.length ? 1 : 0);
