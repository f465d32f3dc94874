/**
 * Child process of runCliBatch: runs `main(args)` for each argument list of argv[2] (JSON),
 * collecting what each run writes, then prints the results as one JSON line and exits.
 */
import { main } from '../../src/cli/main.js';

const runs = JSON.parse(process.argv[2]!) as string[][];
const write = process.stdout.write.bind(process.stdout);
const writeErr = process.stderr.write.bind(process.stderr);
const results: { code: number; out: string; err: string }[] = [];
for (const args of runs) {
  const out: string[] = [];
  const err: string[] = [];
  process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
  const code = await main(args).catch((e: unknown) => {
    err.push(`spikeline: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  });
  process.stdout.write = write;
  process.stderr.write = writeErr;
  results.push({ code, out: out.join(''), err: err.join('') });
}
write(`\n${JSON.stringify(results)}\n`, () => process.exit(0));
