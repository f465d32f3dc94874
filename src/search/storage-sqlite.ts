/**
 * Study storage in one SQLite file (better-sqlite3, WAL journal): one machine, one process
 * running the study at a time. A lock in the study row (pid, host and process start time) stops
 * two live processes driving the same study; trials found 'running' when a process claims the
 * study were left by a dead one and become 'interrupted' — the only work lost.
 */
import Database from 'better-sqlite3';
import { hostname } from 'node:os';
import type { EpochMetrics, TrialMetrics } from './objective.js';
import { ownStartTime, ownerAlive } from './storage-owner.js';
import { FINISHED_STATES, StudyFileError, StudyLockedError, assembleTrials, type ClaimOptions, type EpochRow, type NewTrial, type StoredTrial, type StudyStore, type TrialRow, type TrialSlot, type TrialState } from './storage.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS study (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  format INTEGER NOT NULL,
  config TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  owner_pid INTEGER,
  owner_host TEXT,
  owner_start INTEGER
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

export class SqliteStudyStore<C = unknown> implements StudyStore<C> {
  private constructor(
    private readonly db: Database.Database,
    readonly location: string,
    readonly config: C,
    readonly created: boolean,
  ) {}

  /**
   * Opens `path`, creating the study with `config` when the file has none. Reopening an
   * existing study returns its stored config (the caller decides whether a new one conflicts).
   */
  static open<C>(path: string, config?: C, options: { readonly?: boolean } = {}): SqliteStudyStore<C> {
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: config === undefined });
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
        // Files written before the lock recorded the owner's start time lack the column.
        const columns = db.prepare('PRAGMA table_info(study)').all() as { name: string }[];
        if (!columns.some((c) => c.name === 'owner_start')) db.exec('ALTER TABLE study ADD COLUMN owner_start INTEGER');
      }
      const row = db.prepare('SELECT format, config FROM study WHERE id = 1').get() as { format: number; config: string } | undefined;
      if (row) {
        if (row.format !== FORMAT) throw new StudyFileError(`${path}: study format ${row.format} is not the supported ${FORMAT}`);
        return new SqliteStudyStore(db, path, JSON.parse(row.config) as C, false);
      }
      if (config === undefined) throw new StudyFileError(`${path}: file holds no study`);
      db.prepare('INSERT INTO study (id, format, config, created_at) VALUES (1, ?, ?, ?)').run(FORMAT, JSON.stringify(config), Date.now());
      return new SqliteStudyStore(db, path, config, true);
    } catch (err) {
      db.close();
      if (err instanceof StudyFileError) throw err;
      throw new StudyFileError(`${path}: not a spikeline study: ${(err as Error).message}`);
    }
  }

  /**
   * Takes the lock for this process. Fails if it names another live process on this host
   * (unless `takeOver`); a zombie, a vanished pid or a pid reused by a process with another
   * start time is dead. The dead owner's running trials become 'interrupted'.
   */
  async claim(options: ClaimOptions = {}): Promise<number> {
    const host = hostname();
    return this.db.transaction(() => {
      const owner = this.db.prepare('SELECT owner_pid AS pid, owner_host AS host, owner_start AS start FROM study WHERE id = 1').get() as {
        pid: number | null;
        host: string | null;
        start: number | null;
      };
      if (!options.takeOver && owner.pid !== null && owner.pid !== process.pid && owner.host === host && ownerAlive(owner.pid, owner.start)) {
        throw new StudyLockedError(
          `${this.location}: study is being run by process ${owner.pid} on this host. If that process is not a spikeline search of this study ` +
            '(e.g. its pid was reused), run again with --take-over; two processes running one SQLite study would record conflicting trials',
        );
      }
      this.db.prepare('UPDATE study SET owner_pid = ?, owner_host = ?, owner_start = ? WHERE id = 1').run(process.pid, host, ownStartTime());
      return this.db
        .prepare("UPDATE trial SET state = 'interrupted', error = 'process ended while the trial ran', finished_at = ? WHERE state = 'running'")
        .run(Date.now()).changes;
    })();
  }

  async release(): Promise<void> {
    this.db.prepare('UPDATE study SET owner_pid = NULL, owner_host = NULL, owner_start = NULL WHERE id = 1 AND owner_pid = ?').run(process.pid);
  }

  async startTrial(target: number, build: (number: number) => NewTrial): Promise<TrialSlot> {
    return this.db.transaction((): TrialSlot => {
      const counts = this.db
        .prepare(`SELECT COUNT(*) FILTER (WHERE state IN (${FINISHED_STATES.map(() => '?').join(', ')})) AS finished, COUNT(*) FILTER (WHERE state = 'running') AS running, MAX(number) AS last FROM trial`)
        .get(...FINISHED_STATES) as { finished: number; running: number; last: number | null };
      if (counts.finished + counts.running >= target) return { number: undefined, finished: counts.finished, running: counts.running };
      const number = (counts.last ?? -1) + 1;
      const t = build(number);
      this.db
        .prepare("INSERT INTO trial (number, state, params, spec, seed, started_at) VALUES (?, 'running', ?, ?, ?, ?)")
        .run(number, JSON.stringify(t.params), JSON.stringify(t.spec), t.seed, Date.now());
      return { number };
    })();
  }

  async recordEpoch(number: number, epoch: number, metrics: EpochMetrics): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO trial_epoch (trial, epoch, metrics) VALUES (?, ?, ?)').run(number, epoch, JSON.stringify(metrics));
  }

  async finishTrial(number: number, state: Exclude<TrialState, 'running'>, result: { values?: number[]; metrics?: TrialMetrics; error?: string }): Promise<void> {
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

  async trial(number: number): Promise<StoredTrial | undefined> {
    const rows = this.db.prepare('SELECT * FROM trial WHERE number = ?').all(number) as TrialRow[];
    const epochs = this.db.prepare('SELECT trial, epoch, metrics FROM trial_epoch WHERE trial = ? ORDER BY epoch').all(number) as EpochRow[];
    return assembleTrials(rows, epochs)[0];
  }

  async trials(): Promise<StoredTrial[]> {
    const rows = this.db.prepare('SELECT * FROM trial ORDER BY number').all() as TrialRow[];
    const epochs = this.db.prepare('SELECT trial, epoch, metrics FROM trial_epoch ORDER BY trial, epoch').all() as EpochRow[];
    return assembleTrials(rows, epochs);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
