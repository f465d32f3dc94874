/**
 * The bus's two ends on a real `nats-server -js`: `spikeline publish` stores a file's events as
 * SLEV frames (checked with a decoder written here from the documented byte layout), the nats
 * source resumes after the last acknowledged batch, delivers the unacknowledged ones again and
 * skips malformed messages, and the runner acknowledges a batch only once it has been binned.
 */
import { test } from 'node:test';
import { skipUnlessInstalled } from '../support/require.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, connect } from 'nats';
import { firstValueFrom, interval, map, take, toArray } from 'rxjs';
import { allocateBatch, type EventBatch } from '../../src/events/index.js';
import { readEvents } from '../../src/formats/io.js';
import { parsePipelineConfig } from '../../src/pipeline/config.js';
import { Pipeline } from '../../src/pipeline/runner.js';
import { NatsEventSink, publishEvents } from '../../src/sinks/nats-events.js';
import { busManager, cameraConsumer, connectBus, ensureEventStream, EVENT_STREAM_DEFAULTS, EVENTS_STREAM, eventsSubject, frameId } from '../../src/sources/nats-bus.js';
import { decodeWsFrame, encodeWsFrame } from '../../src/sources/ws-frame.js';
import { natsCameraSource, type AckableBatch } from '../../src/sources/nats.js';
import { freePort, spawnCli } from '../support/process.js';
import { jetStreamBus, NATS_SERVER, startNatsServer, type TestBus } from '../support/nats.js';
import { halfEvents, TestSource } from '../pipeline/helpers.js';
import { TinyModel } from '../pipeline/tiny-model.js';

/** Batch k: 10 events at t = 1000 k + i, distinct positions per batch. */
function batchOf(k: number): EventBatch {
  const b = allocateBatch(10, { width: 64, height: 48 });
  for (let i = 0; i < 10; i++) {
    b.t[i] = 1000 * k + i;
    b.x[i] = (k + i) % 64;
    b.y[i] = (3 * k + i) % 48;
    b.p[i] = (k + i) % 2;
  }
  return b;
}

/** Batches 1..n published on camera `cam` of `bus` and stored; the sink, to publish more. */
async function storedBatches(bus: TestBus, n: number): Promise<NatsEventSink> {
  await ensureEventStream(await busManager(bus.nc));
  const sink = new NatsEventSink({ nc: bus.nc, camera: 'cam' });
  for (let k = 1; k <= n; k++) sink.publish(batchOf(k));
  await sink.flush();
  return sink;
}

test('spikeline publish stores a file as SLEV frames on spikeline.events.<camera>, every event intact', { timeout: 60_000 }, async (t) => {
  const bus = await jetStreamBus(t);
  if (!bus) return;
  const file = 'fixtures/formats-bar.aedat4';
  const run = spawnCli('publish', file, bus.url, '--camera', 'bar', '--speed', '0');
  assert.equal(await run.exited, 0, run.stderr);
  const expected = await readEvents(file);

  // Read back with a plain JetStream consumer and decode per the documented layout.
  const jsm = await busManager(bus.nc);
  const info = await jsm.streams.info(EVENTS_STREAM);
  await jsm.consumers.add(EVENTS_STREAM, { durable_name: 'check', filter_subject: eventsSubject('bar'), ack_policy: AckPolicy.None });
  const got: number[][] = [];
  const messages = await (await bus.nc.jetstream().consumers.get(EVENTS_STREAM, 'check')).fetch({ max_messages: info.state.messages, expires: 5000 });
  for await (const m of messages) {
    const v = new DataView(m.data.buffer, m.data.byteOffset, m.data.byteLength);
    assert.equal(String.fromCharCode(...m.data.subarray(0, 4)), 'SLEV');
    assert.deepEqual([v.getUint16(6, true), v.getUint16(8, true)], [128, 128]);
    const n = v.getUint32(12, true);
    const t0 = v.getFloat64(16, true);
    assert.equal(m.data.length, 24 + 9 * n);
    for (let i = 0; i < n; i++) {
      got.push([t0 + v.getUint32(24 + 4 * i, true), v.getUint16(24 + 4 * n + 2 * i, true), v.getUint16(24 + 6 * n + 2 * i, true), m.data[24 + 8 * n + i]!]);
    }
    if (m.info.pending === 0) break;
  }
  assert.equal(got.length, expected.length);
  for (let i = 0; i < expected.length; i += 97) assert.deepEqual(got[i], [expected.t[i], expected.x[i], expected.y[i], expected.p[i]], `event ${i}`);
  assert.deepEqual(got.at(-1), [expected.t.at(-1), expected.x.at(-1), expected.y.at(-1), expected.p.at(-1)]);
});

test('nats source: a new reader resumes after the last acked batch, gets the unacked ones again, skips malformed messages', { timeout: 60_000 }, async (t) => {
  const bus = await jetStreamBus(t);
  if (!bus) return;
  const sink = await storedBatches(bus, 8);
  // Stream sequence 9: not an SLEV frame.
  await bus.nc.jetstream().publish(eventsSubject('cam'), new TextEncoder().encode('not a frame'));
  for (let k = 9; k <= 10; k++) sink.publish(batchOf(k));
  await sink.flush();

  const first = natsCameraSource({ nc: bus.nc, camera: 'cam' });
  const seen = (await firstValueFrom(first.pipe(take(10), toArray()))) as AckableBatch[];
  assert.deepEqual(seen.map((b) => b.t[0]), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((k) => 1000 * k));
  assert.deepEqual(Array.from(seen[6]!.x), Array.from(batchOf(7).x));
  assert.equal(first.stats.malformed, 1);
  assert.match(first.stats.lastError ?? '', /spikeline\.events\.cam stream sequence 9: ws frame: 11 bytes/);
  for (const b of seen.slice(0, 5)) b.ack!();
  await bus.nc.flush();

  const second = natsCameraSource({ nc: bus.nc, camera: 'cam' });
  const again = await firstValueFrom(second.pipe(take(5), toArray()));
  assert.deepEqual(again.map((b) => b.t[0]), [6, 7, 8, 9, 10].map((k) => 1000 * k));
  assert.equal(second.bus.resume?.ackFloor, 5);
  assert.equal(second.bus.resume?.unacked, 5);
  assert.equal(second.bus.redelivered, 5);
});

test('nats source: a frame stored after later ones of its publisher is acknowledged and skipped as stale; another publisher is not', { timeout: 60_000 }, async (t) => {
  const bus = await jetStreamBus(t);
  if (!bus) return;
  const jsm = await busManager(bus.nc);
  await ensureEventStream(jsm);
  const js = bus.nc.jetstream();
  // Publisher a's frame 2 comes after its frame 3 (lost in an outage, sent again); publisher b
  // (a restarted camera) starts again at 0.
  const order: [string, number, number][] = [['a0', 0, 1], ['a0', 1, 2], ['a0', 3, 4], ['a0', 2, 3], ['a0', 4, 5], ['b1', 0, 6], ['b1', 1, 7]];
  for (const [prefix, seq, k] of order) await js.publish(eventsSubject('cam'), encodeWsFrame(batchOf(k)), { msgID: frameId(prefix, seq) });
  const source = natsCameraSource({ nc: bus.nc, camera: 'cam' });
  const seen = (await firstValueFrom(source.pipe(take(6), toArray()))) as AckableBatch[];
  assert.deepEqual(seen.map((b) => b.t[0]! / 1000), [1, 2, 4, 5, 6, 7]);
  assert.equal(source.stats.stale, 1);
  for (const b of seen) b.ack!();
  await bus.nc.flush();
  // Every stream sequence is settled: the skipped frame was acknowledged too.
  const info = await jsm.consumers.info(EVENTS_STREAM, cameraConsumer('cam'));
  assert.equal(info.ack_floor.stream_seq, order.length);
});

test('nats source: a reader whose durable consumer a new reader recreated fails, naming why, instead of waiting on it for ever', { timeout: 60_000 }, async (t) => {
  const bus = await jetStreamBus(t);
  if (!bus) return;
  await storedBatches(bus, 3);
  const old = await connect({ servers: bus.url });
  t.after(() => old.close());
  const first = natsCameraSource({ nc: old, camera: 'cam' });
  const seen: number[] = [];
  const failed = new Promise<Error>((resolve) => first.subscribe({ next: (b) => seen.push(b.t[0]!), error: resolve }));
  while (seen.length < 3) await new Promise((r) => setTimeout(r, 20));
  // The camera's next owner: its source deletes and recreates the durable.
  const next = natsCameraSource({ nc: bus.nc, camera: 'cam' });
  const taken = firstValueFrom(next.pipe(take(3), toArray()));
  const err = await failed;
  assert.match(err.message, /nats source cam: its durable consumer spikeline-cam was deleted \(another reader took the camera over\)/);
  assert.equal(first.stats.state, 'failed');
  assert.deepEqual((await taken).map((b) => b.t[0]), [1000, 2000, 3000]);
});

test('NatsEventSink: frames published across a server restart are stored once each, in publish order', { timeout: 120_000 }, async (t) => {
  const bus = await jetStreamBus(t);
  if (!bus) return;
  const nc = bus.nc;
  await ensureEventStream(await busManager(nc));
  const sink = new NatsEventSink({ nc, camera: 'cam', retryMs: 100 });
  // A camera's pace: one batch every 20 ms, the server restarted in the middle.
  let k = 0;
  const publishFor = async (ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) sink.publish(batchOf(++k));
  };
  await publishFor(1000);
  const restarting = bus.restart();
  await publishFor(300);
  await restarting;
  await publishFor(1000);
  await sink.flush();
  assert.deepEqual([sink.published.batches, sink.dropped.batches], [k, 0]);

  const jsm = await busManager(nc);
  await jsm.consumers.add(EVENTS_STREAM, { durable_name: 'check', filter_subject: eventsSubject('cam'), ack_policy: AckPolicy.None });
  const firsts: number[] = [];
  for await (const m of await (await nc.jetstream().consumers.get(EVENTS_STREAM, 'check')).fetch({ max_messages: k, expires: 5000 })) {
    firsts.push(decodeWsFrame(m.data).t[0]! / 1000);
    if (m.info.pending === 0) break;
  }
  assert.deepEqual(firsts, Array.from({ length: k }, (_, i) => i + 1));
});

test('NatsEventSink: the events stream deleted while publishing is created again and later frames are stored', { timeout: 60_000 }, async (t) => {
  const bus = await jetStreamBus(t);
  if (!bus) return;
  const sink = await storedBatches(bus, 5);
  const jsm = await busManager(bus.nc);
  await jsm.streams.delete(EVENTS_STREAM);
  for (let k = 6; k <= 10; k++) sink.publish(batchOf(k));
  // Before the fix every publish met "no responders" and was retried for ever.
  await Promise.race([sink.flush(), new Promise((_, reject) => setTimeout(() => reject(new Error('flush hung: the deleted stream was never created again')), 20_000).unref())]);
  assert.equal(sink.published.batches, 10);
  const info = await jsm.streams.info(EVENTS_STREAM);
  assert.equal(info.state.messages, 5, 'the new stream holds the five frames published after the deletion');
  assert.equal(info.config.max_bytes, EVENT_STREAM_DEFAULTS.maxBytes, 'created with the limits the sink was given (here the defaults)');
});

test('runner: a batch is acknowledged only once it has been binned and its finished steps classified', async (t) => {
  const source = new TestSource();
  const model = new TinyModel();
  const config = parsePipelineConfig({ name: 'ack', source: { type: 'tcp', url: 'tcp://127.0.0.1:7777' }, model: { path: '/unused' }, sinks: { prometheus: { enabled: false } } });
  const pipeline = new Pipeline(config, { source, model, modelName: 'tiny', backend: 'test', serve: false });
  t.after(() => pipeline.stop());
  await pipeline.start();
  const stepsAtAck: number[] = [];
  const withAck = (b: EventBatch): AckableBatch => Object.assign(b, { ack: () => stepsAtAck.push(model.stepsRun) });
  // 10 ms steps: [0, 80 ms) closes steps 0..6 (step 7 waits for a later event); [80, 160 ms) closes 7..14.
  source.subject.next(withAck(halfEvents('left', 0, 80_000, 20)));
  source.subject.next(withAck(halfEvents('right', 80_000, 160_000, 20)));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(stepsAtAck, [7, 15]);
});

test('config: a nats source names exactly one of camera / cameras: "*"', () => {
  const base = { name: 'x', model: { path: '/m' } };
  assert.throws(() => parsePipelineConfig({ ...base, source: { type: 'nats', url: 'nats://127.0.0.1:4222' } }), /source\.camera: give exactly one of source\.camera/);
  assert.throws(() => parsePipelineConfig({ ...base, source: { type: 'nats', url: 'nats://127.0.0.1:4222', camera: 'a', cameras: '*' } }), /source\.camera: give exactly one/);
  assert.throws(() => parsePipelineConfig({ ...base, source: { type: 'nats', url: 'nats://127.0.0.1:4222', camera: 'a.b' } }), /source\.camera: must be a camera name/);
  const c = parsePipelineConfig({ ...base, source: { type: 'nats', url: 'nats://127.0.0.1:4222', cameras: '*' } });
  assert.deepEqual(c.source.type === 'nats' && [c.source.leaseMs, c.source.maxAckPending, c.source.buffer], [3000, 256, { events: 2_000_000, policy: 'pause', maxDelayMs: 0 }]);
});

test('events stream: created once with default limits; explicit limits change it, none leave it alone', { timeout: 30_000 }, async (t) => {
  const bus = await jetStreamBus(t);
  if (!bus) return;
  const jsm = await busManager(bus.nc);
  await ensureEventStream(jsm);
  await ensureEventStream(jsm);
  let info = await jsm.streams.info(EVENTS_STREAM);
  assert.deepEqual([info.config.subjects, info.config.max_age, info.config.max_bytes], [['spikeline.events.>'], 24 * 3600 * 1e9, 2 ** 30]);
  await ensureEventStream(jsm, { maxAgeMs: 60_000, maxBytes: 1e6 });
  info = await jsm.streams.info(EVENTS_STREAM);
  assert.deepEqual([info.config.max_age, info.config.max_bytes, info.config.duplicate_window], [60e9, 1e6, 60e9]);
  // A worker (no limits) does not undo them; a publisher giving only one changes only that one.
  await ensureEventStream(jsm);
  await ensureEventStream(jsm, { maxBytes: 2e6 });
  info = await jsm.streams.info(EVENTS_STREAM);
  assert.deepEqual([info.config.max_age, info.config.max_bytes], [60e9, 2e6]);
});

test('runner: a batch whose model step fails fails the pipeline (done rejects) without being acknowledged, and the process goes on', async (t) => {
  const source = new TestSource();
  const config = parsePipelineConfig({ name: 'bad', source: { type: 'tcp', url: 'tcp://127.0.0.1:7777' }, model: { path: '/unused' }, sinks: { prometheus: { enabled: false } } });
  // A model whose step throws (a broken model; a mis-sized camera is refused earlier, by model.fit).
  const model = Object.assign(new TinyModel(), { step: (): never => { throw new Error('model step failed'); } });
  const pipeline = new Pipeline(config, { source, model, modelName: 'tiny', backend: 'test', serve: false });
  t.after(() => pipeline.stop());
  await pipeline.start();
  let acked = 0;
  source.subject.next(Object.assign(halfEvents('left', 0, 80_000, 20), { ack: () => acked++ }));
  await assert.rejects(pipeline.done, /model step failed/);
  await pipeline.stopped;
  assert.equal(acked, 0);
});

test('nats source: a reader that took over and acknowledged nothing leaves the next one resuming where it started, not at the stream start', { timeout: 60_000 }, async (t) => {
  const bus = await jetStreamBus(t);
  if (!bus) return;
  await storedBatches(bus, 8);
  const first = natsCameraSource({ nc: bus.nc, camera: 'cam' });
  for (const b of (await firstValueFrom(first.pipe(take(5), toArray()))) as AckableBatch[]) b.ack!();
  await bus.nc.flush();
  // The next owner starts after batch 5, receives batch 6 and stops (handed over, or killed) before its first ack.
  const second = natsCameraSource({ nc: bus.nc, camera: 'cam' });
  assert.deepEqual((await firstValueFrom(second.pipe(take(1), toArray()))).map((b) => b.t[0]), [6000]);
  const third = natsCameraSource({ nc: bus.nc, camera: 'cam' });
  const again = await firstValueFrom(third.pipe(take(3), toArray()));
  assert.deepEqual(again.map((b) => b.t[0]), [6, 7, 8].map((k) => 1000 * k));
  assert.equal(third.bus.resume?.ackFloor, 5);
});

test('NatsEventSink: a server with a smaller max_payload gets smaller messages (a batch is not retried forever)', { timeout: 60_000 }, async (t) => {
  const unavailable = skipUnlessInstalled(NATS_SERVER !== undefined, 'nats-server not found: install the Debian package "nats-server" to run this test');
  if (unavailable) return t.skip(unavailable);
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-bus-'));
  writeFileSync(join(dir, 'small.conf'), 'max_payload: 100000\n');
  const port = await freePort();
  const server = await startNatsServer(port, dir, join(dir, 'small.conf'));
  const nc = await connectBus(`nats://127.0.0.1:${port}`);
  t.after(async () => {
    await nc.close();
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await ensureEventStream(await busManager(nc));
  const sink = new NatsEventSink({ nc, camera: 'cam', retryMs: 100 });
  const batch = allocateBatch(30_000, { width: 64, height: 48 });
  for (let i = 0; i < batch.length; i++) batch.t[i] = i;
  sink.publish(batch);
  const settled = await Promise.race([sink.flush().then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000))]);
  assert.ok(settled, 'every message stored');
  assert.equal(sink.published.events, 30_000);
});

test('publishEvents: a stop asked for while it was still connecting stops it', { timeout: 60_000 }, async (t) => {
  const bus = await jetStreamBus(t);
  if (!bus) return;
  // A live camera that never ends; the stop (SIGINT) came before the stream was ready.
  const camera = interval(20).pipe(map((k) => batchOf(k + 1)));
  const stop = new AbortController();
  stop.abort();
  let timer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([publishEvents(camera, { url: bus.url, camera: 'cam', signal: stop.signal }).then(() => true), new Promise((r) => (timer = setTimeout(() => r(false), 5000)))]);
  clearTimeout(timer);
  assert.ok(stopped, 'publishing stopped');
});
