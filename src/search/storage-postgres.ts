/**
 * Study storage in PostgreSQL: any number of `spikeline search` processes, on any machines,
 * run trials of one study side by side. Location:
 *
 *   postgres://USER[:PASSWORD]@HOST:PORT/DB?study=NAME[&heartbeat=5s][&expiry=30s]
 *
 * (other query parameters, e.g. sslmode, go to the driver). One database holds many studies,
 * in tables prefixed `spikeline_`, created on first use.
 *
 * - A trial is claimed atomically: allotting its number, checking the study's trial target and
 *   inserting it as running happen in one transaction that holds the study row's lock
 *   (SELECT … FOR UPDATE), so two processes never get the same number or overshoot the target.
 * - Each process registers as a worker holding a lease (`expires_at`, on the database's clock)
 *   that a heartbeat renews. A worker killed mid-trial stops renewing; once its lease has
 *   expired, the next process to claim a trial marks the dead worker's running trials
 *   'interrupted'. They are never run again under the same number.
 */
import { hostname } from 'node:os';
import pg from 'pg';
import type { EpochMetrics, TrialMetrics } from './objective.js';
import { FINISHED_STATES, StudyFileError, assembleTrials, type EpochRow, type NewTrial, type StoredTrial, type StudyStore, type TrialRow, type TrialSlot, type TrialState } from './storage.js';
import { parseDurationUs } from '../util/duration.js';

const FORMAT = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS spikeline_study (
  id SERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  format INTEGER NOT NULL,
  config TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS spikeline_worker (
  id SERIAL PRIMARY KEY,
  study INTEGER NOT NULL REFERENCES spikeline_study (id),
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
  expires_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS spikeline_trial (
  study INTEGER NOT NULL REFERENCES spikeline_study (id),
  number INTEGER NOT NULL,
  state TEXT NOT NULL,
  params TEXT NOT NULL,
  spec TEXT NOT NULL,
  seed BIGINT NOT NULL,
  objective_values TEXT,
  metrics TEXT,
  error TEXT,
  started_at BIGINT NOT NULL,
  finished_at BIGINT,
  worker INTEGER REFERENCES spikeline_worker (id),
  PRIMARY KEY (study, number)
);
CREATE INDEX IF NOT EXISTS spikeline_trial_running ON spikeline_trial (study) WHERE state = 'running';
CREATE TABLE IF NOT EXISTS spikeline_trial_epoch (
  study INTEGER NOT NULL,
  trial INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  metrics TEXT NOT NULL,
  PRIMARY KEY (study, trial, epoch),
  FOREIGN KEY (study, trial) REFERENCES spikeline_trial (study, number)
);
`;

// Serialises schema creation of concurrently starting processes (CREATE … IF NOT EXISTS races).
const SCHEMA_LOCK = 0x5b1e11e;

// BIGINT columns come back from the driver as strings; these casts make them JS numbers.
const TRIAL_COLUMNS =
  'number, state, params, spec, seed::float8 AS seed, objective_values, metrics, error, started_at::float8 AS started_at, finished_at::float8 AS finished_at';

export interface PostgresLocation {
  /** Connection string for the driver (study options removed). */
  connection: string;
  /** The URL without password, for messages. */
  display: string;
  study: string;
  heartbeatMs: number;
  expiryMs: number;
}

/** Parses `postgres://USER@HOST:PORT/DB?study=NAME[&heartbeat=5s][&expiry=30s]`. */
export function parsePostgresLocation(location: string): PostgresLocation {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new StudyFileError(`${location}: not a URL (expected postgres://USER@HOST:PORT/DB?study=NAME)`);
  }
  const display = new URL(url.href);
  display.password = '';
  const where = display.href;
  const study = url.searchParams.get('study');
  if (!study) throw new StudyFileError(`${where}: the URL names no study (add ?study=NAME)`);
  const duration = (param: string, fallback: string): number => {
    const text = url.searchParams.get(param) ?? fallback;
    try {
      const ms = parseDurationUs(text) / 1000;
      if (ms > 0) return ms;
    } catch {
      // reported below
    }
    throw new StudyFileError(`${where}: ${param}=${text} is not a positive duration (e.g. 5s, 500ms)`);
  };
  const heartbeatMs = duration('heartbeat', '5s');
  const expiryMs = duration('expiry', '30s');
  if (expiryMs <= heartbeatMs) throw new StudyFileError(`${where}: expiry (${expiryMs} ms) must be longer than heartbeat (${heartbeatMs} ms)`);
  for (const p of ['study', 'heartbeat', 'expiry']) url.searchParams.delete(p);
  return { connection: url.href, display: where, study, heartbeatMs, expiryMs };
}

export class PostgresStudyStore<C = unknown> implements StudyStore<C> {
  private worker: number | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly where: PostgresLocation,
    private readonly study: number,
    readonly config: C,
    readonly created: boolean,
  ) {}

  get location(): string {
    return this.where.display;
  }

  /** Connects, creates the tables if needed, and opens (or, given `config`, creates) the named study. */
  static async open<C>(location: string, config?: C): Promise<PostgresStudyStore<C>> {
    const where = parsePostgresLocation(location);
    const pool = new pg.Pool({ connectionString: where.connection, max: 4 });
    // An idle connection the server drops is replaced by the pool; the next query reports real trouble.
    pool.on('error', () => {});
    try {
      const client = await pool.connect().catch((err: Error) => {
        throw new StudyFileError(`${where.display}: cannot connect to PostgreSQL: ${err.message}`);
      });
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
        await client.query(SCHEMA);
        let created = false;
        if (config !== undefined) {
          const ins = await client.query(
            'INSERT INTO spikeline_study (name, format, config, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING',
            [where.study, FORMAT, JSON.stringify(config), Date.now()],
          );
          created = ins.rowCount === 1;
        }
        const row = (await client.query('SELECT id, format, config FROM spikeline_study WHERE name = $1', [where.study])).rows[0] as
          | { id: number; format: number; config: string }
          | undefined;
        await client.query('COMMIT');
        if (!row) throw new StudyFileError(`${where.display}: the database holds no study "${where.study}"`);
        if (row.format !== FORMAT) throw new StudyFileError(`${where.display}: study format ${row.format} is not the supported ${FORMAT}`);
        return new PostgresStudyStore(pool, where, row.id, JSON.parse(row.config) as C, created);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end();
      if (err instanceof StudyFileError) throw err;
      throw new StudyFileError(`${where.display}: ${(err as Error).message}`);
    }
  }

  /** Registers this process as a worker of the study and keeps its lease alive until release(). */
  async claim(): Promise<number> {
    if (this.worker === undefined) {
      const r = await this.pool.query(
        "INSERT INTO spikeline_worker (study, host, pid, expires_at) VALUES ($1, $2, $3, clock_timestamp() + $4 * interval '1 millisecond') RETURNING id",
        [this.study, hostname(), process.pid, this.where.expiryMs],
      );
      this.worker = (r.rows[0] as { id: number }).id;
      this.heartbeat = setInterval(() => {
        // A failed renewal is retried at the next beat; a database that stays away fails the
        // study's next write, which ends the run.
        this.renew().catch(() => {});
      }, this.where.heartbeatMs);
      this.heartbeat.unref();
    }
    return this.reap(this.pool);
  }

  async startTrial(target: number, build: (number: number) => NewTrial): Promise<TrialSlot> {
    if (this.worker === undefined) throw new Error(`${this.location}: claim() the study before starting trials`);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Every claim of this study queues here: the count and the new number are exact.
      await client.query('SELECT id FROM spikeline_study WHERE id = $1 FOR UPDATE', [this.study]);
      await this.reap(client);
      const counts = (
        await client.query(
          "SELECT COUNT(*) FILTER (WHERE state = ANY($2))::int AS finished, COUNT(*) FILTER (WHERE state = 'running')::int AS running, MAX(number) AS last FROM spikeline_trial WHERE study = $1",
          [this.study, FINISHED_STATES],
        )
      ).rows[0] as { finished: number; running: number; last: number | null };
      if (counts.finished + counts.running >= target) {
        await client.query('COMMIT');
        return { number: undefined, finished: counts.finished, running: counts.running };
      }
      const number = (counts.last ?? -1) + 1;
      const t = build(number);
      await client.query(
        "INSERT INTO spikeline_trial (study, number, state, params, spec, seed, started_at, worker) VALUES ($1, $2, 'running', $3, $4, $5, $6, $7)",
        [this.study, number, JSON.stringify(t.params), JSON.stringify(t.spec), t.seed, Date.now(), this.worker],
      );
      await client.query('COMMIT');
      return { number };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async recordEpoch(number: number, epoch: number, metrics: EpochMetrics): Promise<void> {
    await this.pool.query(
      'INSERT INTO spikeline_trial_epoch (study, trial, epoch, metrics) VALUES ($1, $2, $3, $4) ON CONFLICT (study, trial, epoch) DO UPDATE SET metrics = EXCLUDED.metrics',
      [this.study, number, epoch, JSON.stringify(metrics)],
    );
  }

  async finishTrial(number: number, state: Exclude<TrialState, 'running'>, result: { values?: number[]; metrics?: TrialMetrics; error?: string }): Promise<void> {
    await this.pool.query('UPDATE spikeline_trial SET state = $3, objective_values = $4, metrics = $5, error = $6, finished_at = $7 WHERE study = $1 AND number = $2', [
      this.study,
      number,
      state,
      result.values ? JSON.stringify(result.values) : null,
      result.metrics ? JSON.stringify(result.metrics) : null,
      result.error ?? null,
      Date.now(),
    ]);
  }

  async trial(number: number): Promise<StoredTrial | undefined> {
    const rows = (await this.pool.query(`SELECT ${TRIAL_COLUMNS} FROM spikeline_trial WHERE study = $1 AND number = $2`, [this.study, number])).rows as TrialRow[];
    const epochs = (await this.pool.query('SELECT trial, epoch, metrics FROM spikeline_trial_epoch WHERE study = $1 AND trial = $2 ORDER BY epoch', [this.study, number]))
      .rows as EpochRow[];
    return assembleTrials(rows, epochs)[0];
  }

  async trials(): Promise<StoredTrial[]> {
    const rows = (await this.pool.query(`SELECT ${TRIAL_COLUMNS} FROM spikeline_trial WHERE study = $1 ORDER BY number`, [this.study])).rows as TrialRow[];
    const epochs = (await this.pool.query('SELECT trial, epoch, metrics FROM spikeline_trial_epoch WHERE study = $1 ORDER BY trial, epoch', [this.study])).rows as EpochRow[];
    return assembleTrials(rows, epochs);
  }

  /** Ends the lease now, so nobody waits for it to expire. */
  async release(): Promise<void> {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.worker === undefined) return;
    await this.pool.query('UPDATE spikeline_worker SET expires_at = clock_timestamp() WHERE id = $1', [this.worker]);
    this.worker = undefined;
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.pool.end();
  }

  private async renew(): Promise<void> {
    if (this.worker === undefined) return;
    await this.pool.query("UPDATE spikeline_worker SET expires_at = clock_timestamp() + $2 * interval '1 millisecond' WHERE id = $1", [this.worker, this.where.expiryMs]);
  }

  /** Marks running trials of workers whose lease expired 'interrupted'; returns how many. */
  private async reap(db: pg.Pool | pg.PoolClient): Promise<number> {
    const r = await db.query(
      `UPDATE spikeline_trial t
          SET state = 'interrupted', finished_at = $2,
              error = 'worker ' || w.host || ' pid ' || w.pid || ' stopped renewing its lease while the trial ran (killed or cut off)'
         FROM spikeline_worker w
        WHERE t.study = $1 AND t.state = 'running' AND t.worker = w.id AND w.expires_at < clock_timestamp()`,
      [this.study, Date.now()],
    );
    return r.rowCount ?? 0;
  }
}
