/**
 * Mutation fuzzing of the decoders, shared by the short run in the test suite and the long
 * mode of scripts/fuzz-formats.ts. Valid files of every format are mutated (bit flips,
 * interesting values, insertions, deletions, truncation, chunk duplication) and decoded through
 * randomly chunked pushes; the only acceptable failure is a FormatError.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, createDecoder, encodeEvents, initZstd, type EventFormat } from '../../src/formats/index.js';
import { randomBatch, rng, REAL } from './helpers.js';

export interface Seed {
  name: string;
  format: EventFormat;
  bytes: Uint8Array;
  /** Mutate this seed every `every`-th iteration only (the ~1 MB real recordings are costly). */
  every?: number;
}

function le16(words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 2);
  words.forEach((w, i) => { out[2 * i] = w & 0xff; out[2 * i + 1] = (w >>> 8) & 0xff; });
  return out;
}

function le32(words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const v = new DataView(out.buffer);
  words.forEach((w, i) => v.setUint32(4 * i, w >>> 0, true));
  return out;
}

function join2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Small valid files of every format (plus the real samples when ../shared is present). */
export async function fuzzSeeds(): Promise<Seed[]> {
  await initZstd();
  const dvs = { width: 128, height: 128 };
  const big = { width: 346, height: 260 };
  const seeds: Seed[] = [];
  const a = randomBatch(1, 300, dvs, 1000, 30);
  const b = randomBatch(2, 300, big, 1605537493718345, 30);
  seeds.push({ name: 'aedat2', format: 'aedat2', bytes: await encodeEvents([a], { format: 'aedat2' }) });
  seeds.push({ name: 'aedat3', format: 'aedat3', bytes: await encodeEvents([a], { format: 'aedat3', maxEventsPerPacket: 64 }) });
  for (const compression of ['none', 'lz4', 'zstd'] as const) {
    seeds.push({ name: `aedat4-${compression}`, format: 'aedat4', bytes: await encodeEvents([b], { format: 'aedat4', compression, maxEventsPerPacket: 100 }) });
  }
  seeds.push({ name: 'csv', format: 'csv', bytes: await encodeEvents([randomBatch(3, 40, dvs)], { format: 'csv' }) });
  const r = rng(5);
  const evt2: number[] = [(0x8 << 28) | 5];
  for (let i = 0; i < 200; i++) evt2.push(i % 50 === 49 ? (0x8 << 28) | (6 + i) : ((r() < 0.5 ? 1 : 0) << 28) | (Math.floor(r() * 64) << 22) | (Math.floor(r() * 640) << 11) | Math.floor(r() * 480));
  seeds.push({ name: 'evt2', format: 'evt2', bytes: join2(new TextEncoder().encode('% evt 2.0\n% geometry 640x480\n% end\n'), le32(evt2)) });
  const evt3: number[] = [0x8001];
  for (let i = 0; i < 300; i++) {
    const k = Math.floor(r() * 7);
    evt3.push([0x0000 | Math.floor(r() * 720), 0x2000 | Math.floor(r() * 4096), 0x3000 | Math.floor(r() * 1200), 0x4000 | Math.floor(r() * 4096), 0x5000 | Math.floor(r() * 256), 0x6000 | Math.floor(r() * 4096), 0x8000 | Math.floor(r() * 4096)][k]!);
  }
  seeds.push({ name: 'evt3', format: 'evt3', bytes: join2(new TextEncoder().encode('% evt 3.0\n% end\n'), le16(evt3)) });
  const dat = new Uint8Array(8 * 100);
  const dv = new DataView(dat.buffer);
  for (let i = 0; i < 100; i++) { dv.setUint32(8 * i, i * 10, true); dv.setUint32(8 * i + 4, (i % 2 << 28) | ((i % 40) << 14) | (i % 70), true); }
  seeds.push({ name: 'dat', format: 'dat', bytes: join2(new TextEncoder().encode('% Data file containing CD events\n% Version 2\n\x00\x08'), dat) });
  const nm = new Uint8Array(5 * 100);
  for (let i = 0; i < 100; i++) nm.set([i % 34, (i * 7) % 34, (i % 2) << 7, i, i * 3], 5 * i);
  seeds.push({ name: 'nmnist', format: 'nmnist', bytes: nm });
  if (existsSync(REAL)) {
    for (const [file, format] of [['sample.aedat4', 'aedat4'], ['sample_ncars.dat', 'dat'], ['sample_nmnist.bin', 'nmnist'], ['sample_aedat_header.aedat', 'aedat2']] as const) {
      const bytes = new Uint8Array(readFileSync(join(REAL, file)));
      seeds.push({ name: `real:${file}`, format, bytes, ...(bytes.length > 100_000 ? { every: 20 } : {}) });
    }
  }
  return seeds;
}

const INTERESTING32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe];

/** One random mutation of `src` (new array). */
export function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const pick = (n: number): number => Math.floor(r() * n);
  const kind = pick(8);
  const n = src.length;
  if (n === 0) return Uint8Array.of(pick(256));
  switch (kind) {
    case 0: {
      const out = src.slice();
      const flips = 1 + pick(8);
      for (let i = 0; i < flips; i++) out[pick(n)]! ^= 1 << pick(8);
      return out;
    }
    case 1: {
      const out = src.slice();
      out[pick(n)] = [0, 0xff, 0x7f, 0x80, 0x23, 0x25, 0x0a][pick(7)]!;
      return out;
    }
    case 2: {
      const out = src.slice();
      if (n < 4) {
        out[pick(n)] = pick(256);
        return out;
      }
      const at = pick(n - 3);
      const v = INTERESTING32[pick(INTERESTING32.length)]!;
      new DataView(out.buffer).setUint32(at, v, r() < 0.5);
      return out;
    }
    case 3:
      return src.slice(0, pick(n));
    case 4: {
      const at = pick(n), len = 1 + pick(16);
      const out = new Uint8Array(n + len);
      out.set(src.subarray(0, at));
      for (let i = 0; i < len; i++) out[at + i] = pick(256);
      out.set(src.subarray(at), at + len);
      return out;
    }
    case 5: {
      const at = pick(n), len = 1 + pick(Math.min(64, n - at));
      const out = new Uint8Array(n - len);
      out.set(src.subarray(0, at));
      out.set(src.subarray(at + len), at);
      return out;
    }
    case 6: {
      const at = pick(n), len = 1 + pick(Math.min(256, n - at));
      const out = new Uint8Array(n + len);
      out.set(src.subarray(0, at + len));
      out.set(src.subarray(at), at + len);
      return out;
    }
    default: {
      const out = src.slice();
      const at = pick(n), len = 1 + pick(Math.min(32, n - at));
      for (let i = 0; i < len; i++) out[at + i] = pick(256);
      return out;
    }
  }
}

export interface FuzzFailure {
  seed: string;
  iteration: number;
  error: string;
}

export interface FuzzResult {
  inputs: number;
  decoded: number;
  formatErrors: number;
  failures: FuzzFailure[];
  slowestMs: number;
  perSeed: Record<string, number>;
}

/** Decodes `iterations` mutants per seed; never throws, returns what failed. */
export function fuzz(
  seeds: readonly Seed[],
  iterations: number,
  seed = 1,
  onProgress?: (done: number, total: number) => void,
  /** Called before each input (a watchdog records where a hang happens). */
  onInput?: (seedIndex: number, iteration: number, input: Uint8Array) => void,
): FuzzResult {
  const r = rng(seed);
  const result: FuzzResult = { inputs: 0, decoded: 0, formatErrors: 0, failures: [], slowestMs: 0, perSeed: {} };
  const total = seeds.reduce((sum, s) => sum + Math.ceil(iterations / (s.every ?? 1)), 0);
  for (let i = 0; i < iterations; i++) {
    for (const [k, s] of seeds.entries()) {
      if (s.every && i % s.every !== 0) continue;
      let input = mutate(s.bytes, r);
      if (r() < 0.3) input = mutate(input, r);
      onInput?.(k, i, input);
      const started = performance.now();
      try {
        const dec = createDecoder(s.format, { maxPacketBytes: 64 << 20, allowTruncated: r() < 0.2 });
        for (let o = 0; o < input.length; ) {
          const len = r() < 0.5 ? input.length : 1 + Math.floor(r() * 700);
          dec.push(input.subarray(o, o + len));
          o += len;
        }
        dec.end();
        result.decoded++;
      } catch (err) {
        if (err instanceof FormatError) result.formatErrors++;
        else result.failures.push({ seed: s.name, iteration: i, error: err instanceof Error ? `${err.name}: ${err.message}\n${err.stack?.split('\n').slice(1, 4).join('\n')}` : String(err) });
      }
      const ms = performance.now() - started;
      if (ms > result.slowestMs) result.slowestMs = ms;
      result.inputs++;
      result.perSeed[s.name] = (result.perSeed[s.name] ?? 0) + 1;
      if (onProgress && result.inputs % 1000 === 0) onProgress(result.inputs, total);
    }
  }
  return result;
}
