/**
 * ESIM-style event-camera simulator core (after Rebecq et al., "ESIM: an Open Event Camera
 * Simulator", CoRL 2018), on typed arrays.
 *
 * The caller renders the scene's log intensity at successive times and hands each frame to
 * `advance()`. Between two frames every pixel's log intensity is taken to move linearly; each
 * time it crosses the pixel's reference level by its contrast threshold (ON up, OFF down) an
 * event is emitted at the linearly interpolated crossing time and the reference moves by one
 * threshold. On top of that model:
 *
 * - per-pixel threshold mismatch: each pixel draws its own ON and OFF thresholds from
 *   N(C, (σ·C)²), clamped to ≥ 0.25·C, fixed for the simulator's life (fixed-pattern noise);
 * - refractory period: a crossing less than `refractoryUs` after the pixel's previous event is
 *   dropped (the reference still moves, as the pixel's comparator would have reset);
 * - light flicker: illumination multiplied by (1 + m·sin 2πft), i.e. log(1 + m·sin 2πft)·g(x,y)
 *   added to the log intensity, g a per-pixel gain map (how much of the pixel's light comes from
 *   the flickering lamp). Frames are then integrated in sub-steps of at most `maxSubstepUs` so a
 *   100/120 Hz cycle is resolved even when the scene is rendered more slowly;
 * - background activity: Poisson events at `backgroundRateHz` per pixel, uniform in space and
 *   time, ON with probability `noiseOnFraction` (they do not move the reference);
 * - hot pixels: `hotPixelCount` fixed pixels firing Poisson ON events at about `hotPixelRateHz`;
 * - shot noise (as in v2e): Poisson events at up to `shotRateHz` per pixel, thinned by the
 *   pixel's brightness (a dark pixel fires at the full rate, a fully lit one at a quarter);
 * - photoreceptor bandwidth (as in v2e's low-pass): with `cutoffHz`, the log intensity a pixel
 *   sees follows the scene through a first-order low-pass whose cutoff scales with the pixel's
 *   light, fc = (0.1 + 0.9·min(1, I)) × cutoffHz, so dim pixels lag and smear fast edges. The
 *   lamp's flicker passes the same filter: its term is scaled by the filter's gain at the flicker
 *   frequency, 1 / √(1 + (f / fc)²), for the pixel's current light (its phase lag, under a
 *   quarter cycle, is left out), so a dim pixel sees a fraction of the swing a bright one sees;
 * - timestamp jitter: Gaussian, `jitterUs` standard deviation, kept inside its sub-step so the
 *   stream stays sorted.
 *
 * Events within one `advance()` call are sorted by timestamp (integer µs) and appended to
 * `output`; successive calls continue in time, so the stream is non-decreasing overall.
 *
 * Cost: the caller may pass the region that changed since the last frame (the moving person's
 * box); only it is integrated, plus — under flicker — the pixels whose flicker swing alone can
 * reach their threshold. Under flicker, a pixel whose scene value did not change in the last few
 * frames and whose swing stays below 0.9× its threshold is skipped: it could fire at most a crossing or two
 * right after a disturbance (on gesture scenes this drops ~0.01 % of the events) and skipping
 * it makes flickering scenes several times cheaper.
 */
import { type SensorGeometry } from '../events/index.js';
import { EventBuffer } from './event-buffer.js';
import { Random } from '../util/random.js';

export interface FlickerOptions {
  /** Flicker frequency, Hz: twice the mains frequency (100 Hz in 50 Hz countries, 120 Hz in 60 Hz). */
  frequencyHz: number;
  /** Modulation depth m of the illumination, 0 ≤ m < 1. */
  depth: number;
  /** Phase at t = 0, radians. */
  phase?: number;
}

export interface SimulatorOptions {
  /** Sensor width (default 128, DVS128). */
  width?: number;
  /** Sensor height (default 128). */
  height?: number;
  /** Mean ON contrast threshold in log-intensity units (default 0.2). */
  thresholdOn?: number;
  /** Mean OFF contrast threshold (default 0.2). */
  thresholdOff?: number;
  /** Relative standard deviation of the per-pixel thresholds (default 0.1). */
  thresholdMismatch?: number;
  /** Refractory period, µs (default 500). */
  refractoryUs?: number;
  /** Background-activity noise rate per pixel, Hz (default 0.05). */
  backgroundRateHz?: number;
  /** Fraction of noise events that are ON (default 0.5). */
  noiseOnFraction?: number;
  /** Number of hot pixels (default 0). */
  hotPixelCount?: number;
  /** Mean rate of a hot pixel, Hz (default 200); each one draws its own rate in [0.5, 1.5]×. */
  hotPixelRateHz?: number;
  /** Light flicker; null or omitted for none. */
  flicker?: FlickerOptions | null;
  /** Per-pixel flicker gain map (width·height, row-major); default 1 everywhere. */
  flickerGain?: Float32Array;
  /** Largest integration sub-step when flicker is on, µs (default 1000). */
  maxSubstepUs?: number;
  /** Shot-noise rate of a dark pixel, Hz (default 0). */
  shotRateHz?: number;
  /** Photoreceptor cutoff of a fully lit pixel, Hz (default: none, the pixel follows instantly). */
  cutoffHz?: number;
  /** Timestamp jitter, µs standard deviation (default 0). */
  jitterUs?: number;
  /** Seed of the fixed-pattern noise (thresholds, hot pixels) and of the noise events. */
  seed?: number;
}

/** Pixel rectangle [x0, x1) × [y0, y1). */
export interface PixelRegion {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

function clipRegion(r: PixelRegion, s: SensorGeometry): PixelRegion {
  const x0 = Math.max(0, Math.floor(r.x0)), y0 = Math.max(0, Math.floor(r.y0));
  return { x0, y0, x1: Math.max(x0, Math.min(s.width, Math.ceil(r.x1))), y1: Math.max(y0, Math.min(s.height, Math.ceil(r.y1))) };
}

/**
 * Under flicker, a pixel stays integrated for this many frames after its scene value last
 * changed: its reference may sit near a threshold that the flicker then crosses.
 */
const RECENT_FRAMES = 4;

/**
 * Relative photoreceptor bandwidth 0.1 + 0.9·min(1, I) of a pixel at log intensity l, tabulated
 * (nearest entry, 1/64 log unit apart) from l = −6 to 0: the low-pass is on the hot path.
 */
const LIGHT_LOG_MIN = -6;
const LIGHT_STEPS_PER_LOG = 64;
const LIGHT = Float32Array.from({ length: 6 * LIGHT_STEPS_PER_LOG + 1 }, (_, k) => 0.1 + 0.9 * Math.min(1, Math.exp(LIGHT_LOG_MIN + k / LIGHT_STEPS_PER_LOG)));

/** Index into LIGHT (and tables built on it) of log intensity l, clamped to its ends. */
function lightIndex(l: number): number {
  const li = (l - LIGHT_LOG_MIN) * LIGHT_STEPS_PER_LOG;
  return li <= 0 ? 0 : li >= LIGHT.length - 1 ? LIGHT.length - 1 : li | 0;
}

/** Key layout of the per-sub-step sort: (µs offset in the sub-step) · 2^22 + scratch index. */
const INDEX_BITS = 22;
const INDEX_SPAN = 1 << INDEX_BITS;

export class EventSimulator {
  readonly sensor: SensorGeometry;
  readonly output: EventBuffer;
  readonly refractoryUs: number;
  readonly thresholdOn: Float32Array;
  readonly thresholdOff: Float32Array;
  /** Linear pixel indices of the hot pixels and their rates (Hz). */
  readonly hotPixels: Uint32Array;
  readonly hotPixelRates: Float64Array;

  private readonly n: number;
  private readonly random: Random;
  private readonly backgroundRateHz: number;
  private readonly noiseOnFraction: number;
  private readonly flicker: FlickerOptions | null;
  private readonly flickerGain: Float32Array | null;
  /** Photoreceptor gain at the flicker frequency per LIGHT entry (flicker with cutoffHz only). */
  private readonly flickerPass: Float32Array | null;
  private readonly maxSubstepUs: number;
  private readonly shotRateHz: number;
  private readonly cutoffHz: number;
  private readonly jitterUs: number;
  /** Own stream of the optional effects (shot noise, jitter), so the others' draws stay as they were. */
  private readonly extraRandom: Random;
  /** Low-passed log intensity (cutoffHz only) and the box of pixels still settling towards the scene. */
  private readonly filtered: Float32Array;
  private settling: PixelRegion | null = null;
  /**
   * A low-passed pixel this close to the scene snaps onto it: a fifth of the mean threshold can
   * at most delay one crossing, and tracking the geometric tail longer keeps whole trails of
   * dim pixels busy.
   */
  private readonly settleLevel: number;
  /** Reference log level of each pixel (the level at its last event or reset). */
  private readonly ref: Float64Array;
  /** ref + ON threshold and ref − OFF threshold: the levels whose crossing fires. */
  private readonly upper: Float32Array;
  private readonly lower: Float32Array;
  /** Scene log intensity of the previous frame (no flicker term). */
  private readonly scenePrev: Float32Array;
  /** Pixels whose flicker swing can reach their thresholds: integrated even outside `changed`. */
  private readonly flickerActive: Uint32Array;
  private readonly activeMask: Uint8Array;
  /** Changed, non-active pixels of the current frame (flicker only) and their count. */
  private readonly pending: Uint32Array;
  private pendingCount = 0;
  /** Frame number at which each pixel's scene value last changed (flicker only). */
  private readonly changedAt: Int32Array;
  private frameCount = 0;
  private readonly lastEvent: Float64Array;
  private time = Number.NaN;
  private readonly whole: PixelRegion;

  // Scratch of one sub-step's events before sorting.
  private sx = new Uint16Array(4096);
  private sy = new Uint16Array(4096);
  private st = new Float64Array(4096);
  private sp = new Uint8Array(4096);
  private keys = new Float64Array(4096);
  private count = 0;

  constructor(options: SimulatorOptions = {}) {
    const width = options.width ?? 128;
    const height = options.height ?? 128;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 65535 || height > 65535) {
      throw new RangeError(`simulator sensor size must be integers in 1..65535, got ${width}x${height}`);
    }
    this.sensor = { width, height };
    this.whole = { x0: 0, y0: 0, x1: width, y1: height };
    this.n = width * height;
    const cOn = options.thresholdOn ?? 0.2;
    const cOff = options.thresholdOff ?? 0.2;
    if (!(cOn > 0) || !(cOff > 0)) throw new RangeError(`contrast thresholds must be > 0, got on=${cOn} off=${cOff}`);
    const sigma = options.thresholdMismatch ?? 0.1;
    this.refractoryUs = options.refractoryUs ?? 500;
    this.backgroundRateHz = options.backgroundRateHz ?? 0.05;
    this.noiseOnFraction = options.noiseOnFraction ?? 0.5;
    this.flicker = options.flicker ?? null;
    if (this.flicker && !(this.flicker.depth >= 0 && this.flicker.depth < 1 && this.flicker.frequencyHz > 0)) {
      throw new RangeError(`flicker needs 0 <= depth < 1 and frequencyHz > 0, got ${JSON.stringify(this.flicker)}`);
    }
    if (options.flickerGain && options.flickerGain.length !== this.n) {
      throw new RangeError(`flickerGain has ${options.flickerGain.length} entries, sensor has ${this.n} pixels`);
    }
    this.flickerGain = this.flicker ? (options.flickerGain ?? new Float32Array(this.n).fill(1)) : null;
    this.maxSubstepUs = options.maxSubstepUs ?? 1000;
    this.shotRateHz = options.shotRateHz ?? 0;
    this.cutoffHz = options.cutoffHz ?? 0;
    this.jitterUs = options.jitterUs ?? 0;
    if (!(this.shotRateHz >= 0) || !(this.cutoffHz >= 0) || !(this.jitterUs >= 0)) {
      throw new RangeError(`shotRateHz, cutoffHz and jitterUs must be >= 0, got ${this.shotRateHz}, ${this.cutoffHz}, ${this.jitterUs}`);
    }
    this.random = new Random(options.seed ?? 1);
    this.extraRandom = Random.derive(options.seed ?? 1, 'shot-jitter');
    this.filtered = new Float32Array(this.cutoffHz > 0 ? this.n : 0);
    const flickerHz = this.flicker?.frequencyHz ?? 0;
    this.flickerPass = this.flicker && this.cutoffHz > 0 ? LIGHT.map((b) => 1 / Math.hypot(1, flickerHz / (this.cutoffHz * b))) : null;
    this.settleLevel = 0.2 * Math.min(cOn, cOff);

    const fixed = Random.derive(options.seed ?? 1, 'fixed-pattern');
    this.thresholdOn = new Float32Array(this.n);
    this.thresholdOff = new Float32Array(this.n);
    for (let i = 0; i < this.n; i++) {
      this.thresholdOn[i] = Math.max(0.25 * cOn, cOn * (1 + sigma * fixed.normal()));
      this.thresholdOff[i] = Math.max(0.25 * cOff, cOff * (1 + sigma * fixed.normal()));
    }
    const hot = Math.min(options.hotPixelCount ?? 0, this.n);
    this.hotPixels = new Uint32Array(hot);
    this.hotPixelRates = new Float64Array(hot);
    const rate = options.hotPixelRateHz ?? 200;
    for (let k = 0; k < hot; k++) {
      this.hotPixels[k] = fixed.int(this.n);
      this.hotPixelRates[k] = rate * fixed.uniform(0.5, 1.5);
    }

    this.ref = new Float64Array(this.n);
    this.upper = new Float32Array(this.n);
    this.lower = new Float32Array(this.n);
    this.scenePrev = new Float32Array(this.n);
    this.flickerActive = this.findFlickerActive();
    this.activeMask = new Uint8Array(this.n);
    for (const i of this.flickerActive) this.activeMask[i] = 1;
    this.pending = new Uint32Array(this.flicker ? this.n : 0);
    this.changedAt = new Int32Array(this.flicker ? this.n : 0).fill(-1000);
    this.lastEvent = new Float64Array(this.n).fill(-Infinity);
    this.output = new EventBuffer(this.sensor, 1 << 16);
  }

  /** Current simulation time, µs (NaN before `reset`). */
  get now(): number {
    return this.time;
  }

  /** Starts (or restarts) at time `t` with scene log intensity `logFrame`; no events. */
  reset(logFrame: Float32Array, t: number): void {
    this.checkFrame(logFrame);
    const f = this.flickerTerm(t);
    for (let i = 0; i < this.n; i++) this.setReference(i, logFrame[i]! + (this.flickerGain ? this.flickerAmplitude(i, logFrame[i]!) * f : 0));
    this.scenePrev.set(logFrame);
    if (this.cutoffHz > 0) this.filtered.set(logFrame);
    this.settling = null;
    this.lastEvent.fill(-Infinity);
    this.time = t;
  }

  /**
   * Moves the simulation to time `t` (µs, > current time) where the scene's log intensity is
   * `logFrame`, appending the events of the interval to `output`. Returns how many were added.
   * `changed`, when given, promises that pixels outside it equal the previous frame's: without
   * flicker only that region is examined (with flicker every pixel changes anyway).
   */
  advance(logFrame: Float32Array, t: number, changed?: PixelRegion): number {
    this.checkFrame(logFrame);
    if (Number.isNaN(this.time)) throw new Error('EventSimulator.advance called before reset');
    if (!(t > this.time)) throw new RangeError(`EventSimulator.advance: time must increase (now ${this.time} µs, got ${t} µs)`);
    const before = this.output.length;
    const t0 = this.time;
    const span = t - t0;
    const steps = this.flicker ? Math.max(1, Math.ceil(span / this.maxSubstepUs)) : 1;
    let region = changed ? clipRegion(changed, this.sensor) : this.whole;
    if (this.cutoffHz > 0) {
      region = this.lowPass(logFrame, region, span);
      logFrame = this.filtered;
    }
    if (this.flicker) this.collectChanged(logFrame, region);
    for (let s = 1; s <= steps; s++) {
      const ta = t0 + (span * (s - 1)) / steps;
      const tb = s === steps ? t : t0 + (span * s) / steps;
      this.count = 0;
      this.crossings(logFrame, (s - 1) / steps, s / steps, ta, tb, region);
      this.noise(ta, tb);
      this.flushSorted(ta, tb);
    }
    this.scenePrev.set(logFrame);
    this.time = t;
    return this.output.length - before;
  }

  /**
   * Moves the low-passed intensity of `region` and of the pixels still settling towards
   * `frame` over `dtUs`; returns the region that changed (input for the crossings).
   */
  private lowPass(frame: Float32Array, region: PixelRegion, dtUs: number): PixelRegion {
    const s = this.settling;
    const empty = region.x1 <= region.x0 || region.y1 <= region.y0;
    const r = !s ? region : empty ? s : { x0: Math.min(s.x0, region.x0), y0: Math.min(s.y0, region.y0), x1: Math.max(s.x1, region.x1), y1: Math.max(s.y1, region.y1) };
    const f = this.filtered, width = this.sensor.width;
    const k = 2 * Math.PI * this.cutoffHz * dtUs * 1e-6;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let y = r.y0; y < r.y1; y++) {
      for (let x = r.x0, i = y * width + r.x0; x < r.x1; x++, i++) {
        const target = frame[i]!;
        if (f[i] === target) continue;
        // Backward-Euler step of the first-order low-pass (stable for any cutoff and step).
        const g = k * LIGHT[lightIndex(target)]!;
        const v = f[i]! + ((target - f[i]!) * g) / (1 + g);
        f[i] = v;
        if (Math.abs(target - v) > this.settleLevel) {
          if (x < x0) x0 = x;
          if (x >= x1) x1 = x + 1;
          if (y < y0) y0 = y;
          if (y >= y1) y1 = y + 1;
        } else {
          f[i] = target;
        }
      }
    }
    this.settling = x1 > x0 ? { x0, y0, x1, y1 } : null;
    return r;
  }

  /**
   * A pixel whose flicker swing g·(F_max − F_min) stays below 0.9× its smaller threshold cannot
   * fire from flicker alone for more than a crossing or two after a disturbance, so outside the
   * caller's `changed` region only the others are integrated (the bright, lamp-facing ones).
   */
  private findFlickerActive(): Uint32Array {
    const g = this.flickerGain, f = this.flicker;
    if (!g || !f) return new Uint32Array(0);
    const swing = Math.log1p(f.depth) - Math.log1p(-f.depth);
    const list: number[] = [];
    for (let i = 0; i < this.n; i++) {
      if (g[i]! * swing >= 0.9 * Math.min(this.thresholdOn[i]!, this.thresholdOff[i]!)) list.push(i);
    }
    return Uint32Array.from(list);
  }

  private checkFrame(frame: Float32Array): void {
    if (frame.length !== this.n) {
      throw new RangeError(`log frame has ${frame.length} pixels, sensor ${this.sensor.width}x${this.sensor.height} needs ${this.n}`);
    }
  }

  /** Flicker gain of pixel i at log intensity l: its lamp share, through its photoreceptor. */
  private flickerAmplitude(i: number, l: number): number {
    const pass = this.flickerPass;
    return this.flickerGain![i]! * (pass ? pass[lightIndex(l)]! : 1);
  }

  private flickerTerm(t: number): number {
    const f = this.flicker;
    if (!f || f.depth === 0) return 0;
    return Math.log1p(f.depth * Math.sin(2 * Math.PI * f.frequencyHz * t * 1e-6 + (f.phase ?? 0)));
  }

  /**
   * Threshold crossings over the sub-step [ta, tb] (fractions fa → fb of the frame interval):
   * without flicker, of the pixels in `region`; with flicker, of the changed pixels collected
   * for this frame and of the flicker-active ones.
   */
  private crossings(frame: Float32Array, fa: number, fb: number, ta: number, tb: number, region: PixelRegion): void {
    const { scenePrev, upper, lower } = this;
    const width = this.sensor.width;
    const g = this.flickerGain;
    const dt = tb - ta;
    if (g === null) {
      for (let y = region.y0; y < region.y1; y++) {
        for (let i = y * width + region.x0, end = y * width + region.x1; i < end; i++) {
          const prev = scenePrev[i]!;
          const d = frame[i]! - prev;
          const l = prev + d * fb;
          if (l >= upper[i]! || l <= lower[i]!) this.fire(i, prev + d * fa, l, ta, dt);
        }
      }
      return;
    }
    const flA = this.flickerTerm(ta), flB = this.flickerTerm(tb);
    const lists = [this.pending.subarray(0, this.pendingCount), this.flickerActive];
    for (const list of lists) {
      for (let k = 0; k < list.length; k++) {
        const i = list[k]!;
        const prev = scenePrev[i]!;
        const d = frame[i]! - prev;
        const gi = this.flickerAmplitude(i, frame[i]!);
        const l = prev + d * fb + gi * flB;
        if (l >= upper[i]! || l <= lower[i]!) this.fire(i, prev + d * fa + gi * flA, l, ta, dt);
      }
    }
  }

  /**
   * Under flicker, the pixels of `region` whose scene value changed within the last
   * RECENT_FRAMES frames and that are not flicker-active (those are integrated anyway): the only
   * other pixels that can fire.
   */
  private collectChanged(frame: Float32Array, region: PixelRegion): void {
    const { scenePrev, activeMask, pending } = this;
    const width = this.sensor.width;
    const { changedAt } = this;
    const frameNo = ++this.frameCount;
    let m = 0;
    for (let y = region.y0; y < region.y1; y++) {
      for (let i = y * width + region.x0, end = y * width + region.x1; i < end; i++) {
        if (frame[i] !== scenePrev[i]) changedAt[i] = frameNo;
        if (activeMask[i] === 0 && frameNo - changedAt[i]! <= RECENT_FRAMES) pending[m++] = i;
      }
    }
    this.pendingCount = m;
  }

  /** Emits the crossings of pixel i whose log intensity went from l0 to l over [ta, ta + dt]. */
  private fire(i: number, l0: number, l: number, ta: number, dt: number): void {
    const width = this.sensor.width;
    const x = i % width, y = (i / width) | 0;
    const refractory = this.refractoryUs;
    const cOn = this.thresholdOn[i]!, cOff = this.thresholdOff[i]!;
    const inv = dt / (l - l0);
    let r = this.ref[i]!;
    let lastT = this.lastEvent[i]!;
    if (l > r) {
      while (l - r >= cOn) {
        r += cOn;
        const te = ta + (r - l0) * inv;
        if (te - lastT >= refractory) {
          this.emit(x, y, te, 1);
          lastT = te;
        }
      }
    } else {
      while (r - l >= cOff) {
        r -= cOff;
        const te = ta + (r - l0) * inv;
        if (te - lastT >= refractory) {
          this.emit(x, y, te, 0);
          lastT = te;
        }
      }
    }
    this.lastEvent[i] = lastT;
    this.setReference(i, r);
  }

  private setReference(i: number, r: number): void {
    this.ref[i] = r;
    this.upper[i] = r + this.thresholdOn[i]!;
    this.lower[i] = r - this.thresholdOff[i]!;
  }

  private noise(ta: number, tb: number): void {
    const rnd = this.random;
    const dtS = (tb - ta) * 1e-6;
    const width = this.sensor.width;
    const ba = rnd.poisson(this.backgroundRateHz * this.n * dtS);
    for (let k = 0; k < ba; k++) {
      const i = rnd.int(this.n);
      this.emit(i % width, (i / width) | 0, ta + (tb - ta) * rnd.next(), rnd.next() < this.noiseOnFraction ? 1 : 0);
    }
    for (let h = 0; h < this.hotPixels.length; h++) {
      const m = rnd.poisson(this.hotPixelRates[h]! * dtS);
      const i = this.hotPixels[h]!;
      for (let k = 0; k < m; k++) this.emit(i % width, (i / width) | 0, ta + (tb - ta) * rnd.next(), 1);
    }
    if (this.shotRateHz > 0) {
      const extra = this.extraRandom;
      const level = this.cutoffHz > 0 ? this.filtered : this.scenePrev;
      const shots = extra.poisson(this.shotRateHz * this.n * dtS);
      for (let k = 0; k < shots; k++) {
        const i = extra.int(this.n);
        // Brighter pixels collect more photons per threshold: relatively less shot noise.
        if (extra.next() < 1 - 0.75 * Math.min(1, Math.exp(level[i]!))) {
          this.emit(i % width, (i / width) | 0, ta + (tb - ta) * extra.next(), extra.next() < 0.5 ? 1 : 0);
        }
      }
    }
  }

  private emit(x: number, y: number, t: number, p: number): void {
    if (this.count === this.sx.length) this.growScratch();
    const k = this.count++;
    this.sx[k] = x;
    this.sy[k] = y;
    this.st[k] = this.jitterUs > 0 ? t + this.jitterUs * this.extraRandom.normal() : t;
    this.sp[k] = p;
  }

  private growScratch(): void {
    const cap = this.sx.length * 2;
    if (cap > INDEX_SPAN) {
      throw new RangeError(`EventSimulator: more than ${INDEX_SPAN} events in one ${this.maxSubstepUs} µs sub-step; render frames closer together`);
    }
    const grow = <A extends Uint16Array | Float64Array | Uint8Array>(a: A, make: (n: number) => A): A => {
      const b = make(cap);
      b.set(a as never);
      return b;
    };
    this.sx = grow(this.sx, (n) => new Uint16Array(n));
    this.sy = grow(this.sy, (n) => new Uint16Array(n));
    this.st = grow(this.st, (n) => new Float64Array(n));
    this.sp = grow(this.sp, (n) => new Uint8Array(n));
    this.keys = new Float64Array(cap);
  }

  /** Rounds the sub-step's timestamps to µs, sorts them and appends them to `output`. */
  private flushSorted(ta: number, tb: number): void {
    const n = this.count;
    if (n === 0) return;
    const base = Math.floor(ta);
    const keys = this.keys.subarray(0, n);
    const st = this.st;
    // Clamping absorbs float32 rounding of the reference levels at the sub-step edges.
    for (let k = 0; k < n; k++) keys[k] = (Math.round(Math.min(tb, Math.max(ta, st[k]!))) - base) * INDEX_SPAN + k;
    keys.sort();
    const out = this.output;
    out.reserve(n);
    let j = out.length;
    for (let k = 0; k < n; k++) {
      const key = keys[k]!;
      const idx = key % INDEX_SPAN;
      out.x[j] = this.sx[idx]!;
      out.y[j] = this.sy[idx]!;
      out.t[j] = base + (key - idx) / INDEX_SPAN;
      out.p[j] = this.sp[idx]!;
      j++;
    }
    out.length = j;
  }
}
