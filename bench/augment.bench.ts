/**
 * Training-data throughput: samples/s of one sample's frames (window crop, augmentations,
 * downsample fused into binning) for the augmentation presets, on synthetic samples shaped like
 * `simulate gesture` ones (64k events over 2 s on 128x128), frames 32x32, T=16 of 93.75 ms. The
 * reference row bins events downsampled once beforehand (what data.ts did before augmenting at
 * full resolution). Memory per sample is the same either way (13 bytes per event: downsampling
 * changes coordinates, not the count).
 */
import { allocateBatch, type EventBatch } from '../src/events/index.js';
import { DVS_GESTURE_CLASSES } from '../src/formats/dvs-gesture.js';
import { Downsampler, FrameAccumulator, framesFromEvents, mirrorLabelMap } from '../src/operators/functional/index.js';
import { parseAugmentation, sampleFrames, type LabelledEvents } from '../src/snn/data.js';
import type { Preprocessing } from '../src/snn/model-api.js';
import { randomSource } from '../src/util/random.js';
import { timeMs, type Benchmark } from './harness.js';

function sample(n: number, seed: number): LabelledEvents {
  const r = randomSource(seed);
  const b: EventBatch = allocateBatch(n, { width: 128, height: 128 });
  for (let i = 0; i < n; i++) {
    b.x[i] = Math.floor(r() * 128);
    b.y[i] = Math.floor(r() * 128);
    b.p[i] = r() < 0.5 ? 1 : 0;
    b.t[i] = Math.floor(r() * 2e6);
  }
  b.t.sort();
  return { events: b, label: 3, source: `bench${seed}` };
}

const bench: Benchmark = {
  name: 'training data: frames per sample with augmentations (64k events, 32x32, T=16)',
  async run({ report, quick }) {
    const count = quick ? 4 : 32;
    const samples = Array.from({ length: count }, (_, i) => sample(64_000, i + 1));
    const p: Preprocessing = { sensorWidth: 128, sensorHeight: 128, downsample: 4, height: 32, width: 32, stepUs: 93_750, steps: 16, encoding: 'clip' };
    const acc = new FrameAccumulator();
    const down = new Downsampler(4);
    const pre = samples.map((s) => down.apply(s.events));
    const refMs = await timeMs(() => {
      for (const e of pre) framesFromEvents(e, { nTimeBins: 16, includeTail: true }, acc);
    }, quick ? 1 : 5);
    report({ name: 'binning of pre-downsampled events (no augmentation)', value: (count / refMs) * 1000, unit: 'samples/s' });
    const ctx = { mirror: mirrorLabelMap(DVS_GESTURE_CLASSES), partner: () => samples[0]! };
    for (const preset of ['none', 'legacy', 'all']) {
      const aug = parseAugmentation(preset);
      const rand = randomSource(1);
      const ms = await timeMs(() => {
        for (const s of samples) sampleFrames(s, p, aug, rand, acc, ctx);
      }, quick ? 1 : 5);
      report({ name: `full resolution, --augment ${preset}`, value: (count / ms) * 1000, unit: 'samples/s' });
    }
    report({ name: 'memory per sample (either way)', value: (64_000 * 13) / 2 ** 20, unit: 'MiB' });
  },
};

export default bench;
