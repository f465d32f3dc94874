/**
 * model.fit: a camera whose sensor does not give the model's frame size. A real DV TCP camera
 * of 320x240 in front of a 32x32 model is refused once, clearly, without stopping the pipeline,
 * and a fitting camera on the same port is then served; file replays are cropped or scaled, the
 * resulting model input checked pixel by pixel against hand-computed positions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { batchFromArrays, type EventBatch } from '../../src/events/index.js';
import { writeEventFile } from '../../src/formats/index.js';
import { parsePipelineConfig } from '../../src/pipeline/config.js';
import { fitCamera } from '../../src/pipeline/fit.js';
import { Pipeline } from '../../src/pipeline/runner.js';
import { adaptEventSource, createPipelineSource } from '../../src/pipeline/sources.js';
import { serveEvents, tcpSource } from '../../src/sources/index.js';
import type { FrameMessage, PipelineMessage, StatusMessage } from '../../src/sinks/messages.js';
import { TinyModel } from './tiny-model.js';
import { halfEvents, sleep } from './helpers.js';
import { freePort } from '../support/process.js';

async function until(pred: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** 40 events per 10 ms step spread over a `width` x `height` sensor. */
function spread(t0: number, width: number, height: number): EventBatch {
  const n = 40;
  const x = Array.from({ length: n }, (_, k) => (k * 37) % width);
  const y = Array.from({ length: n }, (_, k) => (k * 23) % height);
  const t = Array.from({ length: n }, (_, k) => t0 + k * 250);
  return batchFromArrays({ x, y, t, p: x.map((_, k) => k % 2) }, { width, height });
}

test('a 320x240 DV camera before a 32x32 model: refused once with a clear line, readiness false, then a fitting camera is served', async (t) => {
  const port = await freePort();
  const url = `tcp://127.0.0.1:${port}`;
  const feed = new Subject<EventBatch>();
  let camera = await serveEvents(feed, { url, sensor: { width: 320, height: 240 } });
  let tt = 0;
  let timer = setInterval(() => {
    feed.next(spread(tt, 320, 240));
    tt += 10_000;
  }, 10);
  const logs: string[] = [];
  const config = parsePipelineConfig({ name: 'fit', source: { type: 'tcp', url }, model: { path: '/unused' }, server: { port: 0 }, statusIntervalMs: 100 });
  assert.equal(config.model.fit, 'error', 'the documented default');
  const source = adaptEventSource(tcpSource(url, { initialDelayMs: 50, maxDelayMs: 100 }), true);
  const pipeline = new Pipeline(config, { source, model: new TinyModel(), modelName: 'tiny', backend: 'test', log: (l) => logs.push(l) });
  t.after(async () => {
    clearInterval(timer);
    await pipeline.stop();
    await camera.close();
  });
  const got: PipelineMessage[] = [];
  pipeline.messages.subscribe((m) => got.push(m));
  await pipeline.start();
  const statuses = () => got.filter((m): m is StatusMessage => m.type === 'status');
  await until(() => statuses().some((s) => s.source.eventsDropped >= 400), 'refused events counted');
  const refusal = /^camera sensor 320x240 does not fit the model, which takes 32x32: its events are dropped until a 32x32 camera connects \(model\.fit: error/;
  assert.equal(logs.filter((l) => refusal.test(l)).length, 1, logs.join('\n'));
  assert.equal(pipeline.state, 'degraded');
  const problem = statuses().at(-1)!.problem;
  assert.match(problem ?? '', refusal);
  const ready = await fetch(`${pipeline.url}/readyz`);
  assert.equal(ready.status, 503);
  assert.match(((await ready.json()) as { details: { problem: string } }).details.problem, refusal);
  assert.equal((await fetch(`${pipeline.url}/healthz`)).status, 200);
  assert.equal(got.filter((m) => m.type === 'prediction').length, 0);
  const metrics = await (await fetch(`${pipeline.url}/metrics`)).text();
  const dropped = Number(new RegExp(`spikeline_events_dropped_total\\{source="${url}",reason="sensor_mismatch"\\} (\\d+)`).exec(metrics)?.[1]);
  assert.ok(dropped >= 400, `sensor_mismatch drops: ${dropped}`);

  // The camera is replaced by a 32x32 one on the same port: its events flow, readiness returns.
  clearInterval(timer);
  await camera.close();
  const feed32 = new Subject<EventBatch>();
  camera = await serveEvents(feed32, { url, sensor: { width: 32, height: 32 } });
  tt = 0;
  timer = setInterval(() => {
    feed32.next(halfEvents('right', tt, tt + 10_000, 40));
    tt += 10_000;
  }, 10);
  await until(() => got.filter((m) => m.type === 'prediction').length >= 5, 'predictions from the fitting camera');
  await until(() => pipeline.state === 'running', 'running state');
  assert.equal((await fetch(`${pipeline.url}/readyz`)).status, 200);
  assert.ok(got.filter((m) => m.type === 'prediction').every((p) => p.type === 'prediction' && p.label === 'right'));
  assert.equal(logs.filter((l) => refusal.test(l)).length, 1, 'reported once');
  assert.ok(logs.some((l) => l === 'camera sensor 32x32 fits the model: its events are accepted'), logs.join('\n'));
});

/** Replays a 64x48 file through a 32x32 model with `fit`; returns the messages and the log. */
async function replay(fit: string | undefined, dir: string): Promise<{ got: PipelineMessage[]; logs: string[]; metrics: string }> {
  const path = join(dir, `fit-${fit}.aedat4`);
  // Step [0, 10 ms): ON events at (16,8), (47,39) and (0,0); then (32,24) at 15 ms closes the step.
  const batch = batchFromArrays({ x: [16, 47, 0, 32], y: [8, 39, 0, 24], t: [100, 200, 300, 15_000], p: [1, 1, 1, 1] }, { width: 64, height: 48 });
  await writeEventFile(path, [batch], { format: 'aedat4' });
  const config = parsePipelineConfig({
    name: 'fit-file',
    source: { type: 'file', path, speed: 0 },
    model: { path: '/unused', ...(fit ? { fit } : {}) },
    previews: { enabled: true, size: 32 },
    sinks: {},
  });
  const logs: string[] = [];
  const pipeline = new Pipeline(config, { source: await createPipelineSource(config.source), model: new TinyModel(), modelName: 'tiny', backend: 'test', serve: false, log: (l) => logs.push(l) });
  const got: PipelineMessage[] = [];
  pipeline.messages.subscribe((m) => got.push(m));
  await pipeline.start();
  await pipeline.done;
  return { got, logs, metrics: await pipeline.registry.metrics() };
}

/** Non-zero pixels of a preview as "x,y=value". */
function pixels(f: FrameMessage): string[] {
  const v = new Int8Array(Buffer.from(f.data, 'base64'));
  const out: string[] = [];
  v.forEach((n, i) => (n !== 0 ? out.push(`${i % f.width},${Math.floor(i / f.width)}=${n}`) : undefined));
  return out;
}

test('file replay of a 64x48 recording into a 32x32 model: center-crop, scale, and error (no crash)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-fit-'));
  try {
    // center-crop cuts 32x32 at x = (64-32)/2 = 16, y = (48-32)/2 = 8: (16,8) -> (0,0), (47,39) -> (31,31), (0,0) dropped.
    const cropped = await replay('center-crop', dir);
    const frame = cropped.got.find((m): m is FrameMessage => m.type === 'frame')!;
    assert.deepEqual([frame.width, frame.height], [32, 32]);
    assert.deepEqual(pixels(frame), ['0,0=1', '31,31=1']);
    assert.match(cropped.metrics, /spikeline_filter_events_dropped_total\{filter="fit"\} 1\n/);
    assert.ok(cropped.logs.includes("camera sensor 64x48: the model's 32x32 is cut from its middle at x=16, y=8 (model.fit: center-crop)"), cropped.logs.join('\n'));

    // scale: x * 32/64, y * 32/48 floored: (16,8) -> (8,5), (47,39) -> (23,26), (0,0) -> (0,0).
    const scaled = await replay('scale', dir);
    const sframe = scaled.got.find((m): m is FrameMessage => m.type === 'frame')!;
    assert.deepEqual(pixels(sframe), ['0,0=1', '8,5=1', '23,26=1']);

    // error (the default): the replay ends normally, nothing is scored, every event is counted as dropped.
    const refused = await replay(undefined, dir);
    assert.equal(refused.got.filter((m) => m.type === 'prediction').length, 0);
    assert.equal(refused.logs.filter((l) => l.startsWith('camera sensor 64x48 does not fit the model')).length, 1, refused.logs.join('\n'));
    const last = refused.got.filter((m): m is StatusMessage => m.type === 'status').at(-1)!;
    assert.equal(last.source.eventsDropped, 4);
    assert.match(refused.metrics, /spikeline_events_dropped_total\{source="[^"]+",reason="sensor_mismatch"\} 4\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('center-crop refuses a sensor smaller than the model and says what would work', () => {
  const config = parsePipelineConfig({ name: 'f', source: { type: 'tcp', url: 'tcp://127.0.0.1:1' }, model: { path: '/m', fit: 'center-crop' } });
  const d = fitCamera({ width: 34, height: 34 }, config, new TinyModel({ sensorWidth: 128, sensorHeight: 128, downsample: 4 }).preprocessing);
  assert.ok('error' in d);
  assert.equal(d.error, 'camera sensor 34x34 does not fit the model, which takes 128x128 (downsampled by 4 to 32x32), and center-crop cannot cut 128x128 out of 34x34: its events are dropped (model.fit: scale would adapt it)');
  assert.throws(() => parsePipelineConfig({ name: 'f', source: { type: 'tcp', url: 'tcp://127.0.0.1:1' }, model: { path: '/m', fit: 'stretch' } }), /model\.fit: must be one of "error", "center-crop", "scale", got "stretch"/);
});
