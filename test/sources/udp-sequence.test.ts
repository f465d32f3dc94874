/**
 * UDP sources over real loopback sockets, datagrams built by hand from spec §8 / §9 and sent in
 * a chosen order: duplicated and late datagrams must not repeat events nor count as lost, and a
 * sender that restarts its sequence numbers is followed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { concatBatches, type EventBatch } from '../../src/events/index.js';
import { udpSource, type EventSource, type UdpProtocol } from '../../src/sources/index.js';
import { rows } from '../support/events.js';

type Row = [number, number, number, number];

/** AEDAT 3 datagram: magic, LE sequence (bit 63 = first of a packet), version 1, RAW, source 1. */
function aedat3Datagram(seq: number, start: boolean, payload: Uint8Array): Uint8Array {
  const d = new Uint8Array(20 + payload.length);
  const v = new DataView(d.buffer);
  d.set([0x58, 0x66, 0x9a, 0x0b, 0xc9, 0x8b, 0x37, 0x1d]);
  v.setBigUint64(8, BigInt(seq) | (start ? 1n << 63n : 0n), true);
  d[16] = 1;
  v.setInt16(18, 1, true);
  d.set(payload, 20);
  return d;
}

/** AEDAT 3.1 polarity packet (§3.2-3.3), overflow 0, of events [x, y, t, p]. */
function polarityPacket(events: Row[]): Uint8Array {
  const n = events.length;
  const out = new Uint8Array(28 + 8 * n);
  const v = new DataView(out.buffer);
  v.setUint16(0, 1, true); v.setInt16(2, 1, true); v.setInt32(4, 8, true); v.setInt32(8, 4, true);
  v.setInt32(16, n, true); v.setInt32(20, n, true); v.setInt32(24, n, true);
  events.forEach(([x, y, t, p], i) => {
    v.setUint32(28 + 8 * i, ((x << 17) | (y << 2) | (p << 1) | 1) >>> 0, true);
    v.setInt32(32 + 8 * i, t, true);
  });
  return out;
}

/** jAER datagram: BE int32 sequence, then DVS128 (address, timestamp) pairs for canonical events. */
function jaerDatagram(seq: number, events: Row[]): Uint8Array {
  const d = new Uint8Array(4 + 8 * events.length);
  const v = new DataView(d.buffer);
  v.setInt32(0, seq, false);
  events.forEach(([x, y, t, p], i) => {
    v.setUint32(4 + 8 * i, ((127 - y) << 8) | ((127 - x) << 1) | (1 - p), false);
    v.setUint32(8 + 8 * i, t, false);
  });
  return d;
}

/**
 * Sends `datagrams` in order to a fresh source; resolves with what it emitted once `events` arrived
 * (the last datagram completes that count, so every earlier one was handled by then).
 */
async function receive(protocol: UdpProtocol, datagrams: Uint8Array[], events: number): Promise<{ got: EventBatch; src: EventSource }> {
  let port = 0;
  let ready!: () => void;
  const listening = new Promise<void>((r) => (ready = r));
  const src = udpSource('udp://127.0.0.1:0', { protocol, onListening: (a) => ((port = a.port), ready()) });
  const received: EventBatch[] = [];
  let n = 0;
  let sub: { unsubscribe(): void } | undefined;
  const done = new Promise<void>((resolve, reject) => {
    sub = src.subscribe({ next: (b) => (received.push(b), (n += b.length) >= events && resolve()), error: reject });
  });
  await listening;
  const tx = createSocket('udp4');
  for (const d of datagrams) await new Promise<void>((r) => tx.send(d, port, '127.0.0.1', () => r()));
  await done;
  tx.close();
  sub!.unsubscribe();
  return { got: concatBatches(received, { width: 128, height: 128 }), src };
}

test('AEDAT 3 UDP: duplicated and late datagrams are skipped, not re-emitted nor counted lost', async () => {
  const a: Row[] = Array.from({ length: 200 }, (_, i) => [i % 100, 1, 1000 + i, 1]); // 28 + 1600 bytes: 2 datagrams
  const b: Row[] = [[5, 6, 3000, 0]];
  const c: Row[] = [[7, 8, 4000, 1]];
  const d: Row[] = [[127, 9, 5000, 0]];
  const pa = polarityPacket(a);
  const grams = [
    aedat3Datagram(0, true, pa.subarray(0, 1452)),
    aedat3Datagram(1, false, pa.subarray(1452)),
    aedat3Datagram(1, false, pa.subarray(1452)), // duplicate of the tail
    aedat3Datagram(2, true, polarityPacket(b)),
    aedat3Datagram(2, true, polarityPacket(b)), // duplicate of a whole one-datagram packet
    aedat3Datagram(3, true, polarityPacket(c)),
    aedat3Datagram(1, false, pa.subarray(1452)), // a late copy from further back
    aedat3Datagram(4, true, polarityPacket(d)),
  ];
  const { got, src } = await receive('aedat3', grams, a.length + 3);
  assert.deepEqual(rows(got), [...a, ...b, ...c, ...d]);
  assert.equal(src.stats.lost, 0);
  assert.equal(src.stats.stale, 3); // what /metrics shows as spikeline_packets_stale_total
});

test('AEDAT 3 UDP: a sender restarting at sequence 0 is followed', async () => {
  const grams = [
    // One second in when it restarts: its clock starts again at zero, far behind (not jitter).
    ...Array.from({ length: 5 }, (_, i) => aedat3Datagram(i, true, polarityPacket([[i, 0, 1_000_100 + i, 1]]))),
    aedat3Datagram(0, true, polarityPacket([[10, 1, 7, 0]])),
    aedat3Datagram(1, true, polarityPacket([[11, 1, 8, 0]])),
  ];
  const { got, src } = await receive('aedat3', grams, 7);
  assert.deepEqual(rows(got).slice(5), [[10, 1, 7, 0], [11, 1, 8, 0]]);
  assert.equal(src.stats.lost, 0);
});

test('jAER UDP: duplicated and late datagrams are skipped; a restart at sequence 1 is followed', async () => {
  const grams = [
    jaerDatagram(1, [[1, 2, 1_000_100, 1]]),
    jaerDatagram(2, [[3, 4, 1_000_200, 0]]),
    jaerDatagram(2, [[3, 4, 1_000_200, 0]]), // duplicate
    jaerDatagram(4, [[5, 6, 1_000_400, 1]]), // 3 is late: counted lost once
    jaerDatagram(3, [[7, 8, 1_000_300, 1]]), // ... and skipped when it comes
    jaerDatagram(5, [[9, 10, 1_000_500, 0]]),
    jaerDatagram(1, [[11, 12, 50, 1]]), // the sender restarted
    jaerDatagram(2, [[127, 13, 60, 0]]),
  ];
  const { got, src } = await receive('jaer', grams, 6);
  assert.deepEqual(rows(got), [[1, 2, 1_000_100, 1], [3, 4, 1_000_200, 0], [5, 6, 1_000_400, 1], [9, 10, 1_000_500, 0], [11, 12, 50, 1], [127, 13, 60, 0]]);
  assert.equal(src.stats.lost, 1);
  assert.equal(src.stats.stale, 2);
});
