/**
 * Zstandard for AEDAT 4 packets through `@bokuweb/zstd-wasm`: the reference C library compiled
 * to WASM and shipped inside the npm package (no native download). The C decoder returns an
 * error code on corrupt input (a pure-JS decoder tried first looped forever on a fuzzed frame).
 * Our own frame-header check runs first, so neither a declared content size nor the window
 * size can make it allocate more than the caller's limit. The WASM module is compiled on first
 * use, synchronously (through Emscripten's `instantiateWasm` hook), so the synchronous push
 * decoders can use it and importing spikeline neither loads nor awaits it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as ZstdWasm from '@bokuweb/zstd-wasm';

export const ZSTD_FRAME_MAGIC = 0xfd2fb528;

export class ZstdError extends Error {
  override readonly name = 'ZstdError';
}

interface EmscriptenModule {
  instantiateWasm(imports: object, receive: (instance: unknown) => void): void;
  init(): void;
}

let codec: typeof ZstdWasm | undefined;

/** The package's codec, its WASM compiled and instantiated on the first call. */
function zstd(): typeof ZstdWasm {
  if (codec) return codec;
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@bokuweb/zstd-wasm'));
  const loaded = require('@bokuweb/zstd-wasm') as typeof ZstdWasm;
  const { Module } = require(join(dir, 'module.js')) as { Module: EmscriptenModule };
  const wasm = (globalThis as { WebAssembly?: { Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => unknown } }).WebAssembly;
  if (!wasm) throw new ZstdError('ZSTD needs WebAssembly, which this runtime lacks');
  const bytes = readFileSync(join(dir, 'zstd.wasm'));
  Module.instantiateWasm = (imports, receive) => receive(new wasm.Instance(new wasm.Module(bytes), imports));
  Module.init();
  return (codec = loaded);
}

/** Compiles the WASM module now instead of on first use (e.g. before a live stream starts). */
export async function initZstd(): Promise<void> {
  zstd();
}

/** Compresses `data` as one frame (content size declared). */
export function zstdCompress(data: Uint8Array, level = 3): Uint8Array {
  return zstd().compress(data, level);
}

/** Declared sizes of a frame header: [content size or -1, window size]. */
function frameSizes(src: Uint8Array): [number, number] {
  if (src.length < 6) throw new ZstdError('ZSTD frame too short');
  const magic = (src[0]! | (src[1]! << 8) | (src[2]! << 16) | (src[3]! << 24)) >>> 0;
  if (magic !== ZSTD_FRAME_MAGIC) throw new ZstdError(`bad ZSTD frame magic 0x${magic.toString(16)}`);
  const fhd = src[4]!;
  const fcf = fhd >>> 6;
  const single = (fhd >>> 5) & 1;
  if (fhd & 8) throw new ZstdError('ZSTD frame header reserved bit set');
  let pos = 5;
  let window = 0;
  if (!single) {
    const wd = src[5]!;
    const base = 2 ** (10 + (wd >>> 3));
    window = base + (base / 8) * (wd & 7);
    pos++;
  }
  pos += [0, 1, 2, 4][fhd & 3]!;
  const fsb = fcf ? 1 << fcf : single;
  if (pos + fsb > src.length) throw new ZstdError('truncated ZSTD frame header');
  let content = -1;
  if (fsb > 0) {
    content = 0;
    for (let i = fsb - 1; i >= 0; i--) content = content * 256 + src[pos + i]!;
    if (fsb === 2) content += 256;
  }
  return [content, single ? content : window];
}

/** Decompresses one frame; output (and any buffer the decoder allocates) bounded by maxOutput. */
export function zstdDecompress(src: Uint8Array, maxOutput: number): Uint8Array {
  const [content, window] = frameSizes(src);
  if (content > maxOutput) throw new ZstdError(`ZSTD frame declares ${content} bytes, over the ${maxOutput}-byte limit`);
  if (content < 0 && window > maxOutput) throw new ZstdError(`ZSTD window of ${window} bytes is over the ${maxOutput}-byte limit`);
  const { decompress } = zstd();
  // Known size: one exact call. Unknown size: grow the output capacity until it fits (capped).
  let capacity = content >= 0 ? Math.max(content, 1) : Math.min(maxOutput, Math.max(1 << 20, src.length * 8));
  for (;;) {
    try {
      return decompress(src, { defaultHeapSize: capacity });
    } catch (err) {
      if (content >= 0 || capacity >= maxOutput) throw new ZstdError(`corrupt ZSTD data (${(err as Error).message})`);
      capacity = Math.min(maxOutput, capacity * 4);
    }
  }
}
