/**
 * CPU time of the calling thread (user + system), in seconds, from /proc/thread-self/stat: a
 * trial runs in its own worker thread, so this is what its training cost, whatever else the
 * machine runs (Node 20 has no process.threadCpuUsage). 10 ms resolution (clock ticks).
 * NaN where /proc is absent (not Linux): an unknown cost, never a made-up one.
 */
import { readFileSync } from 'node:fs';

/** Linux reports thread times in USER_HZ ticks, 100 per second on every supported architecture. */
const TICKS_PER_SECOND = 100;

export function threadCpuSeconds(): number {
  let stat: string;
  try {
    stat = readFileSync('/proc/thread-self/stat', 'utf8');
  } catch {
    return NaN;
  }
  // Fields after the parenthesised command name (which may hold spaces): state is field 3,
  // utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND;
}
