/**
 * DVS128 Gesture dataset layout (IBM, CVPR 2017) — spec §4.
 *
 * A folder holds `userNN_<lighting>.aedat` (AEDAT 3.1, DVS128, source 1), one
 * `userNN_<lighting>_labels.csv` per trial (`class,startTime_usec,endTime_usec`, classes 1..11;
 * synthetic folders may add class 12 rows, "no gesture")
 * and `trials_to_train.txt` / `trials_to_test.txt` (one `.aedat` name per line). A sample is
 * the events of one CSV row with `start <= t < end` (SpikingJelly's cut), label = class − 1.
 * Segments may overlap; rows are not sorted by class; class 8 (arm_roll) has two rows.
 *
 * Writers produce the same layout, so a synthetic dataset loads through the same code.
 */
import { mkdir, readFile, writeFile, access } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { firstTimeInversion, sliceByTime, allocateBatch, type EventBatch } from '../events/index.js';
import { Aedat3PacketEncoder, encodeAedat3Header } from './aedat3.js';
import { FormatError } from './errors.js';
import { readEvents } from './io.js';

/** Class names in gesture_mapping.csv order (index = 0-based label = CSV class − 1). */
export const DVS_GESTURE_CLASSES: readonly string[] = Object.freeze([
  'hand_clapping',
  'right_hand_wave',
  'left_hand_wave',
  'right_arm_clockwise',
  'right_arm_counter_clockwise',
  'left_arm_clockwise',
  'left_arm_counter_clockwise',
  'arm_roll',
  'air_drums',
  'air_guitar',
  'other_gestures',
]);

/**
 * "No gesture" rows of synthetic recordings (idle people, passers-by): CSV class 12, 0-based
 * label 11. Real label files never hold it; the loaders skip these rows unless asked for them,
 * so 11-class training and evaluation see the same samples on real and synthetic folders.
 */
export const DVS_GESTURE_BACKGROUND = Object.freeze({ csvClass: 12, classId: 11, name: 'background' });

export const DVS_GESTURE_LIGHTINGS: readonly string[] = Object.freeze(['fluorescent', 'fluorescent_led', 'lab', 'led', 'natural']);

export const DVS_GESTURE_SENSOR = Object.freeze({ width: 128, height: 128 });

/** One labelled segment: 0-based class, [start, end) in the trial's event time base (µs). */
export interface GestureLabel {
  classId: number;
  start: number;
  end: number;
}

export interface GestureTrial {
  /** Trial name without extension, e.g. `user01_natural`. */
  name: string;
  split: 'train' | 'test';
  aedatPath: string;
  labelsPath: string;
}

export interface GestureSample {
  trial: string;
  /** Row index in the trial's CSV. */
  row: number;
  classId: number;
  className: string;
  start: number;
  end: number;
  /** Events with start <= t < end (absolute timestamps, as in the file). */
  events: EventBatch;
  /**
   * Gesture rows, when asked for (`leadUs`): the events just before `start`, from the later of
   * `start - leadUs` and the end of the previous gesture row — the idle scene the gesture rises out
   * of, for training a network to name a gesture before its window is full of it.
   */
  lead?: EventBatch;
}

const lightingPattern = DVS_GESTURE_LIGHTINGS.join('|');
// Lazy, so `user07_fluorescent_led` ends in `_fluorescent_led`, not `_led`.
const userPattern = new RegExp(`^(.+?)_(${lightingPattern})$`);

/** `user01_natural` style trial name. */
export function dvsGestureTrialName(user: number, lighting: string): string {
  if (!DVS_GESTURE_LIGHTINGS.includes(lighting)) throw new RangeError(`unknown lighting "${lighting}"`);
  return `user${String(user).padStart(2, '0')}_${lighting}`;
}

/**
 * The person of a trial: its name without the `_<lighting>` suffix (`user07` of
 * `user07_fluorescent_led`; a name prefix stays, so `s22user01_lab` is `s22user01`, not `user01`).
 * A name without a known lighting suffix is its own person.
 */
export function dvsGestureUser(trial: string): string {
  return userPattern.exec(trial)?.[1] ?? trial;
}

function officialList(spec: string): string[] {
  const out: string[] = [];
  for (const entry of spec.split(';')) {
    const [user, lights] = entry.split(':') as [string, string];
    const list = lights === '*' ? DVS_GESTURE_LIGHTINGS : lights.split(',');
    for (const l of list) out.push(`${dvsGestureTrialName(Number(user), l)}.aedat`);
  }
  return out;
}

/**
 * The official trial lists (98 train, 24 test) as spec §4.3 gives them, for writers of
 * synthetic datasets. A real dataset's own txt files are the authority when loading.
 */
export const DVS_GESTURE_OFFICIAL_TRIALS: { readonly train: readonly string[]; readonly test: readonly string[] } = Object.freeze({
  train: officialList(
    '1:*;2:*;3:fluorescent,fluorescent_led,led,natural;4:fluorescent,fluorescent_led,led,natural;5:*;6:*;' +
      '7:fluorescent,fluorescent_led,lab,led;8:fluorescent,fluorescent_led,lab,led;9:*;10:fluorescent,fluorescent_led,lab,led;' +
      '11:fluorescent,fluorescent_led,natural;12:fluorescent_led,led;13:*;14:fluorescent,fluorescent_led,led,natural;15:*;' +
      '16:fluorescent,lab,led,natural;17:*;18:fluorescent,fluorescent_led,lab,led;19:*;20:fluorescent,fluorescent_led,led;' +
      '21:fluorescent,fluorescent_led,lab,natural;22:*;23:fluorescent,fluorescent_led,lab,led',
  ),
  test: officialList('24:fluorescent,fluorescent_led,led;25:fluorescent,led;26:*;27:fluorescent,fluorescent_led,led,natural;28:*;29:*'),
});

/** Parses a `_labels.csv` (header line, LF or CRLF, blank lines ignored). Classes become 0-based. */
export function parseGestureLabels(text: string, source?: string): GestureLabel[] {
  const labels: GestureLabel[] = [];
  const lines = text.split('\n');
  let offset = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '').trim();
    const lineOffset = offset;
    offset += lines[i]!.length + 1;
    if (line === '') continue;
    if (i === 0 && /^class\s*,/i.test(line)) continue;
    const cells = line.split(',').map((c) => c.trim());
    const [cls, start, end] = cells.map(Number) as [number, number, number];
    if (cells.length < 3 || !Number.isInteger(cls) || !Number.isSafeInteger(start) || !Number.isSafeInteger(end)) {
      throw new FormatError(`labels line ${i + 1} is not "class,startTime_usec,endTime_usec": "${line}"`, lineOffset, source);
    }
    if (cls < 1 || cls > DVS_GESTURE_BACKGROUND.csvClass) {
      throw new FormatError(`labels line ${i + 1}: class ${cls} outside 1..${DVS_GESTURE_CLASSES.length} (or ${DVS_GESTURE_BACKGROUND.csvClass}, synthetic "no gesture")`, lineOffset, source);
    }
    if (end < start) throw new FormatError(`labels line ${i + 1}: end ${end} < start ${start}`, lineOffset, source);
    labels.push({ classId: cls - 1, start, end });
  }
  return labels;
}

/** CSV text of labels (1-based classes, LF line ends, as the original files). */
export function formatGestureLabels(labels: readonly GestureLabel[]): string {
  return ['class,startTime_usec,endTime_usec', ...labels.map((l) => `${l.classId + 1},${l.start},${l.end}`)].join('\n') + '\n';
}

/**
 * Writes one trial: `<dir>/<name>.aedat` (AEDAT 3.1, `#Source 1: DVS128`) and
 * `<dir>/<name>_labels.csv`. `batches` must be in time order.
 */
export async function writeDvsGestureTrial(
  dir: string,
  name: string,
  batches: Iterable<EventBatch>,
  labels: readonly GestureLabel[],
  options: { startTime?: Date } = {},
): Promise<{ aedatPath: string; labelsPath: string }> {
  await mkdir(dir, { recursive: true });
  const encoder = new Aedat3PacketEncoder({ sourceId: 1 });
  const parts: Uint8Array[] = [encodeAedat3Header({ sourceId: 1, sourceName: 'DVS128', ...(options.startTime ? { startTime: options.startTime } : {}) })];
  for (const b of batches) parts.push(encoder.encode(b));
  const aedatPath = join(dir, `${name}.aedat`);
  const labelsPath = join(dir, `${name}_labels.csv`);
  await writeFile(aedatPath, parts);
  await writeFile(labelsPath, formatGestureLabels(labels));
  return { aedatPath, labelsPath };
}

/** Writes `trials_to_train.txt` and `trials_to_test.txt` (names with or without `.aedat`). */
export async function writeDvsGestureTrialLists(dir: string, train: readonly string[], test: readonly string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const norm = (names: readonly string[]): string => names.map((n) => (n.endsWith('.aedat') ? n : `${n}.aedat`)).join('\n') + '\n';
  await writeFile(join(dir, 'trials_to_train.txt'), norm(train));
  await writeFile(join(dir, 'trials_to_test.txt'), norm(test));
}

/**
 * The dataset folder: `root` itself or `root/DvsGesture` (as the archive unpacks), holding at
 * least one trial list (a test-only folder is enough to evaluate).
 */
async function datasetDir(root: string): Promise<string> {
  for (const dir of [root, join(root, 'DvsGesture')]) {
    for (const list of ['trials_to_train.txt', 'trials_to_test.txt']) {
      try {
        await access(join(dir, list));
        return dir;
      } catch {
        // try the next candidate
      }
    }
  }
  throw new FormatError('no trials_to_train.txt or trials_to_test.txt (not a DVS128 Gesture folder)', 0, root);
}

/** Trials of a split (or both), in list order, from the dataset's own txt files. */
export async function listDvsGestureTrials(root: string, split: 'train' | 'test' | 'all' = 'all'): Promise<GestureTrial[]> {
  const dir = await datasetDir(root);
  const out: GestureTrial[] = [];
  for (const s of ['train', 'test'] as const) {
    if (split !== 'all' && split !== s) continue;
    let text: string;
    try {
      text = await readFile(join(dir, `trials_to_${s}.txt`), 'utf8');
    } catch {
      // A missing test list is an empty split; the training list only when not asked for.
      if (s === 'test' || split === 'all') continue;
      throw new FormatError(`missing trials_to_${s}.txt`, 0, dir);
    }
    for (const raw of text.split('\n')) {
      const line = basename(raw.trim());
      if (!line) continue;
      if (!new RegExp(`^user\\d+_(${lightingPattern})\\.aedat$`).test(line) && !line.endsWith('.aedat')) {
        throw new FormatError(`trials_to_${s}.txt lists "${line}", not an .aedat file`, 0, join(dir, `trials_to_${s}.txt`));
      }
      const name = line.slice(0, -'.aedat'.length);
      out.push({ name, split: s, aedatPath: join(dir, line), labelsPath: join(dir, `${name}_labels.csv`) });
    }
  }
  return out;
}

export interface GestureLoadOptions {
  /** Also yield the synthetic "no gesture" rows (class DVS_GESTURE_BACKGROUND.classId); default false. */
  background?: boolean;
  /** Attach to every gesture row the events of up to this many µs before it (`lead`); default 0: none. */
  leadUs?: number;
  /**
   * Applied to each trial's whole event stream (file order) before samples are cut, e.g. a
   * stateful filter that must see the recording as a live camera would stream it.
   */
  prepare?: (events: EventBatch) => EventBatch;
}

/** Events of one trial cut into labelled samples, in CSV row order. */
export async function loadDvsGestureTrial(trial: GestureTrial, options: GestureLoadOptions = {}): Promise<GestureSample[]> {
  const labels = parseGestureLabels(await readFile(trial.labelsPath, 'utf8'), trial.labelsPath);
  const raw = await readEvents(trial.aedatPath, { format: 'aedat3' });
  const events = options.prepare ? options.prepare(raw) : raw;
  const samples = cutGestureSamples(trial.name, events, labels, options.leadUs ?? 0);
  return options.background ? samples : samples.filter((s) => s.classId !== DVS_GESTURE_BACKGROUND.classId);
}

/**
 * Cuts labelled samples `start <= t < end` out of a trial's events, with `leadUs` > 0 each gesture
 * row's `lead`. Sorted input gives views (binary search); unsorted input (a timestamp reset) is
 * filtered event by event.
 */
export function cutGestureSamples(trial: string, events: EventBatch, labels: readonly GestureLabel[], leadUs = 0): GestureSample[] {
  const sorted = firstTimeInversion(events) < 0;
  const cut = (start: number, end: number): EventBatch => (sorted ? sliceByTime(events, start, end) : filterTime(events, start, end));
  const gestures = labels.filter((l) => l.classId !== DVS_GESTURE_BACKGROUND.classId);
  return labels.map((l, row) => {
    const sample: GestureSample = {
      trial,
      row,
      classId: l.classId,
      className: DVS_GESTURE_CLASSES[l.classId] ?? DVS_GESTURE_BACKGROUND.name,
      start: l.start,
      end: l.end,
      events: cut(l.start, l.end),
    };
    if (leadUs > 0 && l.classId !== DVS_GESTURE_BACKGROUND.classId) {
      // Idle time only: never reach back into the previous gesture (rows need not be in time order).
      let from = l.start - leadUs;
      for (const g of gestures) if (g.start < l.start) from = Math.max(from, Math.min(g.end, l.start));
      sample.lead = cut(from, l.start);
    }
    return sample;
  });
}

function filterTime(b: EventBatch, start: number, end: number): EventBatch {
  let n = 0;
  for (let i = 0; i < b.length; i++) if (b.t[i]! >= start && b.t[i]! < end) n++;
  const out = allocateBatch(n, b.sensor);
  let k = 0;
  for (let i = 0; i < b.length; i++) {
    const t = b.t[i]!;
    if (t >= start && t < end) {
      out.x[k] = b.x[i]!;
      out.y[k] = b.y[i]!;
      out.t[k] = t;
      out.p[k] = b.p[i]!;
      k++;
    }
  }
  return out;
}

/** All labelled samples of a split, trial by trial (one trial's events in memory at a time). */
export async function* loadDvsGesture(root: string, split: 'train' | 'test' | 'all' = 'train', options: GestureLoadOptions = {}): AsyncGenerator<GestureSample> {
  for (const trial of await listDvsGestureTrials(root, split)) yield* await loadDvsGestureTrial(trial, options);
}
