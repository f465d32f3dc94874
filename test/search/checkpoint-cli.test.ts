// The long studies killed in the middle of a training (SIGKILL, as a lost machine would) resume
// that training from its checkpoint when the same command runs again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResultsFile } from '../../src/search/experiment.js';
import type { RankStudyFile } from '../../src/search/rank-study.js';
import { runCli } from '../cli/capture.js';
import { spawnCli } from '../support/process.js';

const EPOCHS = 8;
const TINY = ['--data', 'fixtures/gesture-mini', '--epochs', String(EPOCHS), '--size', '16', '--steps', '4', '--width-mult', '0.25', '--workers', '1'];

/** The epochs a training's log lines (`PREFIX: epoch N/EPOCHS`) show it run. */
const epochsOf = (log: string, prefix: string) => [...log.matchAll(new RegExp(`${prefix}: epoch (\\d+)/${EPOCHS}`, 'g'))].map((m) => Number(m[1]));

/** Runs `spikeline ARGS` until the training logging as `prefix` has finished epoch 2, then kills it; returns the epoch its checkpoint holds. */
async function killAfterEpoch2(args: string[], prefix: string, checkpoint: string): Promise<number> {
  const cut = spawnCli(...args);
  await new Promise<void>((resolve, reject) => {
    cut.child.stderr.on('data', () => {
      if (epochsOf(cut.stderr, prefix).includes(2)) resolve();
    });
    void cut.exited.then((code) => reject(new Error(`exited (${code}) before "${prefix}" reached epoch 2:\n${cut.stderr}`)));
  });
  cut.child.kill('SIGKILL');
  await cut.exited;
  const epoch = (JSON.parse(readFileSync(join(checkpoint, 'checkpoint', 'state.json'), 'utf8')) as { epoch: number }).epoch;
  assert.ok(epoch >= 2 && epoch < EPOCHS, `checkpoint at epoch ${epoch}`);
  return epoch;
}

const after = (epoch: number) => Array.from({ length: EPOCHS - epoch }, (_, i) => epoch + 1 + i);

test('spikeline search rank killed in a full training resumes it from its checkpoint, ends as an uninterrupted run, and removes the checkpoints', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-rank-ckpt-'));
  const args = (out: string) => ['search', 'rank', '--backbone', 'gesture', '--out', out, '--configs', '3', '--low-steps', '2', '--low-limit', '6', '--low-epochs', '1', '--score-batch', '6', '--max-skips', '2', '--seed', '3', ...TINY];
  try {
    const out = join(dir, 'rank.json');
    const saved = await killAfterEpoch2(args(out), 'ann full', join(dir, 'rank.checkpoints', 'ann-seed3'));
    const resumed = await runCli(...args(out));
    assert.equal(resumed.code, 0, resumed.err);
    assert.deepEqual(epochsOf(resumed.err, 'ann full'), after(saved), 'the cut training goes on from its checkpoint');
    assert.ok(!existsSync(join(dir, 'rank.checkpoints')), 'checkpoints are removed once their results are saved');

    const whole = await runCli(...args(join(dir, 'whole.json')));
    assert.equal(whole.code, 0, whole.err);
    const read = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as RankStudyFile;
    const truth = (file: RankStudyFile) => file.configs.map((c) => ({ label: c.label, accuracy: c.full?.accuracy, rate: c.full?.rate, synops: c.full?.synops }));
    assert.deepEqual(truth(read('rank.json')), truth(read('whole.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('spikeline experiment skip-connections killed in a final training resumes it from its checkpoint in --out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-exp-ckpt-'));
  const work = join(dir, 'work');
  const args = ['experiment', 'skip-connections', '--out', work, '--report', join(dir, 'report'), '--backbones', 'gesture', '--trials', '3', '--search-epochs', '1', '--min-epochs', '1', '--seeds', '1', '--seed', '5', ...TINY];
  try {
    const saved = await killAfterEpoch2(args, 'gesture ann seed 5', join(work, 'checkpoints', 'gesture-ann-seed5'));
    const resumed = await runCli(...args);
    assert.equal(resumed.code, 0, resumed.err);
    assert.deepEqual(epochsOf(resumed.err, 'gesture ann seed 5'), after(saved));
    const rows = (JSON.parse(readFileSync(join(dir, 'report', 'skip-connections.json'), 'utf8')) as ResultsFile).rows;
    assert.deepEqual(rows.map((r) => r.configuration).sort(), ['ann', 'none', 'searched']);
    assert.equal(rows.find((r) => r.configuration === 'ann')!.epochs, EPOCHS);
    assert.ok(!existsSync(join(work, 'checkpoints')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
