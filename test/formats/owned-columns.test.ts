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
