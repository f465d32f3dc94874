/**
 * Filters and binning throughput (events/s over every input event) on synthetic uniform events,
 * 128x128 sensor, sorted timestamps over 10 s: 10M events (quick: 1M). The binning ratio is to
 * shared/anchors/binning_numpy.py run in the same process tree (spawned /usr/bin/python3), whose
 * best figure is numpy's 16-time-bin binning of 5M events.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allocateBatch, sliceBatch, type EventBatch } from '../src/events/index.js';
import type { EventFilter } from '../src/operators/functional/index.js';
import {
  BackgroundActivityFilter, Downsampler, FrameAccumulator, framesFromEvents, HotPixelFilter, IndexScratch,
  RateLimiter, RefractoryFilter, cropRegion, orient, selectPolarity, type FrameSpec,
} from '../src/operators/functional/index.js';
import { quantile, timeMs, type Benchmark } from './harness.js';

const sensor = { width: 128, height: 128 };

function events(n: number, seed = 777): EventBatch {
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

const ANCHOR_SNIPPET = `
import json, os, sys
sys.path.insert(0, os.environ["ANCHOR_DIR"])
import binning_numpy as b
x, y, t, p = b.make_events()
n = len(x)
out = {}
for name, fn in [("time_bins", lambda: b.frames_time_bins_sliced(x, y, t, p)),
                 ("downsample4", lambda: b.frames_downsampled(x, y, t, p)),
                 ("event_count", lambda: b.frames_event_count(x, y, t, p))]:
    out[name] = n / b.timeit(fn, repeats=3) / 1e6
print(json.dumps(out))
`;
import { Random } from '../src/util/random.js';

/** One timing round of the numpy anchor's binning functions (Mev/s), or undefined when unavailable. */
function numpyRound(): Record<string, number> | undefined {
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/anchors');
  if (!existsSync(join(dir, 'binning_numpy.py')) || !existsSync('/usr/bin/python3')) return undefined;
  const r = spawnSync('/usr/bin/python3', ['-c', ANCHOR_SNIPPET], { encoding: 'utf8', env: { ...process.env, ANCHOR_DIR: dir } });
  if (r.status !== 0) return undefined;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
  } catch {
    return undefined;
  }
}

const bench: Benchmark = {
  name: 'operators (filters, binning)',
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

    // Binning vs numpy: alternate numpy rounds and ours so both see the same machine load (this
    // host is shared); the ratio is the median of the per-round ratios.
    const acc = new FrameAccumulator();
    const bins: Array<[string, FrameSpec, boolean, string | undefined]> = [
      ['nTimeBins 16', { nTimeBins: 16 }, false, 'time_bins'],
      ['4x downsample fused into nTimeBins 16', { nTimeBins: 16, downsample: 4 }, false, 'downsample4'],
      ['4x downsample (separate copy) then nTimeBins 16', { nTimeBins: 16 }, true, 'downsample4'],
      ['eventCount 5000 (fresh output)', { eventCount: 5000 }, false, 'event_count'],
      // Dominated by writing 1000 fresh 128 KiB frames (first-touch page faults), not by counting.
      ['timeWindow 10 ms (1000 frames, output-bound)', { timeWindow: 10_000 }, false, undefined],
    ];
    const rounds = quick ? 1 : 3;
    const ours = new Map<string, number[]>();
    const ratios = new Map<string, number[]>();
    const numpy = new Map<string, number[]>();
    let anchorSeen = false;
    for (let r = 0; r < rounds; r++) {
      const anchor = quick ? undefined : numpyRound();
      if (anchor) anchorSeen = true;
      for (const [name, spec, ds, key] of bins) {
        const ms = await timeMs(() => framesFromEvents(ds ? down.apply(ev) : ev, spec, acc), quick ? 3 : 5);
        (ours.get(name) ?? ours.set(name, []).get(name)!).push(rate(ms));
        if (anchor && key && anchor[key] !== undefined) {
          (numpy.get(name) ?? numpy.set(name, []).get(name)!).push(anchor[key]!);
          (ratios.get(name) ?? ratios.set(name, []).get(name)!).push(rate(ms) / anchor[key]!);
        }
      }
    }
    for (const [name] of bins) {
      const extra: Record<string, number | string> = {};
      if (numpy.has(name)) {
        extra.numpy_Mev_s = Number(quantile(numpy.get(name)!, 0.5).toFixed(1));
        extra.ratio_to_numpy = Number(quantile(ratios.get(name)!, 0.5).toFixed(2));
      }
      report({ name: `binning ${name}`, value: quantile(ours.get(name)!, 0.5), unit: 'Mev/s', extra });
    }
    if (!quick && !anchorSeen) report({ name: 'numpy anchor not run (/usr/bin/python3 + numpy + ../shared/anchors needed)', value: 0, unit: '' });
  },
};

export default bench;
