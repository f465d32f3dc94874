/**
 * `close()` of an event server whose client stopped reading: it must return, not wait forever
 * for that client to drain what the kernel could not send.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Subject } from 'rxjs';
import type { EventBatch } from '../../src/events/index.js';
import { serveEvents } from '../../src/sources/index.js';
import { randomEvents } from '../support/events.js';

const sensor = { width: 128, height: 128 };

for (const backpressure of ['pause', 'drop'] as const) {
  test(`TCP server (${backpressure}): close() ends a client that stopped reading`, async () => {
    const live = new Subject<EventBatch>();
    const server = await serveEvents(live, { url: 'tcp://127.0.0.1:0', sensor, backpressure, highWaterBytes: 64 * 1024 });
    const client = connect({ host: '127.0.0.1', port: server.address.port });
    client.on('error', () => undefined);
    await new Promise<void>((r) => client.once('connect', () => r()));
    client.pause(); // a stalled consumer: the kernel buffers fill, then the server's
    while (server.stats.clients === 0) await new Promise((r) => setTimeout(r, 5));
    const ev = randomEvents(100_000, sensor, 31);
    for (let i = 0; i < 40; i++) live.next(ev); // ~40 MB of packets, far beyond socket buffers
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      server.close().then(() => 'closed'),
      new Promise((r) => (timer = setTimeout(() => r('still waiting after 15 s'), 15_000))),
    ]);
    clearTimeout(timer);
    client.destroy();
    assert.equal(outcome, 'closed');
  });
}
