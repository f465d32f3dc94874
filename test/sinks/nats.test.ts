import { test } from 'node:test';
import { skipUnlessInstalled } from '../support/require.js';
import assert from 'node:assert/strict';
import { connect, StringCodec } from 'nats';
import { NatsSink } from '../../src/sinks/nats.js';
import type { GapMessage, PipelineMessage } from '../../src/sinks/messages.js';
import { sleep } from '../pipeline/helpers.js';
import { freePort } from '../support/process.js';
import { NATS_SERVER, startNatsServer as startNats } from '../support/nats.js';

const gap = (time: number): GapMessage => ({ type: 'gap', time, source: 'cam', durationMs: 1, reason: 'test' });

test('NATS sink publishes JSON per message type to a real nats-server, drops while it is down, recovers', { timeout: 60_000 }, async (t) => {
  const unavailable = skipUnlessInstalled(!(!NATS_SERVER), 'nats-server not found: install the Debian package "nats-server" to run this test');
  if (unavailable) {
    t.skip(unavailable);
    return;
  }
  const port = await freePort();
  let server = await startNats(port);
  t.after(() => server.kill('SIGKILL'));
  const url = `nats://127.0.0.1:${port}`;
  const sub = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const received: PipelineMessage[] = [];
  const sc = StringCodec();
  const subscription = sub.subscribe('spikeline.test.>');
  void (async () => {
    for await (const m of subscription) received.push({ ...(JSON.parse(sc.decode(m.data)) as PipelineMessage), subject: m.subject } as never);
  })();
  await sub.flush();
  // The subscriber reconnects on its own schedule; flushing it mid-reconnect rejects with DISCONNECT.
  let subscriberReconnects = 0;
  void (async () => {
    for await (const s of sub.status()) if (s.type === 'reconnect') subscriberReconnects++;
  })();

  const states: string[] = [];
  const sink = new NatsSink({ url, subject: 'spikeline.test', types: ['gap', 'prediction'], reconnectMs: 100, onState: (s) => states.push(s) });
  await sink.waitConnected();
  assert.ok(sink.isConnected);
  for (let i = 0; i < 5; i++) sink.publish(gap(i));
  sink.publish({ type: 'frame', time: 0, window: { startUs: 0, endUs: 1 }, width: 1, height: 1, data: 'AA==', events: 0 });
  const until = async (pred: () => boolean) => {
    for (let i = 0; i < 200 && !pred(); i++) await sleep(25);
    assert.ok(pred());
  };
  await until(() => received.length === 5);
  assert.deepEqual(received.map((m) => (m as GapMessage).time), [0, 1, 2, 3, 4]);
  assert.equal((received[0] as unknown as { subject: string }).subject, 'spikeline.test.gap');

  // The bus goes away: publishing never throws or blocks; messages are dropped and counted.
  server.kill('SIGKILL');
  await until(() => !sink.isConnected);
  sink.publish(gap(100));
  assert.equal(sink.dropped, 1);
  server = await startNats(port);
  await until(() => sink.isConnected && subscriberReconnects === 1);
  await sub.flush();
  sink.publish(gap(200));
  await until(() => received.some((m) => (m as GapMessage).time === 200));
  assert.deepEqual(states.slice(0, 3), ['connected', 'disconnected', 'connected']);
  await sink.close();
  await sub.close();
});

test('NATS sink without a server retries in the background and closes promptly', { timeout: 30_000 }, async () => {
  // Port 1 (tcpmux) has no listener: connections are refused at once, with no race against
  // other tests picking free ports.
  const sink = new NatsSink({ url: 'nats://127.0.0.1:1', reconnectMs: 50 });
  sink.publish(gap(1));
  assert.equal(sink.dropped, 1);
  await sleep(120);
  await sink.close();
  await sink.waitConnected();
  assert.equal(sink.isConnected, false);
});

test('NATS sink with a camera publishes on <subject>.<type>.<camera>', { timeout: 30_000 }, async (t) => {
  const unavailable = skipUnlessInstalled(!(!NATS_SERVER), 'nats-server not found: install the Debian package "nats-server" to run this test');
  if (unavailable) {
    t.skip(unavailable);
    return;
  }
  const port = await freePort();
  const server = await startNats(port);
  t.after(() => server.kill('SIGKILL'));
  const url = `nats://127.0.0.1:${port}`;
  const sub = await connect({ servers: url });
  const subscription = sub.subscribe('line.>', { max: 1 });
  await sub.flush();
  const sink = new NatsSink({ url, subject: 'line', camera: 'cam-7', types: ['gap'] });
  await sink.waitConnected();
  sink.publish(gap(7));
  for await (const m of subscription) assert.equal(m.subject, 'line.gap.cam-7');
  await sink.close();
  await sub.close();
});

test('NATS sink: close() returns although the server no longer answers (frozen with SIGSTOP)', { timeout: 30_000 }, async (t) => {
  const unavailable = skipUnlessInstalled(!(!NATS_SERVER), 'nats-server not found: install the Debian package "nats-server" to run this test');
  if (unavailable) return t.skip(unavailable);
  const port = await freePort();
  const server = await startNats(port);
  t.after(() => {
    server.kill('SIGCONT');
    server.kill('SIGKILL');
  });
  const sink = new NatsSink({ url: `nats://127.0.0.1:${port}`, subject: 'spikeline.test', types: ['gap'] });
  await sink.waitConnected();
  sink.publish(gap(0));
  // The connection stays up but nothing comes back: a drain would wait for the server for ever.
  server.kill('SIGSTOP');
  await sink.close();
  assert.equal(sink.isConnected, false);
});
