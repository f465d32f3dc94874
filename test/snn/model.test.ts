import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, describeBackend } from '../../src/snn/backend.js';
import { buildModel, type SnnModel } from '../../src/snn/model.js';
import { validateSpec, resolveSpec, SpecError, type ModelSpec } from '../../src/snn/spec.js';
import { BACKBONES, backbone, ref8, gesture } from '../../src/snn/backbones.js';
import { SnnStreamingModel } from '../../src/snn/streaming.js';
import { loadModel, saveModel, loadStreamingModel } from '../../src/snn/io.js';
import { framesOfEvents, syntheticSample } from '../../src/snn/data.js';
import { randomEvents } from '../support/events.js';
import { evaluate, trainModel } from '../../src/snn/train.js';
import type { Preprocessing } from '../../src/snn/model-api.js';
import { randomSource } from '../../src/util/random.js';

before(async () => {
  await initBackend();
});

const pre: Preprocessing = { sensorWidth: 64, sensorHeight: 64, downsample: 4, height: 16, width: 16, stepUs: 50000, steps: 6, encoding: 'clip' };

function bernoulli(n: number, p: number, seed: number): Float32Array {
  const r = randomSource(seed);
  return Float32Array.from({ length: n }, () => (r() < p ? 1 : 0));
}

/** Non-trivial running BN statistics so that eval-mode layers actually spike (as the anchor does). */
function perturbBn(m: SnnModel, seed: number): void {
  const r = randomSource(seed);
  for (const [name, buf] of m.buffers) {
    for (let i = 0; i < buf.length; i++) buf[i] = name.endsWith('.mean') ? (r() - 0.5) * 0.2 : 0.02 + r() * 0.03;
  }
  m.invalidateFolded();
}

test('backend is reported', () => {
  const b = describeBackend();
  assert.ok(b && ['wasm', 'cpu', 'tensorflow'].includes(b.name));
});

test('REF-8 has the anchor parameter count, MACs and layer shapes', () => {
  const m = buildModel(ref8());
  assert.equal(m.parameterCount(), 318_987);
  assert.equal(m.macsPerStep(), 47_798_272);
  assert.equal(m.spikingLayers, 7);
  m.dispose();
});

test('spec validation names every problem', () => {
  const bad = {
    input: { height: 32, width: 32, channels: 2 },
    classes: 11,
    layers: [{ type: 'conv', out: 8 }, { type: 'pool', size: 2 }, { type: 'conv', out: 16 }, { type: 'linear', out: 10 }, { type: 'bogus' }],
    skips: [
      { from: 2, to: 0, type: 'ASC' },
      { from: 2, to: 2, type: 'ASC' },
      { from: 0, to: 3, type: 'ASC' },
      { from: 1, to: 2, type: 'XSC' },
    ],
  };
  const reasons = validateSpec(bad);
  const text = reasons.join('\n');
  assert.match(text, /layers\[4\]\.type: "bogus"/);
  assert.match(text, /skips\[0\]: from \(2\) must be an earlier layer than to \(0\)/);
  assert.match(text, /skips\[1\]: from \(2\) must be an earlier layer/);
  assert.match(text, /skips\[2\]: skips must end at a conv or dwconv layer, layer 3 is linear/);
  assert.match(text, /skips\[3\]\.type: "XSC" is not one of ASC, DSC, SEW/);
  assert.throws(() => resolveSpec(bad as unknown as ModelSpec), SpecError);
  assert.match(validateSpec({ ...ref8(), skips: [{ from: 8, to: 0, type: 'ASC' }] }).join(), /earlier layer/);
  assert.match(validateSpec({ ...ref8(), layers: [{ type: 'conv', out: 4 }, { type: 'pool', size: 3 }], skips: [] }).join(), /input 32x32 is not divisible by pool size 3/);
  assert.deepEqual(validateSpec(ref8()), []);
});

test('skip adaptation (pooling, 1x1 projection) is recorded in the resolved spec', () => {
  const spec: ModelSpec = { ...ref8(), skips: [{ from: 0, to: 4, type: 'ASC' }, { from: 1, to: 7, type: 'DSC' }] };
  const r = resolveSpec(spec);
  assert.deepEqual(r.spec.skips[0]!.adapt, { pool: 2, project: true });
  assert.deepEqual(r.spec.skips[1]!.adapt, { pool: 4, project: false });
  assert.equal(r.catShapes[7]!.c, 64 + 32);
  const m = buildModel(spec);
  assert.ok(m.params.has('skip0.w'));
  assert.deepEqual(m.params.get('l7.w')!.shape, [3, 3, 96, 128]);
  m.dispose();
});

test('SEW and projected DSC skips: shapes, adaptation and the reasons they are refused', () => {
  // ref8: 0-2 conv 32, 3 pool, 4-5 conv 64, 6 pool, 7-8 conv 128.
  const spec: ModelSpec = { ...ref8(), skips: [{ from: 0, to: 2, type: 'SEW' }, { from: 1, to: 4, type: 'SEW' }, { from: 1, to: 5, type: 'DSC', project: true }] };
  assert.match(validateSpec(spec).join('\n'), /skips\[1\]: SEW adds spikes channel by channel, source has 32 channels, target 64/);
  const ok: ModelSpec = { ...spec, skips: [{ from: 0, to: 2, type: 'SEW' }, { from: 2, to: 5, type: 'DSC', project: true }] };
  const r = resolveSpec(ok);
  assert.deepEqual(r.spec.skips[0]!.adapt, { pool: 1, project: false });
  assert.deepEqual(r.spec.skips[1]!.adapt, { pool: 2, project: true });
  // The projection brings 32 source channels to the 64 of layer 5's main input: 64 + 64.
  assert.equal(r.catShapes[5]!.c, 128);
  const m = buildModel(ok);
  assert.deepEqual(m.params.get('skip1.w')!.shape, [1, 1, 32, 64]);
  m.dispose();
  const noNeuron: ModelSpec = { ...ref8(), layers: ref8().layers.map((l, i) => (i === 2 ? { type: 'conv', out: 32, neuron: null } : l)), skips: [{ from: 0, to: 2, type: 'SEW' }] };
  assert.match(validateSpec(noNeuron).join(), /SEW adds to the spikes of layer 2, which has no neuron/);
  assert.match(validateSpec({ ...ref8(), skips: [{ from: 0, to: 2, type: 'ASC', project: true }] }).join(), /skips\[0\]\.project: only a DSC skip takes project/);
});

test('a SEW skip adds the source spikes to the spikes of its target (hand-computed), an ASC adds before the neuron', () => {
  // 2x2x1 input, two 1x1 IF convolutions with weight 1, the head sums the four outputs.
  const spec = (type: 'SEW' | 'ASC'): ModelSpec => ({
    input: { height: 2, width: 2, channels: 1 },
    classes: 2,
    neuron: { kind: 'if' },
    layers: [
      { type: 'conv', out: 1, kernel: 1, bn: false },
      { type: 'conv', out: 1, kernel: 1, bn: false },
    ],
    skips: [{ from: 0, to: 1, type }],
  });
  const logits = (type: 'SEW' | 'ASC'): number[] => {
    const m = buildModel(spec(type));
    m.setWeights(m.weights().map((w) => ({ ...w, data: w.name.endsWith('.b') ? new Float32Array(w.data.length) : new Float32Array(w.data.length).fill(1) })));
    const state = m.newState();
    const frame = tf.tensor4d([2, 0, 0.5, 0], [1, 2, 2, 1]);
    const { out } = m.step(frame, state);
    const v = Array.from(out.dataSync());
    out.dispose();
    frame.dispose();
    m.dispose();
    return v;
  };
  // Layer 0 spikes at pixel 0 only (2 >= 1; 0.5 stays below threshold); layer 1 sees that spike
  // and spikes there too. SEW: its output is 1 + 1 = 2 at pixel 0, the head sums 2 per class.
  assert.deepEqual(logits('SEW'), [2, 2]);
  // ASC: pre-activation 1 + 1 = 2 at pixel 0, still one spike (binary output): the head sums 1.
  assert.deepEqual(logits('ASC'), [1, 1]);
});

test('every backbone validates, builds and runs a forward pass at 16x16', () => {
  for (const name of BACKBONES) {
    const o = name === 'ref8' ? {} : { height: 16, width: 16, classes: 5, widthMult: 0.25 };
    const spec = backbone(name, o);
    assert.deepEqual(validateSpec(spec), [], name);
    const m = buildModel(spec);
    const { h, w, c } = { h: spec.input.height, w: spec.input.width, c: spec.input.channels };
    const shape = tf.tidy(() => {
      const r = m.forward(tf.tensor(bernoulli(2 * 2 * h * w * c, 0.2, 3), [2, 2, h, w, c]), { training: true });
      return r.logits.shape;
    });
    assert.deepEqual(shape, [2, spec.classes], name);
    m.dispose();
  }
});

test('streaming step-by-step equals the batched forward to 1e-4 (with ASC and DSC skips)', () => {
  const spec: ModelSpec = {
    ...gesture({ height: 16, width: 16, classes: 4, widthMult: 0.5 }),
    skips: [
      { from: 0, to: 2, type: 'DSC' },
      { from: 2, to: 3, type: 'ASC' },
    ],
  };
  const m = buildModel(spec, 3);
  perturbBn(m, 4);
  const T = pre.steps;
  const frames = bernoulli(T * 16 * 16 * 2, 0.25, 5);
  const x = tf.tensor(frames, [T, 1, 16, 16, 2]);
  const batched = m.forward(x, { training: false });
  const want = batched.logits.dataSync();
  const spikesBatched = batched.spikes.map((v) => v[0]!);
  tf.dispose([x, batched.logits]);
  const s = new SnnStreamingModel(m, { classes: ['a', 'b', 'c', 'd'], preprocessing: pre });
  let last: Float32Array = new Float32Array(0);
  const spikesStream = new Array<number>(spikesBatched.length).fill(0);
  for (let t = 0; t < T; t++) {
    const out = s.step(frames.subarray(t * 512, (t + 1) * 512));
    last = out.logits;
    out.firing.layers.forEach((l, k) => (spikesStream[k]! += l.spikes));
  }
  assert.ok(spikesBatched.some((v) => v > 0), 'the test needs spiking layers');
  assert.deepEqual(spikesStream, spikesBatched);
  for (let c = 0; c < want.length; c++) assert.ok(Math.abs(last[c]! - want[c]!) < 1e-4, `class ${c}: ${last[c]} vs ${want[c]}`);
  // reset clears state: the first step after reset equals the first step of a fresh run
  const first = s.step(frames.subarray(0, 512)).logits;
  s.reset();
  const again = s.step(frames.subarray(0, 512)).logits;
  assert.notDeepEqual(Array.from(first), Array.from(again));
  s.reset();
  assert.throws(() => s.step(new Float32Array(10)), /expected 16x16x2/);
  s.dispose();
});

test('a network never reset reads the mean of its last T steps, not of every step since it started', () => {
  const m = buildModel({ ...gesture({ height: 16, width: 16, classes: 4, widthMult: 0.5 }) }, 21);
  perturbBn(m, 22);
  const T = pre.steps;
  const frames = bernoulli(4 * T * 512, 0.25, 23);
  // T = 1 reads each step's own output: the reference for the sliding mean.
  const perStep = new SnnStreamingModel(m, { classes: ['a', 'b', 'c', 'd'], preprocessing: { ...pre, steps: 1 } });
  const sliding = new SnnStreamingModel(m, { classes: ['a', 'b', 'c', 'd'], preprocessing: pre });
  const outputs: Float32Array[] = [];
  let moved = 0;
  for (let k = 0; k < 4 * T; k++) {
    const frame = frames.subarray(k * 512, (k + 1) * 512);
    outputs.push(perStep.step(frame).logits);
    const got = sliding.step(frame).logits;
    const last = outputs.slice(Math.max(0, k - T + 1));
    for (let c = 0; c < 4; c++) {
      const want = last.reduce((a, o) => a + o[c]!, 0) / last.length;
      assert.ok(Math.abs(got[c]! - want) < 1e-5, `step ${k}, class ${c}: ${got[c]} vs ${want}`);
    }
    if (k >= T && outputs[k]!.some((v, c) => v !== outputs[k - T]![c])) moved++;
  }
  assert.ok(moved > T, 'the test needs outputs that change from step to step');
  // A shorter readout averages fewer steps, the network's state being the same.
  const short = new SnnStreamingModel(m, { classes: ['a', 'b', 'c', 'd'], preprocessing: pre, readoutSteps: 2 });
  for (let k = 0; k < 2 * T; k++) {
    const got = short.step(frames.subarray(k * 512, (k + 1) * 512)).logits;
    const last = outputs.slice(Math.max(0, k - 1), k + 1);
    for (let c = 0; c < 4; c++) assert.ok(Math.abs(got[c]! - last.reduce((a, o) => a + o[c]!, 0) / last.length) < 1e-5, `readout 2, step ${k}`);
  }
  assert.throws(() => new SnnStreamingModel(m, { classes: ['a', 'b', 'c', 'd'], preprocessing: pre, readoutSteps: 0 }), /readoutSteps must be an integer >= 1/);
  short.reset();
  perStep.reset();
  sliding.dispose();
});

test('with 2 sub-bins per step (4 input channels), streaming step-by-step equals the batched forward, compiled and tfjs runtimes', () => {
  const pre2: Preprocessing = { ...pre, subBins: 2 };
  const spec: ModelSpec = {
    ...gesture({ height: 16, width: 16, channels: 4, classes: 4, widthMult: 0.5 }),
    skips: [
      { from: 0, to: 2, type: 'DSC' },
      { from: 2, to: 3, type: 'ASC' },
    ],
  };
  const m = buildModel(spec, 13);
  perturbBn(m, 14);
  const T = pre2.steps;
  // Frames from events through the training path: T steps of [16, 16, 4].
  const frames = framesOfEvents(randomEvents(4000, { width: 64, height: 64 }, 15, T * pre2.stepUs), pre2);
  assert.equal(frames.length, T * 16 * 16 * 4);
  const x = tf.tensor(frames, [T, 1, 16, 16, 4]);
  const batched = m.forward(x, { training: false });
  const want = batched.logits.dataSync();
  const spikesBatched = batched.spikes.map((v) => v[0]!);
  tf.dispose([x, batched.logits]);
  assert.ok(spikesBatched.some((v) => v > 0), 'the test needs spiking layers');
  for (const runtime of ['compiled', 'tfjs'] as const) {
    const s = new SnnStreamingModel(m, { classes: ['a', 'b', 'c', 'd'], preprocessing: pre2, runtime });
    let last: Float32Array = new Float32Array(0);
    const spikesStream = new Array<number>(spikesBatched.length).fill(0);
    for (let t = 0; t < T; t++) {
      const out = s.step(frames.subarray(t * 1024, (t + 1) * 1024));
      last = out.logits;
      out.firing.layers.forEach((l, k) => (spikesStream[k]! += l.spikes));
    }
    assert.deepEqual(spikesStream, spikesBatched, runtime);
    for (let c = 0; c < want.length; c++) assert.ok(Math.abs(last[c]! - want[c]!) < 1e-4, `${runtime}, class ${c}: ${last[c]} vs ${want[c]}`);
    assert.throws(() => s.step(new Float32Array(512)), /expected 16x16x4/);
  }
  m.dispose();
});

test('window reset policy restarts accumulation every `steps` frames', () => {
  const m = buildModel(gesture({ height: 16, width: 16, classes: 4, widthMult: 0.25 }), 1);
  perturbBn(m, 2);
  const s = new SnnStreamingModel(m, { classes: ['a', 'b', 'c', 'd'], preprocessing: { ...pre, steps: 3 }, resetPolicy: 'window' });
  const f = bernoulli(512, 0.3, 9);
  const a = s.step(f).logits;
  s.step(f);
  s.step(f);
  const b = s.step(f).logits; // 4th step starts a new window
  assert.equal(s.stepCount, 1);
  assert.deepEqual(Array.from(b), Array.from(a));
  s.dispose();
});

test('model folder round-trip reproduces outputs; corrupt folders give clear errors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'snn-model-'));
  try {
    const m = buildModel(gesture({ height: 16, width: 16, classes: 4, widthMult: 0.25 }), 7);
    perturbBn(m, 8);
    const x = bernoulli(pre.steps * 2 * 512, 0.2, 10);
    const run = (mm: SnnModel) => tf.tidy(() => Array.from(mm.forward(tf.tensor(x, [pre.steps, 2, 16, 16, 2]), { training: false }).logits.dataSync()));
    const want = run(m);
    await saveModel(dir, { model: m, classes: ['a', 'b', 'c', 'd'], preprocessing: pre, meta: { note: 'test' } });
    const loaded = await loadModel(dir);
    assert.deepEqual(run(loaded.model), want);
    assert.deepEqual(loaded.classes, ['a', 'b', 'c', 'd']);
    assert.deepEqual(loaded.preprocessing, pre);
    loaded.model.dispose();
    const sm = await loadStreamingModel(dir);
    assert.equal(sm.classes.length, 4);
    sm.dispose();
    const bin = join(dir, 'weights.bin');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(bin, (await readFile(bin)).subarray(0, 100));
    await assert.rejects(loadModel(dir), /weights\.bin: 100 bytes, too short for weight/);
    m.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('trainModel learns a synthetic task, logs JSONL, checkpoints, and stops early from the epoch callback', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'snn-train-'));
  try {
    const rand = randomSource(1);
    const mk = (n: number) => Array.from({ length: n }, (_, i) => ({ frames: syntheticSample(i % 3, 3, pre, rand), label: i % 3 }));
    const data = { classes: ['a', 'b', 'c'], preprocessing: pre, train: mk(48), test: mk(24) };
    const spec = gesture({ height: 16, width: 16, classes: 3, widthMult: 0.5 });
    const seen: number[] = [];
    const r = await trainModel({ spec, data, epochs: 20, batchSize: 12, lr: 5e-3, progress: false, outDir: dir, onEpoch: (m) => (seen.push(m.epoch), (m.testAccuracy ?? 0) < 0.99) });
    assert.ok(r.bestAccuracy !== null && r.bestAccuracy >= 0.99, `accuracy ${r.bestAccuracy}`);
    assert.ok(r.stoppedEarly && r.epochs < 20);
    assert.ok(r.meanFiringRate > 0 && r.synopsPerSample > 0);
    const lines = (await readFile(join(dir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    assert.equal(lines.filter((l) => l.type === 'epoch').length, r.epochs);
    assert.match(await readFile(join(dir, 'curves.svg'), 'utf8'), /<svg/);
    // resume continues from the checkpoint's epoch
    const r2 = await trainModel({ spec, data, epochs: r.epochs + 1, batchSize: 12, lr: 5e-3, progress: false, outDir: dir, resume: true });
    assert.equal(r2.curves.length, r.epochs + 1);
    r.model.dispose();
    r2.model.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('trainModel with a validation split keeps and saves the weights of the best validation epoch, across a resume', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'snn-val-'));
  try {
    const rand = randomSource(3);
    const mk = (n: number) => Array.from({ length: n }, (_, i) => ({ frames: syntheticSample(i % 3, 3, pre, rand), label: i % 3 }));
    const data = { classes: ['a', 'b', 'c'], preprocessing: pre, train: mk(36), val: mk(12), test: mk(12) };
    const spec = gesture({ height: 16, width: 16, classes: 3, widthMult: 0.5 });
    const opts = { spec, data, batchSize: 12, lr: 5e-3, schedule: 'constant' as const, progress: false, outDir: dir };
    const first = await trainModel({ ...opts, epochs: 3 });
    first.model.dispose();
    const r = await trainModel({ ...opts, epochs: 8, resume: true });
    const accs = r.curves.map((c) => c.valAccuracy!);
    assert.equal(r.curves.length, 8);
    assert.ok(accs.every((a) => a >= 0 && a <= 1));
    // the best validation accuracy, ties to the lower loss, counting the epochs before the resume
    const key = (c: (typeof r.curves)[number]) => [c.valAccuracy!, -c.valLoss!];
    const bestEpoch = r.curves.reduce((b, c) => { const [a1, l1] = key(c), [a0, l0] = key(b); return a1! > a0! || (a1 === a0 && l1! > l0!) ? c : b; }).epoch;
    assert.equal(r.selectedEpoch, bestEpoch);
    assert.equal(r.valAccuracy, Math.max(...accs));
    const p = data.preprocessing;
    assert.equal(evaluate(r.model, data.val, p, 12).accuracy, r.valAccuracy);
    assert.equal(evaluate(r.model, data.test, p, 12).accuracy, r.accuracy);
    const weightsOf = async (sub: string) => {
      const m = (await loadModel(join(dir, sub))).model;
      const w = m.weights();
      m.dispose();
      return w;
    };
    const [saved, best, lastEpoch] = [await weightsOf('model'), await weightsOf('best'), await weightsOf('checkpoint')];
    assert.deepEqual(saved, best);
    assert.deepEqual(r.model.weights(), best);
    if (bestEpoch < 8) assert.notDeepEqual(saved, lastEpoch, 'the saved model is not the last epoch\'s');
    const meta = JSON.parse(await readFile(join(dir, 'model', 'model.json'), 'utf8')).meta as { selectedEpoch: number; valSamples: number };
    assert.deepEqual([meta.selectedEpoch, meta.valSamples], [bestEpoch, 12]);
    r.model.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('trainModel initFrom starts from a model folder\'s weights and BN statistics, and rejects mismatched classes or preprocessing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'snn-init-'));
  try {
    const spec = gesture({ height: 16, width: 16, classes: 3, widthMult: 0.25 });
    const src = buildModel(spec, 5);
    perturbBn(src, 6);
    await saveModel(dir, { model: src, classes: ['a', 'b', 'c'], preprocessing: pre });
    const want = src.weights();
    src.dispose();
    const rand = randomSource(2);
    const mk = (n: number) => Array.from({ length: n }, (_, i) => ({ frames: syntheticSample(i % 3, 3, pre, rand), label: i % 3 }));
    const data = { classes: ['a', 'b', 'c'], preprocessing: pre, train: mk(6), test: [] };
    const r = await trainModel({ spec, data, epochs: 0, seed: 0, progress: false, initFrom: dir });
    const got = new Map(r.model.weights().map((w) => [w.name, w.data]));
    for (const w of want) assert.deepEqual(got.get(w.name), w.data, w.name);
    r.model.dispose();
    // without initFrom the same seed gives other weights, so the check above can fail
    const fresh = await trainModel({ spec, data, epochs: 0, seed: 0, progress: false });
    assert.ok(fresh.model.weights().some((w, i) => w.data.some((v, j) => v !== want[i]!.data[j])));
    fresh.model.dispose();
    await assert.rejects(trainModel({ spec, data: { ...data, classes: ['a', 'b', 'x'] }, epochs: 0, progress: false, initFrom: dir }), /classes \[a, b, c\] differ/);
    await assert.rejects(trainModel({ spec: { ...spec, classes: 2 }, data: { ...data, classes: ['a', 'b'] }, epochs: 0, progress: false, initFrom: dir }), /may only append classes/);
    // an appended class (fine-tuning to learn "background"): old head columns kept, the new one fresh
    const wide = await trainModel({ spec: { ...spec, classes: 4 }, data: { ...data, classes: ['a', 'b', 'c', 'background'] }, epochs: 0, seed: 0, progress: false, initFrom: dir });
    const gotWide = new Map(wide.model.weights().map((w) => [w.name, w]));
    for (const w of want) {
      const g = gotWide.get(w.name)!;
      if (!w.name.startsWith('head.')) {
        assert.deepEqual(g.data, w.data, w.name);
        continue;
      }
      assert.equal(g.data.length, (w.data.length / 3) * 4, w.name);
      for (let r = 0; r < w.data.length / 3; r++) {
        assert.deepEqual(g.data.subarray(r * 4, r * 4 + 3), w.data.subarray(r * 3, r * 3 + 3), `${w.name} row ${r}`);
      }
    }
    assert.ok(gotWide.get('head.w')!.data.some((v, i) => i % 4 === 3 && v !== 0), 'the new column is initialised, not zero');
    wide.model.dispose();
    await assert.rejects(trainModel({ spec, data: { ...data, preprocessing: { ...pre, steps: 8 } }, epochs: 0, progress: false, initFrom: dir }), /preprocessing steps is 6, the data's is 8/);
    const other = gesture({ height: 16, width: 16, classes: 3, widthMult: 0.5 });
    await assert.rejects(trainModel({ spec: other, data, epochs: 0, progress: false, initFrom: dir }), /has shape/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the per-step (TET) loss is the mean over steps of each step\'s cross-entropy, with its gradient', async () => {
  const { trainingLoss } = await import('../../src/snn/parallel.js');
  const m = buildModel(gesture({ height: 16, width: 16, classes: 3, widthMult: 0.25 }), 3);
  const T = 3, B = 2;
  const labels = [2, 0];
  const x = tf.tensor(bernoulli(T * B * 512, 0.3, 9), [T, B, 16, 16, 2]);
  try {
    const r = m.forward(x, { training: false });
    const z = r.stepLogits.arraySync();
    assert.deepEqual(r.stepLogits.shape, [T * B, 3]);
    // By hand: row t·B + b is step t of sample b; smoothing eps spreads eps/C over the classes.
    const eps = 0.1;
    let want = 0;
    for (let t = 0; t < T; t++)
      for (let b = 0; b < B; b++) {
        const row = z[t * B + b]!;
        const lse = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
        row.forEach((v, c) => (want -= ((c === labels[b] ? 1 - eps : 0) + eps / 3) * (v - lse)));
      }
    want /= T * B;
    const got = trainingLoss(r, labels, { labelSmoothing: eps, perStep: true }).dataSync()[0]!;
    assert.ok(Math.abs(got - want) < 1e-5, `${got} vs ${want}`);
    // Its gradient with respect to the step outputs is (softmax - target) / (T·B) per row.
    const g = tf.grad((s: tf.Tensor) => trainingLoss({ ...r, stepLogits: s as tf.Tensor2D }, labels, { labelSmoothing: 0, perStep: true }))(r.stepLogits).arraySync() as number[][];
    const row0 = z[0]!;
    const sum0 = row0.reduce((a, v) => a + Math.exp(v), 0);
    row0.forEach((v, c) => assert.ok(Math.abs(g[0]![c]! - (Math.exp(v) / sum0 - (c === labels[0] ? 1 : 0)) / (T * B)) < 1e-6));
    tf.dispose([r.logits, r.stepLogits]);
  } finally {
    x.dispose();
    m.dispose();
  }
});

test('data-parallel step (main thread + worker) equals the single-thread gradients when no BatchNorm couples the samples, for both losses', async () => {
  const { GradPool, shardGradients } = await import('../../src/snn/parallel.js');
  const { packBatch } = await import('../../src/snn/data.js');
  const base = gesture({ height: 16, width: 16, classes: 3, widthMult: 0.25 });
  const spec: ModelSpec = { ...base, layers: base.layers.map((l) => (l.type === 'conv' ? { ...l, bn: false } : l)) };
  const m = buildModel(spec, 2);
  // Without BatchNorm the initial weights are too small for spikes to reach the head: scaled up,
  // every layer fires and the step outputs differ, so the two losses differ too.
  for (const v of m.trainableVariables()) v.assign(tf.mul(v, 12));
  const T = 4;
  const frames = Array.from({ length: 5 }, (_, i) => bernoulli(T * 512, 0.3, 20 + i));
  const labels = [0, 1, 2, 1, 0];
  const pool = await GradPool.create(m.spec, 1);
  try {
    const losses: number[] = [];
    for (const perStep of [false, true]) {
      const loss = { labelSmoothing: 0.1, perStep };
      const par = await pool.step(m, frames, labels, T, loss);
      const one = shardGradients(m, packBatch(frames, T), [T, 5, 16, 16, 2], labels, loss);
      assert.ok(Math.abs(par.loss - one.loss) < 1e-5);
      losses.push(one.loss);
      let off = 0;
      for (const v of m.trainableVariables()) {
        const g = par.grads[v.name]!.dataSync();
        for (let i = 0; i < v.size; i++) {
          const want = one.grads[off + i]!;
          assert.ok(Math.abs(g[i]! - want) <= 1e-5 + 1e-4 * Math.abs(want), `${v.name}[${i}]: ${g[i]} vs ${want}`);
        }
        off += v.size;
      }
      tf.dispose(par.grads);
    }
    // The workers got the loss kind: the two losses differ (mean of CE >= CE of the mean, Jensen).
    assert.ok(losses[1]! > losses[0]! + 1e-6, `per-step ${losses[1]} vs mean ${losses[0]}`);
  } finally {
    await pool.close();
    m.dispose();
  }
});
