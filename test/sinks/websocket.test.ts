import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import WebSocket from 'ws';
import { ServingServer, ServerConfigError } from '../../src/server/http.js';
import { WebSocketSink } from '../../src/sinks/websocket.js';
import { PipelineMetrics } from '../../src/sinks/prometheus.js';
import type { GapMessage, PipelineMessage } from '../../src/sinks/messages.js';
import { Recorder, sleep } from '../pipeline/helpers.js';

const health = () => ({ live: true, ready: true });

async function serve(sinkOptions: ConstructorParameters<typeof WebSocketSink>[0] = {}, token?: string) {
  const registry = new Registry();
  const metrics = new PipelineMetrics(registry, { processMetrics: false });
  const ws = new WebSocketSink({ metrics, ...sinkOptions });
  const server = new ServingServer({ port: 0, registry, ws, health, ...(token ? { token } : {}) });
  const url = await server.listen();
  return { ws, server, url, wsUrl: `${url.replace('http', 'ws')}/ws`, registry, close: async () => (await ws.close(), await server.close()) };
}

const gap = (i: number, pad = 0): GapMessage => ({ type: 'gap', time: i, source: 'x'.repeat(pad), durationMs: i, reason: 'test' });

test('a slow client has messages dropped and counted while a fast client gets every one', async (t) => {
  const s = await serve({ maxBufferedBytes: 256 * 1024, heartbeatMs: 0 });
  t.after(s.close);
  const fast = new Recorder(s.wsUrl);
  const slow = new WebSocket(s.wsUrl);
  await fast.opened();
  await new Promise((r) => slow.once('open', r));
  // The slow client stops reading: its kernel buffers fill, then the server-side buffer.
  (slow as unknown as { _socket: { pause(): void } })._socket.pause();
  const N = 600;
  let maxBuffered = 0;
  for (let i = 0; i < N; i++) {
    s.ws.publish(gap(i, 16 * 1024));
    for (const c of s.ws.clientStats()) maxBuffered = Math.max(maxBuffered, c.bufferedAmount);
    await new Promise((r) => setImmediate(r));
  }
  await fast.until((m) => m.filter((x) => x.type === 'gap').length === N, 20_000);
  const stats = s.ws.clientStats();
  const slowStats = stats.find((c) => c.dropped > 0);
  assert.ok(slowStats, 'the slow client lost messages');
  assert.equal(slowStats.sent + slowStats.dropped, N);
  assert.ok(maxBuffered <= 256 * 1024 + 17 * 1024, `buffer stayed bounded (${maxBuffered})`);
  assert.deepEqual(fast.of('gap').map((g) => g.time), [...Array(N).keys()]);
  const metrics = await s.registry.metrics();
  const dropped = Number(/spikeline_ws_messages_dropped_total\{reason="slow_client"\} (\d+)/.exec(metrics)?.[1]);
  assert.equal(dropped, slowStats.dropped);
  // A status message tells each client what it lost.
  s.ws.publish({ type: 'status', time: 0, state: 'running', uptimeS: 1, source: { name: 's', state: 'open', eventsReceived: 0, eventsDropped: 0, malformedPackets: 0, reconnects: 0, gaps: 0 }, eventRate: 0, predictions: 0, clients: 2 });
  await fast.until((m) => m.some((x) => x.type === 'status'));
  assert.equal(fast.of('status')[0]!.droppedForYou, 0);
  slow.terminate();
});

test('a client that stops answering pings is terminated at the next heartbeat', async (t) => {
  const s = await serve({ heartbeatMs: 80 });
  t.after(s.close);
  const alive = new Recorder(s.wsUrl);
  const silent = new WebSocket(s.wsUrl, { autoPong: false });
  await alive.opened();
  await new Promise((r) => silent.once('open', r));
  assert.equal(s.ws.clientCount, 2);
  const closed = new Promise<number>((r) => silent.once('close', (code) => r(code)));
  await closed;
  assert.equal(s.ws.clientCount, 1);
  await sleep(200);
  assert.equal(s.ws.clientCount, 1, 'the answering client stays');
  assert.match(await s.registry.metrics(), /spikeline_ws_clients 1/);
});

test('many clients each receive hello and every broadcast; application ping gets a pong', async (t) => {
  const s = await serve({ heartbeatMs: 0, hello: () => ({ type: 'gap', time: 0, source: 'hello', durationMs: 0, reason: 'hello' }) });
  t.after(s.close);
  const clients = Array.from({ length: 40 }, () => new Recorder(s.wsUrl));
  await Promise.all(clients.map((c) => c.opened()));
  for (let i = 1; i <= 5; i++) s.ws.publish(gap(i));
  await Promise.all(clients.map((c) => c.until((m) => m.length === 6)));
  for (const c of clients) assert.deepEqual(c.messages.map((m) => (m as GapMessage).time), [0, 1, 2, 3, 4, 5]);
  clients[0]!.socket.send(JSON.stringify({ type: 'ping' }));
  await clients[0]!.until((m) => m.some((x) => (x as { type: string }).type === 'pong'));
  for (const c of clients) c.socket.close();
});

test('an oversized client message closes that client with 1009; the server keeps serving', async (t) => {
  const s = await serve({ heartbeatMs: 0, maxPayloadBytes: 1024 });
  t.after(s.close);
  const bad = new Recorder(s.wsUrl);
  const good = new Recorder(s.wsUrl);
  await Promise.all([bad.opened(), good.opened()]);
  bad.socket.send('x'.repeat(4096));
  assert.equal(await bad.closed(), 1009);
  s.ws.publish(gap(7));
  await good.until((m) => m.length === 1);
  good.socket.close();
});

test('token auth guards /ws and /metrics, health stays open; non-loopback requires a token', async (t) => {
  assert.throws(() => new ServingServer({ host: '0.0.0.0', port: 0, health }), ServerConfigError);
  const s = await serve({ heartbeatMs: 0 }, 's3cret');
  t.after(s.close);
  await assert.rejects(new Recorder(s.wsUrl).opened(), /HTTP 401/);
  await assert.rejects(new Recorder(`${s.wsUrl}?token=wrong`).opened(), /HTTP 401/);
  const ok = new Recorder(`${s.wsUrl}?token=s3cret`);
  await ok.opened();
  const header = new Recorder(s.wsUrl, { headers: { authorization: 'Bearer s3cret' } });
  await header.opened();
  assert.equal((await fetch(`${s.url}/metrics`)).status, 401);
  assert.equal((await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer s3cret' } })).status, 200);
  assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
  assert.equal((await fetch(`${s.url}/nope`)).status, 404);
  assert.equal((await fetch(`${s.url}/`, { method: 'POST' })).status, 405);
  const page = await fetch(`${s.url}/`);
  assert.match(page.headers.get('content-type')!, /text\/html/);
  assert.match(await page.text(), /<canvas id="events"/);
  const schema = (await (await fetch(`${s.url}/schema/ws.json`)).json()) as { $defs: Record<string, unknown> };
  assert.deepEqual(Object.keys(schema.$defs).sort(), ['firing', 'frame', 'gap', 'gestureEnd', 'gestureStart', 'hello', 'pong', 'prediction', 'status']);
  ok.socket.close();
  header.socket.close();
  const taken = new ServingServer({ port: Number(new URL(s.url).port), health });
  await assert.rejects(taken.listen(), /cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\): the port is taken/);
});

test('close() sends 1001 to every client and refuses new ones', async () => {
  const s = await serve({ heartbeatMs: 0 });
  const a = new Recorder(s.wsUrl);
  await a.opened();
  await s.ws.close();
  assert.equal(await a.closed(), 1001);
  await assert.rejects(new Recorder(s.wsUrl).opened());
  await s.server.close();
  const msgs: PipelineMessage[] = a.messages;
  assert.equal(msgs.length, 0);
});
