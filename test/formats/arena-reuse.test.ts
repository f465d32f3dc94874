// Decoders hand their WebAssembly arena to the next decoder at end(): batches already emitted
// must not change when another decoder writes into that memory, decoders open at the same time
// must not share one, and a decoder whose end() throws still gives its arena back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concatBatches, type EventBatch } from '../../src/events/index.js';
import { createDecoder, encodeEvents, type EventFormat } from '../../src/formats/index.js';
import { wasmKernelsAvailable } from '../../src/formats/wasm/kernels.js';
import { randomEvents } from '../support/events.js';
import { skipUnlessWasm } from '../support/require.js';

const skip = skipUnlessWasm(wasmKernelsAvailable(), 'WebAssembly kernels unavailable: no arenas to reuse');

const CASES: Array<{ format: EventFormat; options: Record<string, unknown> }> = [
  { format: 'aedat2', options: {} },
  { format: 'aedat3', options: {} },
  { format: 'aedat4', options: { compression: 'lz4' } },
  { format: 'aedat4', options: { compression: 'none' } },
];

function snapshot(batches: readonly EventBatch[]): { x: number[]; y: number[]; t: number[]; p: number[] } {
  const all = concatBatches(batches);
  return { x: [...all.x], y: [...all.y], t: [...all.t], p: [...all.p] };
}

/** Decodes `bytes` in `pieces` pushes. */
function decodeAll(format: EventFormat, bytes: Uint8Array, pieces = 3): EventBatch[] {
  const dec = createDecoder(format);
  const out: EventBatch[] = [];
  const step = Math.ceil(bytes.length / pieces);
  for (let o = 0; o < bytes.length; o += step) out.push(...dec.push(bytes.subarray(o, o + step)));
  out.push(...dec.end());
  return out;
}

for (const { format, options } of CASES) {
  const name = `${format}${options['compression'] ? ` ${String(options['compression'])}` : ''}`;
  const sensor = format === 'aedat2' ? { width: 128, height: 128 } : { width: 346, height: 260 };

  test(`${name}: batches of an ended decoder stay intact while later decoders reuse its arena`, { skip }, async () => {
    const a = await encodeEvents([randomEvents(40_000, sensor, 1)], { format, ...options } as never);
    const b = await encodeEvents([randomEvents(60_000, sensor, 2, 2_000_000, 5_000_000)], { format, ...options } as never);
    const first = decodeAll(format, a);
    const before = snapshot(first);
    assert.equal(before.x.length, 40_000);
    for (let i = 0; i < 3; i++) decodeAll(format, b);
    assert.deepEqual(snapshot(first), before);
    assert.deepEqual(snapshot(decodeAll(format, a, 7)), before, 'a reused arena decodes the same events');
  });

  test(`${name}: two decoders open at once, pushed alternately, decode what each decodes alone`, { skip }, async () => {
    const a = await encodeEvents([randomEvents(30_000, sensor, 3)], { format, ...options } as never);
    const b = await encodeEvents([randomEvents(50_000, sensor, 4)], { format, ...options } as never);
    const alone = [snapshot(decodeAll(format, a)), snapshot(decodeAll(format, b))];
    const decs = [createDecoder(format), createDecoder(format)];
    const outs: EventBatch[][] = [[], []];
    const bytes = [a, b];
    for (let piece = 0; piece < 8; piece++) {
      for (let k = 0; k < 2; k++) {
        const step = Math.ceil(bytes[k]!.length / 8);
        outs[k]!.push(...decs[k]!.push(bytes[k]!.subarray(piece * step, (piece + 1) * step)));
      }
    }
    for (let k = 0; k < 2; k++) outs[k]!.push(...decs[k]!.end());
    assert.deepEqual(snapshot(outs[0]!), alone[0]);
    assert.deepEqual(snapshot(outs[1]!), alone[1]);
  });

  test(`${name}: a decoder whose end() throws (truncated input) still releases its arena`, { skip }, async () => {
    const a = await encodeEvents([randomEvents(20_000, sensor, 5)], { format, ...options } as never);
    const expected = snapshot(decodeAll(format, a));
    for (let i = 0; i < 6; i++) {
      const dec = createDecoder(format);
      dec.push(a.subarray(0, a.length - 5));
      assert.throws(() => dec.end(), { name: 'FormatError' });
    }
    assert.deepEqual(snapshot(decodeAll(format, a)), expected);
  });
}
