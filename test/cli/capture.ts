import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

const batchScript = fileURLToPath(new URL('./cli-batch.ts', import.meta.url));

/**
 * Runs each `spikeline ARGS` of `runs` in turn in one child process, through the CLI's own entry
 * point (argument parsing, usage errors and exit codes included), and returns what each wrote.
 * A command that throws (exit 1 in bin/spikeline.js) gives code 1 and the message on err. One
 * process for many runs keeps a table of cases fast; a child keeps the test runner's own
 * stdout untouched.
 */
export function runCliBatch(runs: readonly string[][]): Promise<CliResult[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', batchScript, JSON.stringify(runs)], { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const last = stdout.trimEnd().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as CliResult[]);
      } catch {
        reject(new Error(`cli batch failed (${error?.message ?? 'no result'}): ${stderr.slice(-2000)}`));
      }
    });
  });
}

/** One `spikeline ARGS` run (see runCliBatch). */
export async function runCli(...args: string[]): Promise<CliResult> {
  return (await runCliBatch([args]))[0]!;
}
