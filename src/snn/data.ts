/**
 * Training data: labelled event recordings turned into [T, H, W, 2] frames with the same
 * operators the live path uses (formats' DVS Gesture loader, operators' Downsampler and
 * Tonic-style binning), plus event augmentations that keep a gesture's meaning: random time
 * crop, small translations and event dropout. No left-right flip (it swaps left/right-hand
 * classes) and no rotation (it changes clockwise/counter-clockwise and up/down classes).
 */
import { sliceByTime, type EventBatch } from '../events/index.js';
import { loadDvsGesture, DVS_GESTURE_CLASSES } from '../formats/dvs-gesture.js';
import { listCifar10Dvs, loadCifar10DvsSample, CIFAR10_DVS_CLASSES } from '../formats/cifar10-dvs.js';
import { gather } from '../operators/functional/filter.js';
import { Downsampler } from '../operators/functional/spatial.js';
import { framesFromEvents, FrameAccumulator } from '../operators/functional/binning.js';
import type { Preprocessing } from './model-api.js';

export interface LabelledEvents {
  /** Downsampled events of one sample (time-sorted). */
  events: EventBatch;
  label: number;
  /** Where it came from (trial/row), for error messages and eval reports. */
  source: string;
}

export interface EventDataset {
  classes: string[];
  train: LabelledEvents[];
  test: LabelledEvents[];
  preprocessing: Preprocessing;
}

export interface Augmentation {
  /** Max translation in pixels (after downsampling), each axis. Default 2. */
  shift: number;
  /** Probability of dropping each event. Default 0.1. */
  dropEvents: number;
  /** Random time crop of the window inside the sample (else centred). Default true. */
  timeCrop: boolean;
}

export const DEFAULT_AUGMENTATION: Augmentation = { shift: 2, dropEvents: 0.1, timeCrop: true };
export const NO_AUGMENTATION: Augmentation = { shift: 0, dropEvents: 0, timeCrop: false };

export interface DatasetOptions {
  /** Integer spatial downsample factor (128 -> 32 with 4). */
  downsample: number;
  steps: number;
  /** Time covered by one step, µs (the window is steps·stepUs). */
  stepUs: number;
  encoding?: Preprocessing['encoding'];
  /** Use at most this many samples per split (quick runs). */
  limit?: number;
  /** Splits to load (default both: training needs the train split, evaluation only its own). */
  splits?: readonly ('train' | 'test')[];
}

export type DatasetLayout = 'dvs-gesture' | 'cifar10-dvs';

/** Loads a DVS128 Gesture or CIFAR10-DVS layout folder (real or synthetic), downsampled once. */
export async function loadEventDataset(root: string, layout: DatasetLayout, o: DatasetOptions): Promise<EventDataset> {
  const ds = new Downsampler(o.downsample);
  const splits: Record<'train' | 'test', LabelledEvents[]> = { train: [], test: [] };
  const wanted = o.splits ?? ['train', 'test'];
  let classes: string[];
  if (layout === 'dvs-gesture') {
    classes = [...DVS_GESTURE_CLASSES];
    for (const split of wanted) {
      for await (const s of loadDvsGesture(root, split)) {
        if (o.limit !== undefined && splits[split].length >= o.limit) break;
        splits[split].push({ events: ds.apply(s.events), label: s.classId, source: `${s.trial}#${s.row}` });
      }
    }
  } else {
    classes = [...CIFAR10_DVS_CLASSES];
    for (const e of await listCifar10Dvs(root)) {
      if (!wanted.includes(e.split) || (o.limit !== undefined && splits[e.split].length >= o.limit)) continue;
      splits[e.split].push({ events: ds.apply(await loadCifar10DvsSample(e)), label: e.classId, source: e.path });
    }
  }
  // The test split of a training set may be empty; a split asked for by name may not.
  for (const split of o.splits ?? ['train']) if (splits[split].length === 0) throw new Error(`${root}: no ${split} samples found in the ${layout} layout`);
  const sensor = splits[o.splits?.[0] ?? 'train'][0]!.events.sensor;
  return {
    classes,
    train: splits.train,
    test: splits.test,
    preprocessing: {
      sensorWidth: sensor.width * o.downsample,
      sensorHeight: sensor.height * o.downsample,
      downsample: o.downsample,
      height: sensor.height,
      width: sensor.width,
      stepUs: o.stepUs,
      steps: o.steps,
      encoding: o.encoding ?? 'clip',
    },
  };
}

/** Loads a DVS128 Gesture layout folder (loadEventDataset with layout 'dvs-gesture'). */
export function loadGestureDataset(root: string, o: DatasetOptions): Promise<EventDataset> {
  return loadEventDataset(root, 'dvs-gesture', o);
}

/**
 * Brings binned count frames to a model's input encoding: `out.length` values from
 * `counts[offset..]` as they are, clipped to 1, or binary (1 where any event). Training data and
 * the live path both go through it; `out` may be `counts` itself (offset 0, in place).
 */
export function encodeFrame(counts: Float32Array, offset: number, out: Float32Array, encoding: Preprocessing['encoding']): void {
  const n = out.length;
  switch (encoding) {
    case 'count':
      if (out !== counts || offset !== 0) out.set(counts.subarray(offset, offset + n));
      return;
    case 'clip':
      for (let i = 0; i < n; i++) out[i] = Math.min(1, counts[offset + i]!);
      return;
    case 'binary':
      for (let i = 0; i < n; i++) out[i] = counts[offset + i]! > 0 ? 1 : 0;
      return;
  }
}

/**
 * Frames [T, H, W, 2] of one sample: a window of steps·stepUs (random or centred), events
 * optionally dropped, binned into T equal time bins (tail kept), translated, encoded.
 */
export function sampleFrames(s: LabelledEvents, p: Preprocessing, aug: Augmentation, rand: () => number, acc = new FrameAccumulator()): Float32Array {
  const ev = s.events;
  const window = p.steps * p.stepUs;
  let events = ev;
  if (ev.length > 0) {
    const t0 = ev.t[0]!;
    const span = ev.t[ev.length - 1]! - t0;
    if (span > window) {
      const start = t0 + (aug.timeCrop ? rand() : 0.5) * (span - window);
      events = sliceByTime(ev, start, start + window);
    }
  }
  if (aug.dropEvents > 0 && events.length > 0) events = dropEvents(events, aug.dropEvents, rand);
  const frameSize = p.height * p.width * 2;
  let data: Float32Array;
  if (events.length === 0) data = new Float32Array(p.steps * frameSize);
  else data = framesFromEvents(events, { nTimeBins: p.steps, includeTail: true }, acc).data;
  if (aug.shift > 0) {
    const dx = Math.round((rand() * 2 - 1) * aug.shift);
    const dy = Math.round((rand() * 2 - 1) * aug.shift);
    if (dx || dy) data = translate(data, p.steps, p.height, p.width, dx, dy);
  }
  encodeFrame(data, 0, data, p.encoding);
  return data;
}

function dropEvents(b: EventBatch, prob: number, rand: () => number): EventBatch {
  const keep = new Int32Array(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) if (rand() >= prob) keep[n++] = i;
  return gather(b, keep, n);
}

function translate(src: Float32Array, T: number, H: number, W: number, dx: number, dy: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let t = 0; t < T; t++) {
    for (let y = 0; y < H; y++) {
      const sy = y - dy;
      if (sy < 0 || sy >= H) continue;
      for (let x = 0; x < W; x++) {
        const sx = x - dx;
        if (sx < 0 || sx >= W) continue;
        const o = ((t * H + y) * W + x) * 2;
        const i = ((t * H + sy) * W + sx) * 2;
        out[o] = src[i]!;
        out[o + 1] = src[i + 1]!;
      }
    }
  }
  return out;
}

/** Packs per-sample frames [T, H, W, C] into one [T, B, H, W, C] buffer. */
export function packBatch(frames: readonly Float32Array[], steps: number): Float32Array {
  const B = frames.length;
  const per = frames[0]!.length / steps;
  const out = new Float32Array(B * frames[0]!.length);
  for (let b = 0; b < B; b++) {
    const f = frames[b]!;
    for (let t = 0; t < steps; t++) out.set(f.subarray(t * per, (t + 1) * per), (t * B + b) * per);
  }
  return out;
}

/** Synthetic frames for tests and benchmarks: class c lights a moving bar whose direction depends on c. */
export function syntheticSample(label: number, classes: number, p: Preprocessing, rand: () => number): Float32Array {
  const { steps: T, height: H, width: W } = p;
  const out = new Float32Array(T * H * W * 2);
  const angle = (2 * Math.PI * label) / classes;
  const vx = Math.cos(angle);
  const vy = Math.sin(angle);
  for (let t = 0; t < T; t++) {
    const cx = W / 2 + vx * (t - T / 2) * (W / (2 * T)) + (rand() - 0.5) * 2;
    const cy = H / 2 + vy * (t - T / 2) * (H / (2 * T)) + (rand() - 0.5) * 2;
    for (let k = 0; k < 24; k++) {
      const x = Math.round(cx + (rand() - 0.5) * 6);
      const y = Math.round(cy + (rand() - 0.5) * 6);
      if (x < 0 || y < 0 || x >= W || y >= H) continue;
      out[((t * H + y) * W + x) * 2 + (k & 1)] = 1;
    }
  }
  return out;
}

/**
 * Holds out round(n · fraction) recordings of each class (at least one when the class has two or
 * more), taken at evenly spaced positions of the class's recordings in dataset order, so the
 * split is deterministic and every user / lighting is represented on both sides.
 */
export function splitValidation<T extends { label: number }>(train: readonly T[], fraction: number): { train: T[]; val: T[] } {
  const byClass = new Map<number, number[]>();
  train.forEach((s, i) => {
    const list = byClass.get(s.label);
    if (list) list.push(i);
    else byClass.set(s.label, [i]);
  });
  const held = new Set<number>();
  for (const idx of byClass.values()) {
    if (idx.length < 2) continue;
    const k = Math.min(idx.length - 1, Math.max(1, Math.round(idx.length * fraction)));
    for (let j = 0; j < k; j++) held.add(idx[Math.floor(((j + 0.5) * idx.length) / k)]!);
  }
  return { train: train.filter((_, i) => !held.has(i)), val: train.filter((_, i) => held.has(i)) };
}
