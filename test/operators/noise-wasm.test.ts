// The background-activity filter's WebAssembly loop against its TypeScript loops (the
// reference, forced with `wasm: false`), batch by batch: kept events bit for bit, whether the
// input batch itself is returned, and every pixel's last time after each batch. Streams mix
// sorted runs, equal timestamps, small and large time inversions (some at batch starts), long
// gaps and empty batches, on sensors with borders everywhere (1-pixel rows and columns) and odd
// widths, with batches smaller and larger than the kernel's 4096-event chunk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateBatch, batchFromArrays, sliceBatch, type EventBatch, type SensorGeometry } from '../../src/events/index.js';
import { BackgroundActivityFilter } from '../../src/operators/functional/index.js';
import { noiseKernelsAvailable } from '../../src/operators/wasm/noise-kernels.js';
import { rng } from '../support/events.js';
import { skipUnlessWasm } from '../support/require.js';

const skip = skipUnlessWasm(noiseKernelsAvailable(), 'the noise WebAssembly kernel did not load (no WebAssembly SIMD?)');

/**
 * A stream of `n` events: mostly forward steps (often 0, else up to `step` µs), some steps back,
 * rare jumps.
 */
function stream(n: number, sensor: SensorGeometry, seed: number, duration: number, step = duration / 20): EventBatch {
  const r = rng(seed);
  const b = allocateBatch(n, sensor);
  let t = 1_600_000_000_000_000 + Math.floor(r() * 1000);
  for (let i = 0; i < n; i++) {
    const u = r();
    if (u < 0.01) t -= Math.floor(r() * 3 * duration); // back in time
    else if (u < 0.012) t += Math.floor(r() * 50 * duration); // gap: every neighbour stale
    else if (u < 0.3) t += 0; // equal timestamps
    else t += Math.floor(r() * r() * (step + 1));
    // Clusters (a moving spot) so that a good share of events has recent neighbours.
    const spot = r() < 0.6;
    b.x[i] = spot ? Math.min(sensor.width - 1, Math.floor((i / 97) % sensor.width) + Math.floor(r() * 3)) : Math.floor(r() * sensor.width);
    b.y[i] = spot ? Math.min(sensor.height - 1, Math.floor((i / 131) % sensor.height) + Math.floor(r() * 3)) : Math.floor(r() * sensor.height);
    b.p[i] = r() < 0.5 ? 1 : 0;
    b.t[i] = t;
  }
  return b;
}

/** Random split into views, with empty batches and a few longer than the 4096-event chunk. */
function split(b: EventBatch, seed: number): EventBatch[] {
  const r = rng(seed);
  const out: EventBatch[] = [];
  for (let i = 0; i < b.length; ) {
    const u = r();
    const n = u < 0.05 ? 0 : u < 0.15 ? 4096 + Math.floor(r() * 6000) : 1 + Math.floor(r() * 900);
    out.push(sliceBatch(b, i, Math.min(b.length, i + n)));
    i += n;
  }
  return out;
}

/** Byte-exact comparison of two batches (NaN payloads and -0 included). */
function assertSameBatch(got: EventBatch, want: EventBatch, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (const c of ['t', 'x', 'y', 'p'] as const) {
    const g = got[c], w = want[c];
    const gb = new Uint8Array(g.buffer, g.byteOffset, got.length * g.BYTES_PER_ELEMENT);
    const wb = new Uint8Array(w.buffer, w.byteOffset, want.length * w.BYTES_PER_ELEMENT);
    const i = gb.findIndex((v, j) => v !== wb[j]);
    assert.ok(i < 0, `${what}: column ${c} differs at event ${Math.floor(i / g.BYTES_PER_ELEMENT)}`);
  }
  assert.equal(got.sensor, want.sensor, `${what}: sensor`);
}

function assertSameTimes(got: Float64Array, want: Float64Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: map size`);
  const i = got.findIndex((v, j) => !Object.is(v, want[j]));
  assert.ok(i < 0, `${what}: last time of pixel ${i} is ${got[i]}, want ${want[i]}`);
}

/** Runs both paths over `batches`, comparing after every batch; returns the kept fraction. */
function compare(batches: EventBatch[], duration: number, neighbours: 4 | 8, what: string): number {
  const wasm = new BackgroundActivityFilter(duration, neighbours);
  const ts = new BackgroundActivityFilter(duration, neighbours, { wasm: false });
  batches.forEach((b, j) => {
    const w = wasm.filter(b), r = ts.filter(b);
    assertSameBatch(w, r, `${what}, batch ${j}`);
    assert.equal(w === b, r === b, `${what}, batch ${j}: input returned iff all kept`);
    assertSameTimes(wasm.lastEventTimes(), ts.lastEventTimes(), `${what}, after batch ${j}`);
  });
  assert.deepEqual(wasm.stats, ts.stats, what);
  return ts.stats.kept / Math.max(1, ts.stats.seen);
}

test('background activity: WebAssembly and TypeScript loops agree batch by batch on random streams', { skip }, () => {
  const sensors = [{ width: 1, height: 1 }, { width: 1, height: 37 }, { width: 41, height: 1 }, { width: 2, height: 3 }, { width: 16, height: 16 }, { width: 128, height: 128 }, { width: 346, height: 260 }];
  let seed = 500;
  for (const sensor of sensors) {
    for (const neighbours of [8, 4] as const) {
      // Time steps from far below to far above the support window (relative to the pixel count).
      for (const [duration, step] of [[1, 3], [700, 20], [2000, 1000], [2000, 20_000]] as const) {
        seed++;
        const n = sensor.width * sensor.height > 10_000 ? 40_000 : 12_000;
        const what = `${sensor.width}x${sensor.height}, ${neighbours} neighbours, ${duration} µs, steps ${step} µs`;
        const kept = compare(split(stream(n, sensor, seed, duration, step), seed + 1000), duration, neighbours, what);
        // 1x1 has no neighbours at all; elsewhere both outcomes occur.
        if (sensor.width * sensor.height > 1) assert.ok(kept > 0 && kept < 1, `${what}: kept ${kept}`);
      }
    }
  }
});

test('background activity: WebAssembly loop across reset, sensor changes (memory growth) and a 1-event pixel stream', { skip }, () => {
  const small = { width: 16, height: 16 }, big = { width: 346, height: 260 };
  const a = split(stream(6000, small, 1, 2000), 2);
  const b = split(stream(30_000, big, 3, 2000), 4);
  const c = split(stream(6000, small, 5, 2000), 6);
  for (const neighbours of [8, 4] as const) {
    const wasm = new BackgroundActivityFilter(2000, neighbours);
    const ts = new BackgroundActivityFilter(2000, neighbours, { wasm: false });
    const run = (batches: EventBatch[], what: string) => batches.forEach((x, j) => {
      assertSameBatch(wasm.filter(x), ts.filter(x), `${what} ${j}`);
      assertSameTimes(wasm.lastEventTimes(), ts.lastEventTimes(), `${what} ${j}`);
    });
    run(a, 'small');
    run(b, 'big (memory grows)');
    run(c, 'small again (reallocated)');
    wasm.reset();
    ts.reset();
    assert.equal(wasm.lastEventTimes().length, 0);
    run(c, 'after reset');
  }
});

test('background activity: NaN and -0 timestamps go through both loops identically', { skip }, () => {
  const sensor = { width: 5, height: 4 };
  const b = stream(3000, sensor, 77, 500);
  const r = rng(78);
  for (let i = 0; i < b.length; i += 1 + Math.floor(r() * 40)) b.t[i] = r() < 0.5 ? Number.NaN : -0;
  for (const neighbours of [8, 4] as const) compare(split(b, 79), 500, neighbours, `NaN / -0, ${neighbours} neighbours`);
});

test('background activity: an event far outside the sensor is a RangeError in the WebAssembly loop, not a trap', { skip }, () => {
  const f = new BackgroundActivityFilter(100, 8);
  const b = batchFromArrays({ x: [3, 65535], y: [3, 65535], t: [1, 2], p: [0, 0] }, { width: 8, height: 8 });
  assert.throws(() => f.filter(b), (e) => e instanceof RangeError && /not all inside the 8x8 sensor/.test(e.message));
});
