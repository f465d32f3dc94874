import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { StudyFileError, StudyLockedError } from '../../src/search/storage.js';
import { SqliteStudyStore } from '../../src/search/storage-sqlite.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'spikeline-storage-'));
const trial = (n: number) => ({ params: { n }, spec: {}, seed: 40 + n });

/** Writes the study lock as if process `pid` (started at `start`) on this host owned the study. */
function setOwner(s: SqliteStudyStore, pid: number, start: number | null): void {
  (s as unknown as { db: { prepare(q: string): { run(...a: unknown[]): void } } }).db
    .prepare('UPDATE study SET owner_pid = ?, owner_host = ?, owner_start = ? WHERE id = 1')
    .run(pid, hostname(), start);
}

/** Start time (clock ticks after boot, field 22) of `pid`, read here independently of the code under test. */
function startTimeOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

function stateOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
}

async function sleeper(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

test('trials, curves and metrics round-trip through the file', async () => {
  const path = join(tmp(), 's.db');
  const s = SqliteStudyStore.open(path, { name: 'x', n: 1 });
  assert.equal(s.created, true);
  await s.claim();
  assert.deepEqual(await s.startTrial(5, () => ({ params: { 'skip:0-2': 'ASC' }, spec: { skips: [1] }, seed: 42 })), { number: 0 });
  await s.recordEpoch(0, 1, { accuracy: 0.5, meanRate: 0.1 });
  await s.recordEpoch(0, 2, { accuracy: 0.6, meanRate: 0.1 });
  await s.finishTrial(0, 'complete', { values: [0.6, 0.1], metrics: { accuracy: 0.6, meanRate: 0.1, synops: 10 } });
  assert.deepEqual(await s.startTrial(5, () => trial(1)), { number: 1 });
  await s.close();
  const r = SqliteStudyStore.open<{ name: string }>(path);
  assert.equal(r.created, false);
  assert.deepEqual(r.config, { name: 'x', n: 1 });
  const [t0, t1] = await r.trials();
  assert.equal(t0!.state, 'complete');
  assert.deepEqual(t0!.params, { 'skip:0-2': 'ASC' });
  assert.equal(t0!.seed, 42);
  assert.deepEqual(t0!.values, [0.6, 0.1]);
  assert.deepEqual(t0!.curve.map((c) => c.accuracy), [0.5, 0.6]);
  assert.equal(t1!.state, 'running');
  // Our own earlier lock (same pid) is not a conflict; the running trial becomes interrupted.
  assert.equal(await r.claim(), 1);
  assert.equal((await r.trial(1))!.state, 'interrupted');
  assert.deepEqual(await r.startTrial(5, () => trial(2)), { number: 2 }, 'numbers go on after the last trial');
  await r.close();
});

test('startTrial stops at the target of finished plus running trials', async () => {
  const s = SqliteStudyStore.open(join(tmp(), 't.db'), { name: 't' });
  await s.claim();
  assert.deepEqual(await s.startTrial(2, () => trial(0)), { number: 0 });
  assert.deepEqual(await s.startTrial(2, () => trial(1)), { number: 1 });
  assert.deepEqual(await s.startTrial(2, () => assert.fail('no trial may be built')), { number: undefined, finished: 0, running: 2 });
  await s.finishTrial(0, 'interrupted', { error: 'stopped' });
  await s.finishTrial(1, 'pruned', {});
  // An interrupted trial does not count: one more may start.
  assert.deepEqual(await s.startTrial(2, () => trial(2)), { number: 2 });
  await s.close();
});

test('missing and foreign files give a clear error', () => {
  const dir = tmp();
  assert.throws(() => SqliteStudyStore.open(join(dir, 'none.db')), StudyFileError);
  const junk = join(dir, 'junk.db');
  writeFileSync(junk, 'this is not sqlite at all, just text '.repeat(50));
  assert.throws(() => SqliteStudyStore.open(junk, { a: 1 }), (e: unknown) => e instanceof StudyFileError && e.message.includes('junk.db'));
});

test('a study owned by another live process cannot be claimed; the error says how to take it over', async () => {
  const path = join(tmp(), 'locked.db');
  const s = SqliteStudyStore.open(path, { name: 'locked' });
  const child = await sleeper();
  try {
    setOwner(s, child.pid!, startTimeOf(child.pid!));
    await assert.rejects(s.claim(), (e: unknown) => e instanceof StudyLockedError && e.message.includes(`process ${child.pid}`) && e.message.includes('--take-over'));
    // Taking over is explicit: the live owner is ignored.
    assert.equal(await s.claim({ takeOver: true }), 0);
    await s.release();
    setOwner(s, child.pid!, startTimeOf(child.pid!));
  } finally {
    await kill(child);
  }
  assert.equal(await s.claim(), 0, 'a dead owner no longer blocks');
  await s.close();
});

test('a zombie owner (killed, never reaped by its parent) counts as dead', async () => {
  const s = SqliteStudyStore.open(join(tmp(), 'zombie.db'), { name: 'zombie' });
  // The shell starts a short-lived child, prints its pid and becomes `sleep`, which never waits
  // for that child: once it exits it stays a zombie until the parent dies.
  const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const pid = Number(await new Promise<string>((r) => parent.stdout!.once('data', (d: Buffer) => r(d.toString()))));
    const start = startTimeOf(pid);
    while (stateOf(pid) !== 'Z') await new Promise((r) => setTimeout(r, 10));
    setOwner(s, pid, start);
    assert.equal(await s.claim(), 0);
    // Same for a lock written before start times were recorded.
    setOwner(s, pid, null);
    assert.equal(await s.claim(), 0);
  } finally {
    await kill(parent);
    await s.close();
  }
});

test('an owner pid now used by a process with another start time (pid reuse) counts as dead', async () => {
  const s = SqliteStudyStore.open(join(tmp(), 'reuse.db'), { name: 'reuse' });
  const child = await sleeper();
  try {
    setOwner(s, child.pid!, startTimeOf(child.pid!) - 1);
    assert.equal(await s.claim(), 0);
  } finally {
    await kill(child);
    await s.close();
  }
});

test('a study file written before the lock recorded start times is upgraded in place', async () => {
  const path = join(tmp(), 'old.db');
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(path);
  db.exec(`CREATE TABLE study (id INTEGER PRIMARY KEY CHECK (id = 1), format INTEGER NOT NULL, config TEXT NOT NULL, created_at INTEGER NOT NULL, owner_pid INTEGER, owner_host TEXT);
    INSERT INTO study (id, format, config, created_at) VALUES (1, 1, '{"name":"old"}', 0);`);
  db.close();
  const s = SqliteStudyStore.open<{ name: string }>(path);
  assert.equal(s.config.name, 'old');
  assert.equal(await s.claim(), 0);
  await s.close();
});
