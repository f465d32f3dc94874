/**
 * A simulated live camera: an endless, real-time stream of gestures as an Observable of event
 * batches, for demos and live tests of the network sources and the pipeline.
 *
 * Subjects take turns in front of the camera (a new one every `gesturesPerSubject` gestures,
 * cycling through users 1..29); each performs gestures of random class with short transitions.
 * Timestamps are absolute Unix microseconds, as a DV camera sends. Emission is paced by the
 * wall clock (× `speed`); if the host cannot keep up, event time lags wall time rather than
 * skipping. Every gesture is announced through `onGesture` when it begins, with its true class
 * and interval, so a consumer's predictions can be checked.
 */
import { Observable } from 'rxjs';
import type { EventBatch } from '../events/index.js';
import { GESTURE_CLASS_IDS, type Lighting, type SegmentClassId } from './gesture-classes.js';
import { Random } from '../util/random.js';
import type { DomainRanges } from './domain.js';
import { IDLE_KINDS, type IdleKind } from './scene/idle.js';
import type { ClockwiseConvention } from './scene/gestures.js';
import { GestureSession } from './session.js';
import { USER_COUNT as USERS } from './dataset.js';
import { DEFAULT_IDLE_PROBABILITY, DEFAULT_IDLE_SECONDS } from './trial.js';

export interface GestureAnnouncement {
  /** 1..11, or BACKGROUND_CLASS_ID (12) for a "no gesture" period. */
  classId: SegmentClassId;
  /** 0-based label (classId − 1). */
  label: number;
  /** Kind of a "no gesture" period. */
  idle?: IdleKind;
  user: number;
  lighting: Lighting;
  /** Labelled interval [start, end), µs, in the stream's time base. */
  start: number;
  end: number;
}

export interface CameraOptions {
  lighting?: Lighting;
  seed?: number;
  /** Mean labelled gesture length, s (default 3). */
  gestureSeconds?: number;
  /** Mean transition between gestures, s (default 1). */
  gapSeconds?: number;
  /** Gestures before the next subject steps in (default 6). */
  gesturesPerSubject?: number;
  /** Event time covered by one emitted batch, µs (default 10 ms). */
  batchUs?: number;
  /** Playback speed relative to real time (default 1). */
  speed?: number;
  /** Time of the first event, µs (default: now, as Unix µs). */
  startUs?: number;
  /** Mean contrast threshold (default: drawn per subject by domain randomisation). */
  threshold?: number;
  /** Domain randomisation ranges (default on; null: off). */
  domain?: DomainRanges | null;
  clockwise?: ClockwiseConvention;
  /** Probability of a "no gesture" period before each gesture (default as the dataset's). */
  idleProbability?: number;
  /** Mean length of a "no gesture" period, s. */
  idleSeconds?: number;
  onGesture?: (gesture: GestureAnnouncement) => void;
}

/** How far ahead of the simulated time gestures are scheduled, µs. */
const LOOKAHEAD_US = 2_000_000;

export function simulatedCamera(options: CameraOptions = {}): Observable<EventBatch> {
  return new Observable<EventBatch>((subscriber) => {
    const lighting = options.lighting ?? 'fluorescent';
    const seed = options.seed ?? 1;
    const gesture = (options.gestureSeconds ?? 3) * 1e6;
    const gap = (options.gapSeconds ?? 1) * 1e6;
    const perSubject = Math.max(1, options.gesturesPerSubject ?? 6);
    const batchUs = Math.max(1000, options.batchUs ?? 10_000);
    const speed = options.speed ?? 1;
    if (!(gesture > 0) || !(gap >= 0) || !(speed > 0)) {
      subscriber.error(new RangeError('simulatedCamera: gestureSeconds and speed must be > 0, gapSeconds >= 0'));
      return undefined;
    }
    const rnd = Random.derive(seed, 'camera', lighting);
    const idleRnd = Random.derive(seed, 'camera-idle', lighting);
    const idleP = options.idleProbability ?? DEFAULT_IDLE_PROBABILITY;
    const idleUs = (options.idleSeconds ?? DEFAULT_IDLE_SECONDS) * 1e6;
    const t0 = options.startUs ?? Date.now() * 1000;
    const wall0 = performance.now();
    let user = 1 + rnd.int(USERS);
    const newSession = (startUs: number): GestureSession =>
      new GestureSession({
        seed, user, lighting, startUs,
        ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
        ...(options.domain !== undefined ? { domain: options.domain } : {}),
        ...(options.clockwise ? { clockwise: options.clockwise } : {}),
      });
    let session = newSession(t0);
    let performed = 0;
    let announced = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let closed = false;

    const schedule = (): void => {
      while (session.scheduledUntil < session.now + LOOKAHEAD_US && performed < perSubject) {
        const id = rnd.pick(GESTURE_CLASS_IDS);
        if (idleP > 0 && idleRnd.next() < idleP) session.addIdle(idleRnd.pick(IDLE_KINDS), gap * idleRnd.uniform(0.6, 1.4), idleUs * idleRnd.uniform(0.6, 1.6));
        session.addGesture(id, gap * rnd.uniform(0.6, 1.4), gesture * rnd.uniform(0.8, 1.25), rnd.int(2));
        performed++;
      }
    };

    const announce = (): void => {
      const segs = session.segments;
      while (announced < segs.length && segs[announced]!.start <= session.now) {
        const s = segs[announced++]!;
        options.onGesture?.({ classId: s.classId, label: s.classId - 1, ...(s.idle ? { idle: s.idle } : {}), user, lighting, start: s.start, end: s.end });
      }
    };

    const tick = (): void => {
      if (closed) return;
      try {
        const target = t0 + (performance.now() - wall0) * 1000 * speed;
        // Bounded work per tick: a camera slower than asked falls behind but keeps the event loop
        // (clients, unsubscribe, signals) alive.
        const tickEnd = performance.now() + 50;
        while (session.now + batchUs <= target && !closed && performance.now() < tickEnd) {
          schedule();
          // The subject leaves after their last gesture's return to rest; the next one steps in.
          if (performed >= perSubject && session.now >= session.scheduledUntil + 1_000_000) {
            user = (user % USERS) + 1;
            session = newSession(session.now);
            performed = 0;
            announced = 0;
            schedule();
          }
          session.run(session.now + batchUs, (b) => subscriber.next(b), batchUs);
          announce();
        }
      } catch (err) {
        subscriber.error(err);
        return;
      }
      const behind = session.now + batchUs <= t0 + (performance.now() - wall0) * 1000 * speed;
      timer = setTimeout(tick, behind ? 0 : batchUs / 1000 / speed);
    };
    tick();
    return () => {
      closed = true;
      if (timer) clearTimeout(timer);
    };
  });
}
