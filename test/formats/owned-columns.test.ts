/**
 * The AEDAT 2.0 / 3.1 WebAssembly paths decode each 8192-event piece in the arena and copy it
 * straight into the columns of the batch they will emit, which come from uninitialised memory
 * (output.ts allocateColumns). On multi-MiB files read in odd sizes (records straddle reads, one
 * push returns several batches), every batch must hold exactly the writer's events, keep them
 * after every later push, share memory with no other batch, and expose nothing but zeros beyond
 * its events (special records and invalid events leave the columns' ends unused).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concatBatches, type EventBatch } from '../../src/events/index.js';
import { createDecoder, wasmKernelsAvailable, type EventFormat } from '../../src/formats/index.js';
import { NO_KERNELS } from './helpers.js';
import { randomEvents, writeAedat2Dvs128, writeAedat3, type PlainEvents } from './reference-writers.js';
import { skipUnlessWasm } from '../support/require.js';

/** Bytes of the batch's ArrayBuffer outside its four columns' events that are not zero. */
function nonZeroOutsideColumns(b: EventBatch): number {
  const bytes = new Uint8Array(b.x.buffer).slice();
  for (const c of [b.x, b.y, b.t, b.p]) bytes.fill(0, c.byteOffset, c.byteOffset + c.byteLength);
  return bytes.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
}

function assertEvents(b: EventBatch, e: PlainEvents, what: string): void {
  assert.equal(b.length, e.x.length, `${what}: event count`);
  for (let i = 0; i < b.length; i++) {
    if (b.x[i] !== e.x[i] || b.y[i] !== e.y[i] || b.t[i] !== e.t[i] || b.p[i] !== e.p[i]) {
      assert.fail(`${what}: event ${i} is (${b.x[i]}, ${b.y[i]}, ${b.t[i]}, ${b.p[i]}), the writer wrote (${e.x[i]}, ${e.y[i]}, ${e.t[i]}, ${e.p[i]})`);
    }
  }
}

test('AEDAT 2.0 / 3.1 WebAssembly decoders: multi-MiB files in odd read sizes give owned batches of exactly the written events', { skip: skipUnlessWasm(wasmKernelsAvailable(), NO_KERNELS) }, () => {
  const events = randomEvents(21, 600_000, 128, 128, 2 ** 31 - 400_000); // crosses AEDAT 3.1's 2^31 overflow
  const files: Array<[EventFormat, Uint8Array]> = [
    ['aedat2', writeAedat2Dvs128(events)],
    ['aedat3', writeAedat3(events)],
  ];
  for (const [format, bytes] of files) {
    assert.ok(bytes.length > 4 << 20, `${format}: a multi-MiB file`);
    for (const read of [(1 << 20) + 13, 65_537, 333_331]) {
      const what = `${format}, ${read}-byte reads`;
      const dec = createDecoder(format, { wasm: true });
      const batches: EventBatch[] = [];
      for (let o = 0; o < bytes.length; o += read) batches.push(...dec.push(bytes.subarray(o, o + read)));
      batches.push(...dec.end());
      // Checked only after the last push: a batch aliasing memory a later parse reused would differ.
      assertEvents(concatBatches(batches, dec.sensor), events, what);
      assert.equal(new Set(batches.map((b) => b.x.buffer)).size, batches.length, `${what}: every batch has memory of its own`);
      for (const [i, b] of batches.entries()) {
        for (const c of [b.y, b.t, b.p]) assert.equal(c.buffer, b.x.buffer, `${what}: batch ${i}'s columns share one allocation`);
        assert.equal(nonZeroOutsideColumns(b), 0, `${what}: batch ${i} exposes non-zero bytes beyond its ${b.length} events`);
      }
    }
  }
});

/** AEDAT 3.1 with a 2000-sample IMU6 packet (72 KB) before every 50-event polarity packet. */
function mostlyImu(packets: number): { bytes: Uint8Array; events: PlainEvents } {
  const head = new TextEncoder().encode('#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#!END-HEADER\r\n');
  const imu = 2000, polarity = 50;
  const bytes = new Uint8Array(head.length + packets * (2 * 28 + imu * 36 + polarity * 8));
  bytes.set(head);
  const v = new DataView(bytes.buffer);
  const events: PlainEvents = { x: [], y: [], t: [], p: [] };
  let o = head.length;
  const header = (type: number, size: number, count: number): void => {
    [size, 4, 0, count, count, count].forEach((f, i) => v.setInt32(o + 4 + 4 * i, f, true));
    v.setUint16(o, type, true);
    v.setUint16(o + 2, 1, true);
    o += 28;
  };
  for (let k = 0; k < packets; k++) {
    header(3, 36, imu);
    o += imu * 36; // zeroed samples: the decoder only counts them
    header(1, 8, polarity);
    for (let i = 0; i < polarity; i++) {
      const x = (k * 7 + i) % 128, y = (k + i * 3) % 128, p = i & 1, t = k * 1000 + i;
      v.setUint32(o, ((x << 17) | (y << 2) | (p << 1) | 1) >>> 0, true);
      v.setInt32(o + 4, t, true);
      o += 8;
      events.x.push(x);
      events.y.push(y);
      events.t.push(t);
      events.p.push(p);
    }
  }
  return { bytes, events };
}

test('a read holding few events gives a batch sized to them, not to the read (AEDAT 3.1 mostly IMU packets, WASM and JS paths)', () => {
  const { bytes, events } = mostlyImu(150); // ~10.8 MB, ~700 events per 1 MiB read
  for (const wasm of [true, false]) {
    const dec = createDecoder('aedat3', { wasm });
    const batches: EventBatch[] = [];
    for (let o = 0; o < bytes.length; o += 1 << 20) batches.push(...dec.push(bytes.subarray(o, o + (1 << 20))));
    batches.push(...dec.end());
    assertEvents(concatBatches(batches, dec.sensor), events, `wasm=${wasm}`);
    for (const [i, b] of batches.entries()) {
      assert.ok(b.x.buffer.byteLength <= 2 * 13 * b.length, `wasm=${wasm}: batch ${i} of ${b.length} events keeps ${b.x.buffer.byteLength} bytes`);
    }
  }
});
