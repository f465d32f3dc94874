/**
 * `spikeline render`: event frames of a recording or of a DVS128 Gesture folder as a PNG (one
 * frame or a grid of frames) or an animated GIF (consecutive windows, played in real time).
 */
import { stat, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { EventBatch } from '../../events/index.js';
import { listDvsGestureTrials, loadDvsGestureTrial, readEvents } from '../../formats/index.js';
import { checkOutputSize } from '../../util/memory.js';
import { encodeGif, type GifFrame } from './gif.js';
import { encodePng } from './png.js';
import { EVENT_PALETTE, eventFrameIndices, indicesToRgb, tileGrid, upscale } from './event-frames.js';

export interface RenderOptions {
  /** Event file, or a DVS128 Gesture folder. */
  input: string;
  /** Output `.png` or `.gif`. */
  out: string;
  /** Accumulation window per frame, µs (default 50 ms). */
  windowUs?: number;
  /** Frames: PNG tiles (default 1 for a file, one per gesture class for a folder), GIF frames (default 100 for a file, 20 per class for a folder). */
  frames?: number;
  /** Integer pixel upscale (default 3). */
  scale?: number;
  /** Grid columns of a multi-frame PNG (default 4). */
  columns?: number;
  /** Start offset into a file, µs from its first event (default: the middle for PNG, 0 for GIF). */
  atUs?: number;
  /** Trial of a folder to show (default the first of trials_to_train.txt). */
  trial?: string;
}

export interface RenderResult {
  path: string;
  width: number;
  height: number;
  frames: number;
  bytes: number;
}

interface Clip {
  events: EventBatch;
  start: number;
  end: number;
}

async function clips(options: RenderOptions): Promise<{ clips: Clip[]; folder: boolean }> {
  if ((await stat(options.input)).isDirectory()) {
    const trials = await listDvsGestureTrials(options.input);
    const trial = options.trial ? trials.find((t) => t.name === options.trial) : trials[0];
    if (!trial) throw new RangeError(`${options.input}: no trial ${options.trial ?? ''} in its trial lists`);
    const seen = new Set<number>();
    const out: Clip[] = [];
    // One clip per class, in class order (arm roll's second row skipped).
    for (const s of (await loadDvsGestureTrial(trial)).sort((a, b) => a.classId - b.classId)) {
      if (seen.has(s.classId)) continue;
      seen.add(s.classId);
      out.push({ events: s.events, start: s.start, end: s.end });
    }
    return { clips: out, folder: true };
  }
  const events = await readEvents(options.input);
  if (events.length === 0) throw new RangeError(`${options.input}: no events`);
  return { clips: [{ events, start: events.t[0]!, end: events.t[events.length - 1]! + 1 }], folder: false };
}

export async function renderEvents(options: RenderOptions): Promise<RenderResult> {
  const ext = extname(options.out).toLowerCase();
  if (ext !== '.png' && ext !== '.gif') throw new RangeError(`output must end in .png or .gif, got "${options.out}"`);
  const gif = ext === '.gif';
  const window = options.windowUs ?? 50_000;
  const scale = options.scale ?? 3;
  if (!(window > 0)) throw new RangeError(`window must be > 0 µs, got ${window}`);
  if (!Number.isInteger(scale) || scale < 1 || scale > 16) throw new RangeError(`scale must be an integer in 1..16, got ${scale}`);
  const { clips: list, folder } = await clips(options);
  const sensor = list[0]!.events.sensor;
  const w = sensor.width || 128, h = sensor.height || 128;
  // Frames are kept whole until encoded (one byte per pixel, four for a PNG grid: tiles and RGB).
  const frameCount = folder && !gif ? list.length : list.length * (options.frames ?? (gif ? (folder ? 20 : 100) : 1));
  const side = (n: number): number => n * scale + Math.max(1, scale);
  checkOutputSize(`${options.out}: ${frameCount} frame(s) of ${w * scale}x${h * scale}`, frameCount * side(w) * side(h) * (gif ? 1 : 4), 'ask for fewer frames (--frames) or a smaller --scale');
  const frame = (c: Clip, t: number): Uint8Array => upscale(eventFrameIndices(c.events, t, t + window, w, h), w, h, scale);
  let bytes: Buffer;
  let width: number, height: number, count: number;
  if (gif) {
    const frames: GifFrame[] = [];
    const perClip = options.frames ?? (folder ? 20 : 100);
    for (const c of list) {
      // Folders: windows around each gesture's middle; files: from the start offset.
      const first = folder ? Math.max(c.start, (c.start + c.end) / 2 - (perClip * window) / 2) : c.start + (options.atUs ?? 0);
      for (let k = 0; k < perClip; k++) {
        const t = first + k * window;
        if (t >= c.end) break;
        frames.push({ indices: frame(c, t), delayCs: window / 10_000 });
      }
    }
    if (frames.length === 0) throw new RangeError(`${options.input}: the start offset is past the end of the recording`);
    width = w * scale; height = h * scale; count = frames.length;
    bytes = encodeGif(width, height, EVENT_PALETTE, frames);
  } else {
    const tiles: Uint8Array[] = [];
    if (folder) {
      for (const c of list) tiles.push(frame(c, (c.start + c.end) / 2 - window / 2));
    } else {
      const c = list[0]!;
      const n = options.frames ?? 1;
      const span = n * window;
      const first = c.start + (options.atUs ?? Math.max(0, (c.end - c.start - span) / 2));
      for (let k = 0; k < n; k++) tiles.push(frame(c, first + k * window));
    }
    const grid = tileGrid(tiles, w * scale, h * scale, options.columns ?? 4, Math.max(1, scale));
    width = grid.width; height = grid.height; count = tiles.length;
    bytes = encodePng(width, height, indicesToRgb(grid.indices));
  }
  await writeFile(options.out, bytes);
  return { path: options.out, width, height, frames: count, bytes: bytes.length };
}
