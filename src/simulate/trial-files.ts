/**
 * One dataset trial simulated and written in the DVS128 Gesture layout (`userNN_<lighting>.aedat`
 * and its labels CSV), returning what the manifest records about it. Used in the calling thread
 * and in the generator's worker threads alike.
 */
import type { EventBatch } from '../events/index.js';
import { writeDvsGestureTrial } from '../formats/index.js';
import { BACKGROUND_CLASS_ID, LIGHTINGS } from './gesture-classes.js';
import type { TrialRef, TrialSettings, TrialStats } from './dataset.js';
import { simulateTrial } from './trial.js';

/** Events per labelled row: counts of t in [start, end) over the trial's sorted batches. */
function countPerSegment(batches: readonly EventBatch[], segments: readonly { start: number; end: number }[]): number[] {
  return segments.map(({ start, end }) => {
    let n = 0;
    for (const b of batches) {
      if (b.length === 0 || b.t[b.length - 1]! < start || b.t[0]! >= end) continue;
      for (let i = 0; i < b.length; i++) if (b.t[i]! >= start && b.t[i]! < end) n++;
    }
    return n;
  });
}

/** Simulates `ref` with `settings` into `settings.out`; `onProgress` gets the fraction of simulated time done. */
export async function writeTrial(settings: TrialSettings, ref: TrialRef, onProgress?: (fraction: number) => void): Promise<TrialStats> {
  const batches: EventBatch[] = [];
  const result = simulateTrial({ ...settings, user: ref.user, lighting: ref.lighting }, (b) => batches.push(b), onProgress);
  const labels = result.segments.map((s) => ({ classId: s.classId - 1, start: s.start, end: s.end }));
  // A fixed, seed-independent start stamp keeps the files byte-identical across runs.
  const startTime = new Date(Date.UTC(2017, 0, ref.user, 9 + LIGHTINGS.indexOf(ref.lighting), 0, 0));
  await writeDvsGestureTrial(settings.out, ref.name, batches, labels, { startTime });
  const gestures = result.segments.filter((s) => s.classId !== BACKGROUND_CLASS_ID);
  const idle = result.segments.filter((s) => s.classId === BACKGROUND_CLASS_ID);
  const plain = result.domain === null && idle.length === 0;
  return {
    name: ref.name,
    split: ref.split,
    events: result.events,
    durationS: (result.endUs - result.startUs) / 1e6,
    gestureEvents: countPerSegment(batches, gestures),
    gestureSeconds: gestures.map((s) => (s.end - s.start) / 1e6),
    ...(idle.length ? { idleEvents: countPerSegment(batches, idle), idleSeconds: idle.map((s) => (s.end - s.start) / 1e6) } : {}),
    ...(result.domain ? { domain: result.domain } : {}),
    ...(plain ? {} : { rows: result.segments.map((s) => ({ classId: s.classId, ...(s.domain ? { domain: s.domain } : {}), ...(s.idle ? { idle: s.idle } : {}) })) }),
  };
}
