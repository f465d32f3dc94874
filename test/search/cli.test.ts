import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { runCli } from '../cli/capture.js';

test('spikeline search runs, resumes, reports and exports on the synthetic backbone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-cli-'));
  const study = join(dir, 'study.db');
  const first = await runCli('search', '--backbone', 'synthetic', '--trials', '10', '--study', study, '--workers', '0', '--epochs', '5');
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, /created study .*: \d+ complete, \d+ pruned, 0 failed/);
  assert.match(first.err, /"progress":"search synthetic-accuracy-synops"/);
  const again = await runCli('search', '--study', study, '--trials', '14', '--workers', '0');
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /resumed study/);
  const mismatch = await runCli('search', '--study', study, '--trials', '14', '--objective', 'accuracy');
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.err, /optimises "accuracy-synops", not "accuracy"/);
  const rep = await runCli('search', 'report', study, '--export', join(dir, 'best.json'));
  assert.equal(rep.code, 0, rep.err);
  assert.ok(existsSync(join(dir, 'study.html')));
  assert.equal(JSON.parse(readFileSync(join(dir, 'best.json'), 'utf8')).backbone, 'synthetic');
  assert.match(rep.out, /exported trial \d+/);
  // The synthetic backbone's hand design has no skips: one baseline, trial 0.
  assert.match(rep.out, /^baseline ANN skips: trial 0 complete, accuracy 0\.\d{4}$/m);
  assert.match(readFileSync(join(dir, 'study.html'), 'utf8'), /baseline: ANN skips/);
});

test('spikeline search rejects bad arguments with usage errors', async () => {
  const noTrials = await runCli('search', '--backbone', 'synthetic');
  assert.equal(noTrials.code, 2);
  assert.match(noTrials.err, /--trials is required/);
  const badBackbone = await runCli('search', '--backbone', 'vgg99', '--trials', '3', '--study', join(tmpdir(), 'never.db'));
  assert.equal(badBackbone.code, 2);
  assert.match(badBackbone.err, /--backbone must be one of/);
  const badBudget = await runCli('search', '--backbone', 'synthetic', '--trials', '3', '--budget', 'soon');
  assert.equal(badBudget.code, 2);
  assert.match(badBudget.err, /not a duration: "soon"/);
  const badTypes = await runCli('search', '--backbone', 'synthetic', '--trials', '3', '--skip-types', 'ASC,MUL');
  assert.equal(badTypes.code, 2);
  assert.match(badTypes.err, /--skip-types: "MUL" is not a list of ASC, DSC, DSC-1x1, SEW/);
  const badValBy = await runCli('search', '--backbone', 'synthetic', '--trials', '3', '--val-by', 'person');
  assert.equal(badValBy.code, 2);
  assert.match(badValBy.err, /--val-by: "person" is not one of sample, recording, user/);
  const badExpValBy = await runCli('experiment', 'skip-connections', '--data', 'fixtures/gesture-mini', '--val-by', 'lighting');
  assert.equal(badExpValBy.code, 2);
  assert.match(badExpValBy.err, /--val-by: "lighting" is not one of sample, recording, user/);
  const rankNoOut = await runCli('search', 'rank', '--backbone', 'gesture', '--data', 'fixtures/gesture-mini');
  assert.equal(rankNoOut.code, 2);
  assert.match(rankNoOut.err, /--out FILE is required/);
  const rankFew = await runCli('search', 'rank', '--backbone', 'gesture', '--data', 'fixtures/gesture-mini', '--out', join(tmpdir(), 'never.json'), '--configs', '2');
  assert.equal(rankFew.code, 2);
  assert.match(rankFew.err, /--configs/);
  const missing = join(mkdtempSync(join(tmpdir(), 'spikeline-cli-')), 'none.db');
  const noStudy = await runCli('search', 'report', missing);
  assert.equal(noStudy.code, 1);
  assert.match(noStudy.err, /^spikeline search report: .*none\.db: cannot open study database/);
});

test('spikeline search on a study locked by a live process says how to take it over, and --take-over does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-cli-'));
  const study = join(dir, 'locked.db');
  const first = await runCli('search', '--backbone', 'synthetic', '--trials', '2', '--study', study, '--workers', '0');
  assert.equal(first.code, 0, first.err);
  // A live process that is not a search holds the lock (as a reused pid would).
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const start = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const db = new Database(study);
    db.prepare('UPDATE study SET owner_pid = ?, owner_host = ?, owner_start = ? WHERE id = 1').run(child.pid, hostname(), start);
    db.close();
    const locked = await runCli('search', '--study', study, '--trials', '4', '--workers', '0');
    assert.equal(locked.code, 1);
    assert.match(locked.err, new RegExp(`study is being run by process ${child.pid} .*run again with --take-over`));
    const taken = await runCli('search', '--study', study, '--trials', '4', '--workers', '0', '--take-over');
    assert.equal(taken.code, 0, taken.err);
    assert.match(taken.out, /resumed study /);
  } finally {
    child.kill('SIGKILL');
  }
});

test('resuming a study file that does not exist is an error and creates no study', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-cli-'));
  const typo = join(dir, 'typo.db');
  const r = await runCli('search', '--study', typo, '--trials', '5', '--workers', '0');
  assert.equal(r.code, 1);
  assert.match(r.err, /typo\.db: no such study file; .*--backbone NAME \(synthetic for a dry run\)/);
  assert.doesNotMatch(r.out, /best:/);
  assert.equal(existsSync(typo), false);
});

test('the README forms: --backbone creates a study, a plain --study resumes it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-cli-'));
  const study = join(dir, 'search-synthetic.db');
  const created = await runCli('search', '--backbone', 'synthetic', '--trials', '3', '--workers', '0', '--study', study);
  assert.equal(created.code, 0, created.err);
  assert.match(created.out, /created study/);
  const resumed = await runCli('search', '--study', study, '--trials', '5', '--workers', '0');
  assert.equal(resumed.code, 0, resumed.err);
  assert.match(resumed.out, /resumed study .*search-synthetic\.db/);
});
