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
import type { GestureClassId, Lighting } from './gesture-classes.js';
import { flickerGainMap, lightingFlicker, LIGHTING_PROFILES } from './lighting.js';
import { deriveSeed, Random } from '../util/random.js';
import { makeBackground } from './scene/background.js';
import { makePerformance, restMotion, type Motion } from './scene/gestures.js';
import { drawPerson, joints, makeSubject, poseTargets, solvePose, type PoseTargets, type Subject } from './scene/person.js';
import { emptyBox, type Image } from './scene/raster.js';
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
  /** Mean contrast threshold, log units (default 0.1: with the flat-shaded person this gives
   * event rates near the real recordings'). */
  threshold?: number;
  /** Time of the first frame, µs. */
  startUs?: number;
}

/** A labelled gesture interval [start, end) in µs, in the event time base. */
export interface GestureSegment {
  classId: GestureClassId;
  start: number;
  end: number;
}

interface ScheduledSegment extends GestureSegment {
  /** End of the transition that precedes it (= start). Transition starts at `transitionStart`. */
  transitionStart: number;
  motion: Motion;
}

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

  constructor(options: SessionOptions) {
    this.width = options.width ?? 128;
    this.height = options.height ?? 128;
    this.frameUs = options.frameUs ?? 4000;
    if (!(this.frameUs >= 1)) throw new RangeError(`frameUs must be >= 1 µs, got ${this.frameUs}`);
    const { seed, user, lighting } = options;
    const profile = LIGHTING_PROFILES[lighting];
    const sessionRnd = Random.derive(seed, 'session', user, lighting);
    this.background = makeBackground(this.width, this.height, deriveSeed(seed, 'background', user, lighting));
    let mean = 0;
    for (const v of this.background.data) mean += v;
    mean /= this.background.data.length;
    // The person is the same across lightings; where they stand and how far from the camera
    // changes a little per session.
    const subject = makeSubject(Random.derive(seed, 'subject', user), this.width, this.height, mean);
    const k = Math.min(this.width, this.height) / 128;
    this.subject = {
      ...subject,
      unit: subject.unit * sessionRnd.uniform(0.93, 1.07),
      centerX: subject.centerX + sessionRnd.uniform(-8, 8) * k,
      shoulderY: subject.shoulderY + sessionRnd.uniform(-5, 5) * k,
    };
    this.lut = new Float32Array(LOG_LUT_SIZE + 2);
    for (let i = 0; i <= LOG_LUT_SIZE + 1; i++) this.lut[i] = Math.log((profile.brightness * i) / LOG_LUT_SIZE + DARK);
    this.backgroundLog = new Float32Array(this.background.data.length);
    for (let i = 0; i < this.backgroundLog.length; i++) this.backgroundLog[i] = this.logOf(this.background.data[i]!);
    this.refl = { data: new Float32Array(this.background.data.length), width: this.width, height: this.height };
    this.logFrame = new Float32Array(this.background.data.length);
    this.simulator = new EventSimulator({
      width: this.width,
      height: this.height,
      thresholdOn: options.threshold ?? DEFAULT_THRESHOLD,
      thresholdOff: options.threshold ?? DEFAULT_THRESHOLD,
      thresholdMismatch: profile.thresholdMismatch,
      backgroundRateHz: profile.backgroundRateHz,
      hotPixelCount: profile.hotPixelCount,
      hotPixelRateHz: 150,
      flicker: lightingFlicker(lighting, options.mainsHz ?? 60, sessionRnd),
      flickerGain: flickerGainMap(this.width, this.height, profile.highlights, sessionRnd),
      seed: deriveSeed(seed, 'sensor', user, lighting),
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
   * lasting `durationUs`. `variant` selects sub-styles (arm roll direction). Returns the segment.
   */
  addGesture(classId: GestureClassId, transitionUs: number, durationUs: number, variant = 0): GestureSegment {
    const from = Math.max(this.scheduledUntil, this.time);
    const start = Math.round(from + transitionUs);
    const end = Math.round(start + durationUs);
    const perf = makePerformance(classId, this.subject, this.motionRandom, variant);
    this.plan.push({ classId, start, end, transitionStart: from, motion: perf.motion });
    const segment = { classId, start, end };
    this.labels.push(segment);
    return segment;
  }

  /** Pose targets at time t (µs). */
  private targetsAt(t: number, out: PoseTargets): void {
    const s = this.plan;
    let k = 0;
    while (k < s.length && s[k]!.end <= t) k++;
    const seg = s[k];
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

  /** Renders the scene's log intensity at time t into logFrame. */
  private render(t: number): void {
    this.targetsAt(t, this.pose);
    solvePose(this.subject, this.pose, this.joints);
    const refl = this.refl.data;
    refl.set(this.background.data);
    const box = emptyBox();
    drawPerson(this.refl, this.subject, this.joints, box);
    const log = this.logFrame;
    log.set(this.backgroundLog);
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
