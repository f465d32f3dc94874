// The AEDAT 2.0 WebAssembly path (8-record DVS128 SIMD loop, generic kernel, 64 KiB input
// pieces) against the JS loop on raw record streams built to hit its edges: more records than
// one piece, counts that are not multiples of 8, special records at every position of a group,
// timestamps crossing 2^31 (the SIMD loop's top-bit check) and wrapping at 2^32, small backward
// steps, and odd chunk boundaries (inside a record, inside the header).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concatBatches, type EventBatch } from '../../src/events/index.js';
import { AEDAT2_LAYOUTS, Aedat2Decoder, encodeAedat2Header, wasmKernelsAvailable, type Aedat2DecoderOptions } from '../../src/formats/index.js';
import { assertBatchesEqual, chunked, rng, NO_KERNELS } from './helpers.js';
import { skipUnlessWasm } from '../support/require.js';

const WRAP = 2 ** 32;

/** Header + `count` big-endian records; `t0` first raw timestamp (mod 2^32). */
function records(seed: number, count: number, t0: number, specialRate: number, chip = 'ch.unizh.ini.jaer.chip.retina.DVS128'): Uint8Array {
  const r = rng(seed);
  const head = new TextEncoder().encode(`#!AER-DAT2.0\r\n# AEChip: ${chip}\r\n#End Of ASCII Header\r\n`);
  const out = new Uint8Array(head.length + count * 8);
  out.set(head);
  const v = new DataView(out.buffer, head.length);
  let t = t0;
  for (let i = 0; i < count; i++) {
    const u = r();
    // Mostly small forward steps, some backward steps (real non-monotonic data), rare jumps.
    t += u < 0.02 ? -Math.floor(r() * 50) : u < 0.021 ? Math.floor(r() * 2 ** 30) : Math.floor(r() * 4);
    let a = Math.floor(r() * 2 ** 32) >>> 0;
    if (chip.includes('DVS128')) a &= 0x7fff7fff;
    else a &= 0x7ffffbff;
    if (r() < specialRate) a = (a | (r() < 0.5 ? 0x8000 : 0x80000000) | (chip.includes('DVS128') ? 0 : 0x400)) >>> 0;
    v.setUint32(8 * i, a);
    v.setUint32(8 * i + 4, ((t % WRAP) + WRAP) % WRAP);
  }
  return out;
}

function decode(bytes: Uint8Array, options: Aedat2DecoderOptions, seed: number, maxChunk: number): { batch: EventBatch; skipped: Record<string, number> } {
  const dec = new Aedat2Decoder(options);
  const parts: EventBatch[] = [];
  for (const c of chunked(bytes, seed, maxChunk)) parts.push(...dec.push(c));
  parts.push(...dec.end());
  return { batch: concatBatches(parts, dec.sensor!), skipped: dec.stats.skipped };
}

test('AEDAT 2.0: WebAssembly and JS decode identically across pieces, groups, special records and wraps', { skip: skipUnlessWasm(wasmKernelsAvailable(), NO_KERNELS) }, () => {
  const starts = [0, 2 ** 31 - 3000, WRAP - 20000, WRAP - 7];
  let trial = 0;
  for (const t0 of starts) {
    for (const specialRate of [0, 0.003, 0.2]) {
      for (const layout of ['dvs128', 'davis346'] as const) {
        for (const transpose of [false, true]) {
          const seed = 100 + trial++;
          const count = 17000 + Math.floor(rng(seed)() * 1000); // > 2 pieces of 8192, rarely a multiple of 8
          const bytes = records(seed, count, t0, specialRate, layout === 'dvs128' ? 'ch.unizh.ini.jaer.chip.retina.DVS128' : 'eu.seebetter.ini.chips.davis.Davis346B');
          const maxChunk = [29, 3001, 1 << 20][seed % 3]!;
          const js = decode(bytes, { wasm: false, transpose }, seed, maxChunk);
          const wasm = decode(bytes, { wasm: true, transpose }, seed + 1, maxChunk);
          const what = `t0 ${t0} special ${specialRate} ${layout} transpose ${transpose}`;
          assert.ok(js.batch.length > 0, what);
          assertBatchesEqual(wasm.batch, js.batch, what);
          assert.deepEqual(wasm.skipped, js.skipped, what);
        }
      }
    }
  }
});

test('AEDAT 2.0 DVS128: values across the 2^31 boundary and a 2^32 wrap, special records in every group slot', () => {
  // Records i = 0..127: groups 0-7 hold one special record (bit 15) each, at slot k of group k;
  // ts crosses 2^31 at i = 80 and wraps at i = 100 (both inside groups without specials).
  const head = encodeAedat2Header({ creationTimeMs: 0 });
  const n = 128;
  const bytes = new Uint8Array(head.length + n * 8);
  bytes.set(head);
  const v = new DataView(bytes.buffer, head.length);
  const expected: Array<[number, number, number, number]> = [];
  for (let i = 0; i < n; i++) {
    const x = (i * 37) % 128, y = (i * 11) % 128, p = i & 1;
    const t = i < 100 ? 2 ** 31 - 400 + i * 5 : 2 ** 32 + (i - 100) * 3; // raw wraps to small values
    const special = i < 64 && i % 8 === i >> 3;
    v.setUint32(8 * i, ((127 - y) << 8) | ((127 - x) << 1) | (1 - p) | (special ? 0x8000 : 0));
    v.setUint32(8 * i + 4, t % WRAP);
    if (!special) expected.push([x, y, t, p]);
  }
  for (const wasm of [true, false]) {
    for (const maxChunk of [1, 13, 1000]) {
      const { batch, skipped } = decode(bytes, { wasm, layout: AEDAT2_LAYOUTS.dvs128 }, maxChunk, maxChunk);
      assert.equal(skipped['special'], 8);
      const got = Array.from({ length: batch.length }, (_, i) => [batch.x[i], batch.y[i], batch.t[i], batch.p[i]]);
      assert.deepEqual(got, expected, `wasm ${wasm} chunk ${maxChunk}`);
    }
  }
});
