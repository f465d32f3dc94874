import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSimulator } from '../../src/simulate/simulator.js';
import { Random } from '../../src/util/random.js';

/** A 1-pixel-wide strip sensor with no noise or mismatch unless asked. */
function quiet(width = 1, height = 1, extra: ConstructorParameters<typeof EventSimulator>[0] = {}): EventSimulator {
  return new EventSimulator({ width, height, thresholdMismatch: 0, backgroundRateHz: 0, refractoryUs: 0, ...extra });
}

test('a log-intensity ramp gives one event per threshold at the interpolated crossing times', () => {
  // Thresholds and levels exact in binary floating point, so crossings land exactly.
  const sim = quiet(1, 1, { thresholdOn: 0.25 });
  sim.reset(Float32Array.of(0), 0);
  // Rendered every 3 ms, the ramp rises 0.125 log units per ms: crossings of 0.25 every 2 ms.
  for (let t = 3000; t <= 12000; t += 3000) sim.advance(Float32Array.of(t / 8000), t);
  const b = sim.output.take();
  assert.deepEqual(Array.from(b.t), [2000, 4000, 6000, 8000, 10000, 12000]);
  assert.deepEqual(Array.from(b.p), [1, 1, 1, 1, 1, 1]);
});

test('a falling ramp gives OFF events; the reference follows every crossing', () => {
  const sim = quiet(1, 1, { thresholdOn: 0.3, thresholdOff: 0.25 });
  sim.reset(Float32Array.of(1), 0);
  sim.advance(Float32Array.of(0), 1000);
  const b = sim.output.take();
  assert.deepEqual(Array.from(b.p), [0, 0, 0, 0]);
  assert.deepEqual(Array.from(b.t), [250, 500, 750, 1000]);
  // Back up by 0.3: exactly one ON, since the reference sits at 0.
  sim.advance(Float32Array.of(0.3), 2000);
  assert.deepEqual(Array.from(sim.output.take().p), [1]);
});

test('the refractory period drops crossings that follow an event too closely', () => {
  const sim = quiet(1, 1, { refractoryUs: 3000, thresholdOn: 0.25 });
  sim.reset(Float32Array.of(0), 0);
  sim.advance(Float32Array.of(1.5), 12000);
  assert.deepEqual(Array.from(sim.output.take().t), [2000, 6000, 10000]);
});

test('events are time-sorted across pixels and frames, and the same seed gives the same stream', () => {
  const run = (seed: number): Float64Array[] => {
    const sim = new EventSimulator({ width: 16, height: 16, seed, backgroundRateHz: 5, hotPixelCount: 2 });
    const rnd = new Random(7);
    const frame = new Float32Array(256);
    sim.reset(frame, 1000);
    for (let k = 1; k <= 50; k++) {
      for (let i = 0; i < 256; i++) frame[i] = frame[i]! + 0.3 * rnd.normal();
      sim.advance(frame, 1000 + k * 777);
    }
    const b = sim.output.take();
    for (let i = 1; i < b.length; i++) assert.ok(b.t[i]! >= b.t[i - 1]!, `inversion at ${i}`);
    for (let i = 0; i < b.length; i++) assert.ok(Number.isInteger(b.t[i]!) && b.x[i]! < 16 && b.y[i]! < 16);
    return [b.t, Float64Array.from(b.x), Float64Array.from(b.y), Float64Array.from(b.p)];
  };
  const a = run(3), b = run(3), c = run(4);
  assert.ok(a[0]!.length > 1000);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a[0]!.length === c[0]!.length ? a : [], c);
});

test('per-pixel thresholds have the configured mean and spread (fixed-pattern noise)', () => {
  const sim = new EventSimulator({ width: 64, height: 64, thresholdOn: 0.2, thresholdOff: 0.3, thresholdMismatch: 0.1, seed: 5 });
  const stats = (a: Float32Array): [number, number] => {
    const m = a.reduce((s, v) => s + v, 0) / a.length;
    return [m, Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length)];
  };
  const [mOn, sOn] = stats(sim.thresholdOn);
  const [mOff, sOff] = stats(sim.thresholdOff);
  assert.ok(Math.abs(mOn - 0.2) < 0.002 && Math.abs(sOn - 0.02) < 0.002, `on ${mOn} ± ${sOn}`);
  assert.ok(Math.abs(mOff - 0.3) < 0.003 && Math.abs(sOff - 0.03) < 0.003, `off ${mOff} ± ${sOff}`);
});

test('background activity and hot pixels fire at their rates on a static scene', () => {
  const sim = new EventSimulator({ width: 32, height: 32, backgroundRateHz: 2, hotPixelCount: 1, hotPixelRateHz: 1000, seed: 9 });
  const frame = new Float32Array(1024);
  sim.reset(frame, 0);
  for (let t = 10_000; t <= 2_000_000; t += 10_000) sim.advance(frame, t);
  const b = sim.output.take();
  const hot = sim.hotPixels[0]!;
  let hotCount = 0;
  for (let i = 0; i < b.length; i++) if (b.y[i]! * 32 + b.x[i]! === hot) hotCount++;
  const background = b.length - hotCount;
  // 2 Hz × 1024 px × 2 s = 4096 expected (Poisson sd 64); the hot pixel draws 500..1500 Hz.
  assert.ok(Math.abs(background - 4096) < 400, `background ${background}`);
  const rate = sim.hotPixelRates[0]!;
  assert.ok(rate >= 500 && rate <= 1500);
  assert.ok(Math.abs(hotCount - 2 * rate) < 6 * Math.sqrt(2 * rate) + 10, `hot ${hotCount} vs ${2 * rate}`);
});

test('flicker makes high-gain pixels fire ON/OFF pairs at the flicker frequency; low-gain pixels stay silent', () => {
  const gain = Float32Array.of(4, 0.5);
  const sim = quiet(2, 1, { flicker: { frequencyHz: 120, depth: 0.1 }, flickerGain: gain, thresholdOn: 0.3, thresholdOff: 0.3 });
  const frame = new Float32Array(2);
  sim.reset(frame, 0);
  // Scene rendered only every 10 ms: sub-steps still resolve the 120 Hz cycle.
  for (let t = 10_000; t <= 1_000_000; t += 10_000) sim.advance(frame, t);
  const b = sim.output.take();
  let silent = 0;
  const on: number[] = [];
  for (let i = 0; i < b.length; i++) {
    if (b.x[i] === 1) silent++;
    else if (b.p[i] === 1) on.push(b.t[i]!);
  }
  assert.equal(silent, 0);
  // Swing 4·log(1.1/0.9) = 0.80 → two crossings of 0.3 each way per cycle: ~240 ON per second.
  assert.ok(Math.abs(on.length - 240) <= 6, `ON events ${on.length}`);
  const ones = on.filter((_, k) => k % 2 === 0);
  const periods = ones.slice(1).map((t, k) => t - ones[k]!);
  const mean = periods.reduce((s, v) => s + v, 0) / periods.length;
  assert.ok(Math.abs(mean - 1e6 / 120) < 50, `period ${mean} µs`);
});

test('flicker passes the photoreceptor low-pass: a dim pixel sees a fraction of the swing a bright one sees', () => {
  // Pixel 0 fully lit (log 0: cutoff 100 Hz), pixel 1 dim (log -4: cutoff (0.1 + 0.9 e^-4) 100 =
  // 11.6 Hz). Flicker 120 Hz, depth 0.3: log(1 + 0.3 sin) swings from -0.357 to +0.262 before the
  // filter; the filter passes 1 / sqrt(1 + (120 / 100)^2) = 0.64 of it for the lit pixel (-0.23 to
  // +0.17: crossings of 0.15 every half cycle) and 1 / sqrt(1 + (120 / 11.6)^2) = 0.096 for the dim
  // one (-0.034 to +0.025: never a crossing).
  const frame = Float32Array.of(0, -4);
  const count = (cutoffHz: number): [number, number] => {
    const sim = quiet(2, 1, { flicker: { frequencyHz: 120, depth: 0.3 }, thresholdOn: 0.15, thresholdOff: 0.15, cutoffHz });
    sim.reset(frame, 0);
    for (let t = 4_000; t <= 1_000_000; t += 4_000) sim.advance(frame, t);
    const b = sim.output.take();
    const n: [number, number] = [0, 0];
    for (let i = 0; i < b.length; i++) n[b.x[i]!]!++;
    return n;
  };
  const [lit, dim] = count(100);
  assert.ok(lit >= 2 * 120, `lit pixel: ${lit} events, expected at least one each way per cycle`);
  assert.equal(dim, 0, 'the dim pixel cannot follow 120 Hz');
  // Without a photoreceptor bandwidth both see the whole swing, alike.
  const [litAll, dimAll] = count(0);
  assert.equal(dimAll, litAll);
  assert.ok(litAll > lit, `the whole swing (${litAll} events) fires more than the filtered one (${lit})`);
});

test('bad input is rejected with the reason', () => {
  const sim = quiet(4, 4);
  assert.throws(() => sim.advance(new Float32Array(16), 10), /before reset/);
  sim.reset(new Float32Array(16), 100);
  assert.throws(() => sim.advance(new Float32Array(15), 200), /15 pixels/);
  assert.throws(() => sim.advance(new Float32Array(16), 100), /time must increase/);
  assert.throws(() => new EventSimulator({ thresholdOn: 0 }), /thresholds must be > 0/);
  assert.throws(() => new EventSimulator({ flicker: { frequencyHz: 100, depth: 1 } }), /depth/);
});
