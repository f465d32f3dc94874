/**
 * `spikeline gateway` against a real nats-server: messages that parse as JSON but lack or misuse
 * the fields the gateway reads, or would grow its camera or class lists past their limits, are
 * counted and skipped, and the relay keeps going.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'nats';
import WebSocket from 'ws';
import { Gateway, GATEWAY_MAX_CAMERAS, GATEWAY_MAX_CLASSES } from '../../src/server/gateway.js';
import { skipUnlessInstalled } from '../support/require.js';
import { freePort } from '../support/process.js';
import { NATS_SERVER, startNatsServer, until } from '../support/nats.js';

const prediction = (classId: unknown, extra: Record<string, unknown> = {}) => ({
  type: 'prediction', seq: 0, time: 0, classId, label: 'wave', confidence: 0.9, probabilities: [0.1, 0.9],
  window: { startUs: 0, endUs: 10_000 }, steps: 1, events: 5, latencyMs: 2, inferenceMs: 1, ...extra,
});

test('gateway: malformed pipeline JSON is counted and skipped, the relay keeps running', { timeout: 60_000 }, async (t) => {
  const unavailable = skipUnlessInstalled(!!NATS_SERVER, 'needs the Debian package "nats-server"');
  if (unavailable) return void t.skip(unavailable);
  const port = await freePort();
  const server = await startNatsServer(port);
  t.after(() => void server.kill('SIGKILL'));
  const url = `nats://127.0.0.1:${port}`;
  const gateway = new Gateway({ url, port: 0 });
  await gateway.start();
  t.after(() => gateway.stop());
  const nc = await connect({ servers: url });
  t.after(() => nc.close());
  const send = (type: string, body: unknown) => nc.publish(`spikeline.${type}.cam1`, new TextEncoder().encode(JSON.stringify(body)));

  // Each of these would throw inside the gateway (prom-client refuses non-numbers and negative
  // counter increments) or make its class list absurdly long.
  send('status', { type: 'status' });
  send('prediction', prediction(0, { confidence: 'high' }));
  send('prediction', prediction(4_000_000_000));
  send('prediction', prediction(-1));
  send('gap', { type: 'gap', time: 0, source: 'x', durationMs: -5, reason: 'x' });
  send('firing', { type: 'firing', meanRate: null, synops: 3 });
  // A class id past the limit, in a message long enough to hold it.
  send('prediction', prediction(GATEWAY_MAX_CLASSES, { probabilities: new Array(GATEWAY_MAX_CLASSES + 1).fill(0) }));
  await nc.flush();
  // Then good messages of every type must still get through.
  send('prediction', prediction(1));
  send('status', { type: 'status', time: 0, state: 'running', uptimeS: 1, source: { name: 's', state: 'open', eventsReceived: 7, eventsDropped: 0, malformedPackets: 0, reconnects: 0, gaps: 0 }, eventRate: 3, predictions: 1, clients: 0 });
  send('gap', { type: 'gap', time: 0, source: 'x', durationMs: 1500, reason: 'x' });
  send('firing', { type: 'firing', seq: 0, time: 0, window: { startUs: 0, endUs: 1 }, layers: [], meanRate: 0.25, synops: 3, energyPJ: 1 });
  await nc.flush();

  const metric = async (name: string): Promise<string> => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    return text.split('\n').find((l) => l.startsWith(name))?.split(' ').pop() ?? 'missing';
  };
  await until(async () => (await metric('spikeline_gateway_mean_firing_rate{camera="cam1"}')) === '0.25', 'the good firing message');
  assert.equal(await metric('spikeline_gateway_malformed_messages_total'), '7');
  // Cameras up to the limit are kept (cam1 and 1023 more); one more new name is skipped.
  for (let c = 1; c <= GATEWAY_MAX_CAMERAS; c++) nc.publish(`spikeline.prediction.more${c}`, new TextEncoder().encode(JSON.stringify(prediction(1))));
  await nc.flush();
  await until(async () => (await metric('spikeline_gateway_malformed_messages_total')) === '8', 'the camera past the limit skipped');
  assert.equal(await metric(`spikeline_gateway_predictions_total{camera="more${GATEWAY_MAX_CAMERAS - 1}",class="wave"}`), '1');
  assert.equal(await metric(`spikeline_gateway_predictions_total{camera="more${GATEWAY_MAX_CAMERAS}",class="wave"}`), 'missing');
  assert.equal(await metric('spikeline_gateway_predictions_total{camera="cam1",class="wave"}'), '1');
  assert.equal(await metric('spikeline_gateway_events_received{camera="cam1"}'), '7');
  assert.equal(await metric('spikeline_gateway_gap_seconds_total{camera="cam1"}'), '1.5');

  // The hello of a new client lists the classes seen: ids 0 and 1 only.
  const ws = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws`);
  const hello = await new Promise<{ classes: string[] }>((resolve, reject) => {
    ws.once('message', (d) => resolve(JSON.parse(d.toString())));
    ws.once('error', reject);
  });
  ws.close();
  assert.deepEqual(hello.classes, ['0', 'wave']);
});
