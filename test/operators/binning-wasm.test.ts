// The WebAssembly histogram kernel of binning (binning-kernels.wat) against a naive count and
// against the TypeScript loops (the reference, forced with `wasm: false`): random events on odd
// grids on both sides of the kernel's 16-bit index limit (65536 cells), slices of every size
// around its 16384-event chunk and its 8-event step, counts added into frames that already hold
// counts, downsampling tables that change between calls, and a grid that makes its memory grow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventBatch, SensorGeometry } from '../../src/events/index.js';
import { Downsampler, FrameAccumulator, framesFromEvents, type FrameSpec } from '../../src/operators/functional/index.js';
import { HistogramKernel } from '../../src/operators/wasm/binning-kernels.js';
import { randomEvents, rng } from '../support/events.js';
import { skipUnlessWasm } from '../support/require.js';

const skip = skipUnlessWasm(HistogramKernel.shared() !== null, 'the binning WebAssembly kernel did not load (no WebAssembly SIMD?)');

/** Naive count of events [start, end) into `data` at `offset` (NHWC, C = 2), coordinates divided by `f`. */
function naiveAdd(b: EventBatch, start: number, end: number, data: Float32Array, offset: number, width: number, f = 1): void {
  for (let i = start; i < end; i++) {
    const k = offset + (Math.floor(b.y[i]! / f) * width + Math.floor(b.x[i]! / f)) * 2 + b.p[i]!;
    data[k] = data[k]! + 1;
  }
}

function assertSameData(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  const i = got.findIndex((v, j) => v !== want[j]);
  assert.ok(i < 0, `${what}: first difference at ${i}: ${got[i]} vs ${want[i]}`);
}

const grids: SensorGeometry[] = [
  { width: 128, height: 128 }, // 32768 cells: 16-bit indices
  { width: 256, height: 128 }, // exactly 65536 cells: the last 16-bit grid
  { width: 257, height: 128 }, // 65792 cells: 32-bit indices
  { width: 5, height: 3 },
  { width: 346, height: 260 },
];

test('WASM histogram equals a naive count and the TypeScript loops: odd grids, slice sizes around the chunk and the step', { skip }, () => {
  const wasm = new FrameAccumulator();
  const ts = new FrameAccumulator({ wasm: false });
  const r = rng(41);
  for (const [g, sensor] of grids.entries()) {
    const b = randomEvents(70_000, sensor, 100 + g, 1_000_000);
    const cells = sensor.width * sensor.height * 2;
    // Slice lengths: the chunk (16384) and twice it, +-1 and +-7 (every remainder mod 8), tiny
    // ones, and random ones, from random starts; the histogram path needs >= cells / 4 events.
    const lengths = [16384, 16385, 16383, 32768, 32775, 32761, 9, 1, 8, 0, ...Array.from({ length: 6 }, () => Math.floor(r() * 60_000))];
    for (const len of lengths) {
      const start = Math.floor(r() * (b.length - len));
      const want = new Float32Array(cells);
      naiveAdd(b, start, start + len, want, 0, sensor.width);
      const got = new Float32Array(cells);
      wasm.accumulate(b, start, start + len, got, 0, sensor, undefined, true);
      const ref = new Float32Array(cells);
      ts.accumulate(b, start, start + len, ref, 0, sensor);
      const what = `${sensor.width}x${sensor.height}, events ${start}..${start + len}`;
      assertSameData(got, want, what);
      assertSameData(ref, want, `${what} (TypeScript loops)`);
    }
  }
});

test('WASM histogram adds to counts already in the frame, at an offset, across repeated calls', { skip }, () => {
  const sensor = { width: 128, height: 128 };
  const cells = 128 * 128 * 2;
  const b = randomEvents(100_000, sensor, 7, 1_000_000);
  // One cell hot in every other event (counts far past 16 bits in one slice), no other event there.
  for (let i = 0; i < b.length; i += 2) {
    b.x[i] = 127;
    b.y[i] = 127;
    b.p[i] = 1;
    b.x[i + 1] = Math.min(b.x[i + 1]!, 126);
  }
  const acc = new FrameAccumulator();
  const got = new Float32Array(3 * cells).fill(0.5);
  const want = new Float32Array(3 * cells).fill(0.5);
  for (const [s, e] of [[0, 40_000], [40_000, 100_000], [10_000, 90_000]] as const) {
    acc.accumulate(b, s, e, got, cells, sensor);
    naiveAdd(b, s, e, want, cells, 128);
  }
  assertSameData(got, want, 'three slices added into frame 1');
  assert.equal(got[2 * cells - 1], 0.5 + 20_000 + 30_000 + 40_000, 'the hot cell');
});

test('WASM fused downsampling follows the factor of each call, and frames equal the TypeScript loops for every mode', { skip }, () => {
  const sensor = { width: 346, height: 260 };
  const b = randomEvents(120_000, sensor, 9, 1_000_000);
  const ts = new FrameAccumulator({ wasm: false });
  for (const f of [4, 2, 4, 3, 1]) {
    const specs: FrameSpec[] = [{ nTimeBins: 3 }, { nTimeBins: 5, includeTail: true }, { eventCount: 30_000, overlap: 7 }, { timeWindow: 300_000 }];
    for (const spec of specs) {
      const s = { ...spec, downsample: f };
      const got = framesFromEvents(b, s);
      assertSameData(got.data, framesFromEvents(b, s, ts).data, `factor ${f}, ${JSON.stringify(spec)}`);
      if (spec.nTimeBins === 3) {
        const want = new Float32Array(got.data.length);
        const d = new Downsampler(f).sensorOf(sensor);
        const cells = d.width * d.height * 2;
        const edges = [0, 1, 2, 3].map((k) => b.t[0]! + k * Math.floor((b.t[b.length - 1]! - b.t[0]!) / 3));
        for (let k = 0; k < 3; k++) {
          const lo = b.t.findIndex((t) => t >= edges[k]!);
          const hi = b.t.findIndex((t) => t >= edges[k + 1]!);
          naiveAdd(b, lo, hi < 0 ? b.length : hi, want, k * cells, d.width, f);
        }
        assertSameData(got.data, want, `factor ${f}, naive nTimeBins 3`);
      }
    }
  }
});

test('WASM histogram grows its memory for a large grid and still counts small grids after', { skip }, () => {
  const big = { width: 1280, height: 720 };
  const b = randomEvents(600_000, big, 12, 1_000_000);
  const want = new Float32Array(1280 * 720 * 2);
  naiveAdd(b, 0, b.length, want, 0, 1280);
  assertSameData(framesFromEvents(b, { nTimeBins: 1, includeTail: true }).data, want, '1280x720');
  const small = randomEvents(50_000, { width: 64, height: 48 }, 13, 1_000_000);
  const w2 = new Float32Array(64 * 48 * 2);
  naiveAdd(small, 0, small.length, w2, 0, 64);
  assertSameData(framesFromEvents(small, { nTimeBins: 1, includeTail: true }).data, w2, '64x48 after');
});
