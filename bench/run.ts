/**
 * `npm run bench [-- --json] [--quick] [filter...]`: runs every bench/*.bench.ts whose file name
 * contains one of the filters, printing a table (or JSON lines with --json). Like the CLI, it
 * first starts itself again with huge pages on glibc Linux (SPIKELINE_HUGE_PAGES=0: as started).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { machine, machineLine, type Benchmark, type Figure } from './harness.js';
import { relaunchWithHugePages } from '../src/util/huge-pages.js';

const relaunched = await relaunchWithHugePages();
if (relaunched !== undefined) process.exit(relaunched);

const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick') || process.env.SPIKELINE_BENCH_QUICK === '1';
const filters = args.filter((a) => !a.startsWith('--'));
const dir = dirname(fileURLToPath(import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

const host = machine();

function print(bench: string, f: Figure): void {
  if (json) {
    process.stdout.write(JSON.stringify({ bench, name: f.name, value: f.value, unit: f.unit, ...host, ...f.extra }) + '\n');
  } else {
    const value = Math.abs(f.value) >= 100 ? f.value.toFixed(0) : f.value.toPrecision(3);
    const extra = f.extra ? '  ' + Object.entries(f.extra).map(([k, v]) => `${k}=${v}`).join(' ') : '';
    process.stdout.write(`  ${f.name.padEnd(56)} ${value.padStart(10)} ${f.unit}${extra}\n`);
  }
}

if (!json) process.stdout.write(`${machineLine()}${quick ? ' (quick mode)' : ''}\n`);
for (const file of files) {
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default: Benchmark };
  const bench = mod.default;
  if (!json) process.stdout.write(`\n${bench.name}\n`);
  await bench.run({ report: (f) => print(bench.name, f), quick });
}
