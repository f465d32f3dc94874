/**
 * Filter throughput (events/s over every input event) on synthetic uniform events, 128x128
 * sensor, sorted timestamps over 10 s: 10M events (quick: 1M). Binning: operators-binning.bench.ts.
 */
import { allocateBatch, sliceBatch, type EventBatch } from '../src/events/index.js';
import type { EventFilter } from '../src/operators/functional/index.js';
import {
  BackgroundActivityFilter, Downsampler, HotPixelFilter, IndexScratch,
  RateLimiter, RefractoryFilter, cropRegion, orient, selectPolarity,
} from '../src/operators/functional/index.js';
import { timeMs, type Benchmark } from './harness.js';
import { Random } from '../src/util/random.js';

const sensor = { width: 128, height: 128 };

/** `n` uniform events on 128x128, sorted timestamps over 10 s (shared with operators-binning.bench.ts). */
export function events(n: number, seed = 777): EventBatch {
  const random = new Random(seed);
  const next = () => random.nextUint32();
  const b = allocateBatch(n, sensor);
  for (let i = 0; i < n; i++) {
    const r = next();
    b.x[i] = r & 127;
    b.y[i] = (r >>> 7) & 127;
    b.p[i] = (r >>> 14) & 1;
    b.t[i] = 1_600_000_000_000_000 + (next() % 10_000_000);
  }
  b.t.sort();
  return b;
}

const bench: Benchmark = {
  name: 'operators (filters)',
  async run({ report, quick }) {
    const n = quick ? 1_000_000 : 10_000_000;
    const ev = events(n);
    const rate = (ms: number) => n / ms / 1e3; // Mev/s
    // Filters run the way a pipeline runs them: over the stream in 64k-event batches (what the
    // file and socket sources deliver), state carried across batches.
    const chunks: EventBatch[] = [];
    for (let i = 0; i < n; i += 65536) chunks.push(sliceBatch(ev, i, i + 65536));
    const scratch = new IndexScratch();
    const stateless = (fn: (b: EventBatch) => EventBatch): (() => EventFilter) => () => ({ filter: fn, reset() {}, stats: { seen: 0, kept: 0 } });
    const down = new Downsampler(4);
    const filters: Array<[string, () => EventFilter]> = [
      ['selectPolarity(ON)', stateless((b) => selectPolarity(b, 1, scratch))],
      ['crop 64x64', stateless((b) => cropRegion(b, { x: 32, y: 32, width: 64, height: 64 }, scratch))],
      ['orient flipX', stateless((b) => orient(b, 'flipX'))],
      ['downsample 4x', stateless((b) => down.apply(b))],
      ['refractory 1 ms', () => new RefractoryFilter(1000)],
      ['background activity 2 ms, 8 neighbours', () => new BackgroundActivityFilter(2000, 8)],
      ['background activity 2 ms, 4 neighbours', () => new BackgroundActivityFilter(2000, 4)],
      ['hot pixels (learn 100 ms, 3 fixed)', () => new HotPixelFilter({ pixels: [{ x: 1, y: 1 }, { x: 2, y: 2 }, { x: 3, y: 3 }], learn: { duration: 100_000, minEvents: 1000 } })],
      ['rate limit 500 kev/s', () => new RateLimiter(500_000)],
    ];
    for (const [name, create] of filters) {
      let kept = 0;
      const ms = await timeMs(() => {
        const f = create();
        kept = 0;
        for (const c of chunks) kept += f.filter(c).length;
      }, quick ? 3 : 5);
      report({ name: `filter ${name} (64k-event batches)`, value: rate(ms), unit: 'Mev/s', extra: { target: 100, kept_fraction: Number((kept / n).toFixed(3)) } });
    }
  },
};

export default bench;
