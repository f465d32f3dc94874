/**
 * Static textured backgrounds: a room-like wall of smooth multi-octave value noise with a few
 * furniture/poster rectangles and a floor line. Texture matters for an event camera: it is what
 * the moving arms occlude and uncover, so edges appear on both sides of a limb.
 */
import { Random } from '../../util/random.js';
import { fillConvexPolygon, type Image } from './raster.js';

/** Lattice value noise with smoothstep interpolation, octaves summed with halving amplitude. */
function valueNoise(rnd: Random, width: number, height: number, cell: number, octaves: number): Float32Array {
  const out = new Float32Array(width * height);
  let amp = 1;
  let total = 0;
  for (let o = 0; o < octaves; o++) {
    const gw = Math.ceil(width / cell) + 2, gh = Math.ceil(height / cell) + 2;
    const grid = new Float32Array(gw * gh);
    for (let k = 0; k < grid.length; k++) grid[k] = rnd.next();
    for (let y = 0; y < height; y++) {
      const gy = y / cell, iy = Math.floor(gy), fy = gy - iy, sy = fy * fy * (3 - 2 * fy);
      for (let x = 0; x < width; x++) {
        const gx = x / cell, ix = Math.floor(gx), fx = gx - ix, sx = fx * fx * (3 - 2 * fx);
        const a = grid[iy * gw + ix]!, b = grid[iy * gw + ix + 1]!;
        const c = grid[(iy + 1) * gw + ix]!, d = grid[(iy + 1) * gw + ix + 1]!;
        out[y * width + x] = out[y * width + x]! + amp * (a + (b - a) * sx + (c - a + (a - b + d - c) * sx) * sy);
      }
    }
    total += amp;
    amp *= 0.5;
    cell = Math.max(1, cell / 2);
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / total;
  return out;
}

/** How busy the room behind the subject is (domain randomisation; absent: 'textured'). */
export type BackgroundKind = 'plain' | 'textured' | 'cluttered';

/**
 * A background reflectance image (values in about [0.05, 0.9]) drawn from `seed`: a plain wall
 * (faint texture, no furniture), the room of the original simulator, or a cluttered one (more
 * contrast, many objects).
 */
export function makeBackground(width: number, height: number, seed: number, kind: BackgroundKind = 'textured'): Image {
  const rnd = new Random(seed);
  const base = rnd.uniform(0.3, 0.55);
  const contrast = kind === 'plain' ? rnd.uniform(0.02, 0.06) : kind === 'cluttered' ? rnd.uniform(0.45, 0.7) : rnd.uniform(0.25, 0.45);
  const noise = valueNoise(rnd, width, height, Math.max(4, Math.round(width / rnd.uniform(5, 9))), 4);
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = base + contrast * (noise[i]! - 0.5);
  const img: Image = { data, width, height };
  const sx = width / 128, sy = height / 128;
  // Furniture, door frames and posters: a few axis-aligned rectangles of random reflectance.
  const rects = kind === 'plain' ? 0 : kind === 'cluttered' ? 10 + rnd.int(10) : 3 + rnd.int(4);
  for (let k = 0; k < rects; k++) {
    const w = rnd.uniform(8, 40) * sx, h = rnd.uniform(8, 50) * sy;
    const x = rnd.uniform(-10, 128) * sx, y = rnd.uniform(-10, 110) * sy;
    fillConvexPolygon(img, [x, y, x + w, y, x + w, y + h, x, y + h], rnd.uniform(0.1, 0.8));
  }
  // Floor: the bottom band, a different shade.
  const floor = rnd.uniform(95, 115) * sy;
  fillConvexPolygon(img, [0, floor, width, floor, width, height, 0, height], rnd.uniform(0.15, 0.6));
  for (let i = 0; i < data.length; i++) data[i] = Math.min(0.9, Math.max(0.05, data[i]! + 0.06 * (noise[i]! - 0.5)));
  return img;
}
