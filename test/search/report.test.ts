import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseTrial, renderReport } from '../../src/search/report.js';
import { parseBudgetMs, runSearch, SearchConfigError, writeStudyReport } from '../../src/search/run.js';
import type { StoredTrial } from '../../src/search/storage.js';
import { Study, type StudyConfig } from '../../src/search/study.js';
import { syntheticTargetRef } from '../../src/search/targets.js';

const config: StudyConfig = {
  name: 'rep',
  seed: 3,
  objective: 'accuracy-synops',
  target: syntheticTargetRef(),
  space: { maxSkips: 4 },
  sampler: { name: 'tpe', startupTrials: 4 },
  pruner: { name: 'asha', eta: 3 },
  maxEpochs: 9,
};

function trial(number: number, accuracy: number, synops: number, state: StoredTrial['state'] = 'complete'): StoredTrial {
  return {
    number,
    state,
    params: {},
    spec: { skips: [{ from: 0, to: 2, type: 'ASC' }] },
    seed: number,
    values: [accuracy, synops],
    metrics: { accuracy, synops, meanRate: synops / 1e6 },
    curve: [{ accuracy }],
    error: null,
    startedAt: 0,
    finishedAt: 1000,
  };
}

test('chooseTrial: most accurate by default, cheapest within a tolerance, or a named trial', () => {
  const trials = [trial(0, 0.9, 5e5), trial(1, 0.89, 2e5), trial(2, 0.8, 1e5), trial(3, 0.95, 1e4, 'pruned')];
  assert.equal(chooseTrial(trials, config).number, 0);
  assert.equal(chooseTrial(trials, config, { tolerance: 0.02 }).number, 1);
  assert.equal(chooseTrial(trials, config, { tolerance: 0.2 }).number, 2);
  assert.equal(chooseTrial(trials, config, { trial: 2 }).number, 2);
  assert.throws(() => chooseTrial(trials, config, { trial: 3 }), /pruned, not complete/);
  assert.throws(() => chooseTrial(trials, config, { trial: 9 }), /not in the study/);
  assert.throws(() => chooseTrial([], config), /no complete trial/);
});

test('HTML report holds the Pareto plot, learning curves, trial table and front specs, escaped', () => {
  const trials = [trial(0, 0.9, 5e5), trial(1, 0.8, 1e5), trial(2, 0.7, 3e5), { ...trial(3, 0.3, 1e5, 'failed'), metrics: null, error: '<boom> & "x"' }];
  const html = renderReport(config, trials, trials[1]);
  assert.match(html, /^<!doctype html>/);
  assert.equal((html.match(/<svg /g) ?? []).length, 2);
  assert.equal((html.match(/<circle class="front"/g) ?? []).length, 2, 'trials 0 and 1 are on the front');
  assert.equal((html.match(/<tr class=/g) ?? []).length, 4);
  assert.match(html, /tr class="complete on-front chosen"/);
  assert.match(html, /&#60;boom&#62; &#38; &#34;x&#34;/);
  assert.ok(!html.includes('<boom>'));
  assert.match(html, /trial 1: accuracy 0.800, synops 1.00e\+5 \(exported\)/);
});

test('writeStudyReport writes the page and exports the chosen spec as JSON', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-report-'));
  const path = join(dir, 's.db');
  const study = await Study.open(path, config);
  await study.run({ trials: 12, workers: 0 });
  const best = (await study.summary()).best!;
  await study.close();
  const result = await writeStudyReport(path, { out: join(dir, 'r.html'), exportPath: join(dir, 'best.json') });
  assert.equal(result.trials, 12);
  assert.equal(result.chosen!.number, best.number);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'best.json'), 'utf8')), best.spec);
  assert.match(readFileSync(join(dir, 'r.html'), 'utf8'), /Search study “rep”/);
});

test('parseBudgetMs', () => {
  assert.equal(parseBudgetMs('2h'), 7200e3);
  assert.equal(parseBudgetMs('1h30m'), 5400e3);
  assert.equal(parseBudgetMs('45s'), 45e3);
  assert.equal(parseBudgetMs('90'), 90e3);
  assert.throws(() => parseBudgetMs('2 days'), SearchConfigError);
  assert.throws(() => parseBudgetMs(''), /not a duration/);
});

test('runSearch progress: one JSON line per finished trial, the running best never lost to a pruned trial', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-progress-'));
  const written: string[] = [];
  const stream = { write: (s: string) => (written.push(s), true), isTTY: false } as unknown as NodeJS.WriteStream;
  const { summary } = await runSearch({ studyPath: join(dir, 'p.db'), create: { ...config }, trials: 15, workers: 0, progress: { stream, intervalMs: 0 } });
  assert.ok(summary.pruned > 0);
  const lines = written.map((l) => JSON.parse(l) as { state?: string; best: number | null; final: boolean });
  assert.equal(lines.filter((l) => !l.final).length, 15);
  const firstComplete = lines.findIndex((l) => l.state === 'complete');
  for (const l of lines.slice(firstComplete)) assert.equal(typeof l.best, 'number');
  assert.equal(lines.at(-1)!.best, Math.round(summary.best!.metrics!.accuracy * 10000) / 10000);
});
