/**
 * Live sources apply the decoders' out-of-sensor rule and report the dropped events in
 * stats.droppedEvents (the `source_overflow` drop metric), like the SPIF codec already did:
 * a DV TCP stream and a replayed file, both carrying negative and too-large coordinates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { concatBatches, EventSummary } from '../../src/events/index.js';
import { JaerDecoder, replayFile, tcpSource } from '../../src/sources/index.js';
import { randomEvents, referenceSummary, writeAedat4, type PlainEvents } from '../formats/reference-writers.js';

/** 320x240 events with every 50th moved outside (int16 -1 / -2 as 65535 / 65534, x = 320, y = 240). */
function crafted(): { all: PlainEvents; inside: PlainEvents; outside: number } {
  const all = randomEvents(21, 20_000, 320, 240, 1_605_537_493_718_345);
  const bad = [[65535, 3], [7, 65534], [320, 1], [2, 240]] as const;
  const inside: PlainEvents = { x: [], y: [], t: [], p: [] };
  let outside = 0;
  for (let i = 0; i < all.x.length; i++) {
    if (i % 50 === 0) {
      [all.x[i], all.y[i]] = bad[outside++ % bad.length]!;
      continue;
    }
    inside.x.push(all.x[i]!);
    inside.y.push(all.y[i]!);
    inside.t.push(all.t[i]!);
    inside.p.push(all.p[i]!);
  }
  return { all, inside, outside };
}

test('DV TCP source drops out-of-sensor events and counts them in droppedEvents', async () => {
  const { all, inside, outside } = crafted();
  // The network framing is the file framing without the 14-byte magic line (spec §7).
  const capture = writeAedat4(all, 320, 240, 'lz4').subarray(14);
  const server = createServer((s: Socket) => s.end(capture));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as { port: number }).port;
    const src = tcpSource(`tcp://127.0.0.1:${port}`, { protocol: 'dv', reconnect: false });
    const got = concatBatches(await lastValueFrom(src.pipe(toArray())));
    assert.equal(new EventSummary().add(got).checksum.toString(), referenceSummary(inside).checksum);
    assert.equal(got.length, inside.x.length);
    assert.equal(src.stats.droppedEvents, outside);
  } finally {
    server.close();
  }
});

test('file replay drops out-of-sensor events and counts them in droppedEvents', async () => {
  const { all, inside, outside } = crafted();
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-outside-live-'));
  try {
    const path = join(dir, 'bad.aedat4');
    await writeFile(path, writeAedat4(all, 320, 240, 'none'));
    const src = replayFile(path, { speed: 0 });
    const got = concatBatches(await lastValueFrom(src.pipe(toArray())));
    assert.equal(new EventSummary().add(got).checksum.toString(), referenceSummary(inside).checksum);
    assert.equal(src.stats.droppedEvents, outside);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('jAER DAVIS346 datagrams: raw addresses beyond the chip are dropped events, not skipped records', () => {
  // Spec §2.3 by hand: y bits 22-30, x bits 12-21, polarity bit 11; x = 345 - rx, y = 259 - ry.
  const d = new Uint8Array(4 + 3 * 8);
  const v = new DataView(d.buffer);
  v.setInt32(0, 1, false);
  const records = [[(10 << 22) | (20 << 12) | (1 << 11), 100], [(10 << 22) | (400 << 12), 101], [(300 << 22) | (20 << 12), 102]];
  records.forEach(([a, t], i) => {
    v.setUint32(4 + 8 * i, a! >>> 0, false);
    v.setUint32(8 + 8 * i, t!, false);
  });
  const dec = new JaerDecoder('davis346');
  const b = dec.decode(d)!;
  assert.deepEqual([b.length, b.x[0], b.y[0], b.p[0], b.t[0]], [1, 325, 249, 1, 100]);
  assert.equal(dec.stats.droppedEvents, 2);
  assert.equal(dec.stats.skipped, 0);
});
