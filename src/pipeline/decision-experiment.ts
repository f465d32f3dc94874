/**
 * The decision experiment: sweeps a grid of decision settings over recorded runs grouped in sets
 * (per inference mode), chooses a setting on the sets marked `tune` only, and reports every set
 * (the `report` ones were not looked at when choosing) as markdown, JSON and a trade-off plot.
 */
import { readFileSync } from 'node:fs';
import { xyPlotSvg } from '../snn/plot.js';
import { DECISION_DEFAULTS } from './config.js';
import { labelsFromCameraSim, labelsFromCsv, labelsFromTruth, readRunRecord } from './decision-record.js';
import { chooseSetting, DETECTION_TARGETS, gridSettings, paretoFront, scoreSetting, targetsMet, type DecisionGrid, type PooledScore, type SweepPoint, type SweepRun } from './decision-sweep.js';
import type { DecisionOptions } from './decision.js';
import { decisionOptions } from './decision-stage.js';

export interface SweepSet {
  name: string;
  role: 'tune' | 'report';
  /** Inference mode the runs were recorded in; sets of one mode are swept together. */
  mode: string;
  runs: SweepRun[];
}

/** A recorded run (JSONL with prediction messages) and its labels (CSV, camera-sim lines, or the predictions' truth). */
export function loadSweepRun(jsonl: string, labels?: string): SweepRun {
  const record = readRunRecord(readFileSync(jsonl, 'utf8'), jsonl);
  if (record.predictions.length === 0) throw new Error(`${jsonl}: no prediction messages to sweep over`);
  const text = labels === undefined ? '' : readFileSync(labels, 'utf8');
  return {
    predictions: record.predictions,
    labels: labels === undefined ? labelsFromTruth(record.predictions, record.classNames) : labels.endsWith('.csv') ? labelsFromCsv(text, labels) : labelsFromCameraSim(text, labels),
    span: record.span,
    classNames: record.classNames,
  };
}

export interface ModeSweep {
  mode: string;
  /** The model's classes (as the runs name them). */
  classNames: readonly string[];
  points: SweepPoint[];
  chosen: SweepPoint;
  /** The settings shipped today (DECISION_DEFAULTS), on the same sets. */
  current: SweepPoint;
}

export function sweepSets(sets: readonly SweepSet[], grid: DecisionGrid, log: (line: string) => void = () => undefined): ModeSweep[] {
  const modes = [...new Set(sets.map((s) => s.mode))];
  return modes.map((mode) => {
    const mine = sets.filter((s) => s.mode === mode);
    const tune = mine.filter((s) => s.role === 'tune').map((s) => s.name);
    if (tune.length === 0) throw new Error(`mode ${mode}: no set to tune on`);
    const names = mine[0]!.runs[0]!.classNames;
    const score = (options: DecisionOptions): SweepPoint => ({ options, sets: Object.fromEntries(mine.map((s) => [s.name, scoreSetting(s.runs, options)])) });
    const settings = gridSettings(grid, names);
    log(`${mode}: ${settings.length} settings over ${mine.map((s) => s.name).join(', ')}`);
    const points = settings.map(score);
    return { mode, classNames: names, points, chosen: chooseSetting(points, tune)!, current: score(decisionOptions(DECISION_DEFAULTS, names)) };
  });
}

/** The mode whose chosen setting is best on its tune sets (same rule as within a mode). */
export function bestMode(sweeps: readonly ModeSweep[], sets: readonly SweepSet[]): ModeSweep {
  const tune = (m: ModeSweep) => sets.filter((s) => s.mode === m.mode && s.role === 'tune').map((s) => s.name);
  // Chosen points of different modes share set names only if the sets are named alike; compare on the common tune sets.
  const common = sweeps.map(tune).reduce((a, b) => a.filter((n) => b.includes(n)));
  if (common.length === 0) return sweeps[0]!;
  const winner = chooseSetting(sweeps.map((m) => m.chosen), common);
  return sweeps.find((m) => m.chosen === winner)!;
}

const perClass = (o: DecisionOptions, names: readonly string[]) =>
  Object.entries(o.classOnThreshold ?? {}).map(([k, v]) => `${names[Number(k)] ?? k}: ${v}`).join(', ');

export const describeSetting = (o: DecisionOptions, names: readonly string[]): string =>
  `smoothingMs ${o.smoothingMs}, on ${o.onThreshold} / off ${o.offThreshold}, minDurationMs ${o.minDurationMs}, confirmMs ${o.confirmMs ?? 0}` +
  (o.classOnThreshold ? `, classOnThreshold {${perClass(o, names)}}` : '');

/** The setting as the pipeline config's `decision` block. */
export const settingYaml = (o: DecisionOptions, names: readonly string[]): string =>
  `decision: {smoothingMs: ${o.smoothingMs}, onThreshold: ${o.onThreshold}, offThreshold: ${o.offThreshold}, minDurationMs: ${o.minDurationMs}, confirmMs: ${o.confirmMs ?? 0}` +
  (o.classOnThreshold ? `, classOnThreshold: {${perClass(o, names)}}` : '') +
  '}';

const namesOf = (m: ModeSweep) => m.classNames;
const f = (v: number, d = 2) => (Number.isNaN(v) ? '-' : v.toFixed(d));
const row = (set: string, mode: string, what: string, s: PooledScore) =>
  `| ${set} | ${mode} | ${what} | ${f(s.macroF1, 3)} | ${f(s.precision, 3)} | ${f(s.recall, 3)} | ${f(s.falsePerIdleMinute)} (${s.idleFalseDetections} in ${f(s.idleMinutes)} min) | ${f(s.medianLatencyS)} s | ${f(s.p90LatencyS)} s | ${targetsMet(s)}/4 |`;
const HEADER = ['| set | inference | setting | macro F1 | precision | recall | false / idle min | median latency | p90 latency | targets met |', '|---|---|---|---|---|---|---|---|---|---|'];

/** Markdown: the chosen setting per mode and today's defaults on every set, then each set's trade-off front. */
export function sweepReport(sweeps: readonly ModeSweep[], sets: readonly SweepSet[], title: string): string {
  const t = DETECTION_TARGETS;
  const best = bestMode(sweeps, sets);
  const out = [
    `# ${title}`,
    '',
    `Targets: macro F1 ≥ ${t.macroF1}, ≤ ${t.falsePerIdleMinute} false detections per idle minute, median latency ≤ ${t.medianLatencyS} s, p90 ≤ ${t.p90LatencyS} s.`,
    `Sets: ${sets.filter((s) => s.mode === best.mode).map((s) => `${s.name} (${s.role}, ${s.runs.length} run${s.runs.length > 1 ? 's' : ''})`).join(', ')}. Settings are chosen on the tune sets only: the best macro F1 on the worst tune set among the settings within the false-alarm and latency targets on every tune set (relaxed in the order p90, median latency, false alarms when none is).`,
    '',
    `**Recommended (${best.mode} mode):** \`${settingYaml(best.chosen.options, namesOf(best))}\``,
    '',
    ...HEADER,
  ];
  for (const m of sweeps) {
    for (const [name, s] of Object.entries(m.chosen.sets)) out.push(row(`${name} (${sets.find((x) => x.name === name && x.mode === m.mode)!.role})`, m.mode, `chosen: ${describeSetting(m.chosen.options, namesOf(m))}`, s));
    for (const [name, s] of Object.entries(m.current.sets)) out.push(row(name, m.mode, 'today\'s defaults', s));
  }
  for (const m of sweeps) {
    out.push('', `## Trade-off front, ${m.mode} mode (settings no other beats on both false alarms and median latency)`, '', ...HEADER);
    for (const name of Object.keys(m.chosen.sets)) {
      const front = paretoFront(m.points.map((p) => ({ ...p.sets[name]!, p })));
      for (const q of front) out.push(row(name, m.mode, describeSetting(q.p.options, namesOf(m)), q));
    }
  }
  return out.join('\n') + '\n';
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

/**
 * Axes of a trade-off plot: false alarms up to the fronts' worst (2 to 10, even), latency up to
 * the slowest front point inside that range, and the targets' corner.
 */
function tradeoffAxes(points: readonly { falsePerIdleMinute: number; medianLatencyS: number }[]) {
  const yMax = Math.max(2, Math.min(10, 2 * Math.ceil(Math.max(...points.map((q) => q.falsePerIdleMinute)) / 2)));
  const xMax = Math.max(1, Math.ceil(Math.max(...points.filter((q) => q.falsePerIdleMinute <= yMax).map((q) => q.medianLatencyS))));
  return {
    xLabel: 'median latency, gesture start to first correct detection (s)',
    yLabel: 'false detections per idle minute',
    xMax,
    yMax,
    target: { x: DETECTION_TARGETS.medianLatencyS, y: DETECTION_TARGETS.falsePerIdleMinute, label: 'target' },
  };
}

/**
 * False detections per idle minute against median latency for one mode: every setting (dots),
 * each set's front (report sets with the macro F1 beside each point), the chosen setting ringed.
 */
export function tradeoffSvg(sweep: ModeSweep, sets: readonly SweepSet[], model: string): string {
  const names = Object.keys(sweep.chosen.sets);
  const report = (n: string) => sets.some((s) => s.name === n && s.mode === sweep.mode && s.role === 'report');
  const fronts = names.map((n) => paretoFront(sweep.points.map((p) => ({ ...p.sets[n]!, p }))));
  return xyPlotSvg({
    title: `Decision trade-off, ${sweep.mode} inference, ${model}`,
    ...tradeoffAxes(fronts.flat()),
    series: names.map((n, i) => ({
      name: `${n} (${report(n) ? 'held out' : 'tuned on'})`,
      color: COLORS[i % COLORS.length]!,
      dots: sweep.points.map((p) => [p.sets[n]!.medianLatencyS, p.sets[n]!.falsePerIdleMinute] as [number, number]),
      line: fronts[i]!.map((q) => ({
        x: q.medianLatencyS,
        y: q.falsePerIdleMinute,
        ...(report(n) ? { label: f(q.macroF1) } : {}),
        title: `${describeSetting(q.p.options, namesOf(sweep))}: F1 ${f(q.macroF1, 3)}, p90 ${f(q.p90LatencyS)} s`,
      })),
      rings: [[sweep.chosen.sets[n]!.medianLatencyS, sweep.chosen.sets[n]!.falsePerIdleMinute]],
    })),
    notes: ['dots: every setting tried', 'lines: best trade-offs;', '  numbers: macro F1', 'ring: the chosen setting'],
  });
}

/** One set's trade-off front per inference mode (macro F1 beside each point): what the mode costs in latency. */
export function modesSvg(sweeps: readonly ModeSweep[], set: string, model: string): string {
  const withSet = sweeps.filter((m) => m.chosen.sets[set]);
  const fronts = withSet.map((m) => paretoFront(m.points.map((p) => ({ ...p.sets[set]!, p }))));
  return xyPlotSvg({
    title: `Decision trade-off per inference mode, ${set}, ${model}`,
    ...tradeoffAxes(fronts.flat()),
    series: withSet.map((m, i) => ({
      name: `${m.mode} inference`,
      color: COLORS[i % COLORS.length]!,
      line: fronts[i]!.map((q) => ({ x: q.medianLatencyS, y: q.falsePerIdleMinute, label: f(q.macroF1), title: `${describeSetting(q.p.options, m.classNames)}: F1 ${f(q.macroF1, 3)}, p90 ${f(q.p90LatencyS)} s` })),
      rings: [[m.chosen.sets[set]!.medianLatencyS, m.chosen.sets[set]!.falsePerIdleMinute]],
    })),
    notes: ['lines: best trade-offs;', '  numbers: macro F1', 'ring: the setting chosen', '  on the tune sets'],
  });
}
