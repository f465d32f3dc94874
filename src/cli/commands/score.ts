import { readFileSync } from 'node:fs';
import { numberOption, parseCommandArgs, UsageError, type Command } from '../command.js';
import { DECISION_DEFAULTS } from '../../pipeline/config.js';
import { decisionOptions } from '../../pipeline/decision-stage.js';
import { labelsFromCameraSim, labelsFromCsv, labelsFromTruth, readRunRecord, redecide, scoreRun, type EpochRecord } from '../../pipeline/decision-record.js';
import { formatGestureScore, type DetectedGesture } from '../../pipeline/decision-score.js';

const usage = `usage: spikeline score RUN.jsonl [--labels LABELS] [--decide [decision options]] [--json]

Scores the gesture detections of a run (the "gesture" messages a pipeline's JSONL sink wrote)
against labelled gestures: per-class precision, recall and F1, macro F1, false detections per
minute of idle time (time no label covers) and the latency from a gesture's start to its first
correct detection (median, p90). A detection counts when its class matches and its span
overlaps the label by at least half of the shorter one; one detection per label.

  --labels FILE   DVS128 Gesture labels CSV (class,startTime_usec,endTime_usec) or the JSON
                  lines \`spikeline camera-sim\` prints; default: the "truth" of the predictions
                  (replays with labels, the simulator source)
  --decide        run the decision stage again over the recorded predictions (needs
                  "prediction" messages in the file) instead of scoring its gesture messages,
                  with these settings (defaults: the decision stage's, as in a pipeline
                  config without a decision block; a run's own block is not read):
    --smoothing-ms MS  --on P  --off P  --min-duration-ms MS  --confirm-ms MS  --background LABEL
    --class-on LABEL=P[,LABEL=P…]   onThreshold of particular classes
  --json          print the figures as JSON`;

/** `LABEL=P[,LABEL=P…]` as a threshold per label. */
function classOnOption(text: string): Record<string, number> {
  return Object.fromEntries(
    text.split(',').map((pair) => {
      const [label, p] = pair.split('=');
      if (!label || p === undefined) throw new UsageError(`--class-on: expected LABEL=P[,LABEL=P…], got "${text}"`);
      return [label.trim(), numberOption('class-on', p.trim(), { min: 0, max: 1 })!];
    }),
  );
}

export const scoreCommand: Command = {
  name: 'score',
  summary: 'score the gesture detections of a run against labels (F1, false alarms per idle minute, latency)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        labels: { type: 'string' },
        decide: { type: 'boolean' },
        'smoothing-ms': { type: 'string' },
        on: { type: 'string' },
        off: { type: 'string' },
        'min-duration-ms': { type: 'string' },
        'confirm-ms': { type: 'string' },
        'class-on': { type: 'string' },
        background: { type: 'string' },
        json: { type: 'boolean' },
      },
      1,
    );
    if (positionals.length > 1) throw new UsageError(`expected one RUN.jsonl, got ${positionals.length}`);
    const tuned = ['smoothing-ms', 'on', 'off', 'min-duration-ms', 'confirm-ms', 'class-on', 'background'].filter((k) => values[k as keyof typeof values] !== undefined);
    if (tuned.length && !values.decide) throw new UsageError(`--${tuned[0]} only applies with --decide`);
    // Options are checked before the (possibly large) run file is read.
    const tuning = {
      smoothingMs: numberOption('smoothing-ms', values['smoothing-ms'], { min: 0 }, DECISION_DEFAULTS.smoothingMs),
      onThreshold: numberOption('on', values.on, { min: 0, max: 1 }, DECISION_DEFAULTS.onThreshold),
      offThreshold: numberOption('off', values.off, { min: 0, max: 1 }, DECISION_DEFAULTS.offThreshold),
      minDurationMs: numberOption('min-duration-ms', values['min-duration-ms'], { min: 0 }, DECISION_DEFAULTS.minDurationMs),
      confirmMs: numberOption('confirm-ms', values['confirm-ms'], { min: 0 }, DECISION_DEFAULTS.confirmMs),
      classOnThreshold: values['class-on'] === undefined ? undefined : classOnOption(values['class-on']),
    };
    const file = positionals[0]!;
    const record = readRunRecord(readFileSync(file, 'utf8'), file);
    let detect: ((e: EpochRecord) => DetectedGesture[]) | undefined;
    if (values.decide) {
      if (record.predictions.length === 0) throw new UsageError(`--decide: ${file} holds no prediction messages`);
      const options = decisionOptions({ ...tuning, background: values.background }, record.classNames);
      detect = (e) => redecide(e.predictions, options);
    } else if (record.detections.length === 0 && record.predictions.length > 0) {
      process.stderr.write(`spikeline score: ${file} holds predictions but no gesture messages (add "gesture" to the sink's types, or use --decide)\n`);
    }
    const labelsFile = values.labels;
    const labels = labelsFile
      ? labelsFile.endsWith('.csv')
        ? labelsFromCsv(readFileSync(labelsFile, 'utf8'), labelsFile)
        : labelsFromCameraSim(readFileSync(labelsFile, 'utf8'), labelsFile)
      : labelsFromTruth(record.predictions, record.classNames);
    if (labels.length === 0) throw new UsageError(labelsFile ? `${labelsFile} holds no labels` : `${file}: no --labels given and no prediction carries a "truth"`);
    if (record.predictions.length === 0) {
      process.stderr.write(`spikeline score: ${file} holds no prediction messages, so it does not say where the run began and ended: scoring over the labels' extent (a gesture labelled after the run stopped counts as missed)\n`);
    }
    let score;
    try {
      score = scoreRun(record, labelsFile ? labels : undefined, detect);
    } catch (err) {
      throw new UsageError(`${file}: ${(err as Error).message}`);
    }
    process.stdout.write(values.json ? `${JSON.stringify(score)}\n` : formatGestureScore(score));
    return 0;
  },
};
