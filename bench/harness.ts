/**
 * Benchmark harness shared by every bench/*.bench.ts file. A benchmark reports figures; it never
 * fails on time. Each figure is printed as a table row, or with --json as one JSON line
 * {"name", "value", "unit", ...extra} so runs can be compared.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { callerEnv } from '../src/util/huge-pages.js';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** Context such as the anchor's value or the ratio to it. */
  extra?: Record<string, string | number>;
}

export type Report = (figure: Figure) => void;

export interface BenchContext {
  report: Report;
  /** Quick mode (SPIKELINE_BENCH_QUICK=1 or --quick): smaller inputs, for smoke runs in tests. */
  quick: boolean;
}

export interface Benchmark {
  name: string;
  run(ctx: BenchContext): Promise<void>;
}

/** Median wall time in ms of `fn` over `repeats` runs after `warmup` runs. */
export async function timeMs(fn: () => unknown, repeats = 5, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return quantile(times, 0.5);
}

/**
 * Median CPU time in ms (user + system, all of this process's threads) of `fn` over `repeats`
 * runs after `warmup` runs: what the anchor ratios compare, as on a shared machine the wall time
 * mostly measures the other processes (the anchors measure their own with time.process_time()).
 */
export async function cpuTimeMs(fn: () => unknown, repeats = 5, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.cpuUsage();
    await fn();
    const d = process.cpuUsage(t0);
    times.push((d.user + d.system) / 1000);
  }
  return quantile(times, 0.5);
}

/** The q-quantile (nearest rank) of `values`, which are left unsorted. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** What the figures were measured on: they are only comparable between runs on the same CPU. */
export interface Machine {
  cpu: string;
  /** Vendor, family and model from /proc/cpuinfo (e.g. AuthenticAMD 25/17 = Zen 4): VMs often hide the model name. */
  cpuId: string;
  cores: number;
  node: string;
  v8: string;
  /**
   * GLIBC_TUNABLES of this process ('default' when unset): glibc.malloc.hugetlb=1 changes the cost
   * of fresh memory (decoded batches, fresh frames) severalfold, so figures with and without it
   * are not comparable either. The bench starts itself with huge pages as the CLI does
   * (src/util/huge-pages.ts).
   */
  malloc: string;
  /** GLIBC_TUNABLES the numpy / PyTorch anchors run with: the caller's, as a user runs them. */
  anchorMalloc: string;
}

export function machine(): Machine {
  const c = cpus();
  return { cpu: c[0]?.model.trim() || 'unknown cpu', cpuId: cpuId(), cores: c.length, node: process.version, v8: process.versions.v8, malloc: process.env['GLIBC_TUNABLES'] || 'default', anchorMalloc: callerEnv()['GLIBC_TUNABLES'] || 'default' };
}

function cpuId(): string {
  let info = '';
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return 'unknown';
  }
  const field = (name: string) => new RegExp(`^${name}\\s*: (.*)$`, 'm').exec(info)?.[1]?.trim() ?? '?';
  return `${field('vendor_id')} ${field('cpu family')}/${field('model')}`;
}

export function machineLine(): string {
  const m = machine();
  return `machine: ${m.cores} cores (${m.cpu}, ${m.cpuId}), node ${m.node}, V8 ${m.v8}, malloc ${m.malloc} (anchors: ${m.anchorMalloc})`;
}

/** One anchor round: our figure (mean of the timings just before and after the anchor run), the anchor's, their ratio. */
export interface AnchorRound {
  ratio: number;
  ours: number;
  anchor: number;
}

/**
 * Ratios to an anchor run in the same bench: the background load on a shared machine moves
 * within minutes, so each of `rounds` anchor runs is bracketed by our figures for every case
 * taken just before and just after it (`ours()`, in the order of `keys`; `keys[i]` names case
 * i's figure in the anchor's result, undefined for cases without one). Returns the rounds per
 * key, or the anchor's reason for not running.
 */
export async function bracketedRounds(
  keys: ReadonlyArray<string | undefined>,
  rounds: number,
  ours: () => Promise<number[]>,
  anchor: () => Record<string, number> | string,
): Promise<Map<string, AnchorRound[]> | string> {
  const out = new Map<string, AnchorRound[]>();
  for (let round = 0; round < rounds; round++) {
    const before = await ours();
    const ref = anchor();
    if (typeof ref === 'string') return ref;
    const after = await ours();
    keys.forEach((key, i) => {
      const a = key === undefined ? undefined : ref[key];
      if (key === undefined || typeof a !== 'number') return;
      const value = (before[i]! + after[i]!) / 2;
      (out.get(key) ?? out.set(key, []).get(key)!).push({ ratio: value / a, ours: value, anchor: a });
    });
  }
  return out;
}

/** The median round by ratio and the list of every round's ratio ("1.21/1.30/1.18"), for a report. */
export function medianRound(rounds: readonly AnchorRound[]): { mid: AnchorRound; list: string } {
  const mid = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor((rounds.length - 1) / 2)]!;
  return { mid, list: rounds.map((r) => r.ratio.toFixed(2)).join('/') };
}

/**
 * Runs /usr/bin/python3 `args` (an anchor) with the caller's environment plus `env`, as a user runs
 * it, and returns the JSON object of its last stdout line, or why there is none (`what` names it).
 */
export function pythonJson<T = Record<string, number>>(what: string, args: string[], env: Record<string, string> = {}, timeoutMs?: number): T | string {
  const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', env: { ...callerEnv(), ...env }, timeout: timeoutMs });
  if (r.status !== 0) return `${what} failed: ${(r.stderr ?? '').trim().split('\n').pop()}`;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
  } catch {
    return `${what} printed no JSON line`;
  }
}
