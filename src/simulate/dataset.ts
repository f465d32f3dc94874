/**
 * Synthetic DVS128 Gesture datasets in the real layout: `userNN_<lighting>.aedat` (AEDAT 3.1,
 * `#Source 1: DVS128`), `userNN_<lighting>_labels.csv`, `trials_to_train.txt` and
 * `trials_to_test.txt`, written with the formats area's writer so the dataset loader reads a
 * synthetic folder exactly as it reads the real one. Users and lightings follow the real trial
 * list (users 01–23 train, 24–29 test, only the lightings each real user has). A
 * `synthetic.json` manifest beside them records the generation parameters and statistics, and
 * per trial every domain-randomisation draw and what each label row is (class, motion style and
 * tempo, or the kind of a "no gesture" row, class 12).
 *
 * Everything is a pure function of (seed, user, lighting, options): regenerating one trial, or
 * a subset of users, gives byte-identical files.
 */
import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DVS_GESTURE_OFFICIAL_TRIALS, writeDvsGestureTrialLists } from '../formats/index.js';
import { isLighting, type Lighting } from './gesture-classes.js';
import { defaultDomain, formatDomainSpec, type GestureDomain, type TrialDomain } from './domain.js';
import type { IdleKind } from './scene/idle.js';
import type { TrialOptions } from './trial.js';
import { runTrials } from './trial-pool.js';

export interface TrialRef {
  user: number;
  lighting: Lighting;
  split: 'train' | 'test';
  /** `userNN_<lighting>` */
  name: string;
}

/** Users 01–23 form the real training split, 24–29 the test split. */
export const LAST_TRAIN_USER = 23;
export const USER_COUNT = 29;

/** Every trial of the real dataset (122), in trial-list order, parsed from the official lists. */
export function officialTrials(): TrialRef[] {
  const out: TrialRef[] = [];
  for (const split of ['train', 'test'] as const) {
    for (const file of DVS_GESTURE_OFFICIAL_TRIALS[split]) {
      const m = /^user(\d+)_(.+)\.aedat$/.exec(file);
      if (!m || !isLighting(m[2]!)) throw new Error(`unexpected official trial name "${file}"`);
      out.push({ user: Number(m[1]), lighting: m[2], split, name: file.slice(0, -'.aedat'.length) });
    }
  }
  return out;
}

/**
 * `count` users spread over both splits in the real 23:6 proportion (at least one test user when
 * count ≥ 2): e.g. 4 → users 1, 2, 3 and 24; 29 → all.
 */
export function spreadUsers(count: number): number[] {
  if (!Number.isInteger(count) || count < 1 || count > USER_COUNT) throw new RangeError(`user count must be 1..${USER_COUNT}, got ${count}`);
  const test = count === 1 ? 0 : Math.max(1, Math.round((count * (USER_COUNT - LAST_TRAIN_USER)) / USER_COUNT));
  const train = count - test;
  return [...Array.from({ length: train }, (_, i) => i + 1), ...Array.from({ length: test }, (_, i) => LAST_TRAIN_USER + 1 + i)];
}

/** What every trial of a dataset is generated with: the simulator's options and the output folder. */
export interface TrialSettings extends Omit<TrialOptions, 'user' | 'lighting'> {
  /** Output folder. */
  out: string;
}

export interface DatasetOptions extends TrialSettings {
  /** User numbers to generate (1..29). Default all. */
  users?: readonly number[];
  /** Restrict to these lightings (each user still only gets the lightings of the real list). */
  lightings?: readonly Lighting[];
  /** At most this many lightings per user (the first ones of the real list), e.g. for small sets. */
  maxLightingsPerUser?: number;
  /** Keep trials a previous run with the same parameters already wrote (see generateGestureDataset). */
  resume?: boolean;
  /** Write into a non-empty `out` that is not an interrupted run to resume (its trial lists are replaced). */
  force?: boolean;
  /** Trials simulated at once, each in a worker thread (default 1: in the calling thread); the files do not depend on it. */
  workers?: number;
}

/** One label row of a trial as generated: class (1..12), and what was drawn for it. */
export interface RowRecord {
  classId: number;
  domain?: GestureDomain;
  idle?: IdleKind;
}

export interface TrialStats {
  name: string;
  split: 'train' | 'test';
  events: number;
  durationS: number;
  /** Events per labelled gesture (the 12 gesture rows, not the "no gesture" ones). */
  gestureEvents: number[];
  gestureSeconds: number[];
  /** Events and length of the "no gesture" rows. */
  idleEvents?: number[];
  idleSeconds?: number[];
  /** Domain randomisation draws of the recording (absent: off). */
  domain?: TrialDomain;
  /** Every label row in CSV order (under domain randomisation or with "no gesture" rows). */
  rows?: RowRecord[];
}

export interface DatasetStats {
  trials: TrialStats[];
  events: number;
  simulatedSeconds: number;
  wallSeconds: number;
}

/** The trials a DatasetOptions selects, in trial-list order. */
export function selectTrials(options: Pick<DatasetOptions, 'users' | 'lightings' | 'maxLightingsPerUser'>): TrialRef[] {
  const users = new Set(options.users ?? Array.from({ length: USER_COUNT }, (_, i) => i + 1));
  for (const u of users) if (!Number.isInteger(u) || u < 1 || u > USER_COUNT) throw new RangeError(`user ${u} outside 1..${USER_COUNT}`);
  const perUser = new Map<number, number>();
  return officialTrials().filter((t) => {
    if (!users.has(t.user)) return false;
    if (options.lightings && !options.lightings.includes(t.lighting)) return false;
    const n = perUser.get(t.user) ?? 0;
    if (options.maxLightingsPerUser !== undefined && n >= options.maxLightingsPerUser) return false;
    perUser.set(t.user, n + 1);
    return true;
  });
}

/** Manifest file name written beside the trials. */
export const MANIFEST = 'synthetic.json';

interface Manifest {
  generator: string;
  complete: boolean;
  params: Record<string, unknown>;
  summary: DatasetSummary;
  trials: TrialStats[];
}

/** Generation parameters in sorted key order, so equal options give an identical manifest. */
function manifestParams(options: DatasetOptions): Record<string, unknown> {
  const { out: _out, resume: _resume, force: _force, workers: _workers, domain, ...rest } = options;
  // The domain is recorded as its spec string (`off`, `on` or the families that differ).
  const all: Record<string, unknown> = { ...rest, domain: formatDomainSpec(domain === undefined ? defaultDomain() : domain) };
  return JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(all).sort(([a], [b]) => a.localeCompare(b))))) as Record<string, unknown>;
}

/** Trials already generated with the same parameters (from a previous, possibly interrupted run). */
async function previousTrials(options: DatasetOptions): Promise<Map<string, TrialStats>> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(options.out, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return new Map();
  }
  if (JSON.stringify(manifest.params) !== JSON.stringify(manifestParams(options))) {
    throw new RangeError(`${join(options.out, MANIFEST)} was generated with other parameters (${JSON.stringify(manifest.params)}); use another --out to start afresh, or --force to write over it`);
  }
  const done = new Map<string, TrialStats>();
  for (const t of manifest.trials) {
    try {
      await access(join(options.out, `${t.name}.aedat`));
      await access(join(options.out, `${t.name}_labels.csv`));
      done.set(t.name, t);
    } catch {
      // missing file: generate the trial again
    }
  }
  return done;
}

/**
 * Refuses to write into a folder that already holds something (another dataset's trial lists
 * would be replaced) unless the caller resumes an interrupted run there or forces it.
 */
async function checkOutFolder(options: DatasetOptions): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(options.out);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (entries.length === 0 || options.force) return;
  if (options.resume) {
    if (entries.includes(MANIFEST)) return;
    throw new RangeError(`${options.out} holds files but no ${MANIFEST}: it is not an interrupted spikeline simulate run, which is all --resume continues (use another --out, or --force to write over it)`);
  }
  throw new RangeError(`${options.out} already exists and is not empty (${entries.length} entries); --resume continues an interrupted run with the same options, --force writes over it (its trial lists are replaced)`);
}

/**
 * Generates the selected trials into `options.out`. After every trial the trial lists and the
 * manifest are rewritten for the trials done so far, so an interrupted run leaves a loadable
 * (smaller) dataset, and `resume` continues it, skipping trials already written with the same
 * parameters (generation is deterministic, so the result is the same as one uninterrupted run).
 * `onProgress(trialsDone, total, events)` is called as simulation proceeds.
 */
export async function generateGestureDataset(
  options: DatasetOptions,
  onProgress?: (trialsDone: number, total: number, events: number) => void,
): Promise<DatasetStats> {
  const trials = selectTrials(options);
  if (trials.length === 0) throw new RangeError('the user/lighting selection matches no trial of the real list');
  await checkOutFolder(options);
  const previous = options.resume ? await previousTrials(options) : new Map<string, TrialStats>();
  const started = Date.now();
  const save = async (stats: TrialStats[], complete: boolean): Promise<void> => {
    const done = new Set(stats.map((t) => t.name));
    const listed = trials.filter((t) => done.has(t.name));
    await writeDvsGestureTrialLists(
      options.out,
      listed.filter((t) => t.split === 'train').map((t) => t.name),
      listed.filter((t) => t.split === 'test').map((t) => t.name),
    );
    const manifest: Manifest = { generator: 'spikeline simulate gesture', complete, params: manifestParams(options), summary: summarizeStats({ trials: stats, events: stats.reduce((n, t) => n + t.events, 0) }), trials: stats };
    await writeFile(join(options.out, MANIFEST), JSON.stringify(manifest, null, 1) + '\n');
  };
  const results: (TrialStats | undefined)[] = trials.map((t) => previous.get(t.name));
  const pending = trials.flatMap((_, k) => (results[k] ? [] : [k]));
  const inFlight = new Map<number, number>();
  const report = (): void => {
    const done = results.filter(Boolean) as TrialStats[];
    let fraction = done.length;
    for (const f of inFlight.values()) fraction += f;
    onProgress?.(fraction, trials.length, done.reduce((n, t) => n + t.events, 0));
  };
  // Saves run one after another, each with the trials finished so far, in trial-list order.
  let saving = Promise.resolve();
  const finished = (k: number, trial: TrialStats): Promise<void> => {
    results[k] = trial;
    inFlight.delete(k);
    report();
    saving = saving.then(() => save(results.filter(Boolean) as TrialStats[], false));
    return saving;
  };
  report();
  const { users: _u, lightings: _l, maxLightingsPerUser: _m, resume: _r, force: _f, workers = 1, ...settings } = options;
  await runTrials(
    pending.map((k) => ({ k, ref: trials[k]! })),
    settings,
    workers,
    (k, f) => {
      inFlight.set(k, f);
      report();
    },
    finished,
  );
  await saving;
  const stats = results as TrialStats[];
  const events = stats.reduce((n, t) => n + t.events, 0);
  const simulated = stats.reduce((n, t) => n + t.durationS, 0);
  await save(stats, true);
  return { trials: stats, events, simulatedSeconds: simulated, wallSeconds: (Date.now() - started) / 1000 };
}

export interface DatasetSummary {
  trials: number;
  samples: number;
  events: number;
  /** Mean events per second over the labelled gestures, and its 10th/90th percentiles. */
  gestureRateMean: number;
  gestureRateP10: number;
  gestureRateP90: number;
  /** Mean labelled gesture duration, s. */
  gestureSecondsMean: number;
  /** Mean events per labelled sample. */
  eventsPerSample: number;
}

export function summarizeStats(stats: Pick<DatasetStats, 'trials' | 'events'>): DatasetSummary {
  const rates: number[] = [];
  let secs = 0;
  let sampleEvents = 0;
  for (const t of stats.trials) {
    t.gestureEvents.forEach((n, i) => {
      rates.push(n / t.gestureSeconds[i]!);
      secs += t.gestureSeconds[i]!;
      sampleEvents += n;
    });
  }
  rates.sort((a, b) => a - b);
  const q = (f: number): number => rates[Math.min(rates.length - 1, Math.floor(f * rates.length))] ?? 0;
  return {
    trials: stats.trials.length,
    samples: rates.length,
    events: stats.events,
    gestureRateMean: rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : 0,
    gestureRateP10: q(0.1),
    gestureRateP90: q(0.9),
    gestureSecondsMean: rates.length ? secs / rates.length : 0,
    eventsPerSample: rates.length ? sampleEvents / rates.length : 0,
  };
}
