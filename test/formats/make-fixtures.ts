#!/usr/bin/env node
// Regenerates fixtures/formats-* (small deterministic recordings for the CLI demo and docs):
//   node --import tsx test/formats/make-fixtures.ts
// A vertical bar sweeps left to right over a 128x128 DVS128 frame in 1 s: ON events on its
// leading edge, OFF events on its trailing edge, plus 2 % uniform noise.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { allocateBatch } from '../../src/events/index.js';
import { encodeEvents } from '../../src/formats/index.js';
import { REPO_ROOT, rng } from './helpers.js';

const sensor = { width: 128, height: 128 };
const r = rng(42);
const xs: number[] = [], ys: number[] = [], ts: number[] = [], ps: number[] = [];
const T0 = 1_700_000_000_000_000; // absolute Unix µs, as DV records
for (let step = 0; step < 120; step++) {
  const t = step * 8333; // 120 steps over ~1 s
  const lead = 4 + step, trail = lead - 6;
  for (let y = 8; y < 120; y += 1) {
    if (r() < 0.35) { xs.push(lead); ys.push(y); ts.push(T0 + t + Math.floor(r() * 8000)); ps.push(1); }
    if (trail >= 0 && r() < 0.3) { xs.push(trail); ys.push(y); ts.push(T0 + t + Math.floor(r() * 8000)); ps.push(0); }
  }
  for (let k = 0; k < 2; k++) { xs.push(Math.floor(r() * 128)); ys.push(Math.floor(r() * 128)); ts.push(T0 + t + Math.floor(r() * 8000)); ps.push(r() < 0.5 ? 1 : 0); }
}
const order = ts.map((_, i) => i).sort((a, b) => ts[a]! - ts[b]! || a - b);
const batch = allocateBatch(order.length, sensor);
order.forEach((j, i) => { batch.x[i] = xs[j]!; batch.y[i] = ys[j]!; batch.t[i] = ts[j]!; batch.p[i] = ps[j]!; });
await writeFile(join(REPO_ROOT, 'fixtures', 'formats-bar.aedat4'), await encodeEvents([batch], { format: 'aedat4', compression: 'lz4', sourceName: 'spikeline_bar_DVS128', maxEventsPerPacket: 2048 }));
await writeFile(join(REPO_ROOT, 'fixtures', 'formats-bar.aedat'), await encodeEvents([batch], { format: 'aedat3', maxEventsPerPacket: 2048 }));
console.log(`wrote fixtures/formats-bar.aedat4 and fixtures/formats-bar.aedat: ${batch.length} events`);
