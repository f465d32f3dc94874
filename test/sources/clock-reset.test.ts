/**
 * A camera clock reset inside one read: the packets before and after it arrive in one TCP
 * segment and decode to one run of events. The source must emit the reset at a batch boundary
 * (batches in time order, the reset counted), as it would if the read had been split there.
 * Small inversions (jitter) are no reset: the late event takes the time before it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { lastValueFrom, toArray } from 'rxjs';
import { batchFromArrays, concatBatches, firstTimeInversion, sliceBatch, type EventBatch } from '../../src/events/index.js';
import { makeSource, tcpSource, TIME_JITTER_US } from '../../src/sources/index.js';
import { rows } from '../support/events.js';

/** AEDAT 3.1 packet header (§3.2): type, source 1, eventSize 8, tsOffset 4, overflow, n events. */
function packet(type: number, overflow: number, words: Array<[number, number]>): Uint8Array {
  const n = words.length;
  const out = new Uint8Array(28 + 8 * n);
  const v = new DataView(out.buffer);
  v.setUint16(0, type, true); v.setInt16(2, 1, true); v.setInt32(4, 8, true); v.setInt32(8, 4, true);
  v.setInt32(12, overflow, true); v.setInt32(16, n, true); v.setInt32(20, n, true); v.setInt32(24, n, true);
  words.forEach(([data, ts], i) => {
    v.setUint32(28 + 8 * i, data >>> 0, true);
    v.setInt32(32 + 8 * i, ts, true);
  });
  return out;
}

const polarity = (x: number, y: number, p: number): number => (x << 17) | (y << 2) | (p << 1) | 1;

test('AEDAT 3.1 TCP: a TIMESTAMP_RESET inside one read splits the batch there and is counted', async () => {
  const head = new Uint8Array(20);
  head.set([0x58, 0x66, 0x9a, 0x0b, 0xc9, 0x8b, 0x37, 0x1d]);
  head[16] = 1; // version 1 (AEDAT 3.1), format 0 (RAW)
  head[18] = 1; // source 1
  const stream = Buffer.concat([
    head,
    packet(1, 1, [[polarity(1, 2, 1), 5], [polarity(3, 4, 0), 9]]), // t = 2^31 + ts
    packet(0, 1, [[(1 << 1) | 1, 10]]), // special: TIMESTAMP_RESET (type 1), valid
    packet(1, 0, [[polarity(5, 6, 1), 3], [polarity(7, 8, 0), 4]]), // new epoch, from 0
  ]);
  const server = createServer((s: Socket) => s.end(stream)); // one write: one segment on loopback
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const src = tcpSource(`tcp://127.0.0.1:${port}`, { protocol: 'aedat3', reconnect: false });
  const got = await lastValueFrom(src.pipe(toArray()));
  server.close();
  assert.deepEqual(rows(concatBatches(got)), [[1, 2, 2 ** 31 + 5, 1], [3, 4, 2 ** 31 + 9, 0], [5, 6, 3, 1], [7, 8, 4, 0]]);
  assert.deepEqual(got.map((b) => firstTimeInversion(b)), got.map(() => -1));
  assert.equal(src.stats.timeResets, 1);
});

test('a batch split at a clock reset: its last piece keeps the extra fields (a bus batch\'s ack)', async () => {
  let acked = 0;
  const batch = Object.assign(batchFromArrays({ x: [1, 2, 3], y: [0, 0, 0], t: [10_000_000, 20_000_000, 5], p: [1, 0, 1] }, { width: 8, height: 8 }), { ack: () => acked++ });
  const src = makeSource('test', (ctx) => {
    ctx.emit(batch);
    ctx.complete();
    return () => undefined;
  });
  const got = (await lastValueFrom(src.pipe(toArray()))) as Array<EventBatch & { ack?: () => void }>;
  assert.deepEqual(got.map((b) => Array.from(b.t)), [[10_000_000, 20_000_000], [5]]);
  assert.equal(got[0]!.ack, undefined);
  got[1]!.ack!();
  assert.equal(acked, 1);
});

test('time going back by at most TIME_JITTER_US is jitter: the event takes the time before it (also across batches), no reset', async () => {
  const J = TIME_JITTER_US;
  const batches = [
    batchFromArrays({ x: [0, 1, 2, 3], y: [0, 0, 0, 0], t: [100, 200, 150, 300], p: [1, 1, 1, 1] }, { width: 8, height: 8 }),
    batchFromArrays({ x: [4, 5, 6], y: [0, 0, 0], t: [300 - J, 400, 400 + J], p: [0, 0, 0] }, { width: 8, height: 8 }),
    // Just more than the tolerance back: a clock reset, split and counted.
    batchFromArrays({ x: [7, 0], y: [1, 1], t: [400 + 2 * J, 400 + J - 1], p: [1, 1] }, { width: 8, height: 8 }),
  ];
  const src = makeSource('test', (ctx) => {
    for (const b of batches) ctx.emit(b);
    ctx.complete();
    return () => undefined;
  });
  const got = await lastValueFrom(src.pipe(toArray()));
  assert.deepEqual(got.map((b) => Array.from(b.t)), [[100, 200, 200, 300], [300, 400, 400 + J], [400 + 2 * J], [400 + J - 1]]);
  assert.deepEqual(got.map((b) => Array.from(b.x)), [[0, 1, 2, 3], [4, 5, 6], [7], [0]]);
  assert.equal(src.stats.jitter, 2);
  assert.equal(src.stats.timeResets, 1);
});

test('jitter and resets come out the same however a long stream is split into batches (200k events, random splits)', async () => {
  const n = 200_000;
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const t = new Float64Array(n);
  for (let i = 0, now = 5e9; i < n; i++) {
    now = i === 70_000 || i === 150_000 ? 1000 : now + Math.floor(rand() * 50); // two clock resets
    t[i] = rand() < 0.05 ? now - Math.floor(rand() * 2 * TIME_JITTER_US) : now; // some late, some too late
  }
  const whole = batchFromArrays({ x: Array.from({ length: n }, (_, i) => i % 64), y: new Array(n).fill(0), t: Array.from(t), p: new Array(n).fill(1) }, { width: 64, height: 1 });
  const run = async (cuts: number[]) => {
    const copy = batchFromArrays({ x: Array.from(whole.x), y: Array.from(whole.y), t: Array.from(t), p: Array.from(whole.p) }, whole.sensor);
    const src = makeSource('test', (ctx) => {
      for (let i = 0; i < cuts.length - 1; i++) ctx.emit(sliceBatch(copy, cuts[i]!, cuts[i + 1]!));
      ctx.complete();
      return () => undefined;
    });
    const got = await lastValueFrom(src.pipe(toArray()));
    return { t: Array.from(concatBatches(got).t), stats: src.stats, inversions: got.map(firstTimeInversion) };
  };
  const one = await run([0, n]);
  const cuts = [0];
  while (cuts.at(-1)! < n) cuts.push(Math.min(n, cuts.at(-1)! + 1 + Math.floor(rand() * 5000)));
  const split = await run(cuts);
  assert.deepEqual(split.t, one.t);
  assert.deepEqual([split.stats.jitter, split.stats.timeResets], [one.stats.jitter, one.stats.timeResets]);
  assert.ok(one.stats.jitter > 1000 && one.stats.timeResets >= 2, `jitter ${one.stats.jitter}, resets ${one.stats.timeResets}`);
  assert.ok([...one.inversions, ...split.inversions].every((i) => i === -1), 'every batch in time order');
});
