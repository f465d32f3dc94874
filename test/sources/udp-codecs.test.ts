import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchFromArrays, concatBatches } from '../../src/events/index.js';
import { Aedat3Decoder } from '../../src/formats/index.js';
import { Aedat3DatagramEncoder, Aedat3Reassembler, encodeSpif, JaerDecoder, JaerEncoder, SpifDecoder } from '../../src/sources/index.js';
import { randomEvents, rows } from '../support/events.js';

const hex = (s: string) => Uint8Array.from(s.trim().split(/\s+/).map((h) => parseInt(h, 16)));

test('jAER datagram built from spec §9 / §2.2: BE sequence, DVS128 addresses, skipped specials', () => {
  // seq 1; event (rx=5, ry=10, b=0 -> ON) at t=1000; an external event (bit 15) at t=1001;
  // event (rx=127, ry=0, b=1 -> OFF) at t=0xFFFFFFF0.
  const a1 = (10 << 8) | (5 << 1) | 0;
  const d = new Uint8Array(4 + 3 * 8);
  const v = new DataView(d.buffer);
  v.setInt32(0, 1, false);
  v.setUint32(4, a1, false); v.setUint32(8, 1000, false);
  v.setUint32(12, 0x8000, false); v.setUint32(16, 1001, false);
  v.setUint32(20, (0 << 8) | (127 << 1) | 1, false); v.setUint32(24, 0xfffffff0, false);
  const dec = new JaerDecoder('dvs128');
  const b = dec.decode(d)!;
  assert.deepEqual(rows(b), [[127 - 5, 127 - 10, 1000, 1], [0, 127, 0xfffffff0, 0]]);
  assert.equal(dec.stats.skipped, 1);
  // Next datagram (seq 3: one lost) wraps the 32-bit clock: 16 -> 2^32 + 16.
  const d2 = new Uint8Array(12);
  const v2 = new DataView(d2.buffer);
  v2.setInt32(0, 3, false); v2.setUint32(4, a1, false); v2.setUint32(8, 16, false);
  assert.deepEqual(Array.from(dec.decode(d2)!.t), [4294967296 + 16]);
  assert.equal(dec.stats.lost, 1);
  // A trailing datagram holding only the sequence number is valid (0 events); odd sizes are not.
  assert.equal(dec.decode(hex('00 00 00 04'))!.length, 0);
  assert.equal(dec.decode(hex('00 00 00 05 01')), undefined);
  assert.equal(dec.stats.malformed, 1);
});

test('jAER encoder and decoder round-trip (dvs128 and davis346)', () => {
  for (const chip of ['dvs128', 'davis346'] as const) {
    const sensor = chip === 'dvs128' ? { width: 128, height: 128 } : { width: 346, height: 260 };
    const ev = randomEvents(20_000, sensor, 3, 5_000_000);
    const enc = new JaerEncoder(chip);
    const dec = new JaerDecoder(chip);
    const out = concatBatches(enc.encode(ev).map((d) => dec.decode(d)!), sensor);
    assert.deepEqual(rows(out), rows(ev), chip);
    assert.equal(enc.perDatagram, 7874);
  }
});

test('SPIF: aestream test bytes 0F 00 DA 00 give x = 218, y = 15; timestamps and bounds', () => {
  const dec = new SpifDecoder({ width: 640, height: 480 });
  assert.deepEqual(rows(dec.decode(hex('0F 00 DA 00'), 77)!), [[218, 15, 77, 0]]);
  // bit 31 clear: the next word is a timestamp (used with senderTimestamps).
  const withTs = new SpifDecoder({ width: 640, height: 480 }, true);
  assert.deepEqual(rows(withTs.decode(hex('05 80 03 00  E8 03 00 00'), 1)!), [[3, 5, 1000, 1]]);
  // out of sensor: dropped and counted; length not a multiple of 4: malformed.
  assert.equal(dec.decode(hex('FF 7F FF FF'), 1)!.length, 0);
  assert.equal(dec.stats.droppedEvents, 1);
  assert.equal(dec.decode(hex('01 02 03'), 1), undefined);
  assert.equal(dec.stats.malformed, 1);
  const ev = randomEvents(1000, { width: 640, height: 480 }, 4);
  const back = concatBatches(encodeSpif(ev).map((d) => dec.decode(d, 5)!));
  assert.deepEqual(Array.from(back.x), Array.from(ev.x));
  assert.deepEqual(Array.from(back.p), Array.from(ev.p));
  assert.equal(encodeSpif(ev)[0]!.length, 512);
});

/** AEDAT 3 UDP datagram from spec §8 by hand: header (magic, seq, version 1, RAW, source) + payload. */
function datagram(seq: bigint, start: boolean, payload: Uint8Array): Uint8Array {
  const d = new Uint8Array(20 + payload.length);
  const v = new DataView(d.buffer);
  d.set(hex('58 66 9A 0B C9 8B 37 1D'));
  v.setBigUint64(8, seq | (start ? 1n << 63n : 0n), true);
  v.setInt8(16, 1);
  v.setInt8(17, 0);
  v.setInt16(18, 1, true);
  d.set(payload, 20);
  return d;
}

/** One AEDAT 3.1 polarity packet (§3.2-3.3) of `events` [x, y, t, p]. */
function polarityPacket(events: Array<[number, number, number, number]>): Uint8Array {
  const n = events.length;
  const out = new Uint8Array(28 + 8 * n);
  const v = new DataView(out.buffer);
  v.setUint16(0, 1, true); v.setInt16(2, 1, true); v.setInt32(4, 8, true); v.setInt32(8, 4, true);
  v.setInt32(12, 0, true); v.setInt32(16, n, true); v.setInt32(20, n, true); v.setInt32(24, n, true);
  events.forEach(([x, y, t, p], i) => {
    v.setUint32(28 + 8 * i, ((x << 17) | (y << 2) | (p << 1) | 1) >>> 0, true);
    v.setInt32(32 + 8 * i, t, true);
  });
  return out;
}

test('AEDAT 3 UDP reassembly from hand-built datagrams: split packets, bit 63, gaps', () => {
  const evs: Array<[number, number, number, number]> = Array.from({ length: 300 }, (_, i) => [i % 128, (i * 7) % 128, 1000 + i, i & 1]);
  const pkt = polarityPacket(evs); // 28 + 2400 bytes -> 2 datagrams
  const r = new Aedat3Reassembler();
  const dec = new Aedat3Decoder({ framing: 'packets', sensor: { width: 128, height: 128 } });
  assert.equal(r.push(datagram(0n, true, pkt.subarray(0, 1452))), undefined);
  const whole = r.push(datagram(1n, false, pkt.subarray(1452)))!;
  assert.equal(whole.length, pkt.length);
  const b = dec.push(whole)[0]!;
  assert.equal(b.length, 300);
  assert.deepEqual([b.x[299], b.y[299], b.t[299], b.p[299]], [299 % 128, (299 * 7) % 128, 1299, 1]);
  // Gap: datagram 3 lost -> the partial packet (seq 2) is dropped; the next start works again.
  assert.equal(r.push(datagram(2n, true, pkt.subarray(0, 1452))), undefined);
  assert.equal(r.push(datagram(4n, false, pkt.subarray(1452))), undefined);
  assert.equal(r.stats.lost, 2); // one datagram missing + one partial packet dropped
  const small = polarityPacket([[1, 2, 5000, 0]]);
  assert.equal(r.push(datagram(5n, true, small))!.length, small.length);
  // Garbage: wrong magic, too short.
  r.push(hex('00 01 02'));
  r.push(datagram(6n, true, small).fill(0, 0, 8));
  assert.equal(r.stats.malformed, 2);
});

test('AEDAT 3 UDP: a run of packets (one of 4 MB) split at any datagram sizes, headers split too, comes out whole once', () => {
  const ev = (n: number, t0: number): Array<[number, number, number, number]> => Array.from({ length: n }, (_, i) => [i % 128, (i * 5) % 128, t0 + i, i & 1]);
  const run = [polarityPacket(ev(3, 0)), polarityPacket(ev(500_000, 10)), polarityPacket(ev(2, 600_000))];
  const bytes = new Uint8Array(run.reduce((a, p) => a + p.length, 0));
  run.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
  const sizes = [1452, 7, 1000, 13, 31, 1452, 1452]; // small ones land inside packet headers
  const r = new Aedat3Reassembler();
  let emitted: Uint8Array | undefined;
  let seq = 0n;
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const end = Math.min(bytes.length, at + sizes[k % sizes.length]!);
    const out = r.push(datagram(seq, at === 0, bytes.subarray(at, end)));
    seq++;
    if (end < bytes.length) assert.equal(out, undefined, `nothing before the run is complete (at ${end})`);
    else emitted = out;
    at = end;
  }
  assert.ok(emitted);
  assert.equal(Buffer.compare(Buffer.from(emitted), Buffer.from(bytes)), 0);
  assert.deepEqual([r.stats.lost, r.stats.malformed], [0, 0]);
  const b = concatBatches(new Aedat3Decoder({ framing: 'packets', sensor: { width: 128, height: 128 } }).push(emitted));
  assert.equal(b.length, 500_005);
  assert.deepEqual([b.t[3], b.t[500_003], b.t[500_004]], [10, 600_000, 600_001]);
});

test('AEDAT 3 UDP encoder and reassembler round-trip (bit 63 on first datagrams only)', () => {
  const ev = randomEvents(30_000, { width: 128, height: 128 }, 8, 3_000_000_000); // crosses the 2^31 µs wrap
  const enc = new Aedat3DatagramEncoder(1, 4096);
  const grams = enc.encode(batchFromArrays({ x: ev.x, y: ev.y, t: ev.t, p: ev.p }, ev.sensor));
  assert.ok(grams.every((d) => d.length <= 1472));
  const r = new Aedat3Reassembler();
  const dec = new Aedat3Decoder({ framing: 'packets', sensor: { width: 128, height: 128 } });
  const out = [];
  for (const d of grams) {
    const p = r.push(d);
    if (p) out.push(...dec.push(p));
  }
  assert.deepEqual(rows(concatBatches(out)), rows(ev));
  assert.equal(r.stats.lost + r.stats.malformed, 0);
});
