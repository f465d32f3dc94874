/**
 * Reliability on real sockets: a camera killed and restarted mid-stream, malformed TCP and UDP
 * packets, and SIGTERM on a running `spikeline run` process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { Aedat4Encoder } from '../../src/formats/index.js';
import type { EventBatch } from '../../src/events/index.js';
import { parsePipelineConfig } from '../../src/pipeline/config.js';
import { Pipeline } from '../../src/pipeline/runner.js';
import { adaptEventSource } from '../../src/pipeline/sources.js';
import { encodeSpif, serveEvents, tcpSource, udpSource } from '../../src/sources/index.js';
import type { PipelineMessage } from '../../src/sinks/messages.js';
import { TinyModel } from './tiny-model.js';
import { halfEvents, Recorder, sleep } from './helpers.js';
import { servingModelDir } from './model-fixture.js';
import { freePort, spawnCli } from '../support/process.js';

const SENSOR = { width: 32, height: 32 };
const config = (extra: Record<string, unknown> = {}) =>
  parsePipelineConfig({ name: 'rel', source: { type: 'tcp', url: 'tcp://127.0.0.1:1' }, model: { path: '/unused' }, server: { port: 0 }, statusIntervalMs: 100, ...extra });

async function until(pred: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Pushes `perStep` events per 10 ms of event time into `camera` every 10 ms of wall time, starting at t = 0. */
function drive(camera: Subject<EventBatch>, side: 'left' | 'right'): () => void {
  let t = 0;
  const timer = setInterval(() => {
    camera.next(halfEvents(side, t, t + 10_000, 40));
    t += 10_000;
  }, 10);
  return () => clearInterval(timer);
}

test('a camera killed and restarted mid-stream: the source reconnects, the gap is reported, predictions resume', async (t) => {
  const port = await freePort();
  const url = `tcp://127.0.0.1:${port}`;
  let feed = new Subject<EventBatch>();
  let camera = await serveEvents(feed, { url, sensor: SENSOR });
  let stop = drive(feed, 'left');
  const source = adaptEventSource(tcpSource(url, { initialDelayMs: 50, maxDelayMs: 100 }), true);
  const pipeline = new Pipeline(config(), { source, model: new TinyModel(), modelName: 'tiny', backend: 'test' });
  t.after(async () => {
    stop();
    await pipeline.stop();
    await camera.close();
  });
  const got: PipelineMessage[] = [];
  pipeline.messages.subscribe((m) => got.push(m));
  await pipeline.start();
  const predictions = () => got.filter((m) => m.type === 'prediction');
  await until(() => predictions().length >= 10, 'predictions before the restart');

  // The camera dies: the socket closes, readiness drops, the pipeline keeps running.
  stop();
  await camera.close();
  await until(() => got.some((m) => m.type === 'status' && m.state === 'degraded'), 'degraded status');
  assert.equal((await fetch(`${pipeline.url}/readyz`)).status, 503);
  assert.equal((await fetch(`${pipeline.url}/healthz`)).status, 200);
  await sleep(300);
  const before = predictions().length;

  // It comes back on the same port with its clock restarted at zero.
  feed = new Subject<EventBatch>();
  camera = await serveEvents(feed, { url, sensor: SENSOR });
  stop = drive(feed, 'right');
  await until(() => got.some((m) => m.type === 'gap'), 'gap message');
  await until(() => predictions().slice(before).filter((p) => p.type === 'prediction' && p.label === 'right').length >= 10, 'predictions after the restart');
  // While the dying camera closes its listener the client may briefly reconnect, which reports
  // a short gap first; the outage itself is the longest one.
  const gaps = got.flatMap((m) => (m.type === 'gap' ? [m.durationMs] : []));
  assert.ok(Math.max(...gaps) >= 250, `gaps of ${gaps.join(', ')} ms`);
  assert.equal(pipeline.timeResets, 1);
  const metrics = await (await fetch(`${pipeline.url}/metrics`)).text();
  assert.match(metrics, new RegExp(`spikeline_source_gaps_total\\{source="${url}"\\} ${gaps.length}\\n`));
  assert.match(metrics, new RegExp(`spikeline_source_reconnects_total\\{source="${url}"\\} [1-9]`));
  assert.match(metrics, new RegExp(`spikeline_source_connected\\{source="${url}"\\} 1`));
  assert.equal((await fetch(`${pipeline.url}/readyz`)).status, 200);
});

test('a malformed DV packet is counted, the stream is re-synchronised by reconnecting, inference goes on', async (t) => {
  const encoder = () => new Aedat4Encoder({ sensor: SENSOR, compression: 'none', framing: 'network' });
  let connections = 0;
  let t0 = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    const enc = encoder();
    socket.write(enc.begin());
    const first = connections++ === 0;
    let n = 0;
    const timer = setInterval(() => {
      if (socket.destroyed) return clearInterval(timer);
      socket.write(enc.encode(halfEvents('left', t0, t0 + 10_000, 40)));
      t0 += 10_000;
      // The first connection sends garbage framed as a packet after 20 good ones.
      if (first && ++n === 20) {
        const bad = Buffer.alloc(8 + 64, 0xab);
        bad.writeInt32LE(0, 0);
        bad.writeInt32LE(64, 4);
        socket.write(bad);
      }
    }, 5);
    socket.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `tcp://127.0.0.1:${(server.address() as { port: number }).port}`;
  const source = adaptEventSource(tcpSource(url, { initialDelayMs: 20, maxDelayMs: 50 }), true);
  const pipeline = new Pipeline(config(), { source, model: new TinyModel(), modelName: 'tiny', backend: 'test' });
  t.after(async () => {
    await pipeline.stop();
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  let predictions = 0;
  pipeline.messages.subscribe((m) => (m.type === 'prediction' ? predictions++ : undefined));
  await pipeline.start();
  await until(() => connections >= 2 && predictions >= 40, 'reconnect and further predictions');
  const metrics = await (await fetch(`${pipeline.url}/metrics`)).text();
  assert.match(metrics, new RegExp(`spikeline_malformed_packets_total\\{source="${url}"\\} 1\\n`));
  assert.equal(pipeline.state, 'running');
});

test('malformed UDP datagrams are counted and skipped without interrupting the stream', async (t) => {
  const port = await freePort();
  const url = `udp://127.0.0.1:${port}`;
  const source = adaptEventSource(udpSource(url, { protocol: 'spif', sensor: SENSOR }), true);
  const pipeline = new Pipeline(config(), { source, model: new TinyModel(), modelName: 'tiny', backend: 'test', serve: true });
  t.after(() => pipeline.stop());
  let predictions = 0;
  pipeline.messages.subscribe((m) => (m.type === 'prediction' ? predictions++ : undefined));
  await pipeline.start();
  await until(() => source.health().connected, 'UDP socket bound');
  const sender = createSocket('udp4');
  t.after(() => sender.close());
  const good = encodeSpif(halfEvents('right', 0, 10_000, 40));
  let bad = 0;
  for (let i = 0; i < 60; i++) {
    for (const d of good) sender.send(d, port, '127.0.0.1');
    if (i % 10 === 0) {
      sender.send(Buffer.from([1, 2, 3, 4, 5]), port, '127.0.0.1');
      bad++;
    }
    await sleep(5);
  }
  await until(() => source.health().malformedPackets === bad && predictions >= 5, 'malformed count and predictions');
  const metrics = await (await fetch(`${pipeline.url}/metrics`)).text();
  assert.match(metrics, new RegExp(`spikeline_malformed_packets_total\\{source="${url}"\\} ${bad}\\n`));
  assert.equal(pipeline.state, 'running');
});

test('SIGTERM on `spikeline run`: sinks flushed, WebSocket clients closed with 1001, exit code 0', async (t) => {
  const feed = new Subject<EventBatch>();
  const camera = await serveEvents(feed, { url: 'tcp://127.0.0.1:0', sensor: { width: 128, height: 128 } });
  let tt = 0;
  const timer = setInterval(() => {
    feed.next(halfEvents('left', tt, tt + 10_000, 200, 10_000, 128));
    tt += 10_000;
  }, 10);
  t.after(async () => {
    clearInterval(timer);
    await camera.close();
  });
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-sigterm-'));
  const jsonl = join(dir, 'out.jsonl');
  writeFileSync(
    join(dir, 'p.yaml'),
    `name: sigterm\nsource: { type: tcp, url: "${camera.url}" }\nmodel: { path: "${await servingModelDir()}" }\nserver: { port: 0 }\nsinks:\n  jsonl: { path: "${jsonl}", types: [prediction, status] }\n`,
  );
  const run = spawnCli('run', join(dir, 'p.yaml'));
  const { child, exited } = run;
  await until(() => /websocket +ws:\/\/\S+\/ws/.test(run.stdout), `URLs on run.stdout (run.stderr: ${run.stderr})`, 60_000);
  const wsUrl = /websocket +(ws:\/\/\S+\/ws)/.exec(run.stdout)![1]!;
  const client = new Recorder(wsUrl);
  await client.until((m) => m.filter((x) => x.type === 'prediction').length >= 3, 30_000);
  child.kill('SIGTERM');
  assert.equal(await client.closed(), 1001);
  assert.equal(await exited, 0, run.stderr);
  assert.match(run.stderr, /SIGTERM: stopping/);
  const lines = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PipelineMessage);
  assert.ok(lines.filter((l) => l.type === 'prediction').length >= 3);
  const last = lines.at(-1)!;
  assert.ok(last.type === 'status' && last.state === 'stopping', 'the final status was flushed to the file');
});
