import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePipelineConfig } from '../../src/pipeline/config.js';
import { Pipeline } from '../../src/pipeline/runner.js';
import type { PipelineMessage } from '../../src/sinks/messages.js';
import { TinyModel } from './tiny-model.js';
import { halfEvents, messageSchemaErrors, Recorder, sleep, TestSource } from './helpers.js';

function config(extra: Record<string, unknown> = {}, dir = mkdtempSync(join(tmpdir(), 'spikeline-runner-'))) {
  return parsePipelineConfig({
    name: 'test',
    source: { type: 'tcp', url: 'tcp://127.0.0.1:7777' },
    model: { path: '/unused' },
    server: { port: 0 },
    statusIntervalMs: 100,
    previews: { enabled: true, size: 16 },
    sinks: { jsonl: { path: join(dir, 'out.jsonl'), types: ['prediction', 'status', 'gap'] } },
    ...extra,
  });
}

test('step mode: every time step is classified with state kept, results reach WebSocket, JSONL and /metrics', async (t) => {
  const source = new TestSource();
  const model = new TinyModel();
  const cfg = config({ inference: { mode: 'step', resetEvery: 4 } });
  const pipeline = new Pipeline(cfg, { source, model, modelName: 'tiny', backend: 'test' });
  t.after(() => pipeline.stop());
  await pipeline.start();
  const ws = new Recorder(`${pipeline.url!.replace('http', 'ws')}/ws`);
  await ws.until((m) => m.some((x) => x.type === 'hello'));
  // 8 steps of left-half events, then 8 of right; the step ending at 160 ms is flushed by the next event.
  source.subject.next(halfEvents('left', 0, 80_000, 50));
  source.subject.next(halfEvents('right', 80_000, 160_000, 50));
  source.subject.next(halfEvents('right', 160_000, 170_000, 1));
  await ws.until((m) => m.filter((x) => x.type === 'prediction').length >= 16);
  const preds = ws.of('prediction');
  assert.deepEqual(preds.slice(0, 16).map((p) => p.label), [...Array(8).fill('left'), ...Array(8).fill('right')]);
  assert.deepEqual(preds.slice(0, 16).map((p) => p.steps), [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
  assert.deepEqual(preds.slice(0, 3).map((p) => p.window), [
    { startUs: 0, endUs: 10_000 },
    { startUs: 0, endUs: 20_000 },
    { startUs: 0, endUs: 30_000 },
  ]);
  assert.equal(preds[0]!.events, 50);
  assert.ok(preds.every((p) => p.latencyMs !== null && p.latencyMs >= 0));
  assert.equal(model.stepsRun, 16);
  assert.equal(ws.of('firing').length, preds.length);
  assert.equal(ws.of('frame')[0]!.width, 16);
  const hello = ws.of('hello')[0]!;
  assert.deepEqual(hello.classes, ['left', 'right']);
  for (const m of ws.messages) assert.deepEqual(messageSchemaErrors(m), [], JSON.stringify(m));

  const metrics = await (await fetch(`${pipeline.url}/metrics`)).text();
  assert.match(metrics, /spikeline_events_received_total\{source="test:\/\/camera"\} 801/);
  assert.match(metrics, /spikeline_predictions_total\{class="left"\} 8/);
  assert.match(metrics, /spikeline_bins_total\{kind="step"\} 16/);
  assert.match(metrics, /spikeline_layer_firing_rate\{layer="conv1"\} 0\.5/);
  assert.match(metrics, /spikeline_model_info\{model="tiny",classes="2",step_us="10000",input="32x32x2"\} 1/);
  assert.equal((await fetch(`${pipeline.url}/readyz`)).status, 200);

  await pipeline.stop();
  assert.equal(await ws.closed(), 1001);
  assert.ok(source.closed && model.disposed);
  const lines = readFileSync(cfg.sinks.jsonl!.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PipelineMessage);
  assert.equal(lines.filter((l) => l.type === 'prediction').length, 16);
  assert.equal(lines.at(-1)!.type, 'status');
  assert.ok(lines.every((l) => l.type !== 'firing'));
});

test('window mode scores sliding windows from a fresh state; a replay source ending resolves done', async (t) => {
  const source = new TestSource(false);
  const model = new TinyModel();
  const pipeline = new Pipeline(config({ inference: { mode: 'window', window: { steps: 4, stride: 2 } } }), { source, model, modelName: 'tiny', backend: 'test', serve: false });
  t.after(() => pipeline.stop());
  const got: PipelineMessage[] = [];
  pipeline.messages.subscribe((m) => got.push(m));
  await pipeline.start();
  source.subject.next(halfEvents('left', 0, 40_000, 20));
  source.subject.next(halfEvents('right', 40_000, 100_000, 20));
  source.subject.complete();
  await pipeline.done;
  const preds = got.filter((m) => m.type === 'prediction');
  // Windows [0,40) [20,60) [40,80) ms; [60,100) is still open when the source ends (no event at >= 100 ms).
  assert.deepEqual(preds.map((p) => [p.window.startUs, p.window.endUs]), [[0, 40_000], [20_000, 60_000], [40_000, 80_000]]);
  assert.deepEqual(preds.map((p) => p.label), ['left', 'left', 'right']);
  assert.equal(preds[1]!.type === 'prediction' && preds[1]!.confidence, 0.5);
  assert.equal(model.stepsRun, 12);
  assert.equal(pipeline.state, 'stopped');
});

test('a lost live connection degrades readiness and is reported as a gap once it is back', async (t) => {
  const source = new TestSource();
  const pipeline = new Pipeline(config(), { source, model: new TinyModel(), modelName: 'tiny', backend: 'test' });
  t.after(() => pipeline.stop());
  await pipeline.start();
  const got: PipelineMessage[] = [];
  pipeline.messages.subscribe((m) => got.push(m));
  source.healthValue = { ...source.healthValue, state: 'reconnecting', connected: false };
  await sleep(250);
  assert.equal((await fetch(`${pipeline.url}/readyz`)).status, 503);
  assert.equal((await fetch(`${pipeline.url}/healthz`)).status, 200);
  assert.ok(got.some((m) => m.type === 'status' && m.state === 'degraded'));
  source.healthValue = { ...source.healthValue, state: 'connected', connected: true, reconnects: 1, malformedPackets: 3, dropped: { malformed: 120 } };
  await sleep(250);
  const gap = got.find((m) => m.type === 'gap');
  assert.ok(gap && gap.type === 'gap' && gap.durationMs >= 100);
  const metrics = await (await fetch(`${pipeline.url}/metrics`)).text();
  assert.match(metrics, /spikeline_source_gaps_total\{source="test:\/\/camera"\} 1/);
  assert.match(metrics, /spikeline_source_reconnects_total\{source="test:\/\/camera"\} 1/);
  assert.match(metrics, /spikeline_malformed_packets_total\{source="test:\/\/camera"\} 3/);
  assert.match(metrics, /spikeline_events_dropped_total\{source="test:\/\/camera",reason="malformed"\} 120/);
  assert.equal((await fetch(`${pipeline.url}/readyz`)).status, 200);
  await pipeline.stop();
});

/** Busy-waits in every step: a model slower than the stream. */
class SlowModel extends TinyModel {
  override step(frame: Float32Array) {
    const until = performance.now() + 15;
    while (performance.now() < until);
    return super.step(frame);
  }
}

test('a live pipeline that falls behind skips events that waited longer than maxDelayMs, then starts over', async (t) => {
  const source = new TestSource();
  const model = new SlowModel();
  const cfg = config({ source: { type: 'tcp', url: 'tcp://127.0.0.1:7777', buffer: { maxDelayMs: 40 } } });
  const pipeline = new Pipeline(cfg, { source, model, modelName: 'slow', backend: 'test' });
  t.after(() => pipeline.stop());
  const got: PipelineMessage[] = [];
  pipeline.messages.subscribe((m) => got.push(m));
  await pipeline.start();
  // 30 steps arrive at once, one batch each; at 15 ms per step only the first few are fresh.
  // Each batch can be acknowledged, as a bus source's are: skipped ones too (no redelivery storm).
  let acked = 0;
  for (let s = 0; s < 30; s++) source.subject.next(Object.assign(halfEvents('left', s * 10_000, (s + 1) * 10_000, 10), { ack: () => acked++ }));
  await sleep(300);
  assert.ok(pipeline.staleDropped >= 200, `skipped ${pipeline.staleDropped} events`);
  assert.equal(acked, 30, 'every batch acknowledged, processed or skipped as stale');
  const before = got.filter((m) => m.type === 'prediction').length;
  assert.ok(before < 10);
  // Fresh events after the skip: the old epoch's open step is flushed, then inference resumes on
  // a new epoch (no empty steps across the hole).
  source.subject.next(halfEvents('right', 1_000_000, 1_030_000, 10));
  source.subject.next(halfEvents('right', 1_030_000, 1_040_000, 1));
  await sleep(200);
  const after = got.filter((m) => m.type === 'prediction').slice(before);
  assert.ok(after.filter((p) => p.type === 'prediction' && p.label === 'left').length <= 1, 'at most the flushed open step');
  assert.deepEqual(after.filter((p) => p.type === 'prediction' && p.label === 'right').map((p) => p.type === 'prediction' && [p.label, p.steps, p.window.startUs]), [
    ['right', 1, 1_000_000],
    ['right', 2, 1_000_000],
    ['right', 3, 1_000_000],
  ]);
  const metrics = await (await fetch(`${pipeline.url}/metrics`)).text();
  assert.match(metrics, new RegExp(`spikeline_events_dropped_total\\{source="test://camera",reason="stale"\\} ${pipeline.staleDropped}\\n`));
  assert.match(metrics, /spikeline_events_received_total\{source="test:\/\/camera"\} 331\n/);
});
