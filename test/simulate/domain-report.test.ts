import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accuracyByDomain, readTrialTags, type TrialTags } from '../../src/simulate/domain-report.js';
import { generateGestureDataset } from '../../src/simulate/dataset.js';
import { formatEvalReport, runEvaluation } from '../../src/snn/run.js';

test('accuracy is grouped by every trial and row family value (hand-counted example)', () => {
  const tags = new Map<string, TrialTags>([
    ['user01_led', { trial: { lighting: 'led', texture: 'striped' }, rows: [{ style: 'a' }, {}, { style: 'b' }] }],
    ['user02_lab', { trial: { lighting: 'lab', texture: 'uniform' }, rows: [{ style: 'b' }] }],
  ]);
  const samples = [
    { source: 'user01_led#0', label: 3 }, { source: 'user01_led#2', label: 4 }, { source: 'user02_lab#0', label: 1 },
  ];
  const groups = accuracyByDomain(samples, [3, 0, 1], tags);
  const get = (f: string, v: string): string => {
    const g = groups.find((x) => x.family === f && x.value === v);
    return g ? `${g.correct}/${g.total}` : 'none';
  };
  assert.equal(get('texture', 'striped'), '1/2');
  assert.equal(get('texture', 'uniform'), '1/1');
  assert.equal(get('style', 'a'), '1/1');
  assert.equal(get('style', 'b'), '1/2');
  assert.equal(get('lighting', 'lab'), '1/1');
  assert.throws(() => accuracyByDomain([{ source: 'user09_led#0', label: 0 }], [0], tags), /user09_led#0/);
});

test('eval --by-domain on a randomised synthetic folder: every family partitions the samples; a folder without draws is refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-bydomain-'));
  try {
    await generateGestureDataset({ out: dir, users: [1, 24], maxLightingsPerUser: 1, seed: 3, gestureSeconds: 0.6, gapSeconds: 0.2, idleProbability: 0 });
    const r = await runEvaluation({ model: 'fixtures/model', data: dir, layout: 'dvs-gesture', split: 'test', batchSize: 8, byDomain: true });
    assert.equal(r.samples, 12);
    const correct = Math.round(r.accuracy * r.samples);
    const families = new Set(r.byDomain!.map((g) => g.family));
    for (const f of ['texture', 'thresholds', 'distance', 'style', 'tempo', 'lighting', 'bandwidth']) assert.ok(families.has(f), f);
    for (const f of families) {
      const gs = r.byDomain!.filter((g) => g.family === f);
      assert.equal(gs.reduce((a, g) => a + g.total, 0), 12, `${f} totals`);
      assert.equal(gs.reduce((a, g) => a + g.correct, 0), correct, `${f} correct`);
    }
    const manifest = JSON.parse(await readFile(join(dir, 'synthetic.json'), 'utf8')) as { trials: { name: string; domain: { tags: Record<string, string> } }[] };
    const test24 = manifest.trials.find((t) => t.name === 'user24_fluorescent')!;
    assert.deepEqual(r.byDomain!.filter((g) => g.family === 'texture').map((g) => g.value), [test24.domain.tags.texture]);
    assert.match(formatEvalReport(r), /accuracy by domain family/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await assert.rejects(readTrialTags('fixtures/gesture-mini'), /synthetic\.json: no trial has domain-randomisation draws/);
});
