// Study storage on a real PostgreSQL: a private cluster started for this file (test/support/postgres.ts).
import { after, before, test } from 'node:test';
import { skipUnlessInstalled } from '../support/require.js';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { StudyFileError } from '../../src/search/storage.js';
import { PostgresStudyStore, parsePostgresLocation } from '../../src/search/storage-postgres.js';
import { Study, type StudyConfig } from '../../src/search/study.js';
import { SYNTHETIC_MODULE } from '../../src/search/synthetic.js';
import { POSTGRES_MISSING, postgresBinDir, startPostgres, type PostgresServer } from '../support/postgres.js';
import { spawnCli, type CliChild } from '../support/process.js';

let server: PostgresServer | undefined;
const available = postgresBinDir() !== undefined;
const skip = skipUnlessInstalled(available, POSTGRES_MISSING);

before(async () => {
  if (available) server = await startPostgres();
});
after(() => server?.stop());

// Short leases so a dead worker is noticed within the test; long enough that a loaded machine
// still renews in time (heartbeat 200 ms, lease 2 s).
const url = (study: string, lease = '&heartbeat=200ms&expiry=2s'): string => `${server!.url}?study=${study}${lease}`;
const trial = (n: number) => ({ params: { n }, spec: { n }, seed: 100 + n });

function config(name: string, targetOptions: object = {}): StudyConfig {
  return {
    name,
    seed: 3,
    objective: 'accuracy',
    target: { module: SYNTHETIC_MODULE, export: 'syntheticTarget', options: { backbone: 'synthetic', ...targetOptions } },
    space: { maxSkips: 4 },
    sampler: { name: 'random' },
    pruner: { name: 'none' },
    maxEpochs: 4,
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, child?: CliChild): Promise<T> {
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (child && child.child.exitCode !== null) throw new Error(`search exited (${child.child.exitCode}) before ${what}: ${child.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the study URL: study name, lease options, and clear errors', { skip }, async () => {
  const loc = parsePostgresLocation('postgres://me:secret@db.example:5433/lab?study=gesture&sslmode=disable&heartbeat=2s&expiry=1m');
  assert.equal(loc.study, 'gesture');
  assert.equal(loc.heartbeatMs, 2000);
  assert.equal(loc.expiryMs, 60000);
  assert.equal(loc.connection, 'postgres://me:secret@db.example:5433/lab?sslmode=disable');
  assert.doesNotMatch(loc.display, /secret/);
  assert.throws(() => parsePostgresLocation('postgres://me@h/db'), (e: unknown) => e instanceof StudyFileError && /names no study \(add \?study=NAME\)/.test(e.message));
  assert.throws(() => parsePostgresLocation('postgres://me@h/db?study=s&heartbeat=soon'), /heartbeat=soon is not a positive duration/);
  assert.throws(() => parsePostgresLocation('postgres://me@h/db?study=s&heartbeat=10s&expiry=5s'), /expiry .* must be longer than heartbeat/);
  await assert.rejects(PostgresStudyStore.open(url('absent')), (e: unknown) => e instanceof StudyFileError && e.message.includes('holds no study "absent"'));
  const port = server!.port;
  await assert.rejects(PostgresStudyStore.open(`postgres://spikeline@127.0.0.1:${port}/nosuchdb?study=x`, { a: 1 }), (e: unknown) => e instanceof StudyFileError && /nosuchdb/.test(e.message));
});

test('trials, curves and metrics round-trip; a second opener gets the stored config', { skip }, async () => {
  const s = await PostgresStudyStore.open(url('roundtrip'), { name: 'x', n: 1 });
  assert.equal(s.created, true);
  await s.claim();
  assert.deepEqual(await s.startTrial(5, () => ({ params: { 'skip:0-2': 'ASC' }, spec: { skips: [1] }, seed: 4294967295 })), { number: 0 });
  await s.recordEpoch(0, 1, { accuracy: 0.5, meanRate: 0.1 });
  await s.recordEpoch(0, 2, { accuracy: 0.6, meanRate: 0.1 });
  await s.finishTrial(0, 'complete', { values: [0.6, 0.1], metrics: { accuracy: 0.6, meanRate: 0.1, synops: 10 } });
  assert.deepEqual(await s.startTrial(5, () => trial(1)), { number: 1 });
  const r = await PostgresStudyStore.open<{ name: string }>(url('roundtrip'), { name: 'other' });
  assert.equal(r.created, false);
  assert.deepEqual(r.config, { name: 'x', n: 1 });
  const [t0, t1] = await r.trials();
  assert.equal(t0!.state, 'complete');
  assert.deepEqual(t0!.params, { 'skip:0-2': 'ASC' });
  assert.equal(t0!.seed, 4294967295);
  assert.deepEqual(t0!.values, [0.6, 0.1]);
  assert.deepEqual(t0!.metrics, { accuracy: 0.6, meanRate: 0.1, synops: 10 });
  assert.deepEqual(t0!.curve.map((c) => c.accuracy), [0.5, 0.6]);
  assert.equal(typeof t0!.startedAt, 'number');
  assert.equal(t1!.state, 'running', 'a live worker keeps its running trial');
  assert.deepEqual((await r.trial(1))!.params, { n: 1 });
  await s.release();
  await s.close();
  await r.close();
});

test('concurrent processes claim trials atomically: unique numbers, the target never overshot', { skip }, async () => {
  const stores = await Promise.all([0, 1, 2].map(() => PostgresStudyStore.open(url('atomic'), { name: 'atomic' })));
  for (const s of stores) await s.claim();
  const target = 30;
  const got = await Promise.all(
    stores.flatMap((s) => Array.from({ length: 15 }, () => s.startTrial(target, (n) => trial(n)))),
  );
  const numbers = got.filter((g) => g.number !== undefined).map((g) => g.number!);
  assert.equal(numbers.length, target);
  assert.deepEqual([...numbers].sort((a, b) => a - b), [...Array(target).keys()]);
  assert.equal(got.length - numbers.length, 45 - target);
  for (const g of got) if (g.number === undefined) assert.deepEqual(g, { number: undefined, finished: 0, running: target });
  const stored = await stores[0]!.trials();
  for (const t of stored) assert.deepEqual(t.params, { n: t.number }, 'each row holds what was built for its number');
  for (const s of stores) {
    await s.release();
    await s.close();
  }
});

test('a worker whose lease lapses loses its running trial (interrupted); a live one keeps renewing', { skip }, async () => {
  const live = await PostgresStudyStore.open(url('lease'), { name: 'lease' });
  const dead = await PostgresStudyStore.open(url('lease'), { name: 'lease' });
  const other = await PostgresStudyStore.open(url('lease'), { name: 'lease' });
  await live.claim();
  await dead.claim();
  await other.claim();
  assert.deepEqual(await live.startTrial(10, () => trial(0)), { number: 0 });
  assert.deepEqual(await dead.startTrial(10, () => trial(1)), { number: 1 });
  await dead.recordEpoch(1, 1, { accuracy: 0.3, meanRate: 0.1 });
  // As after kill -9: the heartbeat stops, nothing is released.
  await dead.close();
  const reaped = await until('the lapsed lease is noticed', async () => {
    const slot = await other.startTrial(10, (n) => trial(n));
    const t1 = await other.trial(1);
    return t1?.state === 'interrupted' ? { slot, t1 } : undefined;
  });
  assert.match(reaped.t1.error!, /stopped renewing its lease/);
  assert.equal(reaped.t1.curve.length, 1, 'recorded epochs are kept');
  // The live worker's trial outlived several lease lengths thanks to its heartbeat.
  assert.equal((await other.trial(0))!.state, 'running');
  // New numbers are never the lost trial's.
  assert.ok(reaped.slot.number! >= 2);
  await live.finishTrial(0, 'complete', { values: [0.5], metrics: { accuracy: 0.5, meanRate: 0.1, synops: 1 } });
  assert.equal((await other.trial(0))!.state, 'complete');
  for (const s of [live, other]) {
    await s.release();
    await s.close();
  }
});

test('two spikeline search processes share a study; kill -9 one mid-trial and the other finishes it', { skip }, async () => {
  const name = 'shared';
  const target = 12;
  // Created here so the stored target makes each epoch take a while (the CLI's synthetic
  // backbone is instant); the search processes join the existing study.
  const created = await PostgresStudyStore.open(url(name), config(name, { epochDelayMs: 120 }));
  await created.close();
  const args = ['search', '--study', url(name), '--trials', String(target), '--workers', '1'];
  const a = spawnCli(...args);
  let b: CliChild | undefined;
  const db = new pg.Client(server!.url);
  await db.connect();
  try {
    const rows = async (): Promise<{ number: number; state: string; pid: number; epochs: number; error: string | null }[]> =>
      (
        await db.query(
          `SELECT t.number, t.state, w.pid, t.error, (SELECT COUNT(*)::int FROM spikeline_trial_epoch e WHERE e.study = t.study AND e.trial = t.number) AS epochs
             FROM spikeline_trial t JOIN spikeline_worker w ON w.id = t.worker JOIN spikeline_study s ON s.id = t.study
            WHERE s.name = $1 ORDER BY t.number`,
          [name],
        )
      ).rows;
    // A is frozen (SIGSTOP) in the middle of a trial — an epoch recorded, more to come — so the
    // kill lands mid-trial however slow the machine, and A cannot finish the study alone.
    let victim: Awaited<ReturnType<typeof rows>>[number] | undefined;
    while (!victim) {
      const mid = await until('A is mid-trial', async () => (await rows()).find((t) => t.pid === a.child.pid && t.state === 'running' && t.epochs >= 1 && t.epochs < 4), a);
      a.child.kill('SIGSTOP');
      const now = (await rows()).find((t) => t.number === mid.number)!;
      if (now.state === 'running') victim = now;
      else a.child.kill('SIGCONT');
    }
    // B joins and works on the study while A is still registered.
    const survivor = (b = spawnCli(...args));
    await until('B records an epoch', async () => ((await rows()).some((t) => t.pid === survivor.child.pid && t.epochs >= 1) ? true : undefined), survivor);
    a.child.kill('SIGKILL');
    assert.equal(await a.exited, null);
    assert.equal(await survivor.exited, 0, survivor.stderr);
    assert.match(survivor.stdout, /resumed study .*: 12 complete, 0 pruned, 0 failed, 1 interrupted/);

    const trials = await rows();
    const killed = trials.find((t) => t.number === victim.number)!;
    assert.equal(killed.state, 'interrupted');
    assert.equal(killed.pid, a.child.pid);
    assert.match(killed.error!, new RegExp(`pid ${a.child.pid} stopped renewing its lease`));
    // Numbers unique and gapless; every trial run by one process once; nothing left running.
    assert.deepEqual(trials.map((t) => t.number), [...Array(trials.length).keys()]);
    assert.equal(trials.filter((t) => t.state === 'complete').length, target);
    assert.equal(trials.filter((t) => t.state === 'running').length, 0);
    for (const t of trials.filter((t) => t.state === 'complete')) assert.equal(t.epochs, 4, `trial ${t.number} trained its 4 epochs once`);
    // Only the killed process's trials were lost: all of A's unfinished ones, none of B's.
    for (const t of trials.filter((t) => t.state === 'interrupted')) assert.equal(t.pid, a.child.pid);
    assert.deepEqual(trials.filter((t) => t.state === 'interrupted').map((t) => t.number), [victim.number], 'A ran one trial at a time');

    const dir = mkdtempSync(join(tmpdir(), 'spikeline-pg-report-'));
    const rep = spawnCli('search', 'report', url(name), '--out', join(dir, 'r.html'), '--export', join(dir, 'best.json'));
    assert.equal(await rep.exited, 0, rep.stderr);
    assert.match(rep.stdout, new RegExp(`report: .*r.html \\(${trials.length} trials\\)`));
    assert.ok(existsSync(join(dir, 'r.html')));
    assert.equal(JSON.parse(readFileSync(join(dir, 'best.json'), 'utf8')).backbone, 'synthetic');
  } finally {
    for (const c of [a, b]) if (c && c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await db.end();
  }
});

test('Study.run on PostgreSQL: a second process joining later sees the first one\'s trials', { skip }, async () => {
  const name = 'join';
  const first = await Study.open(url(name), config(name));
  await first.run({ trials: 5, workers: 0 });
  await first.close();
  const second = await Study.open(url(name));
  const summary = await second.run({ trials: 8, workers: 0 });
  assert.equal(summary.complete, 8);
  assert.deepEqual((await second.trials()).map((t) => t.number), [...Array(8).keys()]);
  await second.close();
});
