import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initBackend } from '../../src/snn/backend.js';
import { rankConfigs, rankFigures, runRankStudy, seedSpread, truthCeiling, type RankStudyOptions } from '../../src/search/rank-study.js';
import { kendallTau, measurementNoise } from '../../src/search/rank.js';

before(async () => {
  await initBackend();
});

const options = (out: string): RankStudyOptions => ({
  target: { backbone: 'gesture', data: resolve('fixtures/gesture-mini'), size: 16, steps: 4, widthMult: 0.25 },
  configs: 4,
  epochs: 1,
  low: { steps: 2, limit: 6, epochs: 1 },
  scoreBatch: 6,
  maxSkips: 2,
  seed: 3,
  out,
  workers: 0,
});

test('rank study: baselines first, then distinct draws; every ranker scored, tau from the file, resumed without rework', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'spikeline-rank-')), 'rank.json');
  const configs = rankConfigs(options(out));
  assert.deepEqual(configs.map((c) => c.label).slice(0, 2), ['ann', 'none']);
  assert.equal(new Set(configs.map((c) => JSON.stringify(c.skips))).size, 4);

  const file = await runRankStudy(options(out));
  const saved = JSON.parse(readFileSync(out, 'utf8')) as typeof file;
  assert.equal(saved.configs.length, 4);
  for (const c of saved.configs) {
    assert.ok(c.snasnet && c.low && c.full, c.label);
    assert.ok(c.full.accuracy >= 0 && c.full.accuracy <= 1);
    assert.ok(c.snasnet.cpu_s >= 0 && c.full.cpu_s > 0);
  }
  const [snasnet, low, ...rest] = rankFigures(saved.configs);
  assert.deepEqual(rest, [], 'one seed per configuration: no one-training yardstick');
  assert.equal(snasnet!.n, 4);
  const truth = saved.configs.map((c) => c.full!.accuracy);
  const tau = kendallTau(saved.configs.map((c) => c.snasnet!.score), truth);
  assert.ok(Object.is(snasnet!.tau, tau));
  assert.ok(Object.is(low!.tau, kendallTau(saved.configs.map((c) => c.low!.accuracy), truth)));
  // fixtures/gesture-mini's test split (the truth's sampling noise comes from its size)
  assert.equal(saved.testSamples, 12);
  const ceiling = truthCeiling(saved)!;
  const meanAcc = truth.reduce((a, b) => a + b, 0) / truth.length;
  assert.ok(Math.abs(ceiling.noise - Math.sqrt((meanAcc * (1 - meanAcc)) / 12)) < 1e-12);
  assert.ok(ceiling.tau10 <= ceiling.tau && ceiling.tau <= ceiling.tau90);

  const lines: string[] = [];
  await runRankStudy({ ...options(out), log: (l) => lines.push(l) });
  assert.deepEqual(lines, [], 'a finished study has nothing left to run');
  await assert.rejects(runRankStudy({ ...options(out), epochs: 2 }), /rank study with other options/);
});

test('rank study with --truth-seeds: every configuration trained with each seed, the truth their mean, their spread counted as noise; resumes a half-done seed set', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'spikeline-rank-seeds-')), 'rank.json');
  const o = { ...options(out), configs: 3, truthSeeds: 2 };
  const file = await runRankStudy(o);
  for (const c of file.configs) {
    assert.deepEqual(c.fullSeeds!.map((r) => r.seed), [3, 4], c.label);
    const mean = (c.fullSeeds![0]!.accuracy + c.fullSeeds![1]!.accuracy) / 2;
    assert.equal(c.full!.accuracy, mean);
  }
  assert.equal(JSON.parse(readFileSync(out, 'utf8')).options.truthSeeds, 2);
  const sd = seedSpread(file.configs)!;
  const acc = file.configs.map((c) => c.full!.accuracy);
  const mean = acc.reduce((a, b) => a + b, 0) / acc.length;
  assert.equal(truthCeiling(file)!.noise, measurementNoise(mean, { testSamples: 12, seeds: 2, seedSd: sd }));
  // The yardstick: one more full training ranks as one seed against the other.
  const repeat = rankFigures(file.configs).find((f) => f.ranker === 'one-training')!;
  const seedAcc = (k: number) => file.configs.map((c) => c.fullSeeds![k]!.accuracy);
  assert.deepEqual(repeat.perSeed, [kendallTau(seedAcc(0), seedAcc(1)), kendallTau(seedAcc(1), seedAcc(0))]);
  assert.equal(repeat.n, 3);
  assert.ok(repeat.cpu_s > 0);

  // Drop one seed's result of one configuration, as a kill mid-run would: only that training reruns.
  const half = JSON.parse(readFileSync(out, 'utf8')) as typeof file;
  const kept = half.configs[1]!.fullSeeds![0]!;
  half.configs[1]!.fullSeeds = [kept];
  delete half.configs[1]!.full;
  writeFileSync(out, JSON.stringify(half));
  const lines: string[] = [];
  const resumed = await runRankStudy({ ...o, log: (l) => lines.push(l) });
  assert.ok(lines.length > 0 && lines.every((l) => l.includes('(seed 4)') || l.startsWith('tau so far')), lines.join('\n'));
  assert.deepEqual(resumed.configs[1]!.fullSeeds![0], kept);
  assert.deepEqual(resumed.configs.map((c) => c.full!.accuracy), file.configs.map((c) => c.full!.accuracy), 'the rerun seed trains as it did the first time');
});
