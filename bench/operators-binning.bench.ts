/**
 * Binning throughput (events/s over every input event) on 5M synthetic uniform events, 128x128
 * sensor, sorted timestamps over 10 s (quick: 1M), against shared/anchors/binning_numpy.py on
 * its own 5M events (spawned /usr/bin/python3): each anchor run is bracketed by our timings
 * just before and after it, the ratio is the median of ANCHOR_ROUNDS rounds, every round listed
 * (bracketedRounds); both sides in CPU time (the first figures are wall time). Skipped with a note in quick mode or without python3 / numpy / ../shared.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Downsampler, FrameAccumulator, framesFromEvents } from '../src/operators/functional/index.js';
import { bracketedRounds, cpuTimeMs, medianRound, pythonJson, timeMs, type Benchmark } from './harness.js';
import { events } from './operators.bench.js';

const ANCHOR_ROUNDS = 3;

const ANCHOR_SNIPPET = `
import json, os, sys
import numpy as np
sys.path.insert(0, os.environ["ANCHOR_DIR"])
import statistics, time
import binning_numpy as b
def cpu_s(fn, repeats=3):
    fn()
    s = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        s.append(time.process_time() - t0)
    return statistics.median(s)
x, y, t, p = b.make_events()
n = len(x)
ec_out = np.empty((n // b.EVENTS_PER_FRAME, b.P * b.H * b.W), dtype=np.float32)
out = {}
for name, fn in [("time_bins", lambda: b.frames_time_bins_sliced(x, y, t, p)),
                 ("downsample4", lambda: b.frames_downsampled(x, y, t, p)),
                 ("event_count", lambda: b.frames_event_count(x, y, t, p)),
                 ("event_count_reused", lambda: b.frames_event_count(x, y, t, p, out=ec_out))]:
    out[name] = n / cpu_s(fn) / 1e6
print(json.dumps(out))
`;

/** One run of the numpy anchor's binning functions (Mev/s), or why it did not run. */
function numpyAnchor(): Record<string, number> | string {
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/anchors');
  if (!existsSync(join(dir, 'binning_numpy.py'))) return `${dir}/binning_numpy.py not found`;
  if (!existsSync('/usr/bin/python3')) return '/usr/bin/python3 not found';
  return pythonJson('binning_numpy.py (numpy missing?)', ['-c', ANCHOR_SNIPPET], { ANCHOR_DIR: dir });
}

const bench: Benchmark = {
  name: 'operators: binning',
  async run({ report, quick }) {
    const n = quick ? 1_000_000 : 5_000_000;
    const ev = events(n);
    const rate = (ms: number) => n / ms / 1e3; // Mev/s
    const acc = new FrameAccumulator();
    const down = new Downsampler(4);
    const reused = new Float32Array(Math.ceil(n / 5000) * 128 * 128 * 2);
    const cases: Array<{ name: string; run: () => unknown; key?: string }> = [
      { name: 'nTimeBins 16', run: () => framesFromEvents(ev, { nTimeBins: 16 }, acc), key: 'time_bins' },
      { name: '4x downsample fused into nTimeBins 16', run: () => framesFromEvents(ev, { nTimeBins: 16, downsample: 4 }, acc), key: 'downsample4' },
      { name: '4x downsample (separate Downsampler.apply) then nTimeBins 16', run: () => framesFromEvents(down.apply(ev), { nTimeBins: 16 }, acc), key: 'downsample4' },
      { name: 'eventCount 5000, reused output', run: () => framesFromEvents(ev, { eventCount: 5000 }, acc, reused), key: 'event_count_reused' },
      // Dominated by first-touch page faults on the fresh frames (one per 4 KiB), not by counting.
      { name: 'eventCount 5000, fresh output', run: () => framesFromEvents(ev, { eventCount: 5000 }, acc), key: 'event_count' },
      { name: 'timeWindow 10 ms (1000 frames), fresh output', run: () => framesFromEvents(ev, { timeWindow: 10_000 }, acc) },
    ];
    const ours = async (time: typeof timeMs): Promise<number[]> => {
      const out: number[] = [];
      for (const c of cases) out.push(rate(await time(c.run, 3, 1)));
      return out;
    };
    const alone = await ours(timeMs);
    cases.forEach((c, i) => report({ name: `binning ${c.name}`, value: alone[i]!, unit: 'Mev/s' }));
    if (quick) {
      report({ name: 'numpy anchor skipped in quick mode (run without --quick for ratios)', value: 0, unit: '' });
      return;
    }
    // Two cases share the downsample4 anchor: time them under their own keys.
    const keys = cases.map((c, i) => (c.key ? `${c.key}#${i}` : undefined));
    const rounds = await bracketedRounds(keys, ANCHOR_ROUNDS, () => ours(cpuTimeMs), () => {
      const a = numpyAnchor();
      return typeof a === 'string' ? a : Object.fromEntries(cases.flatMap((c, i) => (c.key && a[c.key] !== undefined ? [[`${c.key}#${i}`, a[c.key]!]] : [])));
    });
    if (typeof rounds === 'string') {
      report({ name: `numpy anchor not run: ${rounds}`, value: 0, unit: '' });
      return;
    }
    cases.forEach((c, i) => {
      const r = rounds.get(keys[i]!);
      if (!r) return;
      const { mid, list } = medianRound(r);
      report({ name: `binning ${c.name}: ratio to numpy (CPU time)`, value: mid.ratio, unit: 'x', extra: { spikeline_cpu_Mev_s: +mid.ours.toFixed(1), numpy_cpu_Mev_s: +mid.anchor.toFixed(1), rounds: list } });
    });
  },
};

export default bench;
