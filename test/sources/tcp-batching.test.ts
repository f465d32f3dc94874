import { test } from 'node:test';
import assert from 'node:assert/strict';
import { from, lastValueFrom, toArray } from 'rxjs';
import { allocateBatch, concatBatches, sliceBatch, type EventBatch } from '../../src/events/index.js';
import { serveEvents, tcpSource } from '../../src/sources/index.js';
import { rows } from '../support/events.js';

test('TCP without a valve decodes whole reads but emits batches of at most 65536 events, every event exactly', async () => {
  // Highly compressible events (LZ4) so one large read decodes to far more than 65536 events.
  const n = 400_000;
  const sensor = { width: 64, height: 64 };
  const ev = allocateBatch(n, sensor);
  for (let i = 0; i < n; i++) {
    ev.x[i] = i & 7;
    ev.y[i] = 3;
    ev.p[i] = i & 1;
    ev.t[i] = 1_700_000_000_000_000 + i;
  }
  const parts: EventBatch[] = [];
  for (let i = 0; i < n; i += 100_000) parts.push(sliceBatch(ev, i, i + 100_000));
  const server = await serveEvents(from(parts), { url: 'tcp://127.0.0.1:0', protocol: 'dv', sensor, compression: 'lz4' });
  const src = tcpSource(server.url, { reconnect: false, readBufferBytes: 8 << 20 });
  const got = await lastValueFrom(src.pipe(toArray()));
  await server.done;
  assert.ok(got.every((b) => b.length <= 65536), `largest batch ${Math.max(...got.map((b) => b.length))}`);
  assert.deepEqual(rows(concatBatches(got)), rows(ev));
});
