import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { searchCommand } from '../../src/cli/commands/search.js';

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
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
});
