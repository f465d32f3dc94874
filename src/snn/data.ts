/**
 * Training data: labelled event recordings turned into [T, H, W, 2K] frames (K sub-bins per step)
 * with the same operators the live path uses (formats' DVS Gesture loader, Tonic-style binning
 * with the fused downsample), plus on-the-fly event augmentations. Samples keep their
 * full-resolution events, so geometric augmentations (zoom, camera roll, sub-cell shifts) act
 * before downsampling; keeping them costs no memory (downsampling changes coordinates, not the
 * event count).
 */
import { concatBatches, sliceByTime, type EventBatch } from '../events/index.js';
import { loadDvsGesture, dvsGestureUser, DVS_GESTURE_BACKGROUND, DVS_GESTURE_CLASSES } from '../formats/dvs-gesture.js';
import { listCifar10Dvs, loadCifar10DvsSample, CIFAR10_DVS_CLASSES, type Cifar10DvsEntry } from '../formats/cifar10-dvs.js';
import { affine, dropRandom, dropRegion, dropTimeSpan, injectNoise, invertPolarity, mixRegion, timeStretch } from '../operators/functional/augment.js';
import { orient, type Region } from '../operators/functional/spatial.js';
import { framesFromEvents, FrameAccumulator } from '../operators/functional/binning.js';
import { denoiseProblem, steppingOf, subBinsOf, subBinsProblem, type DenoiseSetting, type Preprocessing, type Stepping } from './model-api.js';
import { denoiseRecording } from './denoise.js';
import { splitByGroup, type Groupable, type ValidationGroup } from './validation.js';
import { appendTo } from '../util/multimap.js';

export interface LabelledEvents {
  /** Full-resolution events of one sample (time-sorted). */
  events: EventBatch;
  label: number;
  /** Where it came from (trial/row), for error messages and eval reports. */
  source: string;
  /** Its recording (trial / sample file) and person, for validation splits by group (splitValidation). */
  recording?: string;
  user?: string;
  /** Idle events just before a gesture (GestureSample.lead), for the `onset` augmentation. */
  lead?: EventBatch;
}

export interface EventDataset {
  classes: string[];
  train: LabelledEvents[];
  test: LabelledEvents[];
  preprocessing: Preprocessing;
}

/**
 * What is done to a training sample, each part off at 0 / false. Magnitudes are upper bounds of
 * per-sample draws, in units independent of the downsampling factor.
 */
export interface Augmentation {
  /** Random time crop of the window inside the sample (else centred). */
  timeCrop: boolean;
  /** Max translation per axis, fraction of the sensor size. */
  shift: number;
  /** Zoom drawn log-uniformly in [1/(1+s), 1+s] (distance to the camera). */
  scale: number;
  /** Max camera roll, degrees. */
  rotate: number;
  /** Probability of a left-right mirror; the label becomes the mirrored class. */
  flip: number;
  /** Probability of dropping each event. */
  dropEvents: number;
  /** Drops one time span of up to this fraction of the window. */
  dropTime: number;
  /** Drops one box of up to this fraction of the sensor area. */
  dropArea: number;
  /** Probability of swapping ON and OFF in the whole sample (contrast polarity). */
  polarity: number;
  /** Background noise of up to this many events per pixel per second. */
  noise: number;
  /** Tempo factor drawn log-uniformly in [1/s, s] (1: off). */
  stretch: number;
  /** Probability of pasting a box (5–25 % of the area) of another training sample; label kept. */
  mix: number;
  /**
   * Probability of placing a gesture's window over its start: the idle scene before it (`lead`)
   * fills the first part, the gesture only ONSET_VISIBLE_MIN..1 of the window, label kept. Live
   * windows slide into a gesture from idle time; a network that only saw windows full of the
   * gesture waits until most of the window holds it (docs/experiments/2026-12-06-decision.md).
   */
  onset: number;
}

export const NO_AUGMENTATION: Augmentation = { timeCrop: false, shift: 0, scale: 0, rotate: 0, flip: 0, dropEvents: 0, dropTime: 0, dropArea: 0, polarity: 0, noise: 0, stretch: 1, mix: 0, onset: 0 };
/** The recipe before issue 12: time crop, ±1/16 sensor shift, 10 % event dropout. */
export const LEGACY_AUGMENTATION: Augmentation = { ...NO_AUGMENTATION, timeCrop: true, shift: 1 / 16, dropEvents: 0.1 };
/** Default of trainModel (and so of the skip-connection search): the legacy recipe. */
export const DEFAULT_AUGMENTATION = LEGACY_AUGMENTATION;

/** Names accepted by `--augment`, each with the magnitude it gets when named without `=value`. */
export const AUGMENTATION_NAMES = {
  crop: ['timeCrop', true],
  shift: ['shift', 0.125],
  scale: ['scale', 0.5],
  rotate: ['rotate', 10],
  flip: ['flip', 0.5],
  drop: ['dropEvents', 0.1],
  'drop-time': ['dropTime', 0.2],
  'drop-area': ['dropArea', 0.2],
  polarity: ['polarity', 0.5],
  noise: ['noise', 0.05],
  stretch: ['stretch', 1.5],
  mix: ['mix', 0.3],
  onset: ['onset', 0.5],
} as const satisfies Record<string, readonly [keyof Augmentation, number | boolean]>;
export type AugmentationName = keyof typeof AUGMENTATION_NAMES;

export const AUGMENTATION_PRESETS: Record<string, string> = {
  none: '',
  legacy: 'crop,shift=0.0625,drop=0.1',
  /** Legacy plus what helped reframed test data in the ablation (docs/experiments/2026-12-06-augmentation-ablation.md). */
  default: 'crop,shift=0.0625,drop=0.1,drop-area,polarity',
  all: Object.keys(AUGMENTATION_NAMES).join(','),
};

/** Default of `spikeline train --augment`. */
export const TRAIN_AUGMENTATION = 'default';

/**
 * Parses `--augment`: a preset name or a comma-separated list of `name` / `name=value`
 * (e.g. `crop,shift=0.2,flip`); unnamed parts are off.
 */
export function parseAugmentation(spec: string): Augmentation {
  const list = AUGMENTATION_PRESETS[spec] ?? spec;
  const aug: Augmentation = { ...NO_AUGMENTATION };
  for (const part of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, value] = part.split('=') as [string, string | undefined];
    if (!(name in AUGMENTATION_NAMES)) throw new RangeError(`--augment: unknown augmentation "${name}" (known: ${Object.keys(AUGMENTATION_NAMES).join(', ')}; presets: ${Object.keys(AUGMENTATION_PRESETS).join(', ')})`);
    const [field, dflt] = AUGMENTATION_NAMES[name as AugmentationName];
    if (typeof dflt === 'boolean') {
      if (value !== undefined) throw new RangeError(`--augment: "${name}" takes no value, got "${part}"`);
      (aug as unknown as Record<string, boolean>)[field] = true;
      continue;
    }
    const v = value === undefined ? dflt : Number(value);
    const ok = Number.isFinite(v) && (field === 'stretch' ? v >= 1 : v >= 0) && (['flip', 'dropEvents', 'dropTime', 'dropArea', 'polarity', 'mix', 'onset'].includes(field) ? v <= 1 : true);
    if (!ok) throw new RangeError(`--augment: bad value in "${part}" (${field === 'stretch' ? 'stretch needs >= 1' : 'expected a number >= 0, probabilities and fractions <= 1'})`);
    (aug as unknown as Record<string, number>)[field] = v;
  }
  return aug;
}

/** `--augment` form of an Augmentation (the inverse of parseAugmentation), for logs and reports. */
export function formatAugmentation(aug: Augmentation): string {
  const parts: string[] = [];
  for (const [name, [field]] of Object.entries(AUGMENTATION_NAMES)) {
    const v = aug[field];
    if (v === true) parts.push(name);
    else if (typeof v === 'number' && v !== NO_AUGMENTATION[field]) parts.push(`${name}=${+v.toPrecision(4)}`);
  }
  return parts.join(',') || 'none';
}

export interface DatasetOptions {
  /** Integer spatial downsample factor (128 -> 32 with 4). */
  downsample: number;
  steps: number;
  /** Time covered by one step, µs (the window is steps·stepUs). */
  stepUs: number;
  encoding?: Preprocessing['encoding'];
  /** Temporal sub-bins per step as input channels (Preprocessing.subBins; default 1). */
  subBins?: number;
  /** How windows are cut into steps (Preprocessing.stepping; default 'fixed', as live inference). */
  stepping?: Stepping;
  /**
   * Background-activity filter over each recording's whole stream before samples are cut
   * (Preprocessing.denoise; default none): one stream per trial file (DVS128 Gesture) or per
   * sample file (CIFAR10-DVS).
   */
  denoise?: DenoiseSetting;
  /** Use at most this many samples per split (quick runs). */
  limit?: number;
  /** Splits to load (default both: training needs the train split, evaluation only its own). */
  splits?: readonly ('train' | 'test')[];
  /**
   * DVS128 Gesture layout: also load the synthetic "no gesture" rows as a 12th class,
   * `background`, so a model learns to say "nothing". Real folders have no such rows.
   */
  background?: boolean;
}

export type DatasetLayout = 'dvs-gesture' | 'cifar10-dvs';

/** Loads a DVS128 Gesture or CIFAR10-DVS layout folder (real or synthetic) at full resolution. */
export async function loadEventDataset(root: string, layout: DatasetLayout, o: DatasetOptions): Promise<EventDataset> {
  if (!Number.isInteger(o.downsample) || o.downsample < 1) throw new RangeError(`downsample must be an integer >= 1, got ${o.downsample}`);
  const subBins = o.subBins ?? 1;
  const badSubBins = subBinsProblem(subBins, o.stepUs);
  if (badSubBins) throw new RangeError(`subBins ${badSubBins}`);
  const badDenoise = o.denoise === undefined ? undefined : denoiseProblem(o.denoise);
  if (badDenoise) throw new RangeError(badDenoise);
  const denoise = o.denoise;
  const prepare = (events: EventBatch): EventBatch => (denoise ? denoiseRecording(events, denoise) : events);
  const splits: Record<'train' | 'test', LabelledEvents[]> = { train: [], test: [] };
  const wanted = o.splits ?? ['train', 'test'];
  let classes: string[];
  if (layout === 'dvs-gesture') {
    classes = o.background ? [...DVS_GESTURE_CLASSES, DVS_GESTURE_BACKGROUND.name] : [...DVS_GESTURE_CLASSES];
    for (const split of wanted) {
      // Leads are views into the decoded recordings: the onset augmentation costs no memory.
      for await (const s of loadDvsGesture(root, split, { background: o.background ?? false, leadUs: split === 'train' ? o.steps * o.stepUs : 0, prepare })) {
        if (o.limit !== undefined && splits[split].length >= o.limit) break;
        splits[split].push({ events: s.events, label: s.classId, source: `${s.trial}#${s.row}`, recording: s.trial, user: dvsGestureUser(s.trial), ...(s.lead ? { lead: s.lead } : {}) });
      }
    }
  } else {
    classes = [...CIFAR10_DVS_CLASSES];
    const entries = await listCifar10Dvs(root);
    for (const e of o.limit === undefined ? entries : classesInTurn(entries, o.limit)) {
      if (!wanted.includes(e.split)) continue;
      splits[e.split].push({ events: prepare(await loadCifar10DvsSample(e)), label: e.classId, source: e.path, recording: e.path });
    }
  }
  // A split asked for by name must have samples; otherwise one split is enough (a training set
  // without a test split, a held-out test set without a training split).
  for (const split of o.splits ?? []) if (splits[split].length === 0) throw new Error(`${root}: no ${split} samples found in the ${layout} layout`);
  const first = splits.train[0] ?? splits.test[0];
  if (!first) throw new Error(`${root}: no samples found in the ${layout} layout`);
  const sensor = first.events.sensor;
  return {
    classes,
    train: splits.train,
    test: splits.test,
    preprocessing: {
      sensorWidth: sensor.width,
      sensorHeight: sensor.height,
      downsample: o.downsample,
      height: Math.ceil(sensor.height / o.downsample),
      width: Math.ceil(sensor.width / o.downsample),
      stepUs: o.stepUs,
      steps: o.steps,
      encoding: o.encoding ?? 'clip',
      stepping: o.stepping ?? 'fixed',
      // Absent means 1, so models without sub-bins keep the preprocessing.json they always had.
      ...(subBins !== 1 ? { subBins } : {}),
      ...(denoise ? { denoise: { durationUs: denoise.durationUs, neighbours: denoise.neighbours } } : {}),
    },
  };
}

/**
 * At most `limit` entries of each split, the classes taking turns (the k-th recording of every
 * class before any (k+1)-th), in listing order: the listing is class by class, so its first
 * `limit` entries would all be airplanes.
 */
function classesInTurn(entries: readonly Cifar10DvsEntry[], limit: number): Cifar10DvsEntry[] {
  const seen = new Map<string, number>();
  const rank = entries.map((e) => {
    const key = `${e.split}/${e.classId}`;
    const r = seen.get(key) ?? 0;
    seen.set(key, r + 1);
    return r;
  });
  const order = entries.map((_, i) => i).sort((a, b) => rank[a]! - rank[b]! || entries[a]!.classId - entries[b]!.classId);
  const taken = { train: 0, test: 0 };
  const keep = new Set<number>();
  for (const i of order) {
    const split = entries[i]!.split;
    if (taken[split] < limit) {
      taken[split]++;
      keep.add(i);
    }
  }
  return entries.filter((_, i) => keep.has(i));
}

/** The DatasetOptions that make a model's frames (eval and every other loader for a saved model). */
export function preprocessingOptions(p: Preprocessing): Pick<DatasetOptions, 'downsample' | 'steps' | 'stepUs' | 'encoding' | 'subBins' | 'stepping' | 'denoise'> {
  return { downsample: p.downsample, steps: p.steps, stepUs: p.stepUs, encoding: p.encoding, subBins: subBinsOf(p), stepping: steppingOf(p), ...(p.denoise ? { denoise: p.denoise } : {}) };
}

/**
 * Several folders of one layout as one dataset (e.g. real recordings and simulated ones): their
 * train splits and their test splits concatenated, each sample's source prefixed with its folder.
 * `o.limit` applies per folder.
 */
export async function loadEventDatasets(roots: readonly string[], layout: DatasetLayout, o: DatasetOptions): Promise<EventDataset> {
  if (roots.length === 0) throw new RangeError('loadEventDatasets: no folder given');
  if (roots.length === 1) return loadEventDataset(roots[0]!, layout, o);
  const parts: EventDataset[] = [];
  for (const root of roots) parts.push(await loadEventDataset(root, layout, o));
  return mergeDatasets(parts, roots);
}

/** Concatenates datasets of the same classes and frames (`names[i]` prefixes part i's sources). */
export function mergeDatasets(parts: readonly EventDataset[], names: readonly string[]): EventDataset {
  const first = parts[0];
  if (!first || names.length !== parts.length) throw new RangeError(`mergeDatasets: ${parts.length} datasets, ${names.length} names`);
  // Group keys too: one trial name in two folders is two recordings of two people.
  const tagged = (s: LabelledEvents, name: string): LabelledEvents => ({
    ...s,
    source: `${name}:${s.source}`,
    ...(s.recording !== undefined ? { recording: `${name}:${s.recording}` } : {}),
    ...(s.user !== undefined ? { user: `${name}:${s.user}` } : {}),
  });
  parts.forEach((d, i) => {
    if (JSON.stringify(d.classes) !== JSON.stringify(first.classes)) throw new Error(`${names[i]}: classes ${d.classes.join(',')} differ from ${names[0]}'s ${first.classes.join(',')}`);
    const a = d.preprocessing, b = first.preprocessing;
    if (a.sensorWidth !== b.sensorWidth || a.sensorHeight !== b.sensorHeight) {
      throw new Error(`${names[i]}: a ${a.sensorWidth}x${a.sensorHeight} sensor, ${names[0]} has ${b.sensorWidth}x${b.sensorHeight}; one network takes one frame size`);
    }
  });
  return {
    classes: first.classes,
    preprocessing: first.preprocessing,
    train: parts.flatMap((d, i) => d.train.map((s) => tagged(s, names[i]!))),
    test: parts.flatMap((d, i) => d.test.map((s) => tagged(s, names[i]!))),
  };
}

/** Loads a DVS128 Gesture layout folder (loadEventDataset with layout 'dvs-gesture'). */
export function loadGestureDataset(root: string, o: DatasetOptions): Promise<EventDataset> {
  return loadEventDataset(root, 'dvs-gesture', o);
}

/**
 * Brings binned count frames to a model's input encoding. With `subBins` K = 1: `out.length`
 * values from `counts[offset..]` as they are, clipped to 1, binary (1 where any event), or log2(1 +
 * count) (one event stays 1; the long tails of hot pixels and noisy cells are compressed); `out`
 * may be `counts` itself (offset 0, in place). With K > 1: the K consecutive [H, W, 2] frames at
 * `offset` become one [H, W, 2K] step in `out` (channel 2k + p = polarity p of sub-bin k), encoded
 * per channel; `out` must not overlap `counts`. Training data and the live path both go through it.
 */
export function encodeFrame(counts: Float32Array, offset: number, out: Float32Array, encoding: Preprocessing['encoding'], subBins = 1): void {
  if (subBins === 1) {
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
      case 'log':
        for (let i = 0; i < n; i++) out[i] = Math.log2(1 + counts[offset + i]!);
        return;
    }
  }
  const C = 2 * subBins;
  const pixels = out.length / C;
  for (let k = 0; k < subBins; k++) {
    const from = offset + k * 2 * pixels;
    for (let i = 0; i < pixels; i++) {
      out[i * C + 2 * k] = encodeValue(counts[from + 2 * i]!, encoding);
      out[i * C + 2 * k + 1] = encodeValue(counts[from + 2 * i + 1]!, encoding);
    }
  }
}

function encodeValue(v: number, encoding: Preprocessing['encoding']): number {
  switch (encoding) {
    case 'count':
      return v;
    case 'clip':
      return Math.min(1, v);
    case 'binary':
      return v > 0 ? 1 : 0;
    case 'log':
      return Math.log2(1 + v);
  }
}

/** What an augmented sample may need beyond itself. */
export interface AugmentContext {
  /** label → label of the mirrored sample (mirrorLabelMap); without it `flip` is not applied. */
  mirror?: readonly number[];
  /** Another training sample, for `mix` (not applied without it). */
  partner?: () => LabelledEvents;
}

/**
 * One sample's events after augmentation, with its (possibly mirrored) label and the start of its
 * window (`framesOfEvents` bins fixed steps from there): tempo stretch, a window of steps·stepUs
 * (random, centred, or over the gesture's onset), region mix, mirror, zoom / roll / shift about
 * the sensor centre, EventDrop drops, polarity swap, background noise — all at full resolution.
 */
export function augmentEvents(s: LabelledEvents, p: Preprocessing, aug: Augmentation, rand: () => number, ctx: AugmentContext = {}): AugmentedSample {
  const window = p.steps * p.stepUs;
  let events = s.events;
  let label = s.label;
  const onset = aug.onset > 0 && s.lead !== undefined && s.lead.length > 0 && rand() < aug.onset;
  if (onset) {
    // Idle tail then gesture head, the gesture filling a visible fraction drawn in [min, 1).
    const visible = ONSET_VISIBLE_MIN + rand() * (1 - ONSET_VISIBLE_MIN);
    const lead = s.lead!;
    const start = s.events.length > 0 ? s.events.t[0]! : lead.t[lead.length - 1]! + 1;
    events = concatBatches([sliceByTime(lead, start - (1 - visible) * window, start), sliceByTime(s.events, start, start + visible * window)], s.events.sensor);
  }
  const stretch = aug.stretch > 1 ? Math.exp((rand() * 2 - 1) * Math.log(aug.stretch)) : 1;
  if (stretch !== 1) events = timeStretch(events, stretch);
  const crop = cropWindow(events, window, onset ? 1 : aug.timeCrop ? rand() : 0.5);
  const startUs = crop.startUs;
  events = crop.events;
  if (events.length === 0) return { events, label, startUs };
  const { width: W, height: H } = events.sensor;
  if (aug.mix > 0 && ctx.partner && rand() < aug.mix) {
    const other = cropWindow(ctx.partner().events, window, rand());
    // The partner's window laid over this one (start on start), so its events stay inside it.
    events = mixRegion(events, other.events, randomBox(W, H, 0.05 + 0.2 * rand(), rand), startUs - other.startUs);
  }
  if (aug.flip > 0 && ctx.mirror && rand() < aug.flip) {
    events = orient(events, 'flipX');
    label = ctx.mirror[label]!;
  }
  if (aug.scale > 0 || aug.rotate > 0 || aug.shift > 0) {
    const scale = Math.exp((rand() * 2 - 1) * Math.log(1 + aug.scale));
    const angleDeg = (rand() * 2 - 1) * aug.rotate;
    const dx = (rand() * 2 - 1) * aug.shift * W;
    const dy = (rand() * 2 - 1) * aug.shift * H;
    events = affine(events, { scale, angleDeg, dx, dy });
  }
  if (aug.dropEvents > 0) events = dropRandom(events, aug.dropEvents, rand);
  if (aug.dropTime > 0 && events.length > 0) {
    const t0 = events.t[0]!;
    const span = events.t[events.length - 1]! - t0;
    const len = rand() * aug.dropTime * span;
    const start = t0 + rand() * (span - len);
    events = dropTimeSpan(events, start, start + len);
  }
  if (aug.dropArea > 0) events = dropRegion(events, randomBox(W, H, rand() * aug.dropArea, rand));
  if (aug.polarity > 0 && rand() < aug.polarity) events = invertPolarity(events);
  if (aug.noise > 0 && events.length > 0) {
    const seconds = (events.t[events.length - 1]! - events.t[0]!) / 1e6;
    events = injectNoise(events, Math.round(rand() * aug.noise * W * H * seconds), rand);
  }
  return { events, label, startUs };
}

export interface AugmentedSample {
  events: EventBatch;
  label: number;
  /** Start of the sample's window of steps·stepUs, µs (NaN for a sample without events). */
  startUs: number;
}

/**
 * Least fraction of an onset window the gesture fills: below about a third, the idle part
 * dominates and the label would teach the network to see gestures in idle scenes.
 */
export const ONSET_VISIBLE_MIN = 0.3;

/**
 * The window of `length` µs starting at fraction `at` of the slack, and the events in it. A sample
 * shorter than the window lies wholly inside it, at that fraction of the room left (centred at
 * 0.5, ending with the window at 1).
 */
function cropWindow(ev: EventBatch, length: number, at: number): { events: EventBatch; startUs: number } {
  if (ev.length === 0) return { events: ev, startUs: Number.NaN };
  const t0 = ev.t[0]!;
  const span = ev.t[ev.length - 1]! - t0;
  const startUs = t0 + at * (span - length);
  return { events: span <= length ? ev : sliceByTime(ev, startUs, startUs + length), startUs };
}

/** A box of about `area` of the W x H sensor with a random aspect (1:2 to 2:1) and position. */
function randomBox(W: number, H: number, area: number, rand: () => number): Region {
  const aspect = Math.exp((rand() * 2 - 1) * Math.LN2);
  const width = Math.max(1, Math.min(W, Math.round(Math.sqrt(area * W * H * aspect))));
  const height = Math.max(1, Math.min(H, Math.round(Math.sqrt((area * W * H) / aspect))));
  return { x: Math.floor(rand() * (W - width + 1)), y: Math.floor(rand() * (H - height + 1)), width, height };
}

/**
 * Frames [T, H, W, 2K] of (augmented) events: binned into T·K equal time bins (tail kept) with the
 * downsampling fused into binning, then encoded, the K sub-bins of each step as its channels. The
 * bins split the window of steps·stepUs from `startUs` (stepping 'fixed') or the events' first to
 * last time (stepping 'stretch', or when no start is known).
 */
export function framesOfEvents(events: EventBatch, p: Preprocessing, acc = new FrameAccumulator(), startUs = Number.NaN): Float32Array {
  const K = subBinsOf(p);
  const bins = p.steps * K;
  const range = steppingOf(p) === 'fixed' && Number.isFinite(startUs) ? { range: { startUs, endUs: startUs + p.steps * p.stepUs } } : {};
  const data = events.length === 0
    ? new Float32Array(bins * p.height * p.width * 2)
    : framesFromEvents(events, { nTimeBins: bins, includeTail: true, downsample: p.downsample, ...range }, acc).data;
  if (K === 1) {
    encodeFrame(data, 0, data, p.encoding);
    return data;
  }
  const out = new Float32Array(data.length);
  const step = data.length / p.steps;
  for (let t = 0; t < p.steps; t++) encodeFrame(data, t * step, out.subarray(t * step, (t + 1) * step), p.encoding, K);
  return out;
}

/** Frames of one sample after augmentation, with its label (mirrored when the sample was). */
export function sampleFrames(s: LabelledEvents, p: Preprocessing, aug: Augmentation, rand: () => number, acc = new FrameAccumulator(), ctx: AugmentContext = {}): { frames: Float32Array; label: number } {
  const { events, label, startUs } = augmentEvents(s, p, aug, rand, ctx);
  return { frames: framesOfEvents(events, p, acc, startUs), label };
}

/**
 * Frames of one sample's window of steps·stepUs at relative position `at` (0: at its start, 1: at
 * its end, 0.5: the centre window evaluation uses), not augmented.
 */
export function windowFrames(s: LabelledEvents, p: Preprocessing, at: number, acc = new FrameAccumulator()): Float32Array {
  const { events, startUs } = cropWindow(s.events, p.steps * p.stepUs, at);
  return framesOfEvents(events, p, acc, startUs);
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
 * Holds out round(n · fraction) samples of each class (at least one when the class has two or
 * more), taken at evenly spaced positions of the class's samples in dataset order, so the split
 * is deterministic and every user / lighting is represented on both sides. By `recording` or
 * `user` it holds out whole ones instead (splitByGroup).
 */
export function splitValidation<T extends Groupable>(train: readonly T[], fraction: number, by: ValidationGroup = 'sample'): { train: T[]; val: T[] } {
  if (by !== 'sample') return splitByGroup(train, fraction, by);
  const byClass = new Map<number, number[]>();
  train.forEach((s, i) => appendTo(byClass, s.label, i));
  const held = new Set<number>();
  for (const idx of byClass.values()) {
    if (idx.length < 2) continue;
    const k = Math.min(idx.length - 1, Math.max(1, Math.round(idx.length * fraction)));
    for (let j = 0; j < k; j++) held.add(idx[Math.floor(((j + 0.5) * idx.length) / k)]!);
  }
  return { train: train.filter((_, i) => !held.has(i)), val: train.filter((_, i) => held.has(i)) };
}
