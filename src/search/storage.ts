/**
 * Study persistence in one SQLite file (better-sqlite3, WAL journal). Every state change of a
 * trial is its own committed transaction, so a process killed at any instant (kill -9) leaves
 * every finished trial and every recorded epoch intact; trials that were running are found in
 * state 'running' on reopen and marked 'interrupted' — the only work lost.
 * One study per file; a lock row (pid + host) stops two live processes driving the same study.
 */
import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
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

export class StudyLockedError extends Error {
  override readonly name = 'StudyLockedError';
}

export class StudyFileError extends Error {
  override readonly name = 'StudyFileError';
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS study (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  format INTEGER NOT NULL,
  config TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  owner_pid INTEGER,
  owner_host TEXT
);
CREATE TABLE IF NOT EXISTS trial (
  number INTEGER PRIMARY KEY,
  state TEXT NOT NULL,
  params TEXT NOT NULL,
  spec TEXT NOT NULL,
  seed INTEGER NOT NULL,
  objective_values TEXT,
  metrics TEXT,
  error TEXT,
  started_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE TABLE IF NOT EXISTS trial_epoch (
  trial INTEGER NOT NULL REFERENCES trial(number),
  epoch INTEGER NOT NULL,
  metrics TEXT NOT NULL,
  PRIMARY KEY (trial, epoch)
);
`;

const FORMAT = 1;

interface EpochRow {
  trial: number;
  epoch: number;
  metrics: string;
}

interface TrialRow {
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

export class StudyStorage<C = unknown> {
  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
    readonly config: C,
  ) {}

  /**
   * Opens `path`, creating the study with `config` when the file has none. Reopening an
   * existing study returns its stored config (the caller decides whether a new one conflicts).
   */
  static open<C>(path: string, config?: C, options: { readonly?: boolean } = {}): StudyStorage<C> {
    let db: Database.Database;
    try {
      // Required here, not imported: importing spikeline must not load the native SQLite addon.
      const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
      db = new Sqlite(path, { readonly: options.readonly ?? false, fileMustExist: config === undefined });
    } catch (err) {
      throw new StudyFileError(`${path}: cannot open study database: ${(err as Error).message}`);
    }
    try {
      if (!options.readonly) {
        db.pragma('journal_mode = WAL');
        // NORMAL is durable against a killed process (only an OS crash could lose the last commits).
        db.pragma('synchronous = NORMAL');
        db.pragma('busy_timeout = 5000');
        db.exec(SCHEMA);
      }
      const row = db.prepare('SELECT format, config FROM study WHERE id = 1').get() as { format: number; config: string } | undefined;
      if (row) {
        if (row.format !== FORMAT) throw new StudyFileError(`${path}: study format ${row.format} is not the supported ${FORMAT}`);
        return new StudyStorage(db, path, JSON.parse(row.config) as C);
      }
      if (config === undefined) throw new StudyFileError(`${path}: file holds no study`);
      db.prepare('INSERT INTO study (id, format, config, created_at) VALUES (1, ?, ?, ?)').run(FORMAT, JSON.stringify(config), Date.now());
      return new StudyStorage(db, path, config);
    } catch (err) {
      db.close();
      if (err instanceof StudyFileError) throw err;
      throw new StudyFileError(`${path}: not a spikeline study: ${(err as Error).message}`);
    }
  }

  /**
   * Takes ownership for this process. Fails if another live process on this host owns it; a
   * dead owner's running trials become 'interrupted'. Returns how many were interrupted.
   */
  claim(): number {
    const host = hostname();
    return this.db.transaction(() => {
      const owner = this.db.prepare('SELECT owner_pid AS pid, owner_host AS host FROM study WHERE id = 1').get() as { pid: number | null; host: string | null };
      if (owner.pid !== null && owner.pid !== process.pid && owner.host === host && processAlive(owner.pid)) {
        throw new StudyLockedError(`${this.path}: study is being run by process ${owner.pid}`);
      }
      this.db.prepare('UPDATE study SET owner_pid = ?, owner_host = ? WHERE id = 1').run(process.pid, host);
      return this.db
        .prepare("UPDATE trial SET state = 'interrupted', error = 'process ended while the trial ran', finished_at = ? WHERE state = 'running'")
        .run(Date.now()).changes;
    })();
  }

  release(): void {
    this.db.prepare('UPDATE study SET owner_pid = NULL, owner_host = NULL WHERE id = 1 AND owner_pid = ?').run(process.pid);
  }

  nextTrialNumber(): number {
    const row = this.db.prepare('SELECT MAX(number) AS n FROM trial').get() as { n: number | null };
    return (row.n ?? -1) + 1;
  }

  startTrial(number: number, params: Params, spec: unknown, seed: number): void {
    this.db
      .prepare("INSERT INTO trial (number, state, params, spec, seed, started_at) VALUES (?, 'running', ?, ?, ?, ?)")
      .run(number, JSON.stringify(params), JSON.stringify(spec), seed, Date.now());
  }

  recordEpoch(number: number, epoch: number, metrics: EpochMetrics): void {
    this.db.prepare('INSERT OR REPLACE INTO trial_epoch (trial, epoch, metrics) VALUES (?, ?, ?)').run(number, epoch, JSON.stringify(metrics));
  }

  finishTrial(number: number, state: Exclude<TrialState, 'running'>, result: { values?: number[]; metrics?: TrialMetrics; error?: string }): void {
    this.db
      .prepare('UPDATE trial SET state = ?, objective_values = ?, metrics = ?, error = ?, finished_at = ? WHERE number = ?')
      .run(
        state,
        result.values ? JSON.stringify(result.values) : null,
        result.metrics ? JSON.stringify(result.metrics) : null,
        result.error ?? null,
        Date.now(),
        number,
      );
  }

  trial(number: number): StoredTrial | undefined {
    const rows = this.db.prepare('SELECT * FROM trial WHERE number = ?').all(number) as TrialRow[];
    const epochs = this.db.prepare('SELECT trial, epoch, metrics FROM trial_epoch WHERE trial = ? ORDER BY epoch').all(number) as EpochRow[];
    return this.assemble(rows, epochs)[0];
  }

  trials(): StoredTrial[] {
    const rows = this.db.prepare('SELECT * FROM trial ORDER BY number').all() as TrialRow[];
    const epochs = this.db.prepare('SELECT trial, epoch, metrics FROM trial_epoch ORDER BY trial, epoch').all() as EpochRow[];
    return this.assemble(rows, epochs);
  }

  private assemble(rows: TrialRow[], epochs: EpochRow[]): StoredTrial[] {
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

  close(): void {
    this.db.close();
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
