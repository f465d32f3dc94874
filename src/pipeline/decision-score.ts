/**
 * Gesture-level score of a run: detected gestures (the decision stage's `gesture` messages)
 * against labelled gestures.
 *
 * Matching: a detection matches a label when their classes are equal and their spans overlap
 * by at least half of the shorter span (and by more than zero); each label takes at most one
 * detection (the earliest decided among those that qualify) and each detection at most one label.
 * Labels are taken in start order.
 *
 * Figures: per class precision = matched / detections, recall = matched / labels, F1 (0 when
 * undefined); macro F1 over every class that has labels or detections; false detections =
 * detections matched to no label, of which "idle" ones were decided outside every labelled span;
 * idle time = the scored span minus the labelled spans; latency = decidedUs − label start of
 * each matched label (median and p90, linear interpolation between ranks as numpy does), 0 for a
 * detection decided before its gesture began: such a decision was a guess (counted apart as
 * anticipated), and a negative latency would flatter the median.
 *
 * Labels that do not lie wholly inside the scored span (a run cut in the middle of a gesture)
 * are left out: they count neither as missed nor as idle time, and detections overlapping them
 * count neither way either.
 */
import { mean } from '../util/stats.js';

export interface LabelledGesture {
  classId: number;
  startUs: number;
  endUs: number;
}

export interface DetectedGesture {
  id: number;
  classId: number;
  startUs: number;
  decidedUs: number;
  endUs: number;
}

export interface ClassScore {
  classId: number;
  label: string;
  labels: number;
  detections: number;
  matched: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface GestureScore {
  span: { startUs: number; endUs: number };
  classes: ClassScore[];
  macroF1: number;
  labels: number;
  detections: number;
  matched: number;
  falseDetections: number;
  idleFalseDetections: number;
  idleMinutes: number;
  /** Idle false detections per minute of idle time (NaN without idle time). */
  falsePerIdleMinute: number;
  /** Onset of each matched label to the decision of its detection, seconds (>= 0). */
  latenciesS: number[];
  /** Matched detections decided before their label started (their latency counts as 0). */
  anticipated: number;
  medianLatencyS: number;
  p90LatencyS: number;
  /** Labels left out because they are not wholly inside the span. */
  partialLabels: number;
}

/** Quantile with linear interpolation between order statistics (numpy's default); NaN if empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const overlap = (a0: number, a1: number, b0: number, b1: number): number => Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));

/** Pairs [label index, detection index] by the matching rule above. */
export function matchGestures(detections: readonly DetectedGesture[], labels: readonly LabelledGesture[]): [number, number][] {
  const taken = new Set<number>();
  const pairs: [number, number][] = [];
  const order = labels.map((_, i) => i).sort((a, b) => labels[a]!.startUs - labels[b]!.startUs);
  for (const li of order) {
    const l = labels[li]!;
    let best = -1;
    detections.forEach((d, di) => {
      if (taken.has(di) || d.classId !== l.classId) return;
      const o = overlap(d.startUs, d.endUs, l.startUs, l.endUs);
      const shorter = Math.min(d.endUs - d.startUs, l.endUs - l.startUs);
      if (o > 0 && o >= shorter / 2 && (best < 0 || d.decidedUs < detections[best]!.decidedUs)) best = di;
    });
    if (best >= 0) {
      taken.add(best);
      pairs.push([li, best]);
    }
  }
  return pairs;
}

/** Total length of the union of spans clipped to [start, end). */
function coveredUs(spans: readonly { startUs: number; endUs: number }[], start: number, end: number): number {
  const clipped = spans.map((s) => [Math.max(start, s.startUs), Math.min(end, s.endUs)] as const).filter(([a, b]) => b > a).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let curStart = Number.NaN;
  let curEnd = Number.NaN;
  for (const [a, b] of clipped) {
    if (!(a <= curEnd)) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = a;
      curEnd = b;
    } else curEnd = Math.max(curEnd, b);
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}

export function scoreGestures(
  detections: readonly DetectedGesture[],
  allLabels: readonly LabelledGesture[],
  span: { startUs: number; endUs: number },
  classNames: readonly string[],
): GestureScore {
  const inside = (l: LabelledGesture) => l.startUs >= span.startUs && l.endUs <= span.endUs;
  const labels = allLabels.filter(inside);
  const partial = allLabels.filter((l) => !inside(l));
  // Detections on a left-out label count neither way.
  const scored = detections.filter((d) => !partial.some((l) => overlap(d.startUs, d.endUs, l.startUs, l.endUs) > 0));
  const pairs = matchGestures(scored, labels);
  const matchedDetections = new Set(pairs.map(([, di]) => di));
  const unmatched = scored.filter((_, di) => !matchedDetections.has(di));
  const inLabel = (t: number) => allLabels.some((l) => t >= l.startUs && t < l.endUs);
  const idleFalse = unmatched.filter((d) => !inLabel(d.decidedUs)).length;
  const idleUs = span.endUs - span.startUs - coveredUs(allLabels, span.startUs, span.endUs);

  const ids = [...new Set([...labels.map((l) => l.classId), ...scored.map((d) => d.classId)])].sort((a, b) => a - b);
  const classes = ids.map((classId) =>
    classScore(classId, classNames, labels.filter((l) => l.classId === classId).length, scored.filter((d) => d.classId === classId).length, pairs.filter(([li]) => labels[li]!.classId === classId).length),
  );
  const signedS = pairs.map(([li, di]) => (scored[di]!.decidedUs - labels[li]!.startUs) / 1e6);
  const latenciesS = signedS.map((v) => Math.max(0, v));
  const idleMinutes = idleUs / 60e6;
  return {
    span,
    classes,
    macroF1: mean(classes.map((c) => c.f1)),
    labels: labels.length,
    detections: scored.length,
    matched: pairs.length,
    falseDetections: unmatched.length,
    idleFalseDetections: idleFalse,
    idleMinutes,
    falsePerIdleMinute: idleMinutes > 0 ? idleFalse / idleMinutes : Number.NaN,
    latenciesS,
    anticipated: signedS.filter((v) => v < 0).length,
    medianLatencyS: quantile(latenciesS, 0.5),
    p90LatencyS: quantile(latenciesS, 0.9),
    partialLabels: partial.length,
  };
}

function classScore(classId: number, classNames: readonly string[], labels: number, detections: number, matched: number): ClassScore {
  const precision = detections ? matched / detections : 0;
  const recall = labels ? matched / labels : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { classId, label: classNames[classId] ?? String(classId), labels, detections, matched, precision, recall, f1 };
}

/**
 * Scores of parts scored apart (a run's epochs of event time, several recordings) as one: counts
 * summed per class and overall, idle time summed, latencies pooled. The span is the parts'
 * lengths laid end to end from 0 (their time bases differ).
 */
export function mergeScores(scores: readonly GestureScore[], classNames: readonly string[]): GestureScore {
  const byClass = new Map<number, { labels: number; detections: number; matched: number }>();
  for (const s of scores) {
    for (const c of s.classes) {
      const t = byClass.get(c.classId) ?? { labels: 0, detections: 0, matched: 0 };
      t.labels += c.labels;
      t.detections += c.detections;
      t.matched += c.matched;
      byClass.set(c.classId, t);
    }
  }
  const classes = [...byClass.entries()].sort(([a], [b]) => a - b).map(([id, c]) => classScore(id, classNames, c.labels, c.detections, c.matched));
  const sum = (f: (s: GestureScore) => number) => scores.reduce((a, s) => a + f(s), 0);
  const latenciesS = scores.flatMap((s) => s.latenciesS);
  const idleMinutes = sum((s) => s.idleMinutes);
  const idleFalseDetections = sum((s) => s.idleFalseDetections);
  return {
    span: { startUs: 0, endUs: sum((s) => s.span.endUs - s.span.startUs) },
    classes,
    macroF1: mean(classes.map((c) => c.f1)),
    labels: sum((s) => s.labels),
    detections: sum((s) => s.detections),
    matched: sum((s) => s.matched),
    falseDetections: sum((s) => s.falseDetections),
    idleFalseDetections,
    idleMinutes,
    falsePerIdleMinute: idleMinutes > 0 ? idleFalseDetections / idleMinutes : Number.NaN,
    latenciesS,
    anticipated: sum((s) => s.anticipated),
    medianLatencyS: quantile(latenciesS, 0.5),
    p90LatencyS: quantile(latenciesS, 0.9),
    partialLabels: sum((s) => s.partialLabels),
  };
}

const pct = (v: number) => (Number.isNaN(v) ? '-' : `${(100 * v).toFixed(1)} %`);
const sec = (v: number) => (Number.isNaN(v) ? '-' : `${v.toFixed(2)} s`);

/** The score as a plain-text report (per-class table, then the run's figures). */
export function formatGestureScore(s: GestureScore): string {
  const width = Math.max(5, ...s.classes.map((c) => c.label.length));
  const rows = s.classes.map(
    (c) => `${c.label.padEnd(width)}  ${String(c.labels).padStart(6)}  ${String(c.detections).padStart(10)}  ${String(c.matched).padStart(7)}  ${pct(c.precision).padStart(9)}  ${pct(c.recall).padStart(7)}  ${pct(c.f1).padStart(7)}`,
  );
  return [
    `${'class'.padEnd(width)}  labels  detections  matched  precision   recall       F1`,
    ...rows,
    '',
    `macro F1                   ${pct(s.macroF1)} over ${s.classes.length} classes`,
    `gestures                   ${s.matched} of ${s.labels} labels detected, ${s.detections} detections` + (s.partialLabels ? ` (${s.partialLabels} labels cut by the run's ends left out)` : ''),
    `false detections           ${s.falseDetections} (${s.idleFalseDetections} decided in idle time)`,
    `idle time                  ${s.idleMinutes.toFixed(2)} min of ${((s.span.endUs - s.span.startUs) / 60e6).toFixed(2)} min`,
    `false detections per idle minute  ${Number.isNaN(s.falsePerIdleMinute) ? '-' : s.falsePerIdleMinute.toFixed(2)}`,
    `latency gesture start -> correct detection  median ${sec(s.medianLatencyS)}, p90 ${sec(s.p90LatencyS)}` + (s.anticipated ? ` (${s.anticipated} decided before the gesture began, counted as 0)` : ''),
    '',
  ].join('\n');
}
