import type { EventBatch, SensorGeometry } from '../../src/events/index.js';
import { allocateBatch, sliceBatch } from '../../src/events/index.js';
import { randomSource } from '../../src/util/random.js';

/** Deterministic uniform [0, 1) generator: tests are reproducible from their seed. */
export const rng = randomSource;

/** n random events on `sensor`, time-sorted over [t0, t0 + duration). */
export function randomEvents(n: number, sensor: SensorGeometry, seed = 1, duration = 1_000_000, t0 = 0): EventBatch {
  const r = rng(seed);
  const b = allocateBatch(n, sensor);
  for (let i = 0; i < n; i++) {
    b.x[i] = Math.floor(r() * sensor.width);
    b.y[i] = Math.floor(r() * sensor.height);
    b.p[i] = r() < 0.5 ? 1 : 0;
    b.t[i] = t0 + Math.floor(r() * duration);
  }
  b.t.sort();
  return b;
}

/** Splits a batch at random points into views (a stream of chunks). */
export function randomSplit(b: EventBatch, seed: number, maxChunk = 500): EventBatch[] {
  const r = rng(seed);
  const out: EventBatch[] = [];
  for (let i = 0; i < b.length; ) {
    const n = 1 + Math.floor(r() * maxChunk);
    out.push(sliceBatch(b, i, i + n));
    i += n;
  }
  return out;
}

export function rows(b: EventBatch): Array<[number, number, number, number]> {
  return Array.from({ length: b.length }, (_, i) => [b.x[i]!, b.y[i]!, b.t[i]!, b.p[i]!]);
}
