// The WebAssembly LZ4 block kernel against the JS decoder on hand-built blocks: every literal
// length class (0, < 15, 15+ with extension bytes), every match copy case (overlapping offsets
// 1-7, 8-15, >= 16, lengths up to 18 without extension bytes and longer ones), near and far
// from the block and output ends (the kernel's fast path and its checked path).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lz4DecodeBlock } from '../../src/formats/lz4.js';
import { WasmArena } from '../../src/formats/wasm/kernels.js';
import { rng } from './helpers.js';

/** A valid LZ4 block of random sequences, and the bytes it decodes to. */
function buildBlock(seed: number, sequences: number): { block: Uint8Array; plain: Uint8Array } {
  const r = rng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const out: number[] = [];
  const plain: number[] = [];
  const lengthBytes = (v: number): void => {
    for (; v >= 255; v -= 255) out.push(255);
    out.push(v);
  };
  for (let i = 0; i <= sequences; i++) {
    const last = i === sequences;
    const lit = r() < 0.1 ? int(15, 300) : int(plain.length === 0 ? 1 : 0, 14);
    const len = r() < 0.1 ? int(19, 300) : int(4, 18);
    const off = int(1, Math.min(plain.length + lit, r() < 0.5 ? 7 : r() < 0.5 ? 20 : 70));
    out.push((Math.min(lit, 15) << 4) | (last ? 0 : Math.min(len - 4, 15)));
    if (lit >= 15) lengthBytes(lit - 15);
    for (let k = 0; k < lit; k++) {
      const b = int(0, 255);
      out.push(b);
      plain.push(b);
    }
    if (last) break;
    out.push(off & 255, off >>> 8);
    if (len - 4 >= 15) lengthBytes(len - 19);
    for (let k = 0; k < len; k++) plain.push(plain[plain.length - off]!);
  }
  return { block: Uint8Array.from(out), plain: Uint8Array.from(plain) };
}

/** Decodes with the kernel: block at 64, output after it with 32 bytes of slack each side. */
function wasmDecode(arena: WasmArena, block: Uint8Array, outputSize: number): Uint8Array | 'error' {
  const input = 64;
  const output = input + block.length + 64;
  arena.reserve(output + outputSize + 64);
  arena.u8.fill(0xaa);
  arena.u8.set(block, input);
  const d = arena.k.lz4block(input, input + block.length, output, output, output + outputSize);
  return d < 0 ? 'error' : arena.u8.slice(output, d);
}

function jsDecode(block: Uint8Array, outputSize: number): Uint8Array | 'error' {
  const dst = new Uint8Array(outputSize);
  try {
    return dst.slice(0, lz4DecodeBlock(block, 0, block.length, dst, 0, outputSize));
  } catch {
    return 'error';
  }
}

test('WASM LZ4 kernel decodes every sequence shape exactly as the JS decoder', (t) => {
  const arena = WasmArena.create();
  if (!arena) return t.skip('WebAssembly SIMD unavailable');
  for (let seed = 1; seed <= 300; seed++) {
    const { block, plain } = buildBlock(seed, 1 + (seed % 40));
    assert.deepEqual(jsDecode(block, plain.length), plain, `JS seed ${seed}`);
    assert.deepEqual(wasmDecode(arena, block, plain.length), plain, `WASM seed ${seed}`);
    // Output limits around the exact size: both accept or both reject.
    for (const size of [plain.length - 1, plain.length + 1, plain.length + 40]) {
      if (size < 0) continue;
      assert.deepEqual(wasmDecode(arena, block, size), jsDecode(block, size), `seed ${seed} limit ${size}`);
    }
    // Truncations and a corrupted byte: same verdict and output as the JS decoder.
    const cut = block.subarray(0, Math.floor(block.length * rng(seed + 1000)()));
    assert.deepEqual(wasmDecode(arena, cut, plain.length), jsDecode(cut, plain.length), `seed ${seed} truncated`);
    const bad = block.slice();
    const at = seed % bad.length;
    bad[at] = bad[at]! ^ 0x5a;
    assert.deepEqual(wasmDecode(arena, bad, plain.length + 64), jsDecode(bad, plain.length + 64), `seed ${seed} corrupted`);
  }
});
