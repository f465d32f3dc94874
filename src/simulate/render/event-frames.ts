/**
 * Event frames for people to look at: events of a time window accumulated per pixel and
 * polarity, drawn on a dark background with ON in amber and OFF in blue, brighter with more
 * events (levels 0..3 per polarity, so 16 colours; pixels with both polarities mix). The same
 * palette serves PNG (expanded to RGB) and GIF (indexed).
 */
import { lowerBoundTime, type EventBatch } from '../../events/index.js';

const BACKGROUND = [16, 20, 26] as const;
const ON = [255, 190, 40] as const;
const OFF = [50, 140, 255] as const;
/** Events per pixel for full colour. */
const FULL = 3;

/** Palette index of the grey lines between tiles. */
export const SEPARATOR = 16;

/** 17 RGB colours: index = onLevel·4 + offLevel, then the tile separator. */
export const EVENT_PALETTE: Uint8Array = (() => {
  const pal = new Uint8Array(17 * 3);
  pal.set([70, 74, 80], SEPARATOR * 3);
  for (let a = 0; a < 4; a++) {
    for (let b = 0; b < 4; b++) {
      for (let c = 0; c < 3; c++) {
        const v = BACKGROUND[c]! + (a / FULL) * (ON[c]! - BACKGROUND[c]!) + (b / FULL) * (OFF[c]! - BACKGROUND[c]!);
        pal[(a * 4 + b) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return pal;
})();

/** Palette indices (width·height) of the events of `batch` with tStart ≤ t < tEnd (time-sorted batch). */
export function eventFrameIndices(batch: EventBatch, tStart: number, tEnd: number, width: number, height: number): Uint8Array {
  const on = new Uint8Array(width * height);
  const off = new Uint8Array(width * height);
  const s = lowerBoundTime(batch.t, tStart);
  const e = lowerBoundTime(batch.t, tEnd, s);
  for (let i = s; i < e; i++) {
    const x = batch.x[i]!, y = batch.y[i]!;
    if (x >= width || y >= height) continue;
    const k = y * width + x;
    if (batch.p[i]) { if (on[k]! < FULL) on[k]!++; } else if (off[k]! < FULL) off[k]!++;
  }
  const out = new Uint8Array(width * height);
  for (let k = 0; k < out.length; k++) out[k] = on[k]! * 4 + off[k]!;
  return out;
}

/** Nearest-neighbour upscale of an index image by an integer factor. */
export function upscale(indices: Uint8Array, width: number, height: number, factor: number): Uint8Array {
  if (factor === 1) return indices;
  const w = width * factor;
  const out = new Uint8Array(w * height * factor);
  for (let y = 0; y < height * factor; y++) {
    const src = ((y / factor) | 0) * width;
    for (let x = 0; x < w; x++) out[y * w + x] = indices[src + ((x / factor) | 0)]!;
  }
  return out;
}

/** Lays `tiles` (each w×h indices) out in a grid of `columns`, `gap` separator pixels apart. */
export function tileGrid(tiles: readonly Uint8Array[], w: number, h: number, columns: number, gap: number): { indices: Uint8Array; width: number; height: number } {
  const cols = Math.max(1, Math.min(columns, tiles.length));
  const rows = Math.ceil(tiles.length / cols);
  const width = cols * w + (cols - 1) * gap;
  const height = rows * h + (rows - 1) * gap;
  const out = new Uint8Array(width * height);
  for (let c = 1; c < cols; c++) {
    const x0 = c * (w + gap) - gap;
    for (let y = 0; y < height; y++) out.fill(SEPARATOR, y * width + x0, y * width + x0 + gap);
  }
  for (let r = 1; r < rows; r++) out.fill(SEPARATOR, (r * (h + gap) - gap) * width, r * (h + gap) * width);
  tiles.forEach((tile, n) => {
    const ox = (n % cols) * (w + gap), oy = Math.floor(n / cols) * (h + gap);
    for (let y = 0; y < h; y++) out.set(tile.subarray(y * w, (y + 1) * w), (oy + y) * width + ox);
  });
  return { indices: out, width, height };
}

/** RGB bytes of an index image through EVENT_PALETTE. */
export function indicesToRgb(indices: Uint8Array): Uint8Array {
  const rgb = new Uint8Array(indices.length * 3);
  for (let k = 0; k < indices.length; k++) {
    const c = indices[k]! * 3;
    rgb[3 * k] = EVENT_PALETTE[c]!;
    rgb[3 * k + 1] = EVENT_PALETTE[c + 1]!;
    rgb[3 * k + 2] = EVENT_PALETTE[c + 2]!;
  }
  return rgb;
}
