import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { experimentTable, runSkipExperiment, trainingOrder, type ExperimentRow, type ResultsFile, type SkipExperimentOptions } from '../../src/search/experiment.js';
import { openStudyStore } from '../../src/search/storage.js';
import type { StudyConfig } from '../../src/search/study.js';
import { experimentCommand } from '../../src/cli/commands/experiment.js';
import { main } from '../../src/cli/main.js';

const row = (configuration: ExperimentRow['configuration'], seed: number, accuracy: number, skips: ExperimentRow['skips'], synops = 1000): ExperimentRow => ({
  backbone: 'resnet18',
  configuration,
  seed,
  skips,
  accuracy,
  rate: 0.1234,
  synops,
  cpu_s: 10,
  epochs: 3,
  seconds: 10,
});

/** A tiny experiment on fixtures/gesture-mini: the gesture backbone, 1 epoch, seeds 5 and 6. */
function miniExperiment(dir: string, over: Partial<SkipExperimentOptions>): SkipExperimentOptions {
  return {
    data: resolve('fixtures/gesture-mini'),
    outDir: join(dir, 'work'),
    reportDir: join(dir, 'report'),
    backbones: ['gesture'],
    trials: 3,
    searchEpochs: 1,
    epochs: 1,
    seeds: 2,
    size: 16,
    steps: 4,
    widthMult: 0.25,
    objective: 'accuracy',
    seed: 5,
    workers: 0,
    ...over,
  };
}

test('experiment table: mean ± std over seeds, the paired comparison and the cost ratio (hand-computed)', () => {
  const ann = [{ from: 0, to: 2, type: 'ASC' as const }];
  const searched = [
    { from: 0, to: 2, type: 'SEW' as const },
    { from: 1, to: 3, type: 'DSC' as const, project: true },
  ];
  const table = experimentTable({
    rows: [
      ...[0.5, 0.6, 0.7].map((a, i) => row('ann', i + 1, a, ann)),
      ...[0.4, 0.5].map((a, i) => row('none', i + 1, a, [])),
      ...[0.72, 0.72, 0.72].map((a, i) => row('searched', i + 1, a, searched, 1500)),
    ],
    search: { resnet18: { skips: searched, trial: 7, validationAccuracy: 0.7, trials: 12, cpu_s: 20 } },
  });
  const lines = table.split('\n');
  assert.equal(lines[2], '| resnet18 | (a) ANN skips → SNN | 1 (1/0/0) | 3 | 60.0 ± 10.0 | 0.1234 | 1.00e+3 | 30 |');
  // Two seeds of (b): 45 ± 7.07.
  assert.equal(lines[3], '| resnet18 | (b) no skips | 0 (0/0/0) | 2 | 45.0 ± 7.1 | 0.1234 | 1.00e+3 | 20 |');
  assert.equal(lines[4], '| resnet18 | (c) searched | 2 (0/1/1) | 3 | 72.0 ± 0.0 | 0.1234 | 1.50e+3 | 30 |');
  // Differences 22, 12, 2 points: +12 ± 10; gain 12 > std of (a) 10; cost (20 + 10) / 10.
  assert.equal(lines.at(-1), '| resnet18 | 3 | +12.0 ± 10.0 | 3/3 | yes | 1.50 | 20 | 3.0 |');
});

test('experiment table: the cost ratio takes one training of (c) as the mean of its rows, also when one has no (a) yet', () => {
  // A run stopped after (c) of seed 3 but before (a) of seed 3: two pairs, three (c) rows.
  const cpu = (r: ExperimentRow, cpu_s: number): ExperimentRow => ({ ...r, cpu_s });
  const table = experimentTable({
    rows: [cpu(row('ann', 1, 0.5, []), 10), cpu(row('ann', 2, 0.6, []), 10), ...[1, 2, 3].map((seed) => cpu(row('searched', seed, 0.7, []), 20))],
    search: { resnet18: { skips: [], trial: 4, validationAccuracy: 0.7, trials: 6, cpu_s: 40 } },
  });
  // One training of (c): 20 CPU s (not 60 / 2 pairs); (40 + 20) / 10 = 6.0.
  assert.match(table.split('\n').at(-1)!, /\| 40 \| 6\.0 \|$/);
});

test('final trainings start seed by seed with (a) and (c), (b) last; without (c) when a baseline was chosen', () => {
  const names = (o: ReturnType<typeof trainingOrder>) => o.map((t) => `${t.configuration}:${t.seed}`);
  assert.deepEqual(names(trainingOrder([1, 2, 3], false)), ['ann:1', 'searched:1', 'ann:2', 'searched:2', 'ann:3', 'searched:3', 'none:1', 'none:2', 'none:3']);
  assert.deepEqual(names(trainingOrder([4, 5], true)), ['ann:4', 'ann:5', 'none:4', 'none:5']);
});

test('spikeline experiment rejects unknown experiments and backbones', async () => {
  const err: string[] = [];
  const ew = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await main(['experiment', 'nope', '--data', '/tmp'], [experimentCommand]), 2);
    assert.equal(await main(['experiment', 'skip-connections', '--data', '/tmp', '--backbones', 'resnet18,vgg'], [experimentCommand]), 2);
    assert.equal(await main(['experiment', 'skip-connections'], [experimentCommand]), 2);
  } finally {
    process.stderr.write = ew;
  }
  assert.match(err.join(''), /unknown experiment "nope"/);
  assert.match(err.join(''), /unknown backbone "vgg"/);
  assert.match(err.join(''), /--data is required/);
});

test('runSkipExperiment: rows per configuration and seed in skip-connections.json, the search starts from the baselines, resume does no rework', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-exp-'));
  const options = miniExperiment(dir, { trials: 3, minEpochs: 1 });
  await runSkipExperiment(options);
  const saved = JSON.parse(readFileSync(join(dir, 'report', 'skip-connections.json'), 'utf8')) as ResultsFile;
  assert.deepEqual(
    saved.rows.map((r) => `${r.configuration}:${r.seed}`).sort(),
    ['ann:5', 'ann:6', 'none:5', 'none:6', 'searched:5', 'searched:6'],
  );
  for (const r of saved.rows) {
    assert.equal(r.backbone, 'gesture');
    assert.ok(r.accuracy >= 0 && r.accuracy <= 1 && r.rate >= 0 && r.synops > 0 && r.cpu_s > 0, JSON.stringify(r));
  }
  // The gesture backbone's one ASC is (a); the study ran it and no skips as trials 0 and 1.
  assert.deepEqual(saved.rows.find((r) => r.configuration === 'ann')!.skips, [{ from: 2, to: 3, type: 'ASC' }]);
  const storage = await openStudyStore<StudyConfig>(join(dir, 'work', 'search-gesture.db'), undefined, { readonly: true });
  const trials = await storage.trials();
  await storage.close();
  assert.deepEqual(trials.slice(0, 2).map((t) => t.params.baseline), ['ann', 'none']);
  assert.ok(saved.search.gesture!.cpu_s > 0);
  assert.match(readFileSync(join(dir, 'report', 'skip-connections.md'), 'utf8'), /\| gesture \| \(c\) searched \|.*\| 2 \|/);
  assert.match(readFileSync(join(dir, 'report', 'skip-connections.md'), 'utf8'), /1 epochs per final training, seeds 5, 6, search:/);

  const lines: string[] = [];
  await runSkipExperiment({ ...options, log: (l) => lines.push(l) });
  assert.deepEqual(lines, []);
  await assert.rejects(runSkipExperiment({ ...options, epochs: 2 }), /measured with other epochs/);
  await assert.rejects(runSkipExperiment({ ...options, searchSeed: 9 }), /made with search seed 5, not 9/);

  // Another search seed repeats only the search and (c): the (a) and (b) rows carry over.
  const again = join(dir, 'report9');
  mkdirSync(again);
  const kept = saved.rows.filter((r) => r.configuration !== 'searched');
  writeFileSync(join(again, 'skip-connections.json'), JSON.stringify({ options: saved.options, search: {}, rows: kept }));
  const log9: string[] = [];
  const nine = await runSkipExperiment({ ...options, outDir: join(dir, 'work9'), reportDir: again, searchSeed: 9, log: (l) => log9.push(l) });
  // Only (c) is trained, and not even that when the search chose a baseline (all tie at 1 epoch).
  const finals = log9.find((l) => l.includes('final trainings'));
  assert.equal(finals, nine.search.gesture!.baseline ? undefined : 'gesture: 2 final trainings (1 epochs each, test split, seeds 5, 6)', log9.join('\n'));
  assert.deepEqual(nine.rows.filter((r) => r.configuration !== 'searched'), kept);
  assert.deepEqual(nine.rows.filter((r) => r.configuration === 'searched').map((r) => r.seed).sort(), [5, 6]);
  assert.equal(nine.options.searchSeed, 9);
  const store9 = await openStudyStore<StudyConfig>(join(dir, 'work9', 'search-gesture.db'), undefined, { readonly: true });
  assert.equal(store9.config.seed, 9);
  await store9.close();
  assert.match(readFileSync(join(again, 'skip-connections.md'), 'utf8'), /objective accuracy, search seed 9\)/);
  // The study file remembers its seed: another search seed cannot resume it.
  await assert.rejects(
    runSkipExperiment({ ...options, outDir: join(dir, 'work9'), reportDir: join(dir, 'report10'), searchSeed: 10 }),
    /study was made with seed 9, not 10/,
  );
});

test('runSkipExperiment: a report records the search options its search ran with, and refuses others once it has one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-exp-opts-'));
  // (a) and (b) rows copied from an earlier run made with 3 search trials; this search runs 2 (the baselines).
  const options = miniExperiment(dir, { trials: 2 });
  const { log: _l, outDir: _o, reportDir: _r, workers: _w, ...recorded } = options;
  const copied = [5, 6].flatMap((seed) => [row('ann', seed, 0.5, [{ from: 2, to: 3, type: 'ASC' }]), row('none', seed, 0.4, [])]).map((r) => ({ ...r, backbone: 'gesture' as const }));
  mkdirSync(join(dir, 'report'));
  writeFileSync(join(dir, 'report', 'skip-connections.json'), JSON.stringify({ options: { ...recorded, trials: 3 }, search: {}, rows: copied }));
  const results = await runSkipExperiment(options);
  assert.equal(results.search.gesture!.trials, 2);
  assert.equal(results.options.trials, 2);
  assert.match(readFileSync(join(dir, 'report', 'skip-connections.md'), 'utf8'), /search: 2 trials of up to 1 epochs/);
  await assert.rejects(runSkipExperiment({ ...options, trials: 3 }), /search made with other trials/);
  // Rows written before label smoothing was an option were measured without it.
  await assert.rejects(runSkipExperiment({ ...options, labelSmoothing: 0.1 }), /holds results measured with other labelSmoothing/);
});

test('runSkipExperiment: a search that chooses a baseline takes its rows for (c) instead of training them again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-exp-base-'));
  // Two trials are the two baselines: the search can only choose one of them.
  const options = miniExperiment(dir, { trials: 2 });
  const lines: string[] = [];
  const results = await runSkipExperiment({ ...options, log: (l) => lines.push(l) });
  const chosen = results.search.gesture!.baseline as ExperimentRow['configuration'];
  assert.ok(chosen === 'ann' || chosen === 'none', String(chosen));
  assert.ok(lines.includes('gesture: 4 final trainings (1 epochs each, test split, seeds 5, 6)'), lines.join('\n'));
  for (const seed of [5, 6]) {
    const base: ExperimentRow = results.rows.find((r) => r.configuration === chosen && r.seed === seed)!;
    const searched = results.rows.find((r) => r.configuration === 'searched' && r.seed === seed)!;
    assert.deepEqual(searched, { ...base, configuration: 'searched', trial: results.search.gesture!.trial, sameAs: chosen });
  }
  assert.equal(results.rows.length, 6);
  const md = readFileSync(join(dir, 'report', 'skip-connections.md'), 'utf8');
  assert.match(md, new RegExp(`trial \\d+ \\(the ${chosen} baseline; \\(c\\) rows are its rows, not trained again\\)`));
});
