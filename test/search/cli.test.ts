import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { searchCommand } from '../../src/cli/commands/search.js';

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  // Only the command's text is captured: the test runner's own (binary) reports pass through.
  process.stdout.write = ((s: string | Uint8Array, ...rest: never[]) => (typeof s === 'string' ? (out.push(s), true) : ow(s, ...rest))) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array, ...rest: never[]) => (typeof s === 'string' ? (err.push(s), true) : ew(s, ...rest))) as typeof process.stderr.write;
  try {
    return { code: await fn(), out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

test('spikeline search runs, resumes, reports and exports on the synthetic backbone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-cli-'));
  const study = join(dir, 'study.db');
  const list = [searchCommand];
  const first = await capture(() => main(['search', '--backbone', 'synthetic', '--trials', '10', '--study', study, '--workers', '0', '--epochs', '5'], list));
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, /created study .*: \d+ complete, \d+ pruned, 0 failed/);
  assert.match(first.err, /"progress":"search synthetic-accuracy-synops"/);
  const again = await capture(() => main(['search', '--study', study, '--trials', '14', '--workers', '0'], list));
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /resumed study/);
  const mismatch = await capture(() => main(['search', '--study', study, '--trials', '14', '--objective', 'accuracy'], list));
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.err, /optimises "accuracy-synops", not "accuracy"/);
  const rep = await capture(() => main(['search', 'report', study, '--export', join(dir, 'best.json')], list));
  assert.equal(rep.code, 0, rep.err);
  assert.ok(existsSync(join(dir, 'study.html')));
  assert.equal(JSON.parse(readFileSync(join(dir, 'best.json'), 'utf8')).backbone, 'synthetic');
  assert.match(rep.out, /exported trial \d+/);
});

test('spikeline search rejects bad arguments with usage errors', async () => {
  const list = [searchCommand];
  const noTrials = await capture(() => main(['search', '--backbone', 'synthetic'], list));
  assert.equal(noTrials.code, 2);
  assert.match(noTrials.err, /--trials is required/);
  const badBackbone = await capture(() => main(['search', '--backbone', 'vgg99', '--trials', '3', '--study', join(tmpdir(), 'never.db')], list));
  assert.equal(badBackbone.code, 2);
  assert.match(badBackbone.err, /--backbone must be one of/);
  const badBudget = await capture(() => main(['search', '--backbone', 'synthetic', '--trials', '3', '--budget', 'soon'], list));
  assert.equal(badBudget.code, 2);
  assert.match(badBudget.err, /not a duration: "soon"/);
  const missing = join(mkdtempSync(join(tmpdir(), 'spikeline-cli-')), 'none.db');
  const noStudy = await capture(() => main(['search', 'report', missing], list));
  assert.equal(noStudy.code, 1);
  assert.match(noStudy.err, /^spikeline search report: .*none\.db: cannot open study database/);
});

test('spikeline search on a study locked by a live process says how to take it over, and --take-over does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-cli-'));
  const study = join(dir, 'locked.db');
  const list = [searchCommand];
  const first = await capture(() => main(['search', '--backbone', 'synthetic', '--trials', '2', '--study', study, '--workers', '0'], list));
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
    const locked = await capture(() => main(['search', '--study', study, '--trials', '4', '--workers', '0'], list));
    assert.equal(locked.code, 1);
    assert.match(locked.err, new RegExp(`study is being run by process ${child.pid} .*run again with --take-over`));
    const taken = await capture(() => main(['search', '--study', study, '--trials', '4', '--workers', '0', '--take-over'], list));
    assert.equal(taken.code, 0, taken.err);
    assert.match(taken.out, /resumed study /);
  } finally {
    child.kill('SIGKILL');
  }
});
