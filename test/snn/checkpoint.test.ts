import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/snn/backend.js';
import { gesture } from '../../src/snn/backbones.js';
import { replaceFolder, settleFolder } from '../../src/snn/checkpoint.js';
import { syntheticSample } from '../../src/snn/data.js';
import type { Preprocessing } from '../../src/snn/model-api.js';
import { trainModel, type EpochMetrics, type TrainOptions, type TrainResult } from '../../src/snn/train.js';
import { randomSource } from '../../src/util/random.js';

before(async () => {
  await initBackend();
});

const pre: Preprocessing = { sensorWidth: 64, sensorHeight: 64, downsample: 4, height: 16, width: 16, stepUs: 50000, steps: 4, encoding: 'clip' };

/** What an epoch measured, without its timings (wall and CPU time differ between runs). */
const measured = ({ seconds: _s, cpuSeconds: _c, samplesPerSecond: _r, ...m }: EpochMetrics) => m;
const outcome = (r: TrainResult) => ({
  accuracy: r.accuracy,
  selectedEpoch: r.selectedEpoch,
  valAccuracy: r.valAccuracy,
  bestAccuracy: r.bestAccuracy,
  meanFiringRate: r.meanFiringRate,
  synopsPerSample: r.synopsPerSample,
  energyPJPerSample: r.energyPJPerSample,
  epochs: r.epochs,
  curves: r.curves.map(measured),
  weights: r.model.weights(),
});

/**
 * Trains 5 epochs (cosine schedule, Adam) whole, and cut by a crash after epoch 2 then resumed:
 * the resumed run must end with the whole run's weights and metrics, and so must a resume of the
 * finished folder (nothing left to train).
 */
async function cutAndResume(withVal: boolean): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'snn-resume-'));
  try {
    const rand = randomSource(5);
    const mk = (n: number) => Array.from({ length: n }, (_, i) => ({ frames: syntheticSample(i % 3, 3, pre, rand), label: i % 3 }));
    const data = { classes: ['a', 'b', 'c'], preprocessing: pre, train: mk(30), test: mk(9), ...(withVal ? { val: mk(9) } : {}) };
    const opts: TrainOptions = { spec: gesture({ height: 16, width: 16, classes: 3, widthMult: 0.25 }), data, epochs: 5, batchSize: 8, lr: 5e-3, seed: 2, progress: false };
    const whole = await trainModel({ ...opts, outDir: join(root, 'whole') });
    const want = outcome(whole);
    whole.model.dispose();

    const dir = join(root, 'cut');
    await assert.rejects(
      trainModel({ ...opts, outDir: dir, resume: true, onEpoch: (m) => {
        if (m.epoch === 2) throw new Error('killed');
      } }),
      /killed/,
    );
    assert.equal(JSON.parse(await readFile(join(dir, 'checkpoint', 'state.json'), 'utf8')).epoch, 2);
    const ran: number[] = [];
    const resumed = await trainModel({ ...opts, outDir: dir, resume: true, onEpoch: (m) => void ran.push(m.epoch) });
    assert.deepEqual(ran, [3, 4, 5]);
    assert.deepEqual(outcome(resumed), want);
    assert.ok(resumed.curves.every((c) => c.cpuSeconds >= 0), 'every epoch, those before the cut too, counts its CPU time');
    resumed.model.dispose();

    // Killed after its last checkpoint, before its result was recorded: nothing left to train.
    const again = await trainModel({ ...opts, outDir: dir, resume: true, onEpoch: (m) => void ran.push(m.epoch) });
    assert.deepEqual(ran, [3, 4, 5]);
    assert.notEqual(again.accuracy, null);
    assert.deepEqual(outcome(again), want);
    again.model.dispose();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test('trainModel cut after epoch 2 of 5 resumes to the uninterrupted run\'s weights and metrics; resumed once done, it returns them again', () => cutAndResume(false));

test('trainModel with a validation split, cut after epoch 2 of 5 and resumed, keeps the best epoch so far and its weights as the uninterrupted run does', () => cutAndResume(true));

test('a checkpoint trained on other frames is refused on resume, naming the field and its flag', async () => {
  const root = await mkdtemp(join(tmpdir(), 'snn-resume-frames-'));
  try {
    const rand = randomSource(6);
    const mk = (p: Preprocessing, n: number) => Array.from({ length: n }, (_, i) => ({ frames: syntheticSample(i % 3, 3, p, rand), label: i % 3 }));
    const train = (p: Preprocessing, epochs: number) =>
      trainModel({ spec: gesture({ height: 16, width: 16, classes: 3, widthMult: 0.25 }), data: { classes: ['a', 'b', 'c'], preprocessing: p, train: mk(p, 8), test: [] }, epochs, batchSize: 8, lr: 5e-3, seed: 2, progress: false, outDir: root, resume: true });
    // A checkpoint written before the stepping field existed: its frames were stretched.
    (await train(pre, 1)).model.dispose();
    await assert.rejects(train({ ...pre, stepping: 'fixed' }, 2), /checkpoint was trained with other frames: preprocessing stepping is stretch, the data's is fixed \(--stepping\)/);
    await assert.rejects(train({ ...pre, encoding: 'count' }, 2), /preprocessing encoding is clip, the data's is count/);
    const same = await train({ ...pre, stepping: 'stretch' }, 2);
    assert.equal(same.epochs, 2);
    same.model.dispose();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a checkpoint folder is replaced whole: a write that fails keeps the previous one, a swap cut between its renames is finished', async () => {
  const root = await mkdtemp(join(tmpdir(), 'snn-swap-'));
  try {
    const dir = join(root, 'checkpoint');
    const write = (epoch: number) => async (tmp: string) => {
      mkdirSync(tmp, { recursive: true });
      writeFileSync(join(tmp, 'weights.bin'), `w${epoch}`);
      writeFileSync(join(tmp, 'state.json'), `{"epoch":${epoch}}`);
    };
    await replaceFolder(dir, write(1));
    await assert.rejects(
      replaceFolder(dir, async (tmp) => {
        mkdirSync(tmp);
        writeFileSync(join(tmp, 'weights.bin'), 'w2');
        throw new Error('killed mid-write');
      }),
      /killed mid-write/,
    );
    assert.ok(await settleFolder(dir, 'state.json'));
    assert.equal(await readFile(join(dir, 'weights.bin'), 'utf8'), 'w1');

    // A kill after the old folder moved aside and before the new one moved in.
    await write(2)(`${dir}.next`);
    renameSync(dir, `${dir}.old`);
    assert.ok(await settleFolder(dir, 'state.json'));
    assert.equal(await readFile(join(dir, 'weights.bin'), 'utf8'), 'w2');
    assert.ok(!existsSync(`${dir}.next`));
    await replaceFolder(dir, write(3));
    assert.ok(!existsSync(`${dir}.old`) && !existsSync(`${dir}.next`));
    assert.equal(await readFile(join(dir, 'state.json'), 'utf8'), '{"epoch":3}');
    assert.equal(await settleFolder(join(root, 'none'), 'state.json'), false);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
