import { test } from 'node:test';
import assert from 'node:assert/strict';
import { from, lastValueFrom, toArray } from 'rxjs';
import { batchFromArrays, frameIndex, type EventBatch, type FrameTensor } from '../../src/events/index.js';
import { framesFromEvents, sliceIndices, toTonicLayout, type FrameSpec } from '../../src/operators/functional/index.js';
import { downsample, slidingWindows, timeSteps, toFrames } from '../../src/operators/index.js';
import { randomEvents, randomSplit, rng } from '../support/events.js';

const sensor = { width: 5, height: 4 };

/** Naive reference: for each slice, count every event by plain indexing. */
function naive(b: EventBatch, spec: FrameSpec): Float32Array {
  const s = sliceIndices(b.t, spec);
  const fs = b.sensor.width * b.sensor.height * 2;
  const out = new Float32Array(s.count * fs);
  for (let k = 0; k < s.count; k++) {
    for (let i = s.start[k]!; i < s.end[k]!; i++) out[k * fs + (b.y[i]! * b.sensor.width + b.x[i]!) * 2 + b.p[i]!]! += 1;
  }
  return out;
}

/** Exact equality of two frame buffers; reports the first difference (a full diff of 10^6 floats takes minutes). */
function assertSameData(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  const i = got.findIndex((v, j) => v !== want[j]);
  assert.ok(i < 0, `${what}: first difference at ${i}: ${got[i]} vs ${want[i]}`);
}

function concatFrames(frames: FrameTensor[]): { data: Float32Array; tStart: number[]; steps: number } {
  const total = frames.reduce((a, f) => a + f.data.length, 0);
  const data = new Float32Array(total);
  let o = 0;
  const tStart: number[] = [];
  for (const f of frames) {
    data.set(f.data, o);
    o += f.data.length;
    tStart.push(...f.tStart);
  }
  return { data, tStart, steps: tStart.length };
}

const t = (...v: number[]) => Float64Array.from(v);

test('sliceIndices: Tonic time windows (complete only, include_incomplete, at least one)', () => {
  // t0 = 0, t_last = 25, window 10: windows ending at or before 25 are complete: [0,10) [10,20).
  const ts = t(0, 3, 10, 19, 20, 25);
  const s = sliceIndices(ts, { timeWindow: 10 });
  assert.deepEqual([s.count, [...s.start], [...s.end]], [2, [0, 2], [2, 4]]);
  const inc = sliceIndices(ts, { timeWindow: 10, includeIncomplete: true });
  assert.deepEqual([inc.count, [...inc.start], [...inc.end]], [3, [0, 2, 4], [2, 4, 6]]);
  // Overlap 5: stride 5, windows [0,10) [5,15) [10,20) [15,25).
  const ov = sliceIndices(ts, { timeWindow: 10, overlap: 5 });
  assert.deepEqual([...ov.start], [0, 2, 2, 3]);
  assert.deepEqual([...ov.end], [2, 3, 4, 5]);
  // Recording shorter than the window: still one (partial) frame.
  assert.equal(sliceIndices(t(0, 3), { timeWindow: 10 }).count, 1);
});

test('sliceIndices: Tonic event count with overlap and incomplete tail', () => {
  const ts = new Float64Array(10).map((_, i) => i * 10);
  const s = sliceIndices(ts, { eventCount: 4 });
  assert.deepEqual([[...s.start], [...s.end]], [[0, 4], [4, 8]]);
  const inc = sliceIndices(ts, { eventCount: 4, includeIncomplete: true });
  assert.deepEqual([[...inc.start], [...inc.end]], [[0, 4, 8], [4, 8, 10]]);
  const ov = sliceIndices(ts, { eventCount: 4, overlap: 2 });
  assert.deepEqual([[...ov.start], [...ov.end]], [[0, 2, 4, 6], [4, 6, 8, 10]]);
  assert.deepEqual([ov.tStart[1], ov.tEnd[1]], [20, 51]);
  // Fewer events than the count: one frame with all of them (Tonic's min(event_count, n)).
  const few = sliceIndices(t(1, 2, 3), { eventCount: 100 });
  assert.deepEqual([few.count, few.start[0], few.end[0]], [1, 0, 3]);
});

test('sliceIndices: n_time_bins drops the tail like Tonic unless includeTail', () => {
  // t0 = 0, t_last = 35, N = 4: w = floor(35 / 4) = 8, bins end at 32, so 33 and 35 fall out.
  const ts = t(0, 7, 8, 20, 31, 33, 35);
  const s = sliceIndices(ts, { nTimeBins: 4 });
  assert.deepEqual([[...s.start], [...s.end]], [[0, 2, 3, 4], [2, 3, 4, 5]]);
  const all = sliceIndices(ts, { nTimeBins: 4, includeTail: true });
  assert.equal(all.end[3], 7);
  // Overlap 0.5: w = 8 * 1.5 = 12, stride 6: [0,12) [6,18) [12,24) [18,30).
  const ov = sliceIndices(ts, { nTimeBins: 4, overlap: 0.5 });
  assert.deepEqual([[...ov.start], [...ov.end]], [[0, 1, 3, 3], [3, 3, 4, 4]]);
  // n_event_bins: 7 events, N = 3 -> 2 per bin, the last event dropped.
  const eb = sliceIndices(ts, { nEventBins: 3 });
  assert.deepEqual([[...eb.start], [...eb.end]], [[0, 2, 4], [2, 4, 6]]);
  // No events: N empty bins for the bin modes, nothing for the others.
  assert.equal(sliceIndices(t(), { nTimeBins: 3 }).count, 3);
  assert.equal(sliceIndices(t(), { timeWindow: 3 }).count, 0);
});

test('spec validation names the problem', () => {
  assert.throws(() => sliceIndices(t(1), {}), /exactly one of/);
  assert.throws(() => sliceIndices(t(1), { timeWindow: 10, eventCount: 3 }), /exactly one of/);
  assert.throws(() => sliceIndices(t(1), { timeWindow: 10, overlap: 10 }), /overlap/);
  assert.throws(() => sliceIndices(t(1), { nTimeBins: 4, overlap: 1 }), /fraction/);
  assert.throws(() => sliceIndices(t(1), { eventCount: 2.5 }), /eventCount/);
});

test('framesFromEvents: NHWC layout, channel 0 = OFF, and the Tonic [T,P,H,W] transpose', () => {
  const b = batchFromArrays({ x: [4, 4, 0], y: [3, 3, 1], t: [0, 1, 2], p: [1, 1, 0] }, sensor);
  const f = framesFromEvents(b, { eventCount: 3 });
  assert.equal(f.steps, 1);
  assert.equal(f.data[frameIndex(f, 0, 3, 4, 1)], 2);
  assert.equal(f.data[frameIndex(f, 0, 1, 0, 0)], 1);
  const tonic = toTonicLayout(f); // [T, P, H, W]
  assert.equal(tonic[1 * 20 + 3 * 5 + 4], 2);
  assert.equal(tonic[0 * 20 + 1 * 5 + 0], 1);
});

test('framesFromEvents equals a naive count for every mode (random data, both accumulation paths)', () => {
  const big = randomEvents(30_000, sensor, 3, 100_000);
  const specs: FrameSpec[] = [
    { nTimeBins: 7 }, { nTimeBins: 3, overlap: 0.25 }, { nTimeBins: 5, includeTail: true },
    { nEventBins: 4, overlap: 0.5 }, { timeWindow: 7000, overlap: 2000, includeIncomplete: true },
    { eventCount: 3, overlap: 1 }, { eventCount: 70_000 },
  ];
  for (const spec of specs) assert.deepEqual(framesFromEvents(big, spec).data, naive(big, spec), JSON.stringify(spec));
  const tailSum = framesFromEvents(big, { nTimeBins: 5, includeTail: true }).data.reduce((a, v) => a + v, 0);
  assert.equal(tailSum, big.length, 'includeTail counts every event');
});

test('histogram and direct paths equal a naive count: chunk edges, hot cells, grids past the histogram', () => {
  // 5x4 (40 cells) with 150k events in one frame, 100k in one cell (counts far past 16 bits).
  const small = randomEvents(150_000, sensor, 8, 100_000);
  small.x.fill(2, 0, 100_000);
  small.y.fill(1, 0, 100_000);
  small.p.fill(0, 0, 100_000);
  assertSameData(framesFromEvents(small, { nTimeBins: 1 }).data, naive(small, { nTimeBins: 1 }), 'hot cell');
  // 128x128: slices of every size around the 4096-event copy chunk, starting mid-chunk, through
  // both the histogram (>= cells / 4 events) and the direct path.
  const large = randomEvents(100_000, { width: 128, height: 128 }, 9, 100_000);
  for (let i = 0; i < large.length; i += 2) {
    large.x[i] = 7;
    large.y[i] = 9;
    large.p[i] = 1;
  }
  const specs: FrameSpec[] = [{ nTimeBins: 4 }, { nTimeBins: 1 }, { eventCount: 4095 }, { eventCount: 4097, overlap: 1 }, { eventCount: 8193, includeIncomplete: true }, { eventCount: 12_000, overlap: 5 }];
  for (const spec of specs) assertSameData(framesFromEvents(large, spec).data, naive(large, spec), JSON.stringify(spec));
  // 1450x725x2 cells is past the 2^21-cell histogram: counted straight into the frame.
  const huge = randomEvents(600_000, { width: 1450, height: 725 }, 10, 100_000);
  assertSameData(framesFromEvents(huge, { nTimeBins: 1 }).data, naive(huge, { nTimeBins: 1 }), 'past the histogram');
});

test('framesFromEvents into a reused buffer: frames at its start equal a naive count whatever it held; too small is a RangeError', () => {
  const b = randomEvents(30_000, { width: 64, height: 48 }, 21, 100_000);
  const into = new Float32Array(70 * 64 * 48 * 2 + 5).fill(Number.NaN);
  // eventCount 500 (direct adds) and 4 time bins (histogram path) into the same buffer in turn.
  for (const spec of [{ eventCount: 500 }, { nTimeBins: 4 }, { eventCount: 500, downsample: 3 }] as FrameSpec[]) {
    const f = framesFromEvents(b, spec, undefined, into);
    assert.equal(f.data.buffer, into.buffer, `${JSON.stringify(spec)}: a view of the buffer`);
    assert.equal(f.data.byteOffset, 0);
    const want = spec.downsample ? framesFromEvents(b, spec).data : naive(b, spec);
    assertSameData(f.data, want, JSON.stringify(spec));
  }
  assert.throws(() => framesFromEvents(b, { eventCount: 100 }, undefined, into), /holds 430085 floats, 300 frames of 64x48x2 need 1843200/);
});

test('fused downsample while binning equals Downsampler then binning (both accumulation paths)', async () => {
  const { Downsampler } = await import('../../src/operators/functional/index.js');
  const b = randomEvents(40_000, { width: 346, height: 260 }, 6, 100_000);
  // Factors alternate: the binning loops keep the last factor's tables, which must follow.
  for (const f of [4, 2, 4, 3]) {
    for (const spec of [{ nTimeBins: 3 }, { eventCount: 100 }] as FrameSpec[]) {
      const fused = framesFromEvents(b, { ...spec, downsample: f });
      const twoStep = framesFromEvents(new Downsampler(f).apply(b), spec);
      assert.deepEqual([fused.width, fused.height], [Math.ceil(346 / f), Math.ceil(260 / f)]);
      assertSameData(fused.data, twoStep.data, `factor ${f}, ${JSON.stringify(spec)}`);
    }
  }
  assert.throws(() => framesFromEvents(b, { nTimeBins: 2, downsample: 0 }), /downsample/);
});

test('toFrames streaming over random batch splits equals the whole-sample function', async () => {
  const b = randomEvents(20_000, sensor, 5, 1_000_000, 1_600_000_000_000_000);
  const specs: FrameSpec[] = [
    { timeWindow: 33_000 }, { timeWindow: 50_000, overlap: 20_000, includeIncomplete: true },
    { eventCount: 777 }, { eventCount: 1000, overlap: 300, includeIncomplete: true },
    { nTimeBins: 9 }, { nEventBins: 6, overlap: 0.2 },
  ];
  for (const [k, spec] of specs.entries()) {
    const whole = framesFromEvents(b, spec);
    const got = concatFrames(await lastValueFrom(from(randomSplit(b, 10 + k, 3000)).pipe(toFrames(spec), toArray())));
    assert.equal(got.steps, whole.steps, JSON.stringify(spec));
    assert.deepEqual(got.data, whole.data, JSON.stringify(spec));
    assert.deepEqual(got.tStart, [...whole.tStart], JSON.stringify(spec));
  }
});

test('windows binned as batches arrive (contiguous) equal windows binned at once, over random batch splits', async () => {
  const b = randomEvents(20_000, sensor, 7, 1_000_000, 5_000);
  for (const [k, make] of [() => timeSteps(25_000), () => slidingWindows({ length: 40_000, stride: 40_000, bins: 4 }), () => slidingWindows({ length: 40_000, stride: 10_000, bins: 2 })].entries()) {
    const whole = concatFrames(await lastValueFrom(from([b]).pipe(make(), toArray())));
    const got = concatFrames(await lastValueFrom(from(randomSplit(b, 20 + k, 700)).pipe(make(), toArray())));
    assert.ok(whole.steps > 10);
    assert.deepEqual(got.data, whole.data, `operator ${k}`);
    assert.deepEqual(got.tStart, whole.tStart, `operator ${k}`);
  }
});

test('timeSteps skipping long pauses gives the same steps and count whatever the batch split', async () => {
  // Bursts of 200 events over 5 ms separated by pauses of 0-200 ms: many longer than 3 steps of 1 ms.
  const b = randomEvents(6000, sensor, 12, 5_000);
  const r = rng(13);
  for (let i = 0, shift = 0; i < b.length; i++) {
    if (i % 200 === 0) shift += Math.floor(r() * 200_000);
    b.t[i] = b.t[i]! + shift;
  }
  b.t.sort();
  const run = async (batches: EventBatch[]) => {
    const stats = { skippedSteps: 0 };
    const frames = concatFrames(await lastValueFrom(from(batches).pipe(timeSteps(1000, { maxEmptySteps: 3, stats }), toArray())));
    return { ...frames, skipped: stats.skippedSteps };
  };
  const whole = await run([b]);
  assert.ok(whole.skipped > 1000);
  for (const seed of [50, 51, 52]) {
    const got = await run(randomSplit(b, seed, 400));
    assert.equal(got.skipped, whole.skipped, `split ${seed}: skipped`);
    assert.deepEqual(got.tStart, whole.tStart, `split ${seed}: steps`);
    assert.deepEqual(got.data, whole.data, `split ${seed}: frames`);
  }
});

test('downsampling fused into timeSteps / slidingWindows equals the downsample operator before them', async () => {
  const b = randomEvents(20_000, { width: 130, height: 97 }, 8, 1_000_000, 5_000);
  for (const [k, [fused, separate]] of ([
    [timeSteps(25_000, { downsample: 4 }), timeSteps(25_000)],
    [slidingWindows({ length: 40_000, stride: 10_000, bins: 2, downsample: 3 }), slidingWindows({ length: 40_000, stride: 10_000, bins: 2 })],
  ] as const).entries()) {
    const f = k === 0 ? 4 : 3;
    const want = await lastValueFrom(from(randomSplit(b, 30 + k, 900)).pipe(downsample(f), separate, toArray()));
    const got = await lastValueFrom(from(randomSplit(b, 30 + k, 900)).pipe(fused, toArray()));
    assert.ok(want.length > 10);
    assert.deepEqual([got[0]!.width, got[0]!.height], [Math.ceil(130 / f), Math.ceil(97 / f)]);
    assert.deepEqual(concatFrames(got).data, concatFrames(want).data, `operator ${k}`);
  }
});

test('toFrames carries annotations to the frames they overlap', async () => {
  const b1 = Object.assign(batchFromArrays({ x: [0, 1], y: [0, 0], t: [0, 5], p: [1, 1] }, sensor), { annotations: [{ classId: 3, start: 0, end: 10 }] });
  const b2 = Object.assign(batchFromArrays({ x: [0, 1], y: [0, 0], t: [12, 25], p: [1, 1] }, sensor), { annotations: [{ classId: 4, start: 10, end: 30 }] });
  const frames = await lastValueFrom(from([b1, b2]).pipe(toFrames({ timeWindow: 10 }), toArray()));
  const labels = frames.map((f) => ((f as { annotations?: Array<{ classId: number }> }).annotations ?? []).map((a) => a.classId));
  assert.deepEqual(labels, [[3], [4]]);
});

test('toFrames streams time windows and event counts at the downsampled geometry (346x260, factor 4)', async () => {
  const b = randomEvents(8000, { width: 346, height: 260 }, 11, 200_000, 2 ** 33);
  const f = 4, W = Math.ceil(346 / f), H = Math.ceil(260 / f), fs = W * H * 2;
  for (const [k, spec] of ([{ timeWindow: 30_000, overlap: 10_000, includeIncomplete: true }, { eventCount: 700, overlap: 100 }] as FrameSpec[]).entries()) {
    // Reference: Tonic's slices, each event counted in its coarse cell (floor(x / f), floor(y / f)).
    const s = sliceIndices(b.t, spec);
    const want = new Float32Array(s.count * fs);
    for (let j = 0; j < s.count; j++) {
      for (let i = s.start[j]!; i < s.end[j]!; i++) want[j * fs + (Math.floor(b.y[i]! / f) * W + Math.floor(b.x[i]! / f)) * 2 + b.p[i]!]! += 1;
    }
    const frames = await lastValueFrom(from(randomSplit(b, 40 + k, 900)).pipe(toFrames({ ...spec, downsample: f }), toArray()));
    assert.deepEqual([frames[0]!.width, frames[0]!.height], [W, H], JSON.stringify(spec));
    assertSameData(concatFrames(frames).data, want, JSON.stringify(spec));
  }
});

test('toFrames refuses a stream whose sensor changes, in every mode (a frame tensor has one geometry)', async () => {
  const small = batchFromArrays({ x: [1, 2], y: [1, 2], t: [0, 10], p: [0, 1] }, { width: 8, height: 6 });
  const large = batchFromArrays({ x: [12, 13], y: [1, 2], t: [20, 30], p: [1, 0] }, { width: 16, height: 6 });
  for (const spec of [{ nTimeBins: 2 }, { nEventBins: 2 }, { timeWindow: 5 }, { eventCount: 1 }] as FrameSpec[]) {
    await assert.rejects(lastValueFrom(from([small, large]).pipe(toFrames(spec), toArray())), /sensor changed mid-stream from 8x6 to 16x6/, JSON.stringify(spec));
  }
});
