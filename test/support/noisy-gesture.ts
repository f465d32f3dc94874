/**
 * fixtures/gesture-mini with uniform background-activity noise injected into each trial file:
 * a real-layout folder where a denoise filter has something to remove.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { injectNoise } from '../../src/operators/functional/augment.js';
import { listDvsGestureTrials, parseGestureLabels, writeDvsGestureTrial } from '../../src/formats/dvs-gesture.js';
import { readEvents } from '../../src/formats/io.js';
import { rng } from './events.js';

export const GESTURE_MINI = 'fixtures/gesture-mini';

/** Writes the noisy copy to `dir` (`perPixelHz` noise events per pixel per second); returns the trial names. */
export async function writeNoisyGestureMini(dir: string, perPixelHz: number, seed = 1): Promise<string[]> {
  const rand = rng(seed);
  const names: string[] = [];
  for (const trial of await listDvsGestureTrials(GESTURE_MINI)) {
    const events = await readEvents(trial.aedatPath, { format: 'aedat3' });
    const seconds = (events.t[events.length - 1]! - events.t[0]!) / 1e6;
    const noisy = injectNoise(events, Math.round(perPixelHz * events.sensor.width * events.sensor.height * seconds), rand);
    await writeDvsGestureTrial(dir, trial.name, [noisy], parseGestureLabels(readFileSync(trial.labelsPath, 'utf8')));
    names.push(trial.name);
  }
  for (const list of ['trials_to_train.txt', 'trials_to_test.txt']) copyFileSync(join(GESTURE_MINI, list), join(dir, list));
  return names;
}
