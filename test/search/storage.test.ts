import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { StudyFileError, StudyLockedError, StudyStorage } from '../../src/search/storage.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'spikeline-storage-'));

test('trials, curves and metrics round-trip through the file', () => {
  const path = join(tmp(), 's.db');
  const s = StudyStorage.open(path, { name: 'x', n: 1 });
  s.claim();
  s.startTrial(0, { 'skip:0-2': 'ASC' }, { skips: [1] }, 42);
  s.recordEpoch(0, 1, { accuracy: 0.5, meanRate: 0.1 });
  s.recordEpoch(0, 2, { accuracy: 0.6, meanRate: 0.1 });
  s.finishTrial(0, 'complete', { values: [0.6, 0.1], metrics: { accuracy: 0.6, meanRate: 0.1, synops: 10 } });
  s.startTrial(1, {}, {}, 43);
  s.close();
  const r = StudyStorage.open<{ name: string }>(path);
  assert.deepEqual(r.config, { name: 'x', n: 1 });
  const [t0, t1] = r.trials();
  assert.equal(t0!.state, 'complete');
  assert.deepEqual(t0!.params, { 'skip:0-2': 'ASC' });
  assert.equal(t0!.seed, 42);
  assert.deepEqual(t0!.values, [0.6, 0.1]);
  assert.deepEqual(t0!.curve.map((c) => c.accuracy), [0.5, 0.6]);
  assert.equal(t1!.state, 'running');
  assert.equal(r.nextTrialNumber(), 2);
  // Our own earlier lock (same pid) is not a conflict; the running trial becomes interrupted.
  assert.equal(r.claim(), 1);
  assert.equal(r.trial(1)!.state, 'interrupted');
  r.close();
});

test('missing and foreign files give a clear error', () => {
  const dir = tmp();
  assert.throws(() => StudyStorage.open(join(dir, 'none.db')), StudyFileError);
  const junk = join(dir, 'junk.db');
  writeFileSync(junk, 'this is not sqlite at all, just text '.repeat(50));
  assert.throws(() => StudyStorage.open(junk, { a: 1 }), (e: unknown) => e instanceof StudyFileError && e.message.includes('junk.db'));
});

test('a study owned by another live process cannot be claimed', async () => {
  const path = join(tmp(), 'locked.db');
  const s = StudyStorage.open(path, { name: 'locked' });
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  try {
    // Pretend the child owns the study.
    (s as unknown as { db: { prepare(q: string): { run(...a: unknown[]): void } } }).db
      .prepare('UPDATE study SET owner_pid = ?, owner_host = ? WHERE id = 1')
      .run(child.pid, (await import('node:os')).hostname());
    assert.throws(() => s.claim(), StudyLockedError);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
  assert.equal(s.claim(), 0, 'a dead owner no longer blocks');
  s.close();
});
