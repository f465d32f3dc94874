import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binTag, defaultDomain, drawTrialDomain, FAMILIES, formatDomainSpec, parseDomainSpec, RANGE_FAMILIES, type DomainRanges } from '../../src/simulate/domain.js';
import { makePerformance } from '../../src/simulate/scene/gestures.js';
import { joints, makeSubject, poseTargets, solvePose } from '../../src/simulate/scene/person.js';
import { fillCapsule, makePattern, type Image } from '../../src/simulate/scene/raster.js';
import { GestureSession } from '../../src/simulate/session.js';
import { EventSimulator } from '../../src/simulate/simulator.js';
import { Random } from '../../src/util/random.js';
import type { EventBatch } from '../../src/events/index.js';

test('domain specs: ranges, choice lists, aliases, off; bad families and values are named', () => {
  assert.equal(parseDomainSpec('off'), null);
  assert.deepEqual(parseDomainSpec('on'), defaultDomain());
  const d = parseDomainSpec('thresholds=0.1:0.25,texture=striped,printed,distance=near,roll=0')!;
  assert.deepEqual(d.ranges.thresholds, [0.1, 0.25]);
  assert.deepEqual(d.choices.texture, ['striped', 'printed']);
  assert.deepEqual(d.ranges.distance, [0.95, 1.3]);
  assert.deepEqual(d.ranges.roll, [0, 0]);
  assert.deepEqual(d.ranges.noise, defaultDomain().ranges.noise);
  assert.deepEqual(parseDomainSpec(formatDomainSpec(d)), d);
  assert.equal(formatDomainSpec(defaultDomain()), 'on');
  assert.throws(() => parseDomainSpec('thresold=0.2'), /unknown family "thresold"/);
  assert.throws(() => parseDomainSpec('texture=velvet'), /texture: "velvet" is not one of/);
  assert.throws(() => parseDomainSpec('thresholds=0.5:0.1'), /thresholds: "0.5:0.1"/);
  assert.throws(() => parseDomainSpec('distance=close'), /distance: "close".*far, mid, near/);
});

test('narrowing one family leaves every other family\'s draws unchanged, and the draw stays inside the range', () => {
  const base = drawTrialDomain(defaultDomain(), new Random(5));
  const narrowed = drawTrialDomain(parseDomainSpec('thresholds=0.3:0.5,texture=uniform')!, new Random(5));
  assert.ok(narrowed.sensor.threshold >= 0.3 && narrowed.sensor.threshold <= 0.5);
  assert.equal(narrowed.appearance.texture, 'uniform');
  assert.deepEqual({ ...narrowed.framing }, { ...base.framing });
  assert.deepEqual({ ...narrowed.sensor, threshold: 0 }, { ...base.sensor, threshold: 0 });
  assert.equal(narrowed.appearance.polarity, base.appearance.polarity);
  assert.equal(narrowed.tags.texture, 'uniform');
  assert.equal(binTag(0.31, 0.1), '0.3-0.4');
  assert.equal(binTag(-7, 5), '-10--5');
});

/** Signed area of a closed path in image coordinates (y down): > 0 when it runs clockwise on screen. */
function screenArea(xs: number[], ys: number[]): number {
  let a = 0;
  for (let k = 0; k < xs.length; k++) {
    const j = (k + 1) % xs.length;
    a += xs[k]! * ys[j]! - xs[j]! * ys[k]!;
  }
  return a / 2;
}

test('arm circles run clockwise on screen for the camera convention and the other way for the subject\'s, in every style', () => {
  const subject = makeSubject(new Random(3), 128, 128, 0.4);
  for (const style of ['a', 'b', 'c'] as const) {
    for (const [id, clockwiseName] of [[4, true], [5, false], [6, true], [7, false]] as const) {
      for (const clockwise of ['camera', 'subject'] as const) {
        const perf = makePerformance(id, subject, new Random(id), 0, { style, clockwise });
        const p = poseTargets(), j = joints();
        const xs: number[] = [], ys: number[] = [];
        // About one revolution: circles run at 0.5-1.8 Hz times a tempo in [0.6, 1.7].
        for (let k = 0; k < 400; k++) {
          perf.motion(k * 0.005, p);
          solvePose(subject, p, j);
          xs.push(id <= 5 ? j.rhx : j.lhx);
          ys.push(id <= 5 ? j.rhy : j.lhy);
        }
        const screenClockwise = screenArea(xs, ys) > 0;
        assert.equal(screenClockwise, clockwise === 'camera' ? clockwiseName : !clockwiseName, `class ${id} style ${style} ${clockwise}`);
      }
    }
  }
});

/** Events of a horizontal capsule of reflectance 0.3 on 0.6 moving right by 2 px over 20 ms. */
function capsuleEvents(patterned: boolean): { interior: number; total: number } {
  const w = 64, h = 32;
  const sim = new EventSimulator({ width: w, height: h, thresholdOn: 0.15, thresholdOff: 0.15, thresholdMismatch: 0, backgroundRateHz: 0, refractoryUs: 0 });
  const img: Image = { data: new Float32Array(w * h), width: w, height: h };
  const log = new Float32Array(w * h);
  const pattern = patterned ? makePattern('striped', 3, 0.8, 0) : undefined;
  const frame = (dx: number): Float32Array => {
    img.data.fill(0.6);
    fillCapsule(img, 12 + dx, 16, 44 + dx, 16, 6, 0.3, undefined, pattern);
    for (let i = 0; i < log.length; i++) log[i] = Math.log(img.data[i]! + 0.01);
    return log;
  };
  sim.reset(frame(0), 0);
  for (let k = 1; k <= 10; k++) sim.advance(frame(0.2 * k), k * 2000);
  const b = sim.output.take();
  // Interior: at least 3 px inside the capsule at both its first and last position.
  let interior = 0;
  for (let i = 0; i < b.length; i++) {
    const x = b.x[i]! + 0.5, y = b.y[i]! + 0.5;
    if (x > 12 + 2 && x < 44 && Math.abs(y - 16) < 3) interior++;
  }
  return { interior, total: b.length };
}

test('a patterned limb fires inside, a flat one only at its outline', () => {
  const flat = capsuleEvents(false), striped = capsuleEvents(true);
  assert.equal(flat.interior, 0, 'a uniform limb moving along itself changes no interior pixel');
  assert.ok(striped.interior > 100, `${striped.interior} interior events with stripes`);
});

/** Events of a short session with every family pinned to one value except `family` set to `value`. */
function pinned(overrides: string, seconds = 0.8, classId: 1 | 4 | 9 = 4): EventBatch[] {
  const d = parseDomainSpec(
    'thickness=1,limbs=1,accessories=0,distance=0.8,offsetx=0,offsety=0,roll=0,shake=0,thresholds=0.2,mismatch=0.05,refractory=300,' +
      'noise=1,shot=0,hotpixels=0,bandwidth=500,jitter=0,tempo=1,sway=0,steps=0,passerby=0,brightness=1,' +
      'texture=uniform,polarity=dark,sleeves=long,hands=mitten,hair=short,background=textured,style=a' + (overrides ? `,${overrides}` : ''),
  ) as DomainRanges;
  const s = new GestureSession({ seed: 4, user: 7, lighting: 'natural', startUs: 0, domain: d });
  s.addGesture(classId, 100_000, seconds * 1e6);
  const out: EventBatch[] = [];
  s.run(s.scheduledUntil, (b) => out.push(b), 100_000);
  return out;
}

const count = (bs: EventBatch[]): number => bs.reduce((n, b) => n + b.length, 0);

function fingerprint(bs: EventBatch[]): string {
  let h = 0;
  for (const b of bs) for (let i = 0; i < b.length; i++) h = (Math.imul(h, 31) + b.x[i]! * 65536 + b.y[i]! * 2 + b.p[i]! + b.t[i]!) | 0;
  return `${count(bs)}:${h}`;
}

test('every randomisation family changes the recording (none is silently ignored)', () => {
  const extremes: Record<string, [string, string]> = {
    texture: ['uniform', 'textured'], polarity: ['dark', 'light'], sleeves: ['short', 'long'], hands: ['mitten', 'fingers'],
    hair: ['none', 'long'], background: ['plain', 'cluttered'], style: ['a', 'c'],
  };
  for (const f of Object.keys(RANGE_FAMILIES) as (keyof typeof RANGE_FAMILIES)[]) {
    const [lo, hi] = defaultDomain().ranges[f];
    const probability = f === 'accessories' || f === 'steps' || f === 'passerby';
    extremes[f] = [String(probability ? 0 : lo), String(probability ? 1 : hi)];
  }
  assert.deepEqual(Object.keys(extremes).sort(), [...FAMILIES].sort());
  // Shake moves the scene in bursts; steps and passers-by happen within a gesture: longer runs.
  for (const [family, [a, b]] of Object.entries(extremes)) {
    const seconds = family === 'shake' ? 9 : 1.5;
    const fa = fingerprint(pinned(`${family}=${a}`, seconds)), fb = fingerprint(pinned(`${family}=${b}`, seconds));
    assert.notEqual(fa, fb, `${family}=${a} and ${family}=${b} gave the same events`);
  }
});

test('families move the statistics the way they should', () => {
  // Higher contrast thresholds: fewer events.
  assert.ok(count(pinned('thresholds=0.4')) * 1.8 < count(pinned('thresholds=0.1')));
  // Patterned clothes and skin: more events than flat ones (edges inside the limbs).
  assert.ok(count(pinned('texture=striped')) > 1.2 * count(pinned('texture=uniform')));
  // A far subject covers fewer pixels than a near one.
  const spread = (bs: EventBatch[]): number => {
    const xs = new Set<number>();
    for (const b of bs) for (let i = 0; i < b.length; i++) xs.add(b.y[i]! * 128 + b.x[i]!);
    return xs.size;
  };
  assert.ok(spread(pinned('distance=0.5')) * 1.5 < spread(pinned('distance=1.2')));
  // Background activity multiplies with the noise factor; hot pixels add fixed busy pixels.
  assert.ok(count(pinned('noise=5')) > count(pinned('noise=0.3')));
});

test('the low-pass pixel lags a step in proportion to 1/cutoff; jitter spreads timestamps; shot noise is denser in the dark', () => {
  const firstEvent = (cutoffHz: number | undefined): number => {
    const sim = new EventSimulator({ width: 1, height: 1, thresholdOn: 0.2, thresholdMismatch: 0, backgroundRateHz: 0, refractoryUs: 0, ...(cutoffHz ? { cutoffHz } : {}) });
    sim.reset(Float32Array.of(-1), 0);
    for (let k = 1; k <= 200; k++) sim.advance(Float32Array.of(0), k * 1000);
    return sim.output.take().t[0]!;
  };
  // Step of 1 log unit to a fully lit pixel; the first crossing (0.2) of a first-order low-pass
  // with τ = 1/(2π·fc·(0.1 + 0.9·1)) comes at τ·ln(1/0.8) ≈ 0.223·τ (the discrete step adds < 1 frame).
  assert.ok(firstEvent(undefined) <= 1000);
  const lag10 = firstEvent(10), lag40 = firstEvent(40);
  const tau10 = 1e6 / (2 * Math.PI * 10);
  assert.ok(lag10 > 0.15 * tau10 && lag10 < 0.223 * tau10 + 2000, `lag at 10 Hz ${lag10} µs`);
  assert.ok(lag10 > 2.5 * lag40, `${lag10} vs ${lag40}`);

  const ramp = (jitterUs: number): number[] => {
    const sim = new EventSimulator({ width: 1, height: 1, thresholdOn: 0.1, thresholdMismatch: 0, backgroundRateHz: 0, refractoryUs: 0, jitterUs, maxSubstepUs: 1000 });
    sim.reset(Float32Array.of(0), 0);
    // Crossings exactly every 10 ms; integrate in 20 ms frames.
    for (let k = 1; k <= 100; k++) sim.advance(Float32Array.of(k * 0.2), k * 20_000);
    return Array.from(sim.output.take().t);
  };
  const exact = ramp(0);
  assert.ok(exact.every((t, k) => Math.abs(t - (k + 1) * 10_000) <= 1));
  const jittered = ramp(300);
  const dev = jittered.map((t, k) => t - (k + 1) * 10_000);
  const sd = Math.sqrt(dev.reduce((a, d) => a + d * d, 0) / dev.length);
  assert.ok(sd > 150 && sd < 500, `jitter sd ${sd}`);

  const sim = new EventSimulator({ width: 64, height: 1, backgroundRateHz: 0, shotRateHz: 50 });
  const scene = new Float32Array(64);
  for (let x = 0; x < 64; x++) scene[x] = x < 32 ? Math.log(0.01) : 0; // dark | fully lit
  sim.reset(scene, 0);
  for (let k = 1; k <= 100; k++) sim.advance(scene, k * 10_000);
  const b = sim.output.take();
  let dark = 0, lit = 0;
  for (let i = 0; i < b.length; i++) if (b.x[i]! < 32) dark++; else lit++;
  // Rates 50 · (1 − 0.75 · I): ~49.5 Hz dark, 12.5 Hz lit, over 32 pixels × 1 s.
  assert.ok(dark > 1200 && dark < 1950 && lit > 250 && lit < 550, `dark ${dark}, lit ${lit}`);
});
