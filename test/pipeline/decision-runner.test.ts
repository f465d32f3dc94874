import { test } from 'node:test';
import { skipUnlessInstalled } from '../support/require.js';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePipelineConfig } from '../../src/pipeline/config.js';
import { Pipeline } from '../../src/pipeline/runner.js';
import type { PipelineMessage } from '../../src/sinks/messages.js';
import { TinyModel } from './tiny-model.js';
import { connect, StringCodec } from 'nats';
import { halfEvents, messageSchemaErrors, Recorder, sleep, TestSource } from './helpers.js';
import { freePort } from '../support/process.js';
import { NATS_SERVER, startNatsServer } from '../support/nats.js';

test('the decision stage publishes one gesture start and end per performance on WebSocket, JSONL and /metrics', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-decision-'));
  const source = new TestSource(false);
  const model = new TinyModel();
  const config = parsePipelineConfig({
    name: 'decision',
    source: { type: 'tcp', url: 'tcp://127.0.0.1:7777' },
    model: { path: '/unused' },
    server: { port: 0 },
    inference: { mode: 'step', resetEvery: 4 },
    decision: { smoothingMs: 0, onThreshold: 0.9, offThreshold: 0.6, minDurationMs: 20 },
    sinks: { jsonl: { path: join(dir, 'out.jsonl'), types: ['gesture'] } },
  });
  const pipeline = new Pipeline(config, { source, model, modelName: 'tiny', backend: 'test' });
  t.after(() => pipeline.stop());
  const all: PipelineMessage[] = [];
  pipeline.messages.subscribe((m) => all.push(m));
  await pipeline.start();
  const ws = new Recorder(`${pipeline.url!.replace('http', 'ws')}/ws`);
  await ws.until((m) => m.some((x) => x.type === 'hello'));
  // 10 ms steps: 8 of left-half events, 8 of right-half events. The tiny model is ~99 % sure of
  // each side within one step of its change (the network is reset every 4 steps).
  source.subject.next(halfEvents('left', 0, 80_000, 50));
  source.subject.next(halfEvents('right', 80_000, 160_000, 50));
  source.subject.next(halfEvents('right', 160_000, 170_000, 1));
  await ws.until((m) => m.filter((x) => x.type === 'gesture').length >= 3);
  const metrics = await (await fetch(`${pipeline.url}/metrics`)).text();
  source.subject.complete();
  await pipeline.done;

  const gestures = ws.of('gesture').map(({ time, ...g }) => (assert.ok(time > 0), g));
  // Left leads from the first step (an instant: its end, 10 ms) and is announced once it has led
  // 20 ms; right overtakes in the step [80, 90) ms, ending left at 80 ms, and is announced at 100 ms.
  assert.deepEqual(gestures.slice(0, 3), [
    { type: 'gesture', phase: 'start', id: 1, classId: 0, label: 'left', startUs: 10_000, decidedUs: 30_000, confidence: gestures[0]!.confidence },
    { type: 'gesture', phase: 'end', id: 1, classId: 0, label: 'left', startUs: 10_000, endUs: 80_000, confidence: gestures[1]!.confidence },
    { type: 'gesture', phase: 'start', id: 2, classId: 1, label: 'right', startUs: 80_000, decidedUs: 100_000, confidence: gestures[2]!.confidence },
  ]);
  assert.ok(gestures.slice(0, 3).every((g) => g.confidence > 0.9 && g.confidence <= 1));
  for (const m of ws.messages) assert.deepEqual(messageSchemaErrors(m), [], JSON.stringify(m));

  assert.match(metrics, /spikeline_gestures_total\{class="left"\} 1/);
  assert.match(metrics, /spikeline_gestures_total\{class="right"\} 1/);
  assert.match(metrics, /spikeline_gesture_decision_latency_seconds_count 2/);
  assert.match(metrics, /spikeline_gesture_decision_latency_seconds_sum 0\.04/);

  // The last step [160, 170) ms holds one right-half event after a model reset: softmax([0, 1] / 10)
  // gives right 0.525 < offThreshold, so right ends at 160 ms. The file holds the same messages.
  const last = all.filter((m) => m.type === 'prediction').at(-1)!;
  assert.ok(last.type === 'prediction' && last.window.endUs === 170_000 && Math.abs(last.probabilities[1]! - 1 / (1 + Math.exp(-0.1))) < 1e-6);
  const lines = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PipelineMessage);
  assert.deepEqual(lines.map((l) => l.type === 'gesture' && [l.phase, l.id, l.label]), [['start', 1, 'left'], ['end', 1, 'left'], ['start', 2, 'right'], ['end', 2, 'right']]);
  const end = lines[3]!;
  assert.deepEqual(end.type === "gesture" && end.phase === "end" && [end.startUs, end.endUs], [80_000, 160_000]);
});

test('decision config: defaults, the disabled stage and a background label the model lacks', async () => {
  const base = { name: 'd', source: { type: 'tcp', url: 'tcp://127.0.0.1:7777' }, model: { path: '/m' } };
  assert.deepEqual(parsePipelineConfig(base).decision, { enabled: true, smoothingMs: 500, onThreshold: 0.6, offThreshold: 0.4, minDurationMs: 400, confirmMs: 0, classOnThreshold: undefined, background: undefined });
  assert.throws(() => parsePipelineConfig({ ...base, decision: { offThreshold: 0.4, classOnThreshold: { left: 0.3 } } }), /decision\.classOnThreshold\.left: must be >= decision\.offThreshold \(0\.4\), got 0\.3/);
  assert.throws(() => parsePipelineConfig({ ...base, decision: { onThreshold: 0.5, offThreshold: 0.7 } }), /decision\.offThreshold: must be <= decision\.onThreshold \(0\.5\), got 0\.7/);
  assert.throws(() => parsePipelineConfig({ ...base, decision: { onThreshold: 1.5 } }), /decision\.onThreshold: must be <= 1/);

  const off = new Pipeline(parsePipelineConfig({ ...base, decision: { enabled: false } }), { source: new TestSource(false), model: new TinyModel(), modelName: 'tiny', backend: 'test', serve: false });
  const got: PipelineMessage[] = [];
  off.messages.subscribe((m) => got.push(m));
  await off.start();
  const source = (off as unknown as { deps: { source: TestSource } }).deps.source;
  source.subject.next(halfEvents('left', 0, 80_000, 50));
  source.subject.complete();
  await off.done;
  assert.ok(got.some((m) => m.type === 'prediction'));
  assert.ok(!got.some((m) => m.type === 'gesture'));

  assert.throws(
    () => new Pipeline(parsePipelineConfig({ ...base, decision: { background: 'idle' } }), { source: new TestSource(false), model: new TinyModel(), modelName: 'tiny', backend: 'test', serve: false }),
    /decision\.background: the model has no class "idle" \(classes: left, right\)/,
  );
  assert.throws(
    () => new Pipeline(parsePipelineConfig({ ...base, decision: { classOnThreshold: { other: 0.9 } } }), { source: new TestSource(false), model: new TinyModel(), modelName: 'tiny', backend: 'test', serve: false }),
    /decision\.classOnThreshold\.other: the model has no class "other" \(classes: left, right\)/,
  );
});

test('gesture messages go to a real nats-server on <subject>.gesture with the default types', { timeout: 60_000 }, async (t) => {
  const unavailable = skipUnlessInstalled(!(!NATS_SERVER), 'nats-server not found: install the Debian package "nats-server" to run this test');
  if (unavailable) {
    t.skip(unavailable);
    return;
  }
  const port = await freePort();
  const server = await startNatsServer(port);
  t.after(() => server.kill('SIGKILL'));
  const url = `nats://127.0.0.1:${port}`;
  const sub = await connect({ servers: url });
  t.after(() => sub.close());
  const received: { subject: string; phase: string; label: string }[] = [];
  const sc = StringCodec();
  const subscription = sub.subscribe('line1.gesture');
  void (async () => {
    for await (const m of subscription) received.push({ subject: m.subject, ...(JSON.parse(sc.decode(m.data)) as { phase: string; label: string }) });
  })();
  await sub.flush();
  const source = new TestSource(false);
  const config = parsePipelineConfig({
    name: 'decision-nats',
    source: { type: 'tcp', url: 'tcp://127.0.0.1:7777' },
    model: { path: '/unused' },
    inference: { mode: 'step', resetEvery: 4 },
    decision: { smoothingMs: 0, onThreshold: 0.9, offThreshold: 0.6, minDurationMs: 20 },
    sinks: { nats: { url, subject: 'line1' } },
  });
  let natsUp!: () => void;
  const connected = new Promise<void>((resolve) => (natsUp = resolve));
  const log = (line: string) => line.endsWith(': connected') && natsUp();
  const pipeline = new Pipeline(config, { source, model: new TinyModel(), modelName: 'tiny', backend: 'test', serve: false, log });
  t.after(() => pipeline.stop());
  await pipeline.start();
  await connected;
  source.subject.next(halfEvents('left', 0, 80_000, 50));
  source.subject.next(halfEvents('right', 80_000, 160_000, 50));
  source.subject.next(halfEvents('right', 160_000, 170_000, 1));
  source.subject.complete();
  await pipeline.done;
  for (let i = 0; i < 200 && received.length < 4; i++) await sleep(25);
  assert.deepEqual(received.map((m) => [m.subject, m.phase, m.label]), [
    ['line1.gesture', 'start', 'left'],
    ['line1.gesture', 'end', 'left'],
    ['line1.gesture', 'start', 'right'],
    ['line1.gesture', 'end', 'right'],
  ]);
});
