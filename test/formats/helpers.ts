import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { allocateBatch, type EventBatch, type SensorGeometry } from '../../src/events/index.js';
import { randomSource } from '../../src/util/random.js';
import { Aedat3PacketEncoder, encodeAedat3Header } from '../../src/formats/index.js';
import { skipUnlessShared } from '../support/require.js';

/** Deterministic uniform [0, 1) generator: tests are reproducible from their seed. */
export const rng = randomSource;

/** Random time-sorted events; `t0` and `maxStep` control the timestamp range. */
export function randomBatch(seed: number, n: number, sensor: SensorGeometry, t0 = 0, maxStep = 50): EventBatch {
  const r = rng(seed);
  const b = allocateBatch(n, sensor);
  let t = t0;
  for (let i = 0; i < n; i++) {
    t += Math.floor(r() * maxStep);
    b.x[i] = Math.floor(r() * sensor.width);
    b.y[i] = Math.floor(r() * sensor.height);
    b.p[i] = r() < 0.5 ? 1 : 0;
    b.t[i] = t;
  }
  return b;
}

export function assertBatchesEqual(actual: EventBatch, expected: EventBatch, message = ''): void {
  if (actual.length !== expected.length) throw new Error(`${message} length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    if (actual.x[i] !== expected.x[i] || actual.y[i] !== expected.y[i] || actual.t[i] !== expected.t[i] || actual.p[i] !== expected.p[i]) {
      throw new Error(
        `${message} event ${i}: got (${actual.x[i]},${actual.y[i]},${actual.t[i]},${actual.p[i]}) want (${expected.x[i]},${expected.y[i]},${expected.t[i]},${expected.p[i]})`,
      );
    }
  }
}

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(here, '..', '..');
/** ../shared next to the repository (absent in a user's clone: tests skip visibly). */
export const SHARED = join(REPO_ROOT, '..', 'shared');
export const REAL = join(SHARED, 'fixtures', 'real');
export const sharedSkip = skipUnlessShared(existsSync(REAL), `../shared is absent (${REAL}): golden tests skipped`);
/** Why a WebAssembly-vs-JS comparison is skipped. */
export const NO_KERNELS = 'the formats WebAssembly kernels did not load (no WebAssembly SIMD?)';

/** Feeds `bytes` to a push decoder in random-size chunks (exercises split packets). */
export function chunked(bytes: Uint8Array, seed: number, maxChunk = 97): Uint8Array[] {
  const r = rng(seed);
  const out: Uint8Array[] = [];
  for (let o = 0; o < bytes.length; ) {
    const n = 1 + Math.floor(r() * maxChunk);
    out.push(bytes.slice(o, o + n));
    o += n;
  }
  return out;
}

/** Writes an AEDAT 3.1 file of `packets` 1M-event packets (x/y ramp on 128x128, t = event index): big-file RSS checks. */
export async function writeRampAedat3(path: string, packets: number): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.write(encodeAedat3Header());
    const enc = new Aedat3PacketEncoder();
    const B = 1_000_000;
    const b = allocateBatch(B, { width: 128, height: 128 });
    for (let k = 0, t = 0; k < packets; k++) {
      for (let i = 0; i < B; i++, t++) {
        b.x[i] = i & 127;
        b.y[i] = (i >> 7) & 127;
        b.p[i] = i & 1;
        b.t[i] = t;
      }
      await fh.write(enc.encode(b));
    }
  } finally {
    await fh.close();
  }
}
