/**
 * Offline tuning of the decision stage: the classifier runs once over a recording (its
 * `prediction` messages kept in JSONL), then the decision stage is replayed over recorded
 * probabilities for every setting of a grid and each result scored against the labels with the
 * matcher of `spikeline score` (decision-score.ts). Plain functions over recorded runs; the
 * command (`spikeline experiment decision`) and the trade-off plot sit on top.
 */
import type { PredictionMessage } from '../sinks/messages.js';
import { mergeScores, scoreGestures, type GestureScore, type LabelledGesture } from './decision-score.js';
import { redecide } from './decision-record.js';
import type { DecisionOptions } from './decision.js';
import { decisionOptions } from './decision-stage.js';

/** One recorded run and its ground truth. */
export interface SweepRun {
  predictions: readonly PredictionMessage[];
  labels: readonly LabelledGesture[];
  span: { startUs: number; endUs: number };
  classNames: readonly string[];
}

/**
 * Values tried per setting; `offGap` sets offThreshold = onThreshold − offGap (clamped at 0);
 * `classOn` the onThreshold of particular classes by label (0: no override).
 */
export interface DecisionGrid {
  smoothingMs: number[];
  onThreshold: number[];
  offGap: number[];
  minDurationMs: number[];
  confirmMs: number[];
  classOn: Record<string, number[]>;
}

/** The grid of the first 2026-12-06 measurements, times the confirm-time onset rule. */
export const DEFAULT_GRID: DecisionGrid = {
  smoothingMs: [0, 150, 300, 500, 800],
  onThreshold: [0.5, 0.6, 0.7, 0.8, 0.9],
  offGap: [0.2],
  minDurationMs: [0, 200, 400, 700, 1000],
  confirmMs: [0, 200, 400, 800],
  classOn: {},
};

const GRID_KEYS: Record<string, Exclude<keyof DecisionGrid, 'classOn'>> = {
  'smoothing-ms': 'smoothingMs',
  on: 'onThreshold',
  'off-gap': 'offGap',
  'min-duration-ms': 'minDurationMs',
  'confirm-ms': 'confirmMs',
};

/**
 * Parses `key=values;key=values…` over DEFAULT_GRID, keys as the score command's flags
 * (smoothing-ms, on, off-gap, min-duration-ms, confirm-ms, class-on.LABEL), values a comma list
 * or a range `from:to:step` (inclusive), e.g. `smoothing-ms=0,300;on=0.5:0.9:0.1;class-on.other_gestures=0,0.9`.
 */
export function parseDecisionGrid(spec: string): DecisionGrid {
  const grid: DecisionGrid = { ...DEFAULT_GRID, classOn: {} };
  for (const part of spec.split(';').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    const label = name.startsWith('class-on.') ? name.slice('class-on.'.length) : undefined;
    const key = GRID_KEYS[name];
    if (eq < 0 || (!key && !label)) throw new RangeError(`grid: "${part}" is not key=values with key one of ${Object.keys(GRID_KEYS).join(', ')}, class-on.LABEL`);
    const text = part.slice(eq + 1).trim();
    const range = /^([\d.]+):([\d.]+):([\d.]+)$/.exec(text);
    let items: string[];
    if (range) {
      const [from, to, step] = range.slice(1).map(Number) as [number, number, number];
      if (!(step > 0) || to < from) throw new RangeError(`grid: ${part}: a range is from:to:step with to >= from and step > 0`);
      items = [];
      // Rounded to the start's and the step's decimals so 0.1 steps give 0.7, not 0.7000000000000001
      // (and 0.55 + 0.1 steps stay 0.65, 0.75…).
      const decimals = Math.max(...[range[1]!, range[3]!].map((v) => (v.split('.')[1] ?? '').length));
      for (let k = 0; from + k * step <= to + 1e-9; k++) items.push((from + k * step).toFixed(decimals));
    } else items = text.split(',').map((v) => v.trim());
    // Number('') is 0: an empty item (a stray comma) would add a setting nobody asked for.
    const values = items.map((v) => (v === '' ? Number.NaN : Number(v)));
    const probability = key === 'onThreshold' || label !== undefined;
    const bad = values.findIndex((v) => !Number.isFinite(v) || v < 0 || (probability && v > 1) || (key === 'onThreshold' && v === 0));
    if (bad >= 0) throw new RangeError(`grid: ${part}: value "${items[bad]}" is out of range`);
    if (label !== undefined) grid.classOn[label] = values;
    else grid[key!] = values;
  }
  return grid;
}

/**
 * Every combination of the grid as decider options for a model with these classes (its
 * background class found as the pipeline finds it). Per-class thresholds below a setting's
 * offThreshold are skipped as invalid.
 */
export function gridSettings(grid: DecisionGrid, classNames: readonly string[]): DecisionOptions[] {
  let perClass: Record<string, number>[] = [{}];
  for (const [label, values] of Object.entries(grid.classOn)) perClass = perClass.flatMap((m) => values.map((v) => (v > 0 ? { ...m, [label]: v } : m)));
  const out: DecisionOptions[] = [];
  for (const smoothingMs of grid.smoothingMs)
    for (const onThreshold of grid.onThreshold)
      for (const gap of grid.offGap)
        for (const minDurationMs of grid.minDurationMs)
          for (const confirmMs of grid.confirmMs)
            for (const classOnThreshold of perClass) {
              const offThreshold = Math.max(0, Number((onThreshold - gap).toFixed(6)));
              if (Object.values(classOnThreshold).some((v) => v < offThreshold)) continue;
              const config = { smoothingMs, onThreshold, offThreshold, minDurationMs, confirmMs, classOnThreshold: Object.keys(classOnThreshold).length ? classOnThreshold : undefined, background: undefined };
              out.push(decisionOptions(config, classNames));
            }
  return out;
}

/** A setting's figures over one or more runs pooled (counts, idle time and latencies added up). */
export interface PooledScore {
  macroF1: number;
  precision: number;
  recall: number;
  labels: number;
  detections: number;
  idleFalseDetections: number;
  idleMinutes: number;
  falsePerIdleMinute: number;
  medianLatencyS: number;
  p90LatencyS: number;
}

export function poolScores(scores: readonly GestureScore[]): PooledScore {
  const m = mergeScores(scores, []);
  return {
    macroF1: m.macroF1,
    precision: m.detections ? m.matched / m.detections : 0,
    recall: m.labels ? m.matched / m.labels : 0,
    labels: m.labels,
    detections: m.detections,
    idleFalseDetections: m.idleFalseDetections,
    idleMinutes: m.idleMinutes,
    falsePerIdleMinute: m.falsePerIdleMinute,
    medianLatencyS: m.medianLatencyS,
    p90LatencyS: m.p90LatencyS,
  };
}

/** Scores one setting over a set of runs. */
export function scoreSetting(runs: readonly SweepRun[], options: DecisionOptions): PooledScore {
  return poolScores(runs.map((r) => scoreGestures(redecide(r.predictions, options), r.labels, r.span, r.classNames)));
}

/** The targets for live detection. */
export const DETECTION_TARGETS = { macroF1: 0.95, falsePerIdleMinute: 0.5, medianLatencyS: 1, p90LatencyS: 2 };

/** A setting scored on several sets. */
export interface SweepPoint {
  options: DecisionOptions;
  sets: Record<string, PooledScore>;
}

const meetsFalse = (s: PooledScore) => s.idleFalseDetections === 0 || s.falsePerIdleMinute <= DETECTION_TARGETS.falsePerIdleMinute;
const meetsMedian = (s: PooledScore) => s.medianLatencyS <= DETECTION_TARGETS.medianLatencyS;
const meetsP90 = (s: PooledScore) => s.p90LatencyS <= DETECTION_TARGETS.p90LatencyS;

/** How many of the four targets a score meets (an undefined figure meets none). */
export function targetsMet(s: PooledScore): number {
  return Number(s.macroF1 >= DETECTION_TARGETS.macroF1) + Number(meetsFalse(s)) + Number(meetsMedian(s)) + Number(meetsP90(s));
}

/**
 * The setting to recommend, judged on the tune sets (every one must pass): among the settings
 * within the false-alarm and both latency targets, the highest macro F1 on the worst tune set;
 * if there are none, the latency targets are relaxed (p90 first, then the median), and last the
 * false-alarm target (a line notices false alarms before it notices a slow decision). Ties go to
 * the lower worst median latency. Undefined for no points.
 */
export function chooseSetting(points: readonly SweepPoint[], sets: readonly string[]): SweepPoint | undefined {
  const all = (p: SweepPoint, ok: (s: PooledScore) => boolean) => sets.every((n) => ok(p.sets[n]!));
  const tiers: ((p: SweepPoint) => boolean)[] = [
    (p) => all(p, (s) => meetsFalse(s) && meetsMedian(s) && meetsP90(s)),
    (p) => all(p, (s) => meetsFalse(s) && meetsMedian(s)),
    (p) => all(p, meetsFalse),
    () => true,
  ];
  const worstF1 = (p: SweepPoint) => Math.min(...sets.map((n) => (Number.isNaN(p.sets[n]!.macroF1) ? 0 : p.sets[n]!.macroF1)));
  const worstLatency = (p: SweepPoint) => Math.max(...sets.map((n) => (Number.isNaN(p.sets[n]!.medianLatencyS) ? Infinity : p.sets[n]!.medianLatencyS)));
  for (const tier of tiers) {
    const ok = points.filter(tier);
    if (ok.length === 0) continue;
    return ok.reduce((best, p) => {
      const d = worstF1(p) - worstF1(best);
      return d > 0 || (d === 0 && worstLatency(p) < worstLatency(best)) ? p : best;
    });
  }
  return undefined;
}

/**
 * Points of one set that no other point beats on both false detections per idle minute and median
 * latency, fastest first; of points with equal figures, the one with the best macro F1.
 */
export function paretoFront<T extends { falsePerIdleMinute: number; medianLatencyS: number; macroF1: number }>(points: readonly T[]): T[] {
  const ok = points.filter((p) => !Number.isNaN(p.medianLatencyS) && !Number.isNaN(p.falsePerIdleMinute));
  const best = new Map<string, T>();
  for (const p of ok) {
    const key = `${p.falsePerIdleMinute} ${p.medianLatencyS}`;
    const q = best.get(key);
    if (!q || p.macroF1 > q.macroF1) best.set(key, p);
  }
  const unique = [...best.values()];
  return unique
    .filter((p) => !unique.some((q) => q !== p && q.falsePerIdleMinute <= p.falsePerIdleMinute && q.medianLatencyS <= p.medianLatencyS && (q.falsePerIdleMinute < p.falsePerIdleMinute || q.medianLatencyS < p.medianLatencyS)))
    .sort((a, b) => a.medianLatencyS - b.medianLatencyS || a.falsePerIdleMinute - b.falsePerIdleMinute);
}
