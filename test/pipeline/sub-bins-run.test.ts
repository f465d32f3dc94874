/**
 * `spikeline run` with a model of 2 temporal sub-bins per step (issue 12 item 2): a recorded file
 * replayed in step and in window mode gives the predictions of the batched forward over frames
 * binned here by hand (step s, sub-bin k = which half of the step, channel 2k + p).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { batchFromArrays } from '../../src/events/index.js';
import { writeEventFile } from '../../src/formats/index.js';
import { buildModel, gesture, initBackend, saveModel, type Preprocessing } from '../../src/snn/index.js';
import type { PredictionMessage } from '../../src/sinks/messages.js';
import { rng } from '../support/events.js';
import { cliArgs } from '../support/process.js';
import { parsePipelineConfig } from '../../src/pipeline/config.js';
import { Pipeline } from '../../src/pipeline/runner.js';
import { halfEvents, TestSource } from './helpers.js';
import { TinyModel } from './tiny-model.js';

const cli = (...args: string[]) => spawnSync(process.execPath, cliArgs(...args), { encoding: 'utf8', timeout: 120_000 });

test('spikeline run with a 2-sub-bin model: step and window mode predict what the batched forward gives on hand-binned frames', { timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-subbins-run-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await initBackend();
  const pre: Preprocessing = { sensorWidth: 128, sensorHeight: 128, downsample: 4, height: 32, width: 32, stepUs: 10_000, steps: 4, encoding: 'count', subBins: 2 };
  const classes = ['a', 'b', 'c', 'd'];
  const model = buildModel(gesture({ height: 32, width: 32, channels: 4, classes: 4, widthMult: 0.25 }), 3);
  await saveModel(join(dir, 'model'), { model, classes, preprocessing: pre });

  // Events over [0, 40 ms) in a moving blob (so layers fire), first one at 0 (the step grid's
  // origin), and one at 45 ms that closes the fourth step.
  const r = rng(7);
  const ev = { x: [] as number[], y: [] as number[], t: [] as number[], p: [] as number[] };
  for (let i = 0; i < 8000; i++) {
    const time = i === 0 ? 0 : Math.floor(r() * 40_000);
    ev.t.push(time);
    ev.x.push(Math.min(127, Math.floor(20 + time / 500 + r() * 30)));
    ev.y.push(Math.floor(40 + r() * 40));
    ev.p.push(r() < 0.5 ? 1 : 0);
  }
  const order = ev.t.map((_, i) => i).sort((a, b) => ev.t[a]! - ev.t[b]!);
  const sorted = { x: order.map((i) => ev.x[i]!), y: order.map((i) => ev.y[i]!), t: order.map((i) => ev.t[i]!), p: order.map((i) => ev.p[i]!) };
  for (const [k, v] of Object.entries({ x: 5, y: 5, t: 45_000, p: 1 })) sorted[k as keyof typeof sorted].push(v);
  await writeEventFile(join(dir, 'rec.aedat4'), [batchFromArrays(sorted, { width: 128, height: 128 })], { format: 'aedat4' });

  // Expected input [T, 32, 32, 4]: step floor(t / 10 ms), sub-bin floor(t mod 10 ms / 5 ms).
  const frames = new Float32Array(4 * 32 * 32 * 4);
  sorted.t.forEach((time, i) => {
    if (time >= 40_000) return;
    const step = Math.floor(time / 10_000);
    const sub = Math.floor((time % 10_000) / 5_000);
    frames[((step * 32 + (sorted.y[i]! >> 2)) * 32 + (sorted.x[i]! >> 2)) * 4 + 2 * sub + sorted.p[i]!]! += 1;
  });
  const logits = tf.tidy(() => Array.from(model.forward(tf.tensor(frames, [4, 1, 32, 32, 4]), { training: false }).logits.dataSync()));
  model.dispose();
  const max = Math.max(...logits);
  const z = logits.reduce((a, v) => a + Math.exp(v - max), 0);
  const want = logits.map((v) => Math.exp(v - max) / z);
  assert.ok(Math.max(...want) - Math.min(...want) > 1e-3, `the model must tell the classes apart: ${want}`);

  for (const inference of ['{ mode: step }', '{ mode: window, window: { steps: 4, stride: 4 } }']) {
    const jsonl = join(dir, 'out.jsonl');
    writeFileSync(
      join(dir, 'p.yaml'),
      [
        'name: subbins',
        `source: { type: file, path: ${join(dir, 'rec.aedat4')}, speed: 0 }`,
        `model: { path: ${join(dir, 'model')} }`,
        `inference: ${inference}`,
        'server: { port: 0 }',
        'sinks:',
        '  websocket: { enabled: false }',
        `  jsonl: { path: ${jsonl}, append: false, types: [prediction] }`,
      ].join('\n'),
    );
    const run = cli('run', join(dir, 'p.yaml'));
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /input 32x32x4, 10000 µs steps of 2 sub-bins/);
    const preds = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PredictionMessage);
    const full = preds.find((p) => p.window.startUs === 0 && p.window.endUs === 40_000 && p.steps === 4);
    assert.ok(full, `${inference}: a prediction over the first 4 steps, got ${JSON.stringify(preds.map((p) => [p.window, p.steps]))}`);
    assert.equal(full.events, 8000 - (inference === '{ mode: step }' ? sorted.t.filter((v) => v < 30_000).length : 0), `${inference}: events`);
    full.probabilities.forEach((v, c) => assert.ok(Math.abs(v - want[c]!) < 1e-4, `${inference}, class ${c}: ${v} vs ${want[c]}`));
  }
});

test('a served 2-sub-bin model: one prediction per 10 ms step of two 5 ms sub-bins, and /metrics names its 4-channel input', async (t) => {
  const source = new TestSource();
  const model = new TinyModel({ subBins: 2 });
  const config = parsePipelineConfig({ name: 'subbins', source: { type: 'tcp', url: 'tcp://127.0.0.1:7777' }, model: { path: '/unused' }, server: { port: 0 }, sinks: {} });
  const pipeline = new Pipeline(config, { source, model, modelName: 'tiny', backend: 'test' });
  t.after(() => pipeline.stop());
  await pipeline.start();
  source.subject.next(halfEvents('left', 0, 40_000, 50));
  source.subject.next(halfEvents('left', 40_000, 50_000, 1));
  const end = Date.now() + 10_000;
  while (model.stepsRun < 4 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.equal(model.stepsRun, 4);
  assert.ok(model.inputs.every((f) => f.length === 32 * 32 * 4));
  const metrics = await (await fetch(`${pipeline.url}/metrics`)).text();
  assert.match(metrics, /spikeline_model_info\{model="tiny",classes="2",step_us="10000",input="32x32x4"\} 1/);
  assert.match(metrics, /spikeline_bins_total\{kind="step"\} 4/);
});
