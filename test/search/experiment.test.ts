import { test } from 'node:test';
import assert from 'node:assert/strict';
import { experimentTable, type ExperimentRow } from '../../src/search/experiment.js';
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
