import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';

/** Node arguments that run `spikeline ARGS` from source (no build needed); cwd must be the repo root. */
export function cliArgs(...args: string[]): string[] {
  return [
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(process.argv.slice(1));",
    '--',
    ...args,
  ];
}

export interface CliChild {
  child: ChildProcessWithoutNullStreams;
  /** Everything written so far. */
  readonly stdout: string;
  readonly stderr: string;
  exited: Promise<number | null>;
}

/** Starts a long-running `spikeline ARGS` child and collects its output. */
export function spawnCli(...args: string[]): CliChild {
  const child = spawn(process.execPath, cliArgs(...args));
  const run = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise<number | null>((r) => child.once('exit', (code) => r(code))),
  };
  child.stdout.on('data', (d: Buffer) => (run.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
  return run;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}
