import { spawn } from 'node:child_process';

/**
 * Transparent huge pages for the process's large buffers. On Linux with THP in `madvise` mode
 * (the common default), memory is only backed by 2 MiB pages when the allocator asks; numpy
 * asks for its arrays, V8's ArrayBuffer allocator (glibc malloc) does not. A fresh 131 MB frame
 * tensor then costs ~32k page faults of 4 KiB, most of its time. glibc >= 2.35 asks when started
 * with GLIBC_TUNABLES=glibc.malloc.hugetlb=1, which must be in the environment before the process
 * starts: so the CLI starts itself once more with it (`relaunchWithHugePages`).
 */
const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb=1';

/** Set in the relaunched process: the caller's own GLIBC_TUNABLES ('' when it had none). */
const CALLER_TUNABLES = 'SPIKELINE_CALLER_GLIBC_TUNABLES';

/**
 * The GLIBC_TUNABLES value to relaunch with, or why not: only on glibc >= 2.35 (older glibc and
 * musl ignore the tunable), not when the caller already chose a hugetlb setting, and not with
 * SPIKELINE_HUGE_PAGES=0.
 */
export function hugePagesPlan(env: NodeJS.ProcessEnv, glibcVersion: () => string | undefined): { tunables: string } | { skip: string } {
  if (env['SPIKELINE_HUGE_PAGES'] === '0') return { skip: 'SPIKELINE_HUGE_PAGES=0' };
  if (env[CALLER_TUNABLES] !== undefined) return { skip: 'already relaunched' };
  const current = env['GLIBC_TUNABLES'] ?? '';
  if (/(^|:)glibc\.malloc\.hugetlb=/.test(current)) return { skip: `GLIBC_TUNABLES already sets hugetlb (${current})` };
  const glibc = glibcVersion();
  const [major = 0, minor = 0] = (glibc ?? '').split('.').map(Number);
  if (!glibc || major < 2 || (major === 2 && minor < 35)) return { skip: glibc ? `glibc ${glibc} < 2.35` : 'not glibc' };
  return { tunables: current ? `${current}:${HUGE_PAGES_TUNABLE}` : HUGE_PAGES_TUNABLE };
}

/** glibc's version from Node's diagnostic report header (undefined on musl and off Linux). */
export function runtimeGlibc(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime;
}

/**
 * The environment the caller started us with: GLIBC_TUNABLES as it was before the relaunch.
 * For children that should run as the user would run them (the bench's numpy and PyTorch anchors).
 */
export function callerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const caller = env[CALLER_TUNABLES];
  if (caller === undefined) return env;
  const { [CALLER_TUNABLES]: _, GLIBC_TUNABLES: __, ...rest } = env;
  return caller ? { ...rest, GLIBC_TUNABLES: caller } : rest;
}

/**
 * SIGTERM (a supervisor's stop, sent to one pid) is passed on. SIGINT and SIGHUP come from the
 * terminal to the whole foreground process group, the child included: passing them on as well
 * would deliver them twice, and a second SIGINT makes `spikeline run` exit without its graceful
 * stop. The launcher only ignores those and waits for the child.
 */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM'];
const FROM_TERMINAL: readonly NodeJS.Signals[] = ['SIGINT', 'SIGHUP'];
const ignore = () => {};

/**
 * Runs this same script again (same node, flags and arguments, inherited stdio) with huge pages
 * on, and resolves to its exit code; resolves to undefined when no relaunch applies, and the
 * caller then just runs (rejects only when the child could not be started). SIGTERM goes on to
 * the child, which does the graceful stop (see FORWARDED); a child killed by a signal makes this
 * process exit by the same signal. Should this process die without passing a signal on
 * (kill -9), the child sees its IPC channel close and stops itself with SIGTERM.
 */
export function relaunchWithHugePages(): Promise<number | undefined> {
  if (process.env[CALLER_TUNABLES] !== undefined && process.channel) {
    // The relaunched process: the channel only tells it when the launcher is gone.
    process.channel.unref();
    process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  }
  const plan = hugePagesPlan(process.env, runtimeGlibc);
  if ('skip' in plan) return Promise.resolve(undefined);
  const env = { ...process.env, GLIBC_TUNABLES: plan.tunables, [CALLER_TUNABLES]: process.env['GLIBC_TUNABLES'] ?? '' };
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], env });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const s of FORWARDED) process.on(s, forward);
  for (const s of FROM_TERMINAL) process.on(s, ignore);
  const detach = () => {
    for (const s of FORWARDED) process.off(s, forward);
    for (const s of FROM_TERMINAL) process.off(s, ignore);
  };
  return new Promise<number | undefined>((resolve, reject) => {
    child.once('error', (err) => {
      if (child.pid !== undefined) return; // a failed kill(): the exit event still follows
      detach();
      reject(err);
    });
    child.once('exit', (code, signal) => {
      detach();
      if (signal) process.kill(process.pid, signal);
      resolve(code ?? 1);
    });
  });
}
