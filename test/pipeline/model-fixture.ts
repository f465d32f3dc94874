/**
 * The real SNN for end-to-end serving tests: the bundled model when it is present, else a
 * freshly initialised (untrained) gesture network saved as a model folder, which exercises
 * the same loading and inference code.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLED_MODEL_DIR } from '../../src/pipeline/launch.js';
import { buildModel, gesture, initBackend, saveModel } from '../../src/snn/index.js';
import { DVS_GESTURE_CLASSES } from '../../src/formats/index.js';

export async function servingModelDir(): Promise<string> {
  if (existsSync(join(BUNDLED_MODEL_DIR, 'model.json'))) return BUNDLED_MODEL_DIR;
  await initBackend();
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-model-'));
  const spec = gesture({ height: 32, width: 32, classes: DVS_GESTURE_CLASSES.length, widthMult: 0.5 });
  await saveModel(dir, {
    model: buildModel(spec, 1),
    classes: [...DVS_GESTURE_CLASSES],
    preprocessing: { sensorWidth: 128, sensorHeight: 128, downsample: 4, height: 32, width: 32, stepUs: 10_000, steps: 16, encoding: 'count' },
    meta: { name: 'untrained-gesture' },
  });
  return dir;
}
