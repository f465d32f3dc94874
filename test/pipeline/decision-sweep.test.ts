import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseSetting, gridSettings, paretoFront, parseDecisionGrid, scoreSetting, DEFAULT_GRID, type SweepPoint, type SweepRun } from '../../src/pipeline/decision-sweep.js';
import type { PredictionMessage } from '../../src/sinks/messages.js';
import { cliArgs } from '../support/process.js';

const names = ['hand_clapping', 'right_hand_wave', 'left_hand_wave'];
const MS = 1000;

/**
 * 10 s of predictions every 100 ms, 3 classes. Labelled: class 0 over 1-3 s, class 1 over 5-7 s;
 * the classifier is sure (0.95) of each from 0.5 s after its start to its end. Idle (6 s = 0.1
 * min): no class above 0.34, except a 200 ms burst of class 2 at 0.9 over 8.0-8.2 s.
 */
function handMadeRun(): { predictions: PredictionMessage[]; labels: { classId: number; startUs: number; endUs: number }[] } {
  const predictions: PredictionMessage[] = [];
  for (let k = 1; k <= 100; k++) {
    const endMs = k * 100;
    let p = [0.34, 0.33, 0.33];
    if (endMs > 1500 && endMs <= 3000) p = [0.95, 0.03, 0.02];
    if (endMs > 5500 && endMs <= 7000) p = [0.03, 0.95, 0.02];
    if (endMs > 8000 && endMs <= 8200) p = [0.05, 0.05, 0.9];
    const top = p.indexOf(Math.max(...p));
    predictions.push({
      type: 'prediction', seq: k, time: 0, classId: top, label: names[top]!, confidence: p[top]!, probabilities: p,
      window: { startUs: (endMs - 100) * MS, endUs: endMs * MS }, steps: 1, events: 1, latencyMs: null, inferenceMs: 0,
    });
  }
  return { predictions, labels: [{ classId: 0, startUs: 1000 * MS, endUs: 3000 * MS }, { classId: 1, startUs: 5000 * MS, endUs: 7000 * MS }] };
}

const sweepRun = (): SweepRun => ({ ...handMadeRun(), span: { startUs: 0, endUs: 10_000 * MS }, classNames: names });

test('grid spec: lists and inclusive ranges over the default grid; bad keys and values are named', () => {
  const g = parseDecisionGrid('on=0.5:0.9:0.1; confirm-ms=0,250');
  assert.deepEqual(g.onThreshold, [0.5, 0.6, 0.7, 0.8, 0.9]);
  assert.deepEqual(g.confirmMs, [0, 250]);
  assert.deepEqual(g.smoothingMs, DEFAULT_GRID.smoothingMs);
  assert.equal(gridSettings(parseDecisionGrid('smoothing-ms=0;on=0.7;off-gap=0.2,0.8;min-duration-ms=0;confirm-ms=0'), names).map((o) => o.offThreshold).join(), '0.5,0');
  // Per-class thresholds by label (0 = none; below offThreshold: skipped); a background class is found as the pipeline finds it.
  const perClass = gridSettings(parseDecisionGrid('smoothing-ms=0;on=0.7;min-duration-ms=0;confirm-ms=0;class-on.left_hand_wave=0,0.3,0.9'), [...names, 'background']);
  assert.deepEqual(perClass.map((o) => [o.classOnThreshold, o.backgroundClass]), [[undefined, 3], [{ 2: 0.9 }, 3]]);
  assert.throws(() => gridSettings(parseDecisionGrid('class-on.waving=0.9'), names), /decision\.classOnThreshold\.waving: the model has no class "waving"/);
  assert.throws(() => parseDecisionGrid('speed=1'), /grid: "speed=1" is not key=values with key one of smoothing-ms, on, off-gap/);
  assert.throws(() => parseDecisionGrid('on=0.5,1.5'), /grid: on=0.5,1.5: value "1.5" is out of range/);
});

test('sweep over a hand-made stream: the confirm time that rejects a 200 ms burst without missing the latency target is chosen', () => {
  const run = sweepRun();
  const settings = gridSettings(parseDecisionGrid('smoothing-ms=0;on=0.8;off-gap=0.2;min-duration-ms=0;confirm-ms=0,300,1000'), names);
  const points: SweepPoint[] = settings.map((options) => ({ options, sets: { tune: scoreSetting([run], options) } }));
  const [c0, c300, c1000] = points.map((p) => p.sets.tune!);
  // confirm 0: both gestures at the first sure step (1.6 s, 5.6 s: 0.6 s late) and the burst
  // at 8.1 s: 1 false detection in 0.1 idle minutes. Class 2 has a detection and no label: F1 0.
  assert.equal(c0!.idleFalseDetections, 1);
  assert.ok(Math.abs(c0!.falsePerIdleMinute - 10) < 1e-9);
  assert.ok(Math.abs(c0!.medianLatencyS - 0.6) < 1e-9);
  assert.ok(Math.abs(c0!.macroF1 - 2 / 3) < 1e-9);
  // confirm 300 ms: decided at 1.8 s and 5.8 s, the burst (200 ms sure) rejected: every target met.
  assert.deepEqual([c300!.macroF1, c300!.falsePerIdleMinute, c300!.idleFalseDetections], [1, 0, 0]);
  assert.ok(Math.abs(c300!.medianLatencyS - 0.8) < 1e-9 && Math.abs(c300!.p90LatencyS - 0.8) < 1e-9);
  // confirm 1 s: as clean, but 1.5 s late.
  assert.ok(Math.abs(c1000!.medianLatencyS - 1.5) < 1e-9);
  assert.equal(chooseSetting(points, ['tune'])!.options.confirmMs, 300);
  // The trade-off front: confirm 0 is fastest, confirm 300 has no false alarm sooner than 1000.
  assert.deepEqual(paretoFront(points.map((p) => ({ ...p.sets.tune!, c: p.options.confirmMs }))).map((q) => q.c), [0, 300]);
});

test('a per-class onThreshold above the burst\'s confidence rejects it with no confirmation delay, and is preferred for being faster', () => {
  const run = sweepRun();
  const settings = gridSettings(parseDecisionGrid('smoothing-ms=0;on=0.8;min-duration-ms=0;confirm-ms=0,300;class-on.left_hand_wave=0,0.92'), names);
  const points: SweepPoint[] = settings.map((options) => ({ options, sets: { tune: scoreSetting([run], options) } }));
  const chosen = chooseSetting(points, ['tune'])!;
  assert.deepEqual([chosen.options.confirmMs, chosen.options.classOnThreshold], [0, { 2: 0.92 }]);
  // Gestures at their first sure step (0.6 s late), the 0.9 burst of class 2 below its 0.92.
  assert.deepEqual([chosen.sets.tune!.macroF1, chosen.sets.tune!.idleFalseDetections], [1, 0]);
  assert.ok(Math.abs(chosen.sets.tune!.medianLatencyS - 0.6) < 1e-9);
});

test('a setting is chosen on the tune sets only', () => {
  const good = { macroF1: 1, precision: 1, recall: 1, labels: 2, detections: 2, idleFalseDetections: 0, idleMinutes: 1, falsePerIdleMinute: 0, medianLatencyS: 0.5, p90LatencyS: 0.5 };
  const bad = { ...good, idleFalseDetections: 5, falsePerIdleMinute: 5 };
  const a: SweepPoint = { options: { smoothingMs: 0, onThreshold: 0.5, offThreshold: 0.3, minDurationMs: 0 }, sets: { tune: good, held: bad } };
  const b: SweepPoint = { options: { smoothingMs: 300, onThreshold: 0.5, offThreshold: 0.3, minDurationMs: 0 }, sets: { tune: bad, held: good } };
  assert.equal(chooseSetting([a, b], ['tune']), a);
  assert.equal(chooseSetting([a, b], ['held']), b);
});

test('spikeline experiment decision --tune over recorded JSONL: recommends the setting that meets the targets, writes the report and the plot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-decision-sweep-'));
  const { predictions, labels } = handMadeRun();
  writeFileSync(join(dir, 'run.jsonl'), predictions.map((p) => JSON.stringify(p)).join('\n') + '\n');
  writeFileSync(join(dir, 'labels.csv'), 'class,startTime_usec,endTime_usec\n' + labels.map((l) => `${l.classId + 1},${l.startUs},${l.endUs}`).join('\n') + '\n');
  const r = spawnSync(
    process.execPath,
    cliArgs('experiment', 'decision', '--tune', `line=${join(dir, 'run.jsonl')}:${join(dir, 'labels.csv')}`, '--grid', 'smoothing-ms=0,300;on=0.8;min-duration-ms=0;confirm-ms=0,300,1000', '--out', dir, '--svg', join(dir, 'plot.svg')),
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\*\*Recommended \(recorded mode\):\*\* `decision: \{smoothingMs: 0, onThreshold: 0\.8, offThreshold: 0\.6, minDurationMs: 0, confirmMs: 300\}`/);
  assert.match(r.stdout, /\| line \(tune\) \| recorded \| chosen: .* \| 1\.000 \| 1\.000 \| 1\.000 \| 0\.00 \(0 in 0\.10 min\) \| 0\.80 s \| 0\.80 s \| 4\/4 \|/);
  assert.equal(readFileSync(join(dir, 'recorded', 'results.md'), 'utf8'), r.stdout);
  const svg = readFileSync(join(dir, 'plot.svg'), 'utf8');
  assert.match(svg, /^<svg /);
  assert.match(svg, /confirmMs 300: F1 1\.000/);
});

test('grid spec: a range keeps the decimals of its start, and an empty list item is an error, not a 0', () => {
  // 0.55, 0.65, … by hand: rounding to the step's one decimal would give 0.6, 0.7, 0.8, 0.9, 1.
  assert.deepEqual(parseDecisionGrid('on=0.55:0.95:0.1').onThreshold, [0.55, 0.65, 0.75, 0.85, 0.95]);
  assert.deepEqual(parseDecisionGrid('min-duration-ms=50:250:100').minDurationMs, [50, 150, 250]);
  // A trailing comma must not add a smoothing of 0 ms nobody asked for.
  assert.throws(() => parseDecisionGrid('smoothing-ms=0,300,'), /grid: smoothing-ms=0,300,: value "" is out of range/);
});
