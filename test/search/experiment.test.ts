import { test } from 'node:test';
import assert from 'node:assert/strict';
import { experimentTable, type ExperimentRow } from '../../src/search/experiment.js';
import { experimentCommand } from '../../src/cli/commands/experiment.js';
import { main } from '../../src/cli/main.js';

const row = (variant: ExperimentRow['variant'], accuracy: number, skips: ExperimentRow['skips']): ExperimentRow => ({
  backbone: 'resnet18',
  variant,
  skips,
  accuracy,
  meanRate: 0.1234,
  synops: 12345,
  epochs: 3,
  seconds: 10,
});

test('experiment table lists the three configurations and the gain of the search', () => {
  const table = experimentTable([
    row('none', 0.5, []),
    row('original', 0.6, [{ from: 0, to: 2, type: 'ASC' }]),
    row('searched', 0.65, [
      { from: 0, to: 2, type: 'DSC' },
      { from: 1, to: 3, type: 'ASC' },
    ]),
  ]);
  const lines = table.split('\n');
  assert.equal(lines[0], '| backbone | configuration | skips (ASC/DSC) | test accuracy | mean firing rate | SynOps / sample |');
  assert.equal(lines[2], '| resnet18 | (a) ANN skips → SNN | 1 (1/0) | 60.0 % | 0.1234 | 1.23e+4 |');
  assert.equal(lines[3], '| resnet18 | (b) no skips | 0 (0/0) | 50.0 % | 0.1234 | 1.23e+4 |');
  assert.equal(lines[4], '| resnet18 | (c) searched | 2 (1/1) | 65.0 % | 0.1234 | 1.23e+4 |');
  assert.match(table, /Searched vs original skips: \+5.0 points \(mean 5.0\)/);
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
