/**
 * Writes the frames `spikeline train` would feed the network, for the ANN-twin diagnostic
 * (twin.py): COPIES augmented passes over the training split (default augmentations), one plain
 * pass over it and one over the test split, as raw float32 [N, T, H, W, 2] and int32 labels.
 *
 *   node --import tsx scripts/ann-twin/export-frames.ts DATA OUT [COPIES=4] [STEP_US=187500] [STEPS=16] [DOWNSAMPLE=4]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mirrorLabelMap } from '../../src/operators/functional/augment.js';
import { augmentEvents, framesOfEvents, loadGestureDataset, NO_AUGMENTATION, parseAugmentation, TRAIN_AUGMENTATION, type Augmentation, type LabelledEvents } from '../../src/snn/data.js';
import { randomSource } from '../../src/util/random.js';

const [data, out, copies = '4', stepUs = '187500', steps = '16', downsample = '4'] = process.argv.slice(2);
if (!data || !out) {
  process.stderr.write('usage: export-frames.ts DATA OUT [COPIES] [STEP_US] [STEPS] [DOWNSAMPLE]\n');
  process.exit(2);
}
const ds = await loadGestureDataset(data, { downsample: Number(downsample), steps: Number(steps), stepUs: Number(stepUs), encoding: 'count', background: true });
const p = ds.preprocessing;
const mirror = mirrorLabelMap(ds.classes);
const rand = randomSource(7);
mkdirSync(out, { recursive: true });

function dump(name: string, samples: readonly LabelledEvents[], passes: number, aug: Augmentation): void {
  const per = p.steps * p.height * p.width * 2;
  const x = new Float32Array(samples.length * passes * per);
  const y = new Int32Array(samples.length * passes);
  let k = 0;
  for (let pass = 0; pass < passes; pass++) {
    for (const s of samples) {
      const { events, label, startUs } = augmentEvents(s, p, aug, rand, { mirror });
      x.set(framesOfEvents(events, p, undefined, startUs), k * per);
      y[k++] = label;
    }
  }
  writeFileSync(`${out}/${name}-x.f32`, new Uint8Array(x.buffer));
  writeFileSync(`${out}/${name}-y.i32`, new Uint8Array(y.buffer));
}
dump('train', ds.train, Number(copies), parseAugmentation(TRAIN_AUGMENTATION));
dump('train0', ds.train, 1, NO_AUGMENTATION);
dump('test', ds.test, 1, NO_AUGMENTATION);
writeFileSync(`${out}/meta.json`, JSON.stringify({ classes: ds.classes, p, copies: Number(copies), nTrain: ds.train.length, nTest: ds.test.length }));
process.stdout.write(`${out}: ${ds.train.length} train x ${copies} augmented, ${ds.test.length} test samples\n`);
