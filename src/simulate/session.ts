/**
 * A recording session: one subject in one room under one lighting condition, performing a
 * schedule of gestures in front of the simulated camera. The schedule is a list of labelled
 * segments with transitions between them (hands back to rest and on to the next gesture's
 * start pose, outside the labelled interval, as in the real recordings). The session renders
 * the scene every `frameUs`, feeds it to the EventSimulator and hands events out in batches.
 *
 * The same class drives dataset trials (a fixed 12-row schedule) and the endless live camera
 * (segments appended as time goes on).
 */
import type { EventBatch } from '../events/index.js';
import { BACKGROUND_CLASS_ID, type GestureClassId, type Lighting, type SegmentClassId } from './gesture-classes.js';
import { flickerGainMap, lightingFlicker, LIGHTING_PROFILES } from './lighting.js';
import { deriveSeed, Random } from '../util/random.js';
import { defaultDomain, drawGestureDomain, drawTrialDomain, type DomainRanges, type GestureDomain, type TrialDomain } from './domain.js';
import { makeBackground } from './scene/background.js';
import { makePerformance, restMotion, type ClockwiseConvention, type Motion } from './scene/gestures.js';
import { drawPasserby, idleMotion, makePasserby, type IdleKind, type Passerby } from './scene/idle.js';
import {
  drawPerson, joints, makeSubject, poseTargets, restyleSubject, solvePose, viewJoints, type PoseTargets, type Subject, type View,
} from './scene/person.js';
import { emptyBox, fillConvexPolygon, type Image } from './scene/raster.js';
import { EventSimulator } from './simulator.js';

export interface SessionOptions {
  /** Dataset seed; user and lighting derive the session's own streams from it. */
  seed: number;
  /** Subject number (1-based, as in userNN); the same number gives the same person. */
  user: number;
  lighting: Lighting;
  width?: number;
  height?: number;
  /** Scene render period, µs (default 4000: 250 frames/s, < 1 px of hand travel per frame). */
  frameUs?: number;
  /** Mains frequency, Hz (default 60, as at IBM Almaden where the real set was recorded). */
  mainsHz?: number;
  /** Mean contrast threshold, log units: pins it (default: drawn from the `thresholds` family;
   * without randomisation 0.1, which with the flat-shaded person gives the real recordings' rates). */
  threshold?: number;
  /** Time of the first frame, µs. */
  startUs?: number;
  /**
   * Domain randomisation ranges (default: all families at their default ranges); null turns it
   * off, giving exactly the original simulator's recordings.
   */
  domain?: DomainRanges | null;
  /** Which way "clockwise" runs for the arm-circle classes (default 'subject', see README). */
  clockwise?: ClockwiseConvention;
}

/**
 * A labelled interval [start, end) in µs, in the event time base: a gesture (classes 1..11) or a
 * "no gesture" period (BACKGROUND_CLASS_ID) with its kind.
 */
export interface GestureSegment {
  classId: SegmentClassId;
  start: number;
  end: number;
  /** Motion draws of a gesture under domain randomisation. */
  domain?: GestureDomain;
  /** What happens during a background period. */
  idle?: IdleKind;
}

interface ScheduledSegment extends GestureSegment {
  /** End of the transition that precedes it (= start). Transition starts at `transitionStart`. */
  transitionStart: number;
  motion: Motion;
}

/** Default arm-circle convention: as the subject sees it (see README, "clockwise"). */
export const DEFAULT_CLOCKWISE: ClockwiseConvention = 'subject';

export const DEFAULT_THRESHOLD = 0.1;

const LOG_LUT_SIZE = 4096;
/** Dark-current floor added to the photocurrent before the log (keeps log finite in black). */
const DARK = 0.01;

const smoothstep = (x: number): number => (x <= 0 ? 0 : x >= 1 ? 1 : x * x * (3 - 2 * x));

function blendTargets(a: PoseTargets, b: PoseTargets, w: number, out: PoseTargets): void {
  const v = 1 - w;
  out.rx = a.rx * v + b.rx * w; out.ry = a.ry * v + b.ry * w;
  out.lx = a.lx * v + b.lx * w; out.ly = a.ly * v + b.ly * w;
  out.rpx = a.rpx * v + b.rpx * w; out.rpy = a.rpy * v + b.rpy * w;
  out.lpx = a.lpx * v + b.lpx * w; out.lpy = a.lpy * v + b.lpy * w;
  out.leanX = a.leanX * v + b.leanX * w; out.bobY = a.bobY * v + b.bobY * w;
}

export class GestureSession {
  readonly subject: Subject;
  readonly simulator: EventSimulator;
  readonly frameUs: number;
  readonly width: number;
  readonly height: number;
  private readonly background: Image;
  private readonly backgroundLog: Float32Array;
  private readonly lut: Float32Array;
  private readonly refl: Image;
  private readonly logFrame: Float32Array;
  private readonly rest: Motion;
  private readonly motionRandom: Random;
  private readonly plan: ScheduledSegment[] = [];
  private readonly labels: GestureSegment[] = [];
  private readonly pa = poseTargets();
  private readonly pb = poseTargets();
  private readonly pose = poseTargets();
  private readonly joints = joints();
  private time: number;
  /** Person box of the last rendered frame, and the union with the one before. */
  private readonly drawn = emptyBox();
  private readonly dirty = emptyBox();
  /** Every draw of the recording under domain randomisation (null: off). */
  readonly domain: TrialDomain | null;
  private readonly ranges: DomainRanges | null;
  private readonly clockwise: ClockwiseConvention;
  private readonly domainRandom: Random;
  private readonly passersby: Passerby[] = [];
  private readonly backgroundMean: number;
  private readonly view: View | null;
  private readonly viewed = joints();
  /** Camera-shake phases and whether the last frame was shifted (the next must redraw all). */
  private readonly shakePhase: number[];
  private shifted = false;
  private active: ScheduledSegment | undefined;

  constructor(options: SessionOptions) {
    this.width = options.width ?? 128;
    this.height = options.height ?? 128;
    this.frameUs = options.frameUs ?? 4000;
    if (!(this.frameUs >= 1)) throw new RangeError(`frameUs must be >= 1 µs, got ${this.frameUs}`);
    const { seed, user, lighting } = options;
    const profile = LIGHTING_PROFILES[lighting];
    const sessionRnd = Random.derive(seed, 'session', user, lighting);
    let background = makeBackground(this.width, this.height, deriveSeed(seed, 'background', user, lighting));
    let mean = 0;
    for (const v of background.data) mean += v;
    mean /= background.data.length;
    // The person is the same across lightings; where they stand and how far from the camera
    // changes a little per session.
    const subject = makeSubject(Random.derive(seed, 'subject', user), this.width, this.height, mean);
    const k = Math.min(this.width, this.height) / 128;
    const placed = {
      ...subject,
      unit: subject.unit * sessionRnd.uniform(0.93, 1.07),
      centerX: subject.centerX + sessionRnd.uniform(-8, 8) * k,
      shoulderY: subject.shoulderY + sessionRnd.uniform(-5, 5) * k,
    };
    // Domain randomisation draws from its own streams: with it off, every other draw is as before.
    this.ranges = options.domain === undefined ? defaultDomain() : options.domain;
    this.clockwise = options.clockwise ?? DEFAULT_CLOCKWISE;
    this.domainRandom = Random.derive(seed, 'domain-gestures', user, lighting);
    const domainRnd = Random.derive(seed, 'domain', user, lighting);
    const domain = this.ranges ? drawTrialDomain(this.ranges, domainRnd) : null;
    if (domain && options.threshold !== undefined) domain.sensor.threshold = options.threshold;
    this.domain = domain;
    if (domain) {
      background = makeBackground(this.width, this.height, deriveSeed(seed, 'background', user, lighting), domain.scene.background);
      mean = 0;
      for (const v of background.data) mean += v;
      mean /= background.data.length;
    }
    this.background = background;
    this.backgroundMean = mean;
    this.subject = domain ? restyleSubject(placed, domain.appearance, domain.framing, domainRnd, this.width, this.height, mean) : placed;
    const roll = ((domain?.framing.roll ?? 0) * Math.PI) / 180;
    this.view = domain ? { cos: Math.cos(roll), sin: Math.sin(roll), cx: this.width / 2, cy: this.height / 2, dx: 0, dy: 0 } : null;
    this.shakePhase = [0, 1, 2, 3].map(() => domainRnd.uniform(0, 2 * Math.PI));
    const brightness = profile.brightness * (domain?.scene.brightness ?? 1);
    this.lut = new Float32Array(LOG_LUT_SIZE + 2);
    for (let i = 0; i <= LOG_LUT_SIZE + 1; i++) this.lut[i] = Math.log((brightness * i) / LOG_LUT_SIZE + DARK);
    this.backgroundLog = new Float32Array(this.background.data.length);
    for (let i = 0; i < this.backgroundLog.length; i++) this.backgroundLog[i] = this.logOf(this.background.data[i]!);
    this.refl = { data: new Float32Array(this.background.data.length), width: this.width, height: this.height };
    this.logFrame = new Float32Array(this.background.data.length);
    const sensor = domain?.sensor;
    this.simulator = new EventSimulator({
      width: this.width,
      height: this.height,
      thresholdOn: sensor?.threshold ?? options.threshold ?? DEFAULT_THRESHOLD,
      thresholdOff: sensor?.threshold ?? options.threshold ?? DEFAULT_THRESHOLD,
      thresholdMismatch: sensor?.mismatch ?? profile.thresholdMismatch,
      backgroundRateHz: profile.backgroundRateHz * (sensor?.noiseFactor ?? 1),
      hotPixelCount: sensor?.hotPixels ?? profile.hotPixelCount,
      hotPixelRateHz: 150,
      flicker: lightingFlicker(lighting, options.mainsHz ?? 60, sessionRnd),
      flickerGain: flickerGainMap(this.width, this.height, profile.highlights, sessionRnd),
      seed: deriveSeed(seed, 'sensor', user, lighting),
      ...(sensor ? { refractoryUs: sensor.refractoryUs, shotRateHz: sensor.shotRateHz, cutoffHz: sensor.bandwidthHz, jitterUs: sensor.jitterUs } : {}),
    });
    this.rest = restMotion(this.subject, sessionRnd);
    this.motionRandom = Random.derive(seed, 'motions', user, lighting);
    this.time = options.startUs ?? 0;
    this.render(this.time);
    this.simulator.reset(this.logFrame, this.time);
  }

  /** Current time (µs): events have been produced up to here. */
  get now(): number {
    return this.time;
  }

  /** Time at which the last scheduled segment ends (or now, with none). */
  get scheduledUntil(): number {
    const last = this.plan[this.plan.length - 1];
    return last ? last.end : this.time;
  }

  /** Every labelled segment scheduled so far, in order. */
  get segments(): readonly GestureSegment[] {
    return this.labels;
  }

  /**
   * Appends gesture `classId` after a transition of `transitionUs` from the end of the schedule,
   * lasting `durationUs`. `variant` selects sub-styles (arm roll direction). Under domain
   * randomisation the performance draws its style and tempo, the subject may sway or take a
   * step, and someone may pass behind. Returns the segment.
   */
  addGesture(classId: GestureClassId, transitionUs: number, durationUs: number, variant = 0): GestureSegment {
    const from = Math.max(this.scheduledUntil, this.time);
    const start = Math.round(from + transitionUs);
    const end = Math.round(start + durationUs);
    const g = this.ranges && this.domain ? drawGestureDomain(this.ranges, this.domain, this.domainRandom) : undefined;
    const perf = makePerformance(classId, this.subject, this.motionRandom, variant, g ? { style: g.style, tempo: g.tempo, clockwise: this.clockwise } : { clockwise: this.clockwise });
    const motion = g && this.domain ? this.withBodyMotion(perf.motion, g, (end - start) * 1e-6) : perf.motion;
    if (g?.passerby) this.passersby.push(makePasserby(this.domainRandom, start, end, this.backgroundMean));
    const segment: GestureSegment = { classId, start, end, ...(g ? { domain: g } : {}) };
    this.plan.push({ ...segment, transitionStart: from, motion });
    this.labels.push(segment);
    return segment;
  }

  /**
   * Appends a "no gesture" period (BACKGROUND_CLASS_ID) of `kind` after a transition of
   * `transitionUs`, lasting `durationUs`. Returns the segment.
   */
  addIdle(kind: IdleKind, transitionUs: number, durationUs: number): GestureSegment {
    const from = Math.max(this.scheduledUntil, this.time);
    const start = Math.round(from + transitionUs);
    const end = Math.round(start + durationUs);
    const rnd = this.domainRandom;
    // Far enough to leave the frame: half the width plus the body's half-width, in body units.
    const exit = (this.width / 2 + Math.abs(this.subject.centerX - this.width / 2)) / this.subject.unit + 1.5;
    const motion = idleMotion(kind, this.subject, rnd, durationUs * 1e-6, exit);
    if (kind === 'passerby') {
      const a = start + rnd.uniform(0, 0.3) * (end - start);
      this.passersby.push(makePasserby(rnd, a, a + rnd.uniform(0.5, 0.7) * (end - start), this.backgroundMean));
    }
    const segment: GestureSegment = { classId: BACKGROUND_CLASS_ID, start, end, idle: kind };
    this.plan.push({ ...segment, transitionStart: from, motion });
    this.labels.push(segment);
    return segment;
  }

  /** `motion` with the recording's body sway and, if drawn, a sideways step halfway through. */
  private withBodyMotion(motion: Motion, g: GestureDomain, seconds: number): Motion {
    const sway = this.domain!.motion.sway;
    const rnd = this.domainRandom;
    const phase = rnd.uniform(0, 2 * Math.PI);
    const stepAt = rnd.uniform(0.2, 0.7) * seconds, stepSize = (rnd.next() < 0.5 ? -1 : 1) * rnd.uniform(0.3, 0.7);
    return (tau, out) => {
      motion(tau, out);
      out.leanX += sway * Math.sin(2 * Math.PI * 0.3 * tau + phase);
      out.bobY += 0.3 * sway * Math.sin(2 * Math.PI * 0.5 * tau + 2 * phase);
      if (g.step) out.leanX += stepSize * smoothstep((tau - stepAt) / 0.6);
    };
  }

  /** Pose targets at time t (µs). */
  private targetsAt(t: number, out: PoseTargets): void {
    const s = this.plan;
    let k = 0;
    while (k < s.length && s[k]!.end <= t) k++;
    const seg = s[k];
    this.active = seg && t >= seg.start ? seg : undefined;
    const tauRest = t * 1e-6;
    if (!seg) {
      // After the schedule: back to rest over one second, then idle.
      const prev = s[s.length - 1];
      this.rest(tauRest, out);
      if (prev) {
        prev.motion((prev.end - prev.start) * 1e-6, this.pa);
        blendTargets(this.pa, out, smoothstep((t - prev.end) / 1e6), out);
      }
      return;
    }
    if (t >= seg.start) {
      seg.motion((t - seg.start) * 1e-6, out);
      return;
    }
    // Transition: previous gesture's last pose → rest (first half) → this gesture's first pose.
    const span = seg.start - seg.transitionStart;
    const u = span > 0 ? (t - seg.transitionStart) / span : 1;
    this.rest(tauRest, this.pb);
    if (u < 0.5) {
      const prev = k > 0 ? s[k - 1]! : null;
      if (prev) prev.motion((prev.end - prev.start) * 1e-6, this.pa);
      else this.rest(tauRest, this.pa);
      blendTargets(this.pa, this.pb, smoothstep(2 * u), out);
    } else {
      seg.motion(0, this.pa);
      blendTargets(this.pb, this.pa, smoothstep(2 * u - 1), out);
    }
  }

  private logOf(r: number): number {
    const x = (r <= 0 ? 0 : r >= 1 ? 1 : r) * LOG_LUT_SIZE;
    const i = x | 0;
    const a = this.lut[i]!;
    return a + (this.lut[i + 1]! - a) * (x - i);
  }

  /**
   * Camera shake offset at t (µs): bursts of a few-Hz tremor now and then (about 1.4 s every
   * 10 s). Every shaken frame redraws and integrates the whole sensor, hence bursts.
   */
  private shakeAt(t: number, out: View): void {
    const a = this.domain?.framing.shake ?? 0;
    const tau = t * 1e-6, ph = this.shakePhase;
    const envelope = a > 0 ? Math.max(0, (Math.sin(2 * Math.PI * 0.1 * tau + ph[0]!) - 0.9) / 0.1) : 0;
    if (envelope === 0) { out.dx = 0; out.dy = 0; return; }
    out.dx = a * envelope * Math.sin(2 * Math.PI * 4.3 * tau + ph[1]!);
    out.dy = a * envelope * Math.sin(2 * Math.PI * 6.1 * tau + ph[2]!);
  }

  /** Background reflectance shifted by (dx, dy) pixels (bilinear, edges clamped) into refl. */
  private shiftedBackground(dx: number, dy: number): void {
    const src = this.background.data, dst = this.refl.data, w = this.width, h = this.height;
    for (let y = 0; y < h; y++) {
      const sy = Math.min(h - 1, Math.max(0, y - dy)), y0 = Math.floor(sy), y1 = Math.min(h - 1, y0 + 1), fy = sy - y0;
      for (let x = 0; x < w; x++) {
        const sx = Math.min(w - 1, Math.max(0, x - dx)), x0 = Math.floor(sx), x1 = Math.min(w - 1, x0 + 1), fx = sx - x0;
        const a = src[y0 * w + x0]! + (src[y0 * w + x1]! - src[y0 * w + x0]!) * fx;
        const b = src[y1 * w + x0]! + (src[y1 * w + x1]! - src[y1 * w + x0]!) * fx;
        dst[y * w + x] = a + (b - a) * fy;
      }
    }
  }

  /** Renders the scene's log intensity at time t into logFrame. */
  private render(t: number): void {
    this.targetsAt(t, this.pose);
    solvePose(this.subject, this.pose, this.joints);
    const refl = this.refl.data;
    const view = this.view;
    let shaken = false;
    if (view) {
      this.shakeAt(t, view);
      shaken = view.dx !== 0 || view.dy !== 0;
    }
    if (shaken) this.shiftedBackground(view!.dx, view!.dy);
    else refl.set(this.background.data);
    const box = emptyBox();
    for (const p of this.passersby) drawPasserby(this.refl, p, t, box);
    if (this.passersby.length > 0 && this.passersby[0]!.end < t - 1e6) this.passersby.shift();
    if (view) drawPerson(this.refl, this.subject, viewJoints(view, this.joints, this.viewed), box, view);
    else drawPerson(this.refl, this.subject, this.joints, box);
    if (this.active?.idle === 'carry') {
      // The carried box, held between the hands.
      const j = view ? this.viewed : this.joints, u = this.subject.unit;
      const x0 = Math.min(j.rhx, j.lhx) - 0.1 * u, x1 = Math.max(j.rhx, j.lhx) + 0.1 * u, y = (j.rhy + j.lhy) / 2;
      fillConvexPolygon(this.refl, [x0, y - 0.5 * u, x1, y - 0.5 * u, x1, y + 0.2 * u, x0, y + 0.2 * u], this.subject.look?.accessory ?? this.subject.shirt, box);
    }
    const log = this.logFrame;
    const whole = shaken || this.shifted;
    this.shifted = shaken;
    if (whole) {
      // The whole scene moved (camera shake), or moves back: every pixel may change.
      box.x0 = 0; box.y0 = 0; box.x1 = this.width; box.y1 = this.height;
    } else {
      log.set(this.backgroundLog);
    }
    // Pixels that may differ from the previous frame: last frame's person box and this one's.
    const d = this.dirty, p = this.drawn;
    d.x0 = Math.min(p.x0, box.x0); d.y0 = Math.min(p.y0, box.y0);
    d.x1 = Math.max(p.x1, box.x1); d.y1 = Math.max(p.y1, box.y1);
    p.x0 = box.x0; p.y0 = box.y0; p.x1 = box.x1; p.y1 = box.y1;
    if (box.x1 <= box.x0) return;
    const lut = this.lut;
    for (let y = box.y0; y < box.y1; y++) {
      for (let i = y * this.width + box.x0, end = y * this.width + box.x1; i < end; i++) {
        const r = refl[i]!;
        const x = (r <= 0 ? 0 : r >= 1 ? 1 : r) * LOG_LUT_SIZE;
        const j = x | 0;
        const a = lut[j]!;
        log[i] = a + (lut[j + 1]! - a) * (x - j);
      }
    }
  }

  /**
   * Simulates up to time `until` (µs), rendering a frame every frameUs, and passes the events to
   * `onBatch` about every `batchUs` of simulated time (and at the end). Returns the event count.
   */
  run(until: number, onBatch: (batch: EventBatch) => void, batchUs = 1_000_000): number {
    let total = 0;
    let nextFlush = this.time + batchUs;
    while (this.time < until) {
      // Drop segments that can no longer be looked at (the live camera's schedule never ends).
      while (this.plan.length > 1 && this.plan[1]!.start <= this.time) this.plan.shift();
      const t = Math.min(until, this.time + this.frameUs);
      this.render(t);
      total += this.simulator.advance(this.logFrame, t, this.dirty);
      this.time = t;
      if (t >= nextFlush || t >= until) {
        if (this.simulator.output.length > 0) onBatch(this.simulator.output.take());
        nextFlush = t + batchUs;
      }
    }
    return total;
  }
}
