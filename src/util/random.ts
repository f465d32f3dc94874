/**
 * Seeded deterministic pseudo-random numbers shared by the simulator, search, SNN and tests.
 * sfc32 (Chris Doty-Humphrey's small fast counter, 128-bit state) passes PractRand to many
 * terabytes and needs only 32-bit integer ops, so it is fast in JS and gives the same stream on
 * every platform. Sub-streams (a simulated user or gesture, a search trial) are derived by
 * hashing a path of integers, so one stream never depends on how many numbers another consumed.
 */

/** splitmix32-style integer hash (bijective finaliser of murmur3 with a golden-ratio step). */
export function hash32(a: number): number {
  let z = (a + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** Mixes a seed with a path of integers (or short strings) into one 32-bit seed. */
export function deriveSeed(seed: number, ...path: readonly (number | string)[]): number {
  let h = hash32(seed >>> 0);
  for (const part of path) {
    if (typeof part === 'number') {
      h = hash32(h ^ hash32(part >>> 0));
    } else {
      for (let i = 0; i < part.length; i++) h = hash32(h ^ part.charCodeAt(i));
      h = hash32(h ^ part.length);
    }
  }
  return h;
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Second normal of the last Box–Muller pair, or NaN. */
  private spare = Number.NaN;

  constructor(seed: number) {
    this.a = hash32(seed);
    this.b = hash32(this.a ^ 0x51ed270b);
    this.c = hash32(this.b ^ 0x2545f491);
    this.d = 1;
    // Discard the first outputs: sfc32's state needs a few rounds to mix a weak seed.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Child generator for a named sub-stream, independent of how far this one has advanced. */
  static derive(seed: number, ...path: readonly (number | string)[]): Random {
    return new Random(deriveSeed(seed, ...path));
  }

  nextUint32(): number {
    const a = this.a, b = this.b, c = this.c, d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.c = (r + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller, caching the second value). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = Number.NaN;
      return s;
    }
    let u = this.next();
    while (u <= 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Poisson-distributed count with mean `lambda` (Knuth for small means, normal approximation above 40). */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > 40) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    const limit = Math.exp(-lambda);
    let k = 0;
    let prod = this.next();
    while (prod > limit) {
      k++;
      prod *= this.next();
    }
    return k;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Random.pick needs a non-empty list');
    return items[this.int(items.length)]!;
  }
}

/** A plain uniform [0, 1) function over a seeded Random, for code that takes `() => number`. */
export function randomSource(seed: number): () => number {
  const r = new Random(seed);
  return () => r.next();
}
