/**
 * Benchmark harness shared by every bench/*.bench.ts file. A benchmark reports figures; it never
 * fails on time. Each figure is printed as a table row, or with --json as one JSON line
 * {"name", "value", "unit", ...extra} so runs can be compared.
 */
import { cpus } from 'node:os';

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

/** The q-quantile (nearest rank) of `values`, which are left unsorted. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

export function machineLine(): string {
  const c = cpus();
  return `machine: ${c.length} cores (${c[0]?.model.trim() ?? 'unknown cpu'}), node ${process.version}`;
}
