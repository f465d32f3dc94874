import type { EventBatch, SensorGeometry } from '../../src/events/index.js';
import { allocateBatch } from '../../src/events/index.js';

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

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

export function rows(b: EventBatch): string[] {
  return Array.from({ length: b.length }, (_, i) => `${b.x[i]},${b.y[i]},${b.t[i]},${b.p[i]}`);
}
