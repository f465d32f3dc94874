import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchFromArrays, concatBatches, type EventBatch } from '../../src/events/index.js';
import { BackgroundActivityFilter, HotPixelFilter, RateLimiter, RefractoryFilter, type EventFilter } from '../../src/operators/functional/index.js';
import { randomEvents, randomSplit, rng, rows } from '../support/events.js';

const sensor = { width: 8, height: 8 };

/** Naive per-event refractory reference (Tonic's loop, with "never fired" = keep). */
function refractoryReference(b: EventBatch, period: number): Array<[number, number, number, number]> {
  const last = new Map<number, number>();
  const out: Array<[number, number, number, number]> = [];
  for (let i = 0; i < b.length; i++) {
    const key = b.y[i]! * b.sensor.width + b.x[i]!;
    const prev = last.get(key);
    if (prev === undefined || b.t[i]! - prev > period) out.push([b.x[i]!, b.y[i]!, b.t[i]!, b.p[i]!]);
    last.set(key, b.t[i]!);
  }
  return out;
}

/** deepEqual of event rows that reports the first difference (a full diff of 10k rows takes minutes). */
function assertSameRows(got: EventBatch, want: Array<[number, number, number, number]>, what: string): void {
  const g = rows(got);
  const i = g.findIndex((r, j) => want[j] === undefined || r.some((v, c) => v !== want[j]![c]));
  assert.ok(i < 0 && g.length === want.length, `${what}: ${g.length} vs ${want.length} rows, first difference at row ${i < 0 ? Math.min(g.length, want.length) : i}`);
}

function runChunked(f: EventFilter, chunks: EventBatch[]): EventBatch {
  return concatBatches(chunks.map((c) => f.filter(c)), chunks[0]!.sensor);
}

test('refractory: the hand-worked case', () => {
  const b = batchFromArrays({ x: [1, 1, 1, 2, 1, 1], y: [1, 1, 1, 1, 1, 1], t: [0, 50, 100, 100, 161, 262], p: [1, 0, 1, 1, 1, 1] }, sensor);
  // t=50 and t=100 are within 100 µs of the previous event at that pixel (50 refreshes the clock);
  // t=161 is 61 after 100 (dropped, refreshes), t=262 is 101 after 161 (kept).
  assert.deepEqual(rows(new RefractoryFilter(100).filter(b)), [[1, 1, 0, 1], [2, 1, 100, 1], [1, 1, 262, 1]]);
});

test('refractory equals the per-event reference on random data, whatever the batch split', () => {
  const b = randomEvents(20_000, sensor, 7, 200_000);
  const f = new RefractoryFilter(1000);
  const out = runChunked(f, randomSplit(b, 3));
  assert.deepEqual(rows(out), refractoryReference(b, 1000));
  assert.equal(f.stats.seen, 20_000);
  assert.equal(f.stats.kept, out.length);
  // One batch spanning several 4096-event scratch chunks.
  assertSameRows(new RefractoryFilter(1000).filter(b), refractoryReference(b, 1000), 'one batch');
});

test('background activity: needs a recent neighbour, 8 vs 4 neighbourhoods, borders', () => {
  const b = batchFromArrays({
    x: [3, 4, 0, 6, 6, 7],
    y: [3, 4, 0, 2, 6, 7],
    t: [0, 10, 20, 30, 5000, 5001],
    p: [1, 1, 1, 1, 1, 1],
  }, sensor);
  // (4,4) is diagonal to (3,3): supported with 8 neighbours only. (0,0) corner: no neighbour.
  // (6,2) is 2 pixels away from (3,3) and (4,4): no neighbour. (7,7) has (6,6) diagonally 1 µs before.
  // Too old: 2000 µs apart with a 1000 µs window.
  const old = batchFromArrays({ x: [3, 3], y: [3, 4], t: [0, 2000], p: [0, 0] }, sensor);
  for (const wasm of [true, false]) {
    assert.deepEqual(rows(new BackgroundActivityFilter(100, 8, { wasm }).filter(b)).map((r) => r[2]), [10, 5001]);
    assert.deepEqual(rows(new BackgroundActivityFilter(100, 4, { wasm }).filter(b)).map((r) => r[2]), []);
    assert.equal(new BackgroundActivityFilter(1000, 4, { wasm }).filter(old).length, 0);
    assert.equal(new BackgroundActivityFilter(2001, 4, { wasm }).filter(old).length, 1);
  }
});

test('background activity is independent of the batch split', () => {
  const b = randomEvents(20_000, { width: 16, height: 16 }, 9, 500_000);
  const whole = new BackgroundActivityFilter(500).filter(b);
  const chunked = runChunked(new BackgroundActivityFilter(500), randomSplit(b, 4));
  assert.deepEqual(rows(chunked), rows(whole));
  assert.ok(whole.length > 0 && whole.length < b.length);
});

/** Naive background-activity reference: test every neighbour's last time (the rule as written). */
function backgroundReference(b: EventBatch, duration: number, neighbours: 4 | 8): Array<[number, number, number, number]> {
  const W = b.sensor.width, H = b.sensor.height;
  const last = new Map<number, number>();
  const offsets = neighbours === 8 ? [[-1, -1], [0, -1], [1, -1], [-1, 0], [1, 0], [-1, 1], [0, 1], [1, 1]] : [[0, -1], [-1, 0], [1, 0], [0, 1]];
  const out: Array<[number, number, number, number]> = [];
  for (let i = 0; i < b.length; i++) {
    const x = b.x[i]!, y = b.y[i]!, t = b.t[i]!;
    const ok = offsets.some(([dx, dy]) => {
      const nx = x + dx!, ny = y + dy!;
      const tn = nx >= 0 && ny >= 0 && nx < W && ny < H ? last.get(ny * W + nx) : undefined;
      return tn !== undefined && t - tn < duration;
    });
    if (ok) out.push([x, y, t, b.p[i]!]);
    last.set(y * W + x, t);
  }
  return out;
}

/** Sorted random events with a few time inversions: some inside a chunk, some right at chunk starts. */
function withInversions(b: EventBatch, seed: number, count: number): EventBatch {
  const r = rng(seed);
  for (let j = 0; j < count; j++) {
    const i = 1 + Math.floor(r() * (b.length - 1));
    b.t[i] = b.t[i]! - Math.floor(r() * 5000);
  }
  return b;
}

test('background activity equals the per-event reference: sorted, time going back, gaps, any batch split', () => {
  const sensor16 = { width: 16, height: 16 };
  // Both loops: WebAssembly (the default, when available) and TypeScript.
  for (const [neighbours, wasm] of [[8, true], [4, true], [8, false], [4, false]] as const) {
    const sorted = randomEvents(20_000, sensor16, 21, 500_000);
    // Long gap: the second half starts 10 s later (every neighbour is stale there).
    const gap = concatBatches([randomEvents(5000, sensor16, 22, 100_000), randomEvents(5000, sensor16, 23, 100_000, 10_100_000)], sensor16);
    // Inversions: events are tested on `last` directly, then the support map is rebuilt from it.
    const inverted = withInversions(randomEvents(20_000, sensor16, 24, 500_000), 25, 40);
    for (const [name, b] of [['sorted', sorted], ['gap', gap], ['inversions', inverted]] as const) {
      const want = backgroundReference(b, 500, neighbours);
      assert.ok(want.length > 0 && want.length < b.length, `${name}: a mix of kept and dropped`);
      const what = `${name}, ${neighbours} neighbours, wasm ${wasm}`;
      assertSameRows(new BackgroundActivityFilter(500, neighbours, { wasm }).filter(b), want, `${what}, one batch`);
      for (const seed of [1, 2]) {
        const f = new BackgroundActivityFilter(500, neighbours, { wasm });
        assertSameRows(runChunked(f, randomSplit(b, seed, 700)), want, `${what}, split ${seed}`);
        assert.equal(f.stats.seen, b.length);
        assert.equal(f.stats.kept, want.length);
      }
    }
  }
});

test('background activity: a batch going back in time, then time resuming (support map rebuilt)', () => {
  for (const wasm of [true, false]) resumeAfterInversion(new BackgroundActivityFilter(200, 4, { wasm }));
});

function resumeAfterInversion(f: BackgroundActivityFilter): void {
  const a = batchFromArrays({ x: [3, 4], y: [3, 3], t: [1000, 1050], p: [1, 1] }, sensor);
  // (4,3) is supported by (3,3) 50 µs earlier.
  assert.deepEqual(rows(f.filter(a)).map((r) => r[2]), [1050]);
  // Before 1050: (3,4) at 950 is -50 µs "after" (3,3), which counts as support (t - t_n as is).
  const back = batchFromArrays({ x: [3], y: [4], t: [950], p: [0] }, sensor);
  assert.deepEqual(rows(f.filter(back)).map((r) => r[2]), [950]);
  // Time resumes: (2,4) has (3,4) at 950 (150 µs); (5,5) has no neighbour; (4,4) has (3,4) at 950
  // (290 µs, too old) and (4,3) at 1050 (190 µs): the newest neighbour decides.
  const resume = batchFromArrays({ x: [2, 5, 4], y: [4, 5, 4], t: [1100, 1100, 1240], p: [0, 0, 0] }, sensor);
  assert.deepEqual(rows(f.filter(resume)).map((r) => r[2]), [1100, 1240]);
  // After reset() nothing supports anything.
  f.reset();
  assert.equal(f.filter(resume).length, 0);
}

test('hot pixels: fixed list and learnt pixels', () => {
  const fixed = new HotPixelFilter({ pixels: [{ x: 1, y: 1 }, { x: 100, y: 100 }] });
  const b = batchFromArrays({ x: [1, 2, 1], y: [1, 1, 1], t: [1, 2, 3], p: [0, 0, 1] }, sensor);
  assert.deepEqual(rows(fixed.filter(b)), [[2, 1, 2, 0]]);
  assert.deepEqual(fixed.hotPixels, [{ x: 1, y: 1 }]);

  const learn = new HotPixelFilter({ learn: { duration: 100, minEvents: 3 } });
  const warm = batchFromArrays({ x: [5, 5, 5, 2, 5], y: [5, 5, 5, 2, 5], t: [0, 10, 20, 30, 99], p: [1, 1, 1, 1, 1] }, sensor);
  assert.equal(learn.filter(warm).length, 5, 'events pass while learning');
  const after = batchFromArrays({ x: [5, 2, 5], y: [5, 2, 5], t: [100, 101, 200], p: [1, 1, 0] }, sensor);
  assert.deepEqual(rows(learn.filter(after)), [[2, 2, 101, 1]]);
  assert.deepEqual(learn.hotPixels, [{ x: 5, y: 5 }]);
});

test('rate limiter: never more than burst + rate * span, keeps everything under the rate', () => {
  const b = randomEvents(50_000, sensor, 11, 1_000_000); // 50k ev/s
  const f = new RateLimiter(10_000, 50);
  const out = runChunked(f, randomSplit(b, 5, 2000));
  assert.ok(out.length <= 50 + 10_000 * ((b.t[b.length - 1]! - b.t[0]!) / 1e6) + 1e-9);
  assert.ok(out.length > 9_000, `kept ${out.length}`);
  // Every window of 100 ms holds at most burst + 1000 events.
  for (let s = 0; s < 1_000_000; s += 50_000) {
    let n = 0;
    for (let i = 0; i < out.length; i++) if (out.t[i]! >= s && out.t[i]! < s + 100_000) n++;
    assert.ok(n <= 50 + 1000, `window at ${s}: ${n}`);
  }
  const slow = new RateLimiter(1e9);
  assert.equal(slow.filter(b), b, 'under the rate nothing is dropped and no copy is made');
});

/** Token-bucket reference, as documented: refill only when time moves forward, take a token or drop. */
function rateReference(b: EventBatch, maxRate: number, burst: number): Array<[number, number, number, number]> {
  let tokens = burst, last = b.length > 0 ? b.t[0]! : 0;
  const out: Array<[number, number, number, number]> = [];
  for (let i = 0; i < b.length; i++) {
    const t = b.t[i]!;
    if (t > last) {
      tokens = Math.min(burst, tokens + (t - last) * (maxRate / 1e6));
      last = t;
    }
    if (tokens >= 1) {
      tokens -= 1;
      out.push([b.x[i]!, b.y[i]!, t, b.p[i]!]);
    }
  }
  return out;
}

test('rate limiter equals the token-bucket reference: equal timestamps, time going back, gaps, fractional rates, any split', () => {
  // 2 events per µs on average (many equal timestamps), then a 5 s gap (the bucket refills to burst).
  const dense = concatBatches([randomEvents(30_000, sensor, 31, 15_000), randomEvents(30_000, sensor, 32, 15_000, 5_015_000)], sensor);
  const inverted = withInversions(randomEvents(30_000, sensor, 33, 60_000), 34, 200);
  for (const [name, b] of [['dense', dense], ['inversions', inverted]] as const) {
    for (const [maxRate, burst] of [[300_000, 20], [123_457.7, 3.5], [1_000_000, 1]] as const) {
      const want = rateReference(b, maxRate, burst);
      assert.ok(want.length > 0 && want.length < b.length, `${name}: a mix of kept and dropped`);
      assertSameRows(new RateLimiter(maxRate, burst).filter(b), want, `${name}, ${maxRate}/s burst ${burst}, one batch`);
      for (const seed of [1, 2]) {
        const f = new RateLimiter(maxRate, burst);
        assertSameRows(runChunked(f, randomSplit(b, seed, 10_000)), want, `${name}, ${maxRate}/s burst ${burst}, split ${seed}`);
        assert.equal(f.stats.kept, want.length);
      }
    }
  }
});
