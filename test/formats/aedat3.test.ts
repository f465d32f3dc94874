import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concatBatches, type EventBatch } from '../../src/events/index.js';
import {
  Aedat3Decoder,
  Aedat3PacketEncoder,
  decodeBuffer,
  encodeAedat3,
  encodeAedat3Header,
  encodeAedat3NetworkHeader,
  FormatError,
} from '../../src/formats/index.js';
import { assertBatchesEqual, chunked, randomBatch, NO_KERNELS } from './helpers.js';
import { skipUnlessWasm } from '../support/require.js';

const DVS = { width: 128, height: 128 };

function pushAll(dec: Aedat3Decoder, parts: Uint8Array[]): EventBatch {
  const out: EventBatch[] = [];
  for (const p of parts) out.push(...dec.push(p));
  out.push(...dec.end());
  return out.length ? concatBatches(out, DVS) : { ...randomBatch(0, 0, DVS) };
}

test('AEDAT 3.1 header and packet layout follow spec §3', () => {
  const header = new TextDecoder().decode(encodeAedat3Header({ sourceId: 1, startTime: new Date(Date.UTC(2020, 0, 2, 3, 4, 5)) }));
  assert.equal(header, '#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#Start-Time: 2020-01-02 03:04:05 (TZ+0000)\r\n#!END-HEADER\r\n');
  const bytes = new Aedat3PacketEncoder({ sourceId: 1 }).encode(
    { x: Uint16Array.of(5), y: Uint16Array.of(9), t: Float64Array.of(1234), p: Uint8Array.of(1), length: 1, sensor: DVS },
  );
  const v = new DataView(bytes.buffer);
  assert.equal(bytes.length, 36);
  assert.deepEqual([v.getUint16(0, true), v.getInt16(2, true), v.getInt32(4, true), v.getInt32(8, true)], [1, 1, 8, 4]);
  assert.deepEqual([v.getInt32(12, true), v.getInt32(16, true), v.getInt32(20, true), v.getInt32(24, true)], [0, 1, 1, 1]);
  assert.equal(v.getUint32(28, true), (5 << 17) | (9 << 2) | 2 | 1);
  assert.equal(v.getInt32(32, true), 1234);
});

test('AEDAT 3.1 round-trips random batches, across overflow epochs, through any chunking', () => {
  for (let seed = 1; seed <= 6; seed++) {
    // Timestamps start just below 2^31 and 2·2^31 so packets split at the overflow.
    const a = randomBatch(seed, 3000, DVS, 2 ** 31 - 20000, 40);
    const b = randomBatch(seed + 100, 2000, DVS, 2 ** 32 - 10, 40);
    const bytes = encodeAedat3([a, b], { maxEventsPerPacket: 500 });
    const whole = decodeBuffer(bytes);
    assertBatchesEqual(whole, concatBatches([a, b]), `seed ${seed}`);
    const dec = new Aedat3Decoder();
    assertBatchesEqual(pushAll(dec, chunked(bytes, seed)), concatBatches([a, b]), `chunked seed ${seed}`);
    assert.ok((dec.stats.skipped['special'] ?? 0) >= 1, 'TIMESTAMP_WRAP special packet skipped and counted');
    assert.equal(dec.sensor?.width, 128);
  }
});

test('AEDAT 3.1 drops invalid events, skips other types and other sources', () => {
  const enc = new Aedat3PacketEncoder({ sourceId: 1 });
  const ev = randomBatch(3, 4, DVS);
  const pol = enc.encode(ev);
  // Mark event 2 invalid (bit 0 of its data word).
  new DataView(pol.buffer).setUint32(28 + 2 * 8, new DataView(pol.buffer).getUint32(28 + 16, true) & ~1, true);
  // An IMU6 packet (36-byte events) and a polarity packet from source 2.
  const imu = new Uint8Array(28 + 2 * 36);
  const iv = new DataView(imu.buffer);
  iv.setUint16(0, 3, true); iv.setInt16(2, 1, true); iv.setInt32(4, 36, true); iv.setInt32(8, 4, true);
  iv.setInt32(16, 2, true); iv.setInt32(20, 2, true); iv.setInt32(24, 2, true);
  const other = new Aedat3PacketEncoder({ sourceId: 2 }).encode(randomBatch(4, 3, DVS));
  const file = new Uint8Array([...encodeAedat3Header(), ...imu, ...pol, ...other]);
  const dec = new Aedat3Decoder();
  const got = pushAll(dec, [file]);
  assert.equal(got.length, 3);
  assert.deepEqual([...got.t], [ev.t[0], ev.t[1], ev.t[3]]);
  assert.deepEqual(dec.stats.skipped, { imu6: 2, invalid: 1, source2: 3 });
});

test('AEDAT 3.1 network framing (§8): 20-byte header then packets', () => {
  const ev = randomBatch(9, 700, DVS, 100);
  const bytes = new Uint8Array([...encodeAedat3NetworkHeader(1), ...new Aedat3PacketEncoder().encode(ev)]);
  const dec = new Aedat3Decoder({ framing: 'network' });
  assertBatchesEqual(pushAll(dec, chunked(bytes, 5, 13)), ev);
  assert.equal(dec.networkSequence, 0n);
  assert.throws(() => new Aedat3Decoder({ framing: 'network' }).push(new Uint8Array(20)), FormatError);
});

test('AEDAT 3.1 bad input gives FormatError with offset', () => {
  const good = encodeAedat3([randomBatch(1, 10, DVS)]);
  // Truncated mid-packet.
  assert.throws(() => decodeBuffer(good.subarray(0, good.length - 3)), (e: unknown) => e instanceof FormatError && /truncated/.test(e.message));
  assert.equal(decodeBuffer(good.subarray(0, good.length - 3), { allowTruncated: true }).length, 0);
  // Impossible eventSize.
  const bad = good.slice();
  const headerLen = encodeAedat3Header().length;
  new DataView(bad.buffer).setInt32(headerLen + 4, -5, true);
  assert.throws(() => decodeBuffer(bad), (e: unknown) => e instanceof FormatError && e.offset === headerLen);
  // Huge capacity: rejected from the header alone, no allocation, no waiting.
  const huge = good.slice();
  new DataView(huge.buffer).setInt32(headerLen + 16, 0x7fffffff, true);
  assert.throws(() => new Aedat3Decoder().push(huge), FormatError);
  assert.throws(() => decodeBuffer(new TextEncoder().encode('#!AER-DAT3.1\r\n#Format: SerializedTS\r\n#!END-HEADER\r\n')), /not supported/);
});

test('AEDAT 3.1: WebAssembly and JS decode identically (packets over 2 pieces, invalid events in every group slot, 15-bit coordinates)', async (t) => {
  const { wasmKernelsAvailable } = await import('../../src/formats/index.js');
  const skip = skipUnlessWasm(wasmKernelsAvailable(), NO_KERNELS);
  if (skip) return t.skip(skip);
  const big = { width: 32768, height: 32768 };
  for (const [seed, perPacket] of [[1, 20_000], [2, 8193], [3, 13]] as const) {
    // Times cross the 2^31 overflow epoch; packets of `perPacket` events.
    const ev = randomBatch(seed, 30_011, big, 2 ** 31 - 40_000, 3);
    const bytes = encodeAedat3([ev], { maxEventsPerPacket: perPacket });
    // Invalidate event 8k + (k % 8) of the first packet's first 64 events (every slot of a SIMD
    // group) and ~2 % of all others.
    const head = new TextDecoder().decode(bytes.subarray(0, 300)).indexOf('#!END-HEADER\r\n') + 14;
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    let r = seed;
    for (let pos = head, first = true; pos < bytes.length; first = false) {
      const count = v.getInt32(pos + 20, true);
      if (v.getUint16(pos, true) === 1) {
        for (let k = 0; k < count; k++) {
          r = (r * 1103515245 + 12345) >>> 0;
          const slotHit = first && k < 64 && k % 8 === k >> 3;
          if (slotHit || r % 50 === 0) v.setUint32(pos + 28 + 8 * k, v.getUint32(pos + 28 + 8 * k, true) & ~1, true);
        }
      }
      pos += 28 + 8 * count;
    }
    const run = (wasm: boolean): { batch: EventBatch; invalid: number | undefined } => {
      const dec = new Aedat3Decoder({ wasm });
      const batch = pushAll(dec, chunked(bytes, seed, 70_001));
      return { batch, invalid: dec.stats.skipped['invalid'] };
    };
    const js = run(false), wasm = run(true);
    assert.ok(js.invalid! >= 8, `seed ${seed}`);
    assert.equal(wasm.invalid, js.invalid);
    assertBatchesEqual(wasm.batch, js.batch, `seed ${seed} packets of ${perPacket}`);
  }
});
