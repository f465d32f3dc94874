/**
 * One dataset trial in the DVS128 Gesture layout: a session (user × lighting) performing the 12
 * label rows of a real trial (classes 1..11, arm roll twice) with transitions between them, and
 * now and then a labelled "no gesture" period (class 12) before a gesture or after the last. The
 * real trials last ~3 min with ~6 s per gesture; durations here are configurable so small sets
 * stay small.
 */
import type { EventBatch } from '../events/index.js';
import { TRIAL_CLASS_ORDER, type Lighting } from './gesture-classes.js';
import { Random } from '../util/random.js';
import { IDLE_KINDS } from './scene/idle.js';
import { GestureSession, type GestureSegment, type SessionOptions } from './session.js';
import type { TrialDomain } from './domain.js';

export interface TrialOptions extends Omit<SessionOptions, 'startUs'> {
  /** Mean labelled duration of one gesture, seconds (default 6, as in the real set). */
  gestureSeconds?: number;
  /** Mean transition between gestures, seconds (default 1.2). */
  gapSeconds?: number;
  /**
   * Probability of a labelled "no gesture" period (class 12: standing, fidgeting, walking out
   * and back, carrying something, someone passing) before each gesture and after the last
   * (default 0.4; 0 for none).
   */
  idleProbability?: number;
  /** Mean length of a "no gesture" period, seconds (default 2.5). */
  idleSeconds?: number;
}

export const DEFAULT_IDLE_PROBABILITY = 0.4;
export const DEFAULT_IDLE_SECONDS = 2.5;

export interface TrialResult {
  user: number;
  lighting: Lighting;
  segments: GestureSegment[];
  events: number;
  /** First and last simulated time, µs. */
  startUs: number;
  endUs: number;
  /** Domain randomisation draws of the recording (null: off). */
  domain: TrialDomain | null;
}

/**
 * Simulates a whole trial, passing event batches (time-ordered, about one per simulated second)
 * to `onBatch` and reporting progress as the fraction of simulated time done.
 */
export function simulateTrial(
  options: TrialOptions,
  onBatch: (batch: EventBatch) => void,
  onProgress?: (fraction: number) => void,
): TrialResult {
  const rnd = Random.derive(options.seed, 'trial', options.user, options.lighting);
  const gesture = (options.gestureSeconds ?? 6) * 1e6;
  const gap = (options.gapSeconds ?? 1.2) * 1e6;
  if (!(gesture > 0) || !(gap >= 0)) throw new RangeError(`gestureSeconds must be > 0 and gapSeconds >= 0`);
  // Recordings start at an arbitrary device time, as the real files do.
  const startUs = Math.round(rnd.uniform(0.5e6, 3e6));
  const session = new GestureSession({ ...options, startUs });
  let arm = 0;
  // Rows in the real order; like user01_natural, some trials swap two neighbouring rows.
  const order = [...TRIAL_CLASS_ORDER];
  if (rnd.next() < 0.25) {
    const k = 3 + rnd.int(3);
    [order[k], order[k + 1]] = [order[k + 1]!, order[k]!];
  }
  // Idle periods draw from their own stream, so the gestures' schedule is the same without them.
  const idleRnd = Random.derive(options.seed, 'idle', options.user, options.lighting);
  const idleP = options.idleProbability ?? DEFAULT_IDLE_PROBABILITY;
  const idleUs = (options.idleSeconds ?? DEFAULT_IDLE_SECONDS) * 1e6;
  if (!(idleP >= 0 && idleP <= 1) || !(idleUs > 0)) throw new RangeError(`idleProbability must be in [0, 1] and idleSeconds > 0`);
  const maybeIdle = (): void => {
    if (idleP > 0 && idleRnd.next() < idleP) session.addIdle(idleRnd.pick(IDLE_KINDS), gap * idleRnd.uniform(0.6, 1.4), idleUs * idleRnd.uniform(0.6, 1.6));
  };
  for (const classId of order) {
    const variant = classId === 8 ? arm++ : 0;
    maybeIdle();
    session.addGesture(classId, gap * rnd.uniform(0.6, 1.4), gesture * rnd.uniform(0.85, 1.2), variant);
  }
  maybeIdle();
  const endUs = session.scheduledUntil + Math.round(0.5e6);
  const span = endUs - startUs;
  let events = 0;
  while (session.now < endUs) {
    const until = Math.min(endUs, session.now + 1_000_000);
    events += session.run(until, onBatch);
    onProgress?.((session.now - startUs) / span);
  }
  return { user: options.user, lighting: options.lighting, segments: [...session.segments], events, startUs, endUs, domain: session.domain };
}
