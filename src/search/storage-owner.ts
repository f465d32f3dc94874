/**
 * Is the process named in a study lock still the one that took it? A pid alone is not enough:
 * a killed search can linger as a zombie (dead, not yet reaped by its parent), and after a
 * reboot or a long time the pid may belong to an unrelated process. On Linux the lock also
 * records the owner's start time (field 22 of /proc/PID/stat, clock ticks since boot), so a
 * zombie or a process with another start time counts as dead.
 */
import { readFileSync } from 'node:fs';

export interface ProcessInfo {
  /** One-letter state of /proc/PID/stat: R, S, D, Z (zombie), X (dead), … */
  state: string;
  /** Start time in clock ticks after boot. */
  startTime: number;
}

/** State and start time of `pid` from /proc; null when no such process; undefined without /proc. */
export function processInfo(pid: number): ProcessInfo | null | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return readable('/proc/self/stat') ? null : undefined;
    throw err;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0]!, startTime: Number(fields[19]) };
}

/** This process's start time (clock ticks after boot), or null where there is no /proc. */
export function ownStartTime(): number | null {
  return processInfo(process.pid)?.startTime ?? null;
}

/**
 * True when `pid` (with `startTime` when the lock recorded one) is a live process on this host:
 * not gone, not a zombie, not a newer process that reuses the pid.
 */
export function ownerAlive(pid: number, startTime: number | null): boolean {
  const info = processInfo(pid);
  if (info === null) return false;
  if (info === undefined) return signalable(pid);
  if (info.state === 'Z' || info.state === 'X') return false;
  return startTime === null || info.startTime === startTime;
}

function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readable(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
}
