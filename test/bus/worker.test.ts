/**
 * A bus worker in-process on a real nats-server -js: a camera whose events the model cannot take
 * fails only its own pipeline (nothing of it acknowledged, the camera given up and not retried at
 * once), while the worker and its other cameras go on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocateBatch, type SensorGeometry } from '../../src/events/index.js';
import { launchBusWorker } from '../../src/pipeline/bus-worker.js';
import { CameraLeases, LEASES_BUCKET } from '../../src/pipeline/camera-leases.js';
import { parsePipelineConfig } from '../../src/pipeline/config.js';
import { NatsEventSink } from '../../src/sinks/nats-events.js';
import { busManager, cameraConsumer, ensureEventStream, EVENTS_STREAM } from '../../src/sources/nats-bus.js';
import { jetStreamBus, until } from '../support/nats.js';

test('worker: a camera the model cannot take is refused alone (dropped, counted, acknowledged); the other camera is served', { timeout: 90_000 }, async (t) => {
  const bus = await jetStreamBus(t);
  if (!bus) return;
  const { url, nc } = bus;
  await ensureEventStream(await busManager(nc));
  // The bundled model takes a 128x128 sensor; "wide" is a 320x240 camera.
  const cameras: Record<string, SensorGeometry> = { good: { width: 128, height: 128 }, wide: { width: 320, height: 240 } };
  const sinks = Object.keys(cameras).map((camera) => new NatsEventSink({ nc, camera }));
  let k = 0;
  const publish = () => {
    Object.values(cameras).forEach((sensor, c) => {
      const b = allocateBatch(1000, sensor);
      // 200 ms per batch: more than two of the model's 93.75 ms steps, so the first batch already closes a step.
      for (let i = 0; i < 1000; i++) [b.t[i], b.x[i], b.y[i], b.p[i]] = [1e9 + k * 200_000 + i * 200, (i * 7) % sensor.width, (i * 13) % sensor.height, i & 1];
      sinks[c]!.publish(b);
    });
    k++;
  };
  for (let i = 0; i < 4; i++) publish();
  for (const s of sinks) await s.flush();

  const predicted = new Set<string>();
  const sub = nc.subscribe('spikeline.prediction.*');
  void (async () => {
    for await (const m of sub) predicted.add(m.subject.split('.').pop()!);
  })();
  let log = '';
  const worker = await launchBusWorker(parsePipelineConfig({ name: 'w', source: { type: 'nats', url, cameras: '*' }, model: { path: 'fixtures/model' }, server: { port: 0 }, sinks: { nats: { url } } }), {
    log: (line) => (log += `${line}\n`),
  });
  bus.defer(() => worker.stop());
  const feeding = setInterval(publish, 200);
  bus.defer(() => clearInterval(feeding));

  await until(() => /camera wide: camera sensor 320x240 does not fit the model/.test(log), () => `the wide camera refused:\n${log}`);
  await until(() => predicted.has('good'), () => `the good camera served (owned ${worker.owned}):\n${log}`);
  // Refused batches are acknowledged (dropped by policy and counted), so they are not redelivered forever.
  await until(async () => (await (await busManager(nc)).consumers.info(EVENTS_STREAM, cameraConsumer('wide'))).ack_floor.consumer_seq > 0, () => 'refused batches acknowledged');
  assert.equal(log.match(/camera sensor 320x240 does not fit/g)!.length, 1, 'the refusal is reported once');
  assert.ok(!predicted.has('wide'));
  const metrics = await (await fetch(`${worker.url}/metrics`)).text();
  assert.match(metrics, /^spikeline_worker_cameras_owned 2$/m);
  assert.match(metrics, /^spikeline_worker_camera_owned\{camera="wide"\} 1$/m);
  sub.unsubscribe();
});

test('worker: subjects of the events stream that are not camera names are not cameras (they neither stop the claims nor are claimed)', { timeout: 90_000 }, async (t) => {
  const bus = await jetStreamBus(t);
  if (!bus) return;
  const { url, nc } = bus;
  await ensureEventStream(await busManager(nc));
  // Another publisher's messages under the stream's subjects: "a+b" is no KV key, "x.y" two tokens.
  for (const subject of ['spikeline.events.a+b', 'spikeline.events.x.y']) await nc.jetstream().publish(subject, new Uint8Array(1));
  const sink = new NatsEventSink({ nc, camera: 'good' });
  const b = allocateBatch(1000, { width: 128, height: 128 });
  for (let i = 0; i < 1000; i++) [b.t[i], b.x[i], b.y[i], b.p[i]] = [1e9 + i * 200, (i * 7) % 128, (i * 13) % 128, i & 1];
  sink.publish(b);
  await sink.flush();

  let log = '';
  const worker = await launchBusWorker(parsePipelineConfig({ name: 'w', source: { type: 'nats', url, cameras: '*', leaseMs: 1000 }, model: { path: 'fixtures/model' }, server: { port: 0 }, sinks: { nats: { url } } }), {
    log: (line) => (log += `${line}\n`),
  });
  bus.defer(() => worker.stop());
  await until(() => worker.owned.includes('good'), () => `the good camera claimed:\n${log}`, 15_000);
  // A few more balance ticks (every 333 ms): nothing else is claimed, started and given back.
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(worker.owned, ['good']);
  assert.doesNotMatch(log, /could not start|invalid key/);
  const metrics = await (await fetch(`${worker.url}/metrics`)).text();
  assert.match(metrics, /^spikeline_worker_rebalances_total\{action="claim"\} 1$/m);
});

test('worker: a lease lost while its camera\'s pipeline is starting stops that pipeline (the camera is not run without a lease)', { timeout: 90_000 }, async (t) => {
  const bus = await jetStreamBus(t);
  if (!bus) return;
  const { url, nc } = bus;
  // A model on a slow disk: its weights are read from a pipe the test fills when it chooses.
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-worker-'));
  bus.defer(() => rmSync(dir, { recursive: true, force: true }));
  const model = join(dir, 'model');
  cpSync('fixtures/model', model, { recursive: true });
  rmSync(join(model, 'weights.bin'));
  execFileSync('mkfifo', [join(model, 'weights.bin')]);
  await ensureEventStream(await busManager(nc));
  const sink = new NatsEventSink({ nc, camera: 'cam' });
  const b = allocateBatch(1000, { width: 128, height: 128 });
  for (let i = 0; i < 1000; i++) [b.t[i], b.x[i], b.y[i], b.p[i]] = [1e9 + i * 200, (i * 7) % 128, (i * 13) % 128, i & 1];
  sink.publish(b);
  await sink.flush();
  // Another worker writes the lease as soon as this one has claimed it (as after an expiry), and keeps it.
  await CameraLeases.open(nc, 'thief', 1000);
  const kv = await nc.jetstream().views.kv(LEASES_BUCKET, { bindOnly: true });
  const thief = new TextEncoder().encode('thief');
  let stolen = false;
  const watch = await kv.watch({ key: 'cam' });
  void (async () => {
    for await (const e of watch) if (e.operation === 'PUT' && new TextDecoder().decode(e.value) !== 'thief' && !stolen) stolen = (await kv.put('cam', thief), true);
  })();
  const keep = setInterval(() => void (stolen && kv.put('cam', thief)), 200);
  bus.defer(() => (clearInterval(keep), watch.stop()));

  let log = '';
  const worker = await launchBusWorker(parsePipelineConfig({ name: 'w', source: { type: 'nats', url, cameras: '*', leaseMs: 1000 }, model: { path: model }, server: { port: 0 }, sinks: { nats: { url } } }), {
    log: (line) => (log += `${line}\n`),
  });
  bus.defer(() => worker.stop());
  await until(() => /camera cam: lease lost/.test(log), () => `the lease lost:\n${log}`, 15_000);
  await writeFile(join(model, 'weights.bin'), readFileSync('fixtures/model/weights.bin'));
  await until(() => /camera cam: (claimed|could not start)/.test(log), () => `the pipeline started:\n${log}`, 15_000);
  // Two lease times later the worker runs no pipeline for the camera another worker holds.
  await new Promise((r) => setTimeout(r, 2000));
  assert.deepEqual(worker.owned, [], log);
});
