/**
 * Distributed search figures, with SPIKELINE_SEARCH_POSTGRES=postgres://USER@HOST:PORT/DB (any
 * database the bench may create `spikeline_*` tables in; skipped without it). Real
 * `spikeline search` processes share one study whose synthetic trials take about 1 s each
 * (4 epochs of 250 ms: stand-ins for real training, so the figures show the storage and
 * coordination overhead, not CPU speed).
 * - Trials/hour with 1 and 2 processes (2 trial workers each), measured between the first
 *   trial's start and the last trial's end as stored in the study (process start-up excluded).
 * - Failover: two processes (heartbeat 1 s, lease 5 s), one killed -9 mid-trial: seconds from
 *   the kill until the survivor marks that trial interrupted, and whether the study completes.
 */
import pg from 'pg';
import { PostgresStudyStore } from '../src/search/storage-postgres.js';
import type { StudyConfig } from '../src/search/study.js';
import { SYNTHETIC_MODULE } from '../src/search/synthetic.js';
import { spawnCli, type CliChild } from '../test/support/process.js';
import type { Benchmark } from './harness.js';

const EPOCH_MS = 250;
const EPOCHS = 4;

function config(name: string): StudyConfig {
  return {
    name,
    seed: 1,
    objective: 'accuracy',
    target: { module: SYNTHETIC_MODULE, export: 'syntheticTarget', options: { backbone: 'synthetic', epochDelayMs: EPOCH_MS } },
    space: { maxSkips: 4 },
    sampler: { name: 'random' },
    pruner: { name: 'none' },
    maxEpochs: EPOCHS,
  };
}

async function exited(c: CliChild): Promise<void> {
  const code = await c.exited;
  if (code !== 0) throw new Error(`spikeline search exited with ${code}: ${c.stderr}`);
}

const bench: Benchmark = {
  name: 'search on PostgreSQL (several processes share a study)',
  async run({ report, quick }) {
    const server = process.env.SPIKELINE_SEARCH_POSTGRES;
    if (!server) {
      process.stdout.write('  (skipped: set SPIKELINE_SEARCH_POSTGRES=postgres://USER@HOST:PORT/DB)\n');
      return;
    }
    const db = new pg.Client(server);
    await db.connect();
    const run = `${Date.now().toString(36)}`;
    const url = (study: string, lease = ''): string => `${server}${server.includes('?') ? '&' : '?'}study=${study}${lease}`;
    const create = async (study: string): Promise<void> => (await PostgresStudyStore.open(url(study), config(study))).close();
    try {
      const trials = quick ? 12 : 40;
      for (const processes of [1, 2]) {
        const study = `bench-${run}-${processes}p`;
        await create(study);
        const children = Array.from({ length: processes }, () => spawnCli('search', '--study', url(study), '--trials', String(trials), '--workers', '2'));
        await Promise.all(children.map(exited));
        const span = (
          await db.query(
            'SELECT (MAX(finished_at) - MIN(started_at))::float8 AS ms FROM spikeline_trial t JOIN spikeline_study s ON s.id = t.study WHERE s.name = $1',
            [study],
          )
        ).rows[0] as { ms: number };
        report({
          name: `trials/hour, ${processes} process(es) x 2 workers (1 s synthetic trials)`,
          value: trials / (span.ms / 3600e3),
          unit: 'trials/h',
          extra: { trials, span_s: (span.ms / 1000).toFixed(1), ideal: Math.round((processes * 2 * 3600e3) / (EPOCHS * EPOCH_MS)) },
        });
      }

      const study = `bench-${run}-failover`;
      await create(study);
      const lease = '&heartbeat=1s&expiry=5s';
      const [a, b] = [0, 1].map(() => spawnCli('search', '--study', url(study, lease), '--trials', String(quick ? 10 : 20), '--workers', '1')) as [CliChild, CliChild];
      const running = async (): Promise<number | undefined> =>
        (
          (
            await db.query(
              `SELECT t.number FROM spikeline_trial t JOIN spikeline_study s ON s.id = t.study JOIN spikeline_worker w ON w.id = t.worker
                WHERE s.name = $1 AND w.pid = $2 AND t.state = 'running'
                  AND EXISTS (SELECT 1 FROM spikeline_trial_epoch e WHERE e.study = t.study AND e.trial = t.number)`,
              [study, a.child.pid],
            )
          ).rows[0] as { number: number } | undefined
        )?.number;
      let victim: number | undefined;
      while ((victim = await running()) === undefined) await new Promise((r) => setTimeout(r, 20));
      const killedAt = Date.now();
      a.child.kill('SIGKILL');
      let interruptedAt: number | undefined;
      while (interruptedAt === undefined) {
        const row = (
          await db.query("SELECT finished_at::float8 AS at FROM spikeline_trial t JOIN spikeline_study s ON s.id = t.study WHERE s.name = $1 AND t.number = $2 AND t.state = 'interrupted'", [
            study,
            victim,
          ])
        ).rows[0] as { at: number } | undefined;
        interruptedAt = row?.at;
        if (interruptedAt === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      await exited(b);
      const complete = (
        (await db.query("SELECT COUNT(*)::int AS n FROM spikeline_trial t JOIN spikeline_study s ON s.id = t.study WHERE s.name = $1 AND t.state = 'complete'", [study])).rows[0] as { n: number }
      ).n;
      report({
        name: 'failover: kill -9 to trial marked interrupted (heartbeat 1 s, lease 5 s)',
        value: (interruptedAt - killedAt) / 1000,
        unit: 's',
        extra: { study_complete: `${complete}/${quick ? 10 : 20}` },
      });
    } finally {
      await db.end();
    }
  },
};

export default bench;
