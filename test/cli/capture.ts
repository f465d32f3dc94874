import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `spikeline ARGS` in this process through the CLI's own entry point (argument parsing,
 * usage errors and exit codes included) and collects what it writes. A command that throws
 * (exit 1 in bin/spikeline.js) gives code 1 and the message on err.
 */
export async function runCli(...args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await main(args).catch((e: unknown) => {
      err.push(`spikeline: ${e instanceof Error ? e.message : String(e)}\n`);
      return 1;
    });
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}
