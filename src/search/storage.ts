/**
 * What a study needs from its storage, whichever holds it: an SQLite file (one machine, one
 * process at a time) or a PostgreSQL database (many `spikeline search` processes on many machines
 * sharing one study). The study code sees only this interface; `openStudyStore` picks the
 * implementation from the location (a `postgres://` URL or a file path).
 *
 * Every state change of a trial is its own committed write, so a process killed at any instant
 * (kill -9) leaves every finished trial and recorded epoch intact; only the trials it was running
 * are lost, and they are marked 'interrupted' (never run again under the same number).
 */
import type { EpochMetrics, TrialMetrics } from './objective.js';
import type { Params } from './space.js';

export type TrialState = 'running' | 'complete' | 'pruned' | 'failed' | 'interrupted';

export interface StoredTrial {
  number: number;
  state: TrialState;
  params: Params;
  spec: unknown;
  seed: number;
  /** Objective values of a complete trial, in the study's objective order. */
  values: number[] | null;
  metrics: TrialMetrics | null;
  /** Metrics after each epoch, index 0 = epoch 1. */
  curve: EpochMetrics[];
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
}

/** What a new trial is made of, given the number the storage allotted to it. */
export interface NewTrial {
  params: Params;
  spec: unknown;
  seed: number;
}

/** Answer to a request for a new trial: its number, or the study's counts when it may start none. */
export type TrialSlot = { number: number } | { number: undefined; finished: number; running: number };

export interface ClaimOptions {
  /**
   * SQLite: take the study even though its lock names a live process on this host (for a lock
   * left by a process that is not really running this study). PostgreSQL has no study lock.
   */
  takeOver?: boolean;
}

export interface StudyStore<C = unknown> {
  /** The study's file path or URL (without password), for messages. */
  readonly location: string;
  readonly config: C;
  /** True when opening created the study (false: it existed and `config` is the stored one). */
  readonly created: boolean;
  /**
   * Joins the study as a process that runs trials: SQLite takes the one-process lock,
   * PostgreSQL registers a worker that keeps a lease alive by heartbeat. Running trials of
   * processes that are gone become 'interrupted'; returns how many.
   */
  claim(options?: ClaimOptions): Promise<number>;
  /**
   * Atomically allots the next trial number and records the trial `build` makes as running,
   * unless the study already has `target` finished (complete, pruned, failed) plus running
   * trials. Trials of processes that are gone become 'interrupted' first.
   */
  startTrial(target: number, build: (number: number) => NewTrial): Promise<TrialSlot>;
  recordEpoch(number: number, epoch: number, metrics: EpochMetrics): Promise<void>;
  finishTrial(number: number, state: Exclude<TrialState, 'running'>, result: { values?: number[]; metrics?: TrialMetrics; error?: string }): Promise<void>;
  trial(number: number): Promise<StoredTrial | undefined>;
  trials(): Promise<StoredTrial[]>;
  /** Ends this process's claim (its trials must have ended). */
  release(): Promise<void>;
  close(): Promise<void>;
}

export class StudyLockedError extends Error {
  override readonly name = 'StudyLockedError';
}

export class StudyFileError extends Error {
  override readonly name = 'StudyFileError';
}

export interface EpochRow {
  trial: number;
  epoch: number;
  metrics: string;
}

export interface TrialRow {
  number: number;
  state: TrialState;
  params: string;
  spec: string;
  seed: number;
  objective_values: string | null;
  metrics: string | null;
  error: string | null;
  started_at: number;
  finished_at: number | null;
}

/** Stored rows (JSON in text columns) to trials, for both stores. */
export function assembleTrials(rows: TrialRow[], epochs: EpochRow[]): StoredTrial[] {
  const curves = new Map<number, EpochMetrics[]>();
  for (const e of epochs) {
    let c = curves.get(e.trial);
    if (!c) curves.set(e.trial, (c = []));
    c[e.epoch - 1] = JSON.parse(e.metrics) as EpochMetrics;
  }
  return rows.map((r) => ({
    number: r.number,
    state: r.state,
    params: JSON.parse(r.params) as Params,
    spec: JSON.parse(r.spec) as unknown,
    seed: r.seed,
    values: r.objective_values ? (JSON.parse(r.objective_values) as number[]) : null,
    metrics: r.metrics ? (JSON.parse(r.metrics) as TrialMetrics) : null,
    curve: curves.get(r.number) ?? [],
    error: r.error,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  }));
}

/** Trial states that count towards a study's `--trials` target. */
export const FINISHED_STATES: readonly TrialState[] = ['complete', 'pruned', 'failed'];

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * Opens the study at `location` — `postgres://USER[:PASSWORD]@HOST:PORT/DB?study=NAME` or an
 * SQLite file path — creating it with `config` when absent. Without `config` the study must exist.
 */
export async function openStudyStore<C>(location: string, config?: C, options: { readonly?: boolean } = {}): Promise<StudyStore<C>> {
  if (isPostgresUrl(location)) {
    const { PostgresStudyStore } = await import('./storage-postgres.js');
    return PostgresStudyStore.open(location, config);
  }
  const { SqliteStudyStore } = await import('./storage-sqlite.js');
  return SqliteStudyStore.open(location, config, options);
}
