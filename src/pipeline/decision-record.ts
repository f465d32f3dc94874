/**
 * Reading what `spikeline score` scores: a run's JSONL messages (predictions and/or gesture
 * messages, as the JSONL sink writes them) and the ground truth, from a DVS128 Gesture labels
 * CSV, from `spikeline camera-sim`'s stdout (one JSON line per gesture), or from the `truth`
 * riding on the predictions (dataset replays with labels, the built-in simulator source).
 */
import { from } from 'rxjs';
import { DVS_GESTURE_CLASSES, parseGestureLabels } from '../formats/index.js';
import type { GestureMessage, PredictionMessage } from '../sinks/messages.js';
import { mergeScores, scoreGestures, type DetectedGesture, type GestureScore, type LabelledGesture } from './decision-score.js';
import type { DecisionOptions } from './decision.js';
import { decideGestures } from './decision-operator.js';

export interface RunRecord {
  predictions: PredictionMessage[];
  detections: DetectedGesture[];
  /** Class names by id, from the messages (the DVS128 Gesture names where none was seen). */
  classNames: string[];
  /** Event time the run covers: first prediction's window start to last prediction's end (or the gesture messages' extent). */
  span: { startUs: number; endUs: number };
  /**
   * The run cut where its predictions' event time went back (a camera restarted): one record
   * per epoch, each on its own time base (one, the whole run, when time never went back).
   */
  epochs: EpochRecord[];
}

/** One epoch of a run's event time. */
export type EpochRecord = Omit<RunRecord, 'epochs'>;

/**
 * The span to score a run over. Predictions mark where the run started and ended; a run recorded
 * with gesture messages only does not say, and the extent of its detections would leave out
 * every gesture missed before the first detection or after the last (recall flattered). Such a
 * run is scored over its labels' extent as well, so a gesture it never detected counts as missed.
 */
export function scoredSpan(run: EpochRecord, labels: readonly LabelledGesture[]): { startUs: number; endUs: number } {
  if (run.predictions.length > 0) return run.span;
  let { startUs, endUs } = run.span;
  for (const l of labels) {
    startUs = Math.min(startUs, l.startUs);
    endUs = Math.max(endUs, l.endUs);
  }
  return { startUs, endUs };
}

/** The messages of one epoch of event time. */
class EpochRecorder {
  readonly predictions: PredictionMessage[] = [];
  readonly detections: DetectedGesture[] = [];
  lastUs = -Infinity;

  record(classNames: readonly string[]): EpochRecord {
    const { predictions, lastUs } = this;
    const detections = this.detections.map((d) => (Number.isNaN(d.endUs) ? { ...d, endUs: Math.max(d.decidedUs, lastUs) } : d));
    // A loop, not Math.min(...): hours of predictions exceed the argument limit.
    let first = Infinity;
    for (const p of predictions) first = Math.min(first, p.window.startUs);
    if (predictions.length === 0) for (const d of detections) first = Math.min(first, d.startUs);
    return { predictions, detections, classNames: [...classNames], span: { startUs: first, endUs: lastUs } };
  }
}

/**
 * Collects a run's messages into a RunRecord: gesture starts pair with the next end of the same
 * id; a gesture still open at the end lasts to the end of its epoch. A prediction ending before the
 * previous one starts a new epoch (the pipeline resets the model and ends open gestures then, so
 * an end may arrive after it: it joins its start's epoch). Other message types are ignored.
 */
export class RunRecorder {
  private readonly epochs: EpochRecorder[] = [new EpochRecorder()];
  private readonly open = new Map<number, { d: DetectedGesture; epoch: EpochRecorder }>();
  private readonly names = [...DVS_GESTURE_CLASSES];
  private lastPredictionUs = -Infinity;

  private get current(): EpochRecorder {
    return this.epochs[this.epochs.length - 1]!;
  }

  /** Adds one message; `where` names it in errors (e.g. `run.jsonl:12`). */
  add(m: { type?: unknown }, where: string): void {
    if (m.type === 'prediction') {
      const p = m as PredictionMessage;
      if (typeof p.window?.endUs !== 'number' || !Array.isArray(p.probabilities)) throw new Error(`${where}: prediction without window.endUs or probabilities`);
      if (p.window.endUs < this.lastPredictionUs) this.epochs.push(new EpochRecorder());
      this.lastPredictionUs = p.window.endUs;
      const e = this.current;
      e.predictions.push(p);
      this.names[p.classId] = p.label;
      e.lastUs = Math.max(e.lastUs, p.window.endUs);
    } else if (m.type === 'gesture') {
      const g = m as GestureMessage;
      if (!Number.isInteger(g.id) || !Number.isInteger(g.classId) || typeof g.startUs !== 'number') throw new Error(`${where}: gesture message without id, classId or startUs`);
      this.names[g.classId] = g.label;
      if (g.phase === 'start') {
        const d = { id: g.id, classId: g.classId, startUs: g.startUs, decidedUs: g.decidedUs, endUs: Number.NaN };
        const e = this.current;
        e.detections.push(d);
        this.open.set(g.id, { d, epoch: e });
        e.lastUs = Math.max(e.lastUs, g.decidedUs);
      } else if (g.phase === 'end') {
        const o = this.open.get(g.id);
        if (!o) throw new Error(`${where}: end of gesture ${g.id} without its start`);
        o.d.endUs = g.endUs;
        this.open.delete(g.id);
        o.epoch.lastUs = Math.max(o.epoch.lastUs, g.endUs);
      } else throw new Error(`${where}: gesture phase must be "start" or "end", got ${JSON.stringify((g as { phase?: unknown }).phase)}`);
    }
  }

  record(): RunRecord {
    const epochs = this.epochs.map((e) => e.record(this.names));
    if (epochs.length === 1) return { ...epochs[0]!, epochs };
    // The whole run: every message, its span from the earliest start to the latest end seen.
    return {
      predictions: epochs.flatMap((p) => p.predictions),
      detections: epochs.flatMap((p) => p.detections),
      classNames: [...this.names],
      span: { startUs: Math.min(...epochs.map((p) => p.span.startUs)), endUs: Math.max(...epochs.map((p) => p.span.endUs)) },
      epochs,
    };
  }
}

/** Parses a run's JSONL (what the JSONL sink writes); `file` names it in errors. */
export function readRunRecord(text: string, file: string): RunRecord {
  const recorder = new RunRecorder();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let m: { type?: unknown };
    try {
      m = JSON.parse(line) as { type?: unknown };
    } catch (err) {
      throw new Error(`${file}:${i + 1}: not JSON (${(err as Error).message})`);
    }
    recorder.add(m, `${file}:${i + 1}`);
  });
  return recorder.record();
}

/** Labels from a DVS128 Gesture CSV (`class,startTime_usec,endTime_usec`, classes from 1). */
export function labelsFromCsv(text: string, file: string): LabelledGesture[] {
  return parseGestureLabels(text, file)
    .filter((l) => isGestureClass(l.classId))
    .map((l) => ({ classId: l.classId, startUs: l.start, endUs: l.end }));
}

/**
 * The 11 DVS128 Gesture classes are gestures; anything else a synthetic layout labels (a
 * "no gesture" background class) is idle time to the score.
 */
const isGestureClass = (classId: number): boolean => classId >= 0 && classId < DVS_GESTURE_CLASSES.length;
const BACKGROUND = /^background$/i;

/** Labels from `spikeline camera-sim` stdout: `{"label": 0-based class, "start_us", "end_us", …}` per line. */
export function labelsFromCameraSim(text: string, file: string): LabelledGesture[] {
  const out: LabelledGesture[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let g: { label?: unknown; start_us?: unknown; end_us?: unknown };
    try {
      g = JSON.parse(line) as typeof g;
    } catch (err) {
      throw new Error(`${file}:${i + 1}: not JSON (${(err as Error).message})`);
    }
    if (!Number.isInteger(g.label) || typeof g.start_us !== 'number' || typeof g.end_us !== 'number') {
      throw new Error(`${file}:${i + 1}: expected {"label": class, "start_us": …, "end_us": …} as camera-sim prints`);
    }
    if (isGestureClass(g.label as number)) out.push({ classId: g.label as number, startUs: g.start_us, endUs: g.end_us });
  });
  return out;
}

/**
 * Labels from the predictions' `truth`: each run of consecutive predictions with the same truth
 * is one gesture, from the end of the prediction before it to the end of its last one (so the
 * spans are exact to one prediction interval). A truth of "background" is idle time. Event time
 * going back (a restarted camera) starts a new epoch, as in the decision stage: no label spans it.
 */
export function labelsFromTruth(predictions: readonly PredictionMessage[], classNames: readonly string[]): LabelledGesture[] {
  const out: LabelledGesture[] = [];
  let current: LabelledGesture | undefined;
  let prevEnd = Number.NaN;
  for (const p of predictions) {
    if (p.window.endUs < prevEnd) {
      current = undefined;
      prevEnd = Number.NaN;
    }
    const idle = p.truth === undefined || BACKGROUND.test(p.truth);
    const classId = idle ? -1 : classNames.indexOf(p.truth!);
    if (!idle && classId < 0) throw new Error(`prediction at ${p.window.endUs} µs: truth "${p.truth}" is not a known class`);
    if (current && current.classId === classId) current.endUs = p.window.endUs;
    else {
      current = classId >= 0 ? { classId, startUs: Number.isNaN(prevEnd) ? p.window.startUs : prevEnd, endUs: p.window.endUs } : undefined;
      if (current) out.push(current);
    }
    prevEnd = p.window.endUs;
  }
  return out;
}

/**
 * Scores a run: epoch by epoch (their time bases differ), merged into one score. Labels from a
 * file have one time base, so they are refused for a run whose event time went back; without
 * them each epoch is scored against the truth riding on its predictions. `detect` gives an
 * epoch's detections (default: its recorded gesture messages; `redecide` to re-tune).
 */
export function scoreRun(run: RunRecord, fileLabels?: readonly LabelledGesture[], detect: (e: EpochRecord) => DetectedGesture[] = (e) => e.detections): GestureScore {
  if (fileLabels && run.epochs.length > 1) {
    throw new Error(`event time went back ${run.epochs.length - 1} time(s) in this run (a camera restarted?): labels from a file have one time base, so score each part of the run on its own`);
  }
  const scores = run.epochs.map((e) => {
    const labels = fileLabels ?? labelsFromTruth(e.predictions, e.classNames);
    return scoreGestures(detect(e), labels, scoredSpan(e, labels), e.classNames);
  });
  return scores.length === 1 ? scores[0]! : mergeScores(scores, run.classNames);
}

/** Runs the decision stage again over recorded predictions (e.g. to try other settings offline). */
export function redecide(predictions: readonly PredictionMessage[], options: DecisionOptions): DetectedGesture[] {
  const classes = predictions[0]?.probabilities.length ?? 0;
  const out: DetectedGesture[] = [];
  const open = new Map<number, DetectedGesture>();
  from(predictions.map((p) => ({ endUs: p.window.endUs, probabilities: p.probabilities })))
    .pipe(decideGestures(classes, options))
    .subscribe((t) => {
      if (t.phase === 'start') {
        const d = { id: t.id, classId: t.classId, startUs: t.startUs, decidedUs: t.decidedUs, endUs: Number.NaN };
        out.push(d);
        open.set(t.id, d);
      } else open.get(t.id)!.endUs = t.endUs;
    });
  return out;
}
