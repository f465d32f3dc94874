import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planTransfer, REFRAMING, runAugmentationAblation, shiftFraming, summarize, summaryTable, type RunResult, type SimSettings } from '../../src/search/transfer.js';
import { generateGestureDataset } from '../../src/simulate/dataset.js';
import { experimentCommand } from '../../src/cli/commands/experiment.js';
import { main } from '../../src/cli/main.js';
import { randomEvents, rows } from '../support/events.js';

const result = (recipe: string, seed: number, a: number, b: number): RunResult => ({
  run: `${recipe}-${seed}`,
  recipe,
  seed,
  augmentation: 'legacy',
  accuracy: { 'in-domain': a, far: b },
  samples: { 'in-domain': 10, far: 10 },
  meanFiringRate: 0.1,
  trainSeconds: 5,
  cpuSeconds: 4,
  epochs: 1,
});

test('summary: mean and sample standard deviation per recipe and test set, as a markdown table', () => {
  const s = summarize([result('old', 1, 0.8, 0.2), result('old', 2, 0.9, 0.4), result('new', 1, 0.95, 0.7)], ['in-domain', 'far']);
  const lines = summaryTable(s).split('\n');
  assert.equal(lines[0], '| recipe | runs | in-domain | far | CPU s (all runs) |');
  // sd of (0.8, 0.9) = 0.1/√2 = 0.0707; of (0.2, 0.4) = 0.1414.
  assert.equal(lines[2], '| old | 2 | 85.0 ± 7.1 | 30.0 ± 14.1 | 8 |');
  assert.equal(lines[3], '| new | 1 | 95.0 ± 0.0 | 70.0 ± 0.0 | 4 |');
});

test('shiftFraming: a per-sample zoom-out keeps events on the sensor, pulls them to the centre, and is fixed by the seed', () => {
  const far = REFRAMING;
  const samples = [0, 1, 2].map((k) => ({ events: randomEvents(3000, { width: 128, height: 128 }, k + 1), label: k, source: `s${k}` }));
  const a = shiftFraming(samples, { ...far, offset: 0, roll: 0 }, 7);
  const spread = (xs: Uint16Array) => Math.sqrt(xs.reduce((s, x) => s + (x - 63.5) ** 2, 0) / xs.length);
  a.forEach((s, k) => {
    assert.equal(s.label, k);
    assert.ok(spread(s.events.x) < 0.8 * spread(samples[k]!.events.x));
  });
  const b = shiftFraming(samples, far, 7);
  assert.deepEqual(rows(b[1]!.events), rows(shiftFraming(samples, far, 7)[1]!.events));
  for (const s of b) for (let i = 0; i < s.events.length; i++) assert.ok(s.events.x[i]! < 128 && s.events.y[i]! < 128);
});

interface Manifest {
  params: { domain: string; mainsHz?: number };
  trials: { name: string; domain?: { appearance: { texture: string }; sensor: { threshold: number }; framing: { distance: number } }; rows?: { domain?: { style: string } }[] }[];
}

test('transfer sets: training data never draws a held-out family value, each held-out set draws only its own', async () => {
  const out = mkdtempSync(join(tmpdir(), 'spikeline-transfer-'));
  try {
    const plan = planTransfer({ outDir: out, dataSeed: 3, trainUsers: 1, testUsers: 1, gestureSeconds: 0.3 });
    const read = async (dir: string): Promise<Manifest> => JSON.parse(readFileSync(join(dir, 'synthetic.json'), 'utf8')) as Manifest;
    const gen = async (dir: string, settings: SimSettings): Promise<Manifest> => (await generateGestureDataset({ ...settings, out: dir }), read(dir));
    const lighting = (t: { name: string }): string => t.name.replace(/^user\d+_/, '');
    const styles = (m: Manifest): string[] => m.trials.flatMap((t) => t.rows!.map((r) => r.domain!.style));
    // The held-out ranges of issue 12: patterned clothing, thresholds 0.3-0.5, far subjects (visible
    // height below 0.75 of the frame), motion style c, lightings lab / led / natural, 50 Hz mains.
    const heldOut = {
      texture: (m: Manifest) => m.trials.every((t) => t.domain!.appearance.texture !== 'uniform'),
      thresholds: (m: Manifest) => m.trials.every((t) => t.domain!.sensor.threshold >= 0.3 && t.domain!.sensor.threshold <= 0.5),
      distance: (m: Manifest) => m.trials.every((t) => t.domain!.framing.distance < 0.75),
      style: (m: Manifest) => styles(m).every((s) => s === 'c'),
      lighting: (m: Manifest) => m.trials.every((t) => ['lab', 'led', 'natural'].includes(lighting(t))),
      mains: (m: Manifest) => m.params.mainsHz === 50,
    };
    const inTraining = {
      texture: (m: Manifest) => m.trials.every((t) => t.domain!.appearance.texture === 'uniform'),
      thresholds: (m: Manifest) => m.trials.every((t) => t.domain!.sensor.threshold >= 0.1 && t.domain!.sensor.threshold <= 0.25),
      distance: (m: Manifest) => m.trials.every((t) => t.domain!.framing.distance >= 0.75),
      style: (m: Manifest) => styles(m).every((s) => s === 'a' || s === 'b'),
      lighting: (m: Manifest) => m.trials.every((t) => ['fluorescent', 'fluorescent_led'].includes(lighting(t))),
      mains: (m: Manifest) => m.params.mainsHz === 60,
    };
    const families = Object.keys(heldOut) as (keyof typeof heldOut)[];
    const train = await gen(plan.train.new!.dir, plan.train.new!.settings);
    assert.equal(train.trials.length, 2);
    for (const f of families) assert.ok(inTraining[f](train), `new recipe's training set: ${f} outside its training range`);
    assert.ok(styles(train).length >= 24);
    assert.deepEqual(plan.tests.map((t) => t.name), ['original', 'in-domain', ...families]);
    for (const f of families) {
      const m = await gen(plan.tests.find((t) => t.name === f)!.dir, plan.tests.find((t) => t.name === f)!.settings);
      assert.ok(heldOut[f](m), `test-${f}: not at its held-out range`);
      for (const g of families) if (g !== f) assert.ok(inTraining[g](m), `test-${f}: ${g} outside its training range`);
    }
    // The old recipe trains on the original simulator: nothing randomised is drawn.
    assert.equal(plan.train.old!.settings.domain, null);
    const original = plan.tests.find((t) => t.name === 'original')!;
    assert.equal(original.settings.domain, null);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('augmentation ablation trains, scores both test sets, and a second call resumes instead of retraining', async () => {
  const out = mkdtempSync(join(tmpdir(), 'spikeline-ablation-'));
  try {
    const lines: string[] = [];
    const o = {
      data: 'fixtures/gesture-mini',
      outDir: out,
      seeds: 1,
      variants: { legacy: 'legacy', flip: 'crop,flip' },
      train: { downsample: 16, steps: 4, stepUs: 200_000, epochs: 1, batchSize: 6, lr: 2e-3, widthMult: 0.5, stepping: 'fixed' as const },
      log: (l: string) => lines.push(l),
    };
    const first = await runAugmentationAblation(o);
    assert.deepEqual(first.tests, ['in-domain', 'reframed']);
    assert.deepEqual(first.rows.map((r) => r.recipe), ['legacy', 'flip']);
    assert.equal(lines.filter((l) => / training /.test(l)).length, 2);
    const md = readFileSync(join(out, 'results.md'), 'utf8');
    assert.match(md, /\| legacy \| 1 \| \d+\.\d ± 0\.0 \| \d+\.\d ± 0\.0 \|/);
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { runs: RunResult[] };
    assert.equal(saved.runs[0]!.samples['in-domain'], 12);
    // Finished runs are not trained again.
    lines.length = 0;
    const again = await runAugmentationAblation(o);
    assert.equal(lines.filter((l) => / training /.test(l)).length, 0);
    assert.deepEqual(again, first);
    // A run interrupted after its last checkpoint resumes from it: no epoch is trained again.
    rmSync(join(out, 'runs', 'flip-seed1', 'result.json'));
    assert.ok(existsSync(join(out, 'runs', 'flip-seed1', 'checkpoint', 'state.json')));
    lines.length = 0;
    const resumed = await runAugmentationAblation(o);
    assert.equal(lines.filter((l) => / epoch /.test(l)).length, 0);
    assert.deepEqual(resumed.rows[1]!.mean, first.rows[1]!.mean);
    // The same run folder under another recipe is refused, not resumed with the wrong weights.
    await assert.rejects(runAugmentationAblation({ ...o, variants: { legacy: 'legacy', flip: 'crop,polarity' } }), /flip-seed1.*run\.json: this run was started with other settings/);
    // So is a run made on stretched steps (before --stepping, or asked for), finished or not.
    await assert.rejects(runAugmentationAblation({ ...o, train: { ...o.train, stepping: 'stretch' as const } }), /legacy-seed1.*run\.json: this run was started with other settings/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('spikeline experiment augmentation needs --data and a well-formed --shard', async () => {
  const err: string[] = [];
  const ew = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await main(['experiment', 'augmentation'], [experimentCommand]), 2);
    assert.equal(await main(['experiment', 'augmentation', '--data', 'x', '--shard', '2/2'], [experimentCommand]), 2);
  } finally {
    process.stderr.write = ew;
  }
  assert.match(err.join(''), /--data DIR is required/);
  assert.match(err.join(''), /--shard: expected K\/N/);
});
