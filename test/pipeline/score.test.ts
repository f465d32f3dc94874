import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelsFromCameraSim, labelsFromTruth, readRunRecord } from '../../src/pipeline/decision-record.js';
import { formatGestureScore, quantile, scoreGestures } from '../../src/pipeline/decision-score.js';
import type { PredictionMessage } from '../../src/sinks/messages.js';
import { cliArgs } from '../support/process.js';

const S = 1_000_000;
const names = ['hand_clapping', 'right_hand_wave', 'left_hand_wave'];
const prediction = (startUs: number, endUs: number, truth?: string): PredictionMessage => ({
  type: 'prediction', seq: 0, time: 0, classId: 0, label: names[0]!, confidence: 0.5, probabilities: [0.5, 0.25, 0.25],
  window: { startUs, endUs }, steps: 1, events: 1, latencyMs: null, inferenceMs: 0, ...(truth ? { truth } : {}),
});
const start = (id: number, classId: number, s: number, decided: number) => ({ type: 'gesture', phase: 'start', id, classId, label: names[classId], startUs: s * S, decidedUs: decided * S, confidence: 0.9, time: 0 });
const end = (id: number, classId: number, s: number, e: number) => ({ type: 'gesture', phase: 'end', id, classId, label: names[classId], startUs: s * S, endUs: e * S, confidence: 0.8, time: 0 });

/** A hand-built run: 60 s of predictions, 7 detections, 4 labelled gestures (24 s labelled, 36 s idle). */
function writeRun(): { run: string; labels: string } {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-score-'));
  const lines = [
    prediction(0, 0.1 * S),
    start(1, 0, 11, 11.5), end(1, 0, 11, 15), // L1 matched, latency 1.5 s
    start(2, 0, 15.5, 15.8), end(2, 0, 15.5, 17), // overlaps L1 0.5 s < half of 1.5 s: false, decided inside L1
    start(3, 2, 21, 22), end(3, 2, 21, 25.5), // L2 matched, latency 2 s
    start(4, 1, 31, 32), end(4, 1, 31, 35), // wrong class during L3: false, not idle
    start(5, 2, 34, 34.5), end(5, 2, 34, 36), // L3: overlap 2 s = half of... the shorter (2 s) -> matched, latency 4.5 s
    start(6, 1, 50, 50.5), end(6, 1, 50, 52), // idle false detection
    start(7, 0, 58, 59), // no end: lasts to the end of the run (60 s); idle false detection
    prediction(59.9 * S, 60 * S),
  ];
  const run = join(dir, 'run.jsonl');
  writeFileSync(run, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const labels = join(dir, 'labels.csv');
  // L1 class 0 [10, 16) s, L2 and L3 class 2, L4 class 1 (missed).
  writeFileSync(labels, 'class,startTime_usec,endTime_usec\n1,10000000,16000000\n3,20000000,26000000\n3,30000000,36000000\n2,40000000,46000000\n');
  return { run, labels };
}

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, cliArgs('score', ...args), { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('spikeline score: per-class precision/recall/F1, macro F1, false detections per idle minute and latency, hand-computed', () => {
  const { run, labels } = writeRun();
  const r = cli(run, '--labels', labels, '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.deepEqual(
    s.classes.map((c: { classId: number; labels: number; detections: number; matched: number }) => [c.classId, c.labels, c.detections, c.matched]),
    [[0, 1, 3, 1], [1, 1, 2, 0], [2, 2, 2, 2]],
  );
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} != ${b}`);
  // class 0: P 1/3, R 1, F1 0.5; class 1: 0; class 2: 1 -> macro 0.5
  close(s.classes[0].precision, 1 / 3, 'precision 0');
  close(s.classes[0].f1, 0.5, 'F1 0');
  close(s.macroF1, 0.5, 'macro F1');
  assert.equal(s.falseDetections, 4);
  assert.equal(s.idleFalseDetections, 2);
  close(s.idleMinutes, 0.6, 'idle minutes (60 s - 24 s labelled)');
  close(s.falsePerIdleMinute, 2 / 0.6, 'false per idle minute');
  assert.deepEqual(s.latenciesS, [1.5, 2, 4.5]);
  close(s.medianLatencyS, 2, 'median latency');
  close(s.p90LatencyS, 4, 'p90 latency: 2 + 0.8 * (4.5 - 2)');

  const text = cli(run, '--labels', labels);
  assert.match(text.stdout, /macro F1\s+50\.0 % over 3 classes/);
  assert.match(text.stdout, /false detections per idle minute\s+3\.33/);
  assert.match(text.stdout, /median 2\.00 s, p90 4\.00 s/);
});

test('spikeline score names the bad line, the missing start and misplaced options', () => {
  const { run, labels } = writeRun();
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-score-bad-'));
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, `${JSON.stringify(prediction(0, 1))}\n{"type":"gesture",\n`);
  assert.match(cli(bad, '--labels', labels).stderr, /bad\.jsonl:2: not JSON/);
  writeFileSync(bad, `${JSON.stringify(end(9, 0, 1, 2))}\n`);
  assert.match(cli(bad, '--labels', labels).stderr, /bad\.jsonl:1: end of gesture 9 without its start/);
  const r = cli(run, '--labels', labels, '--on', '0.7');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--on only applies with --decide/);
});

test('spikeline score --decide reruns the decision stage over recorded predictions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-score-decide-'));
  const run = join(dir, 'run.jsonl');
  // 100 ms predictions over 10 s: class 1 sure from 2 s to 4 s, otherwise unsure.
  const lines: string[] = [];
  for (let k = 1; k <= 100; k++) {
    const sure = k > 20 && k <= 40;
    lines.push(JSON.stringify({ ...prediction((k - 1) * 100_000, k * 100_000), probabilities: sure ? [0.1, 0.8, 0.1] : [0.4, 0.3, 0.3] }));
  }
  writeFileSync(run, lines.join('\n') + '\n');
  const labels = join(dir, 'labels.csv');
  writeFileSync(labels, 'class,startTime_usec,endTime_usec\n2,2000000,4000000\n');
  // No smoothing, on 0.6, off 0.45, 300 ms lead: onset 2.0 s, decided at 2.3 s, ends at 4.0 s.
  const r = cli(run, '--labels', labels, '--decide', '--smoothing-ms', '0', '--on', '0.6', '--off', '0.45', '--min-duration-ms', '300', '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.matched, 1);
  assert.equal(s.detections, 1);
  assert.ok(Math.abs(s.latenciesS[0] - 0.3) < 1e-9);
  // The same with a confirm time of 500 ms: the lead is sure from 2.0 s, decided at 2.5 s.
  const confirmed = JSON.parse(cli(run, '--labels', labels, '--decide', '--smoothing-ms', '0', '--on', '0.6', '--off', '0.45', '--min-duration-ms', '0', '--confirm-ms', '500', '--json').stdout);
  assert.ok(Math.abs(confirmed.latenciesS[0] - 0.5) < 1e-9);
  // right_hand_wave (class 1, at 0.8) must reach 0.85 of its own: never announced.
  const perClass = JSON.parse(cli(run, '--labels', labels, '--decide', '--smoothing-ms', '0', '--on', '0.6', '--off', '0.45', '--class-on', 'right_hand_wave=0.85', '--json').stdout);
  assert.equal(perClass.detections, 0);
  const bad = cli(run, '--decide', '--class-on', 'waving=0.9');
  assert.match(bad.stderr, /decision\.classOnThreshold\.waving: the model has no class "waving"/);
});

test('ground truth from camera-sim lines and from the truth riding on predictions', () => {
  const sim = [
    '{"gesture":"left_hand_wave","class":3,"label":2,"user":1,"lighting":"led","start_us":100,"end_us":900}',
    '{"gesture":"hand_clapping","class":1,"label":0,"user":1,"lighting":"led","start_us":1000,"end_us":1500}',
    // a synthetic "no gesture" period (label 11: beyond the 11 gesture classes) is idle time, not a gesture to detect
    '{"gesture":"background","class":12,"label":11,"user":1,"lighting":"led","start_us":1500,"end_us":3000}',
  ].join('\n');
  assert.deepEqual(labelsFromCameraSim(sim, 'sim.jsonl'), [{ classId: 2, startUs: 100, endUs: 900 }, { classId: 0, startUs: 1000, endUs: 1500 }]);
  assert.throws(() => labelsFromCameraSim('{"start_us":1}', 'sim.jsonl'), /sim\.jsonl:1: expected \{"label"/);
  // Predictions every 100 µs; truth right_hand_wave for the ones ending at 300 and 400, then background (idle), then hand_clapping.
  const preds = [prediction(0, 100), prediction(0, 200), prediction(0, 300, 'right_hand_wave'), prediction(0, 400, 'right_hand_wave'), prediction(0, 500, 'background'), prediction(0, 600, 'hand_clapping')];
  assert.deepEqual(labelsFromTruth(preds, names), [{ classId: 1, startUs: 200, endUs: 400 }, { classId: 0, startUs: 500, endUs: 600 }]);
  const record = readRunRecord(preds.map((p) => JSON.stringify(p)).join('\n'), 'run.jsonl');
  assert.deepEqual(record.span, { startUs: 0, endUs: 600 });
});

test('quantile interpolates between ranks like numpy', () => {
  // numpy.quantile([1, 2, 3, 4], [0.5, 0.9]) = [2.5, 3.7]
  assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5);
  assert.ok(Math.abs(quantile([4, 1, 3, 2], 0.9) - 3.7) < 1e-12);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

test('a detection decided before its gesture began counts with latency 0 and is reported as anticipated', () => {
  const labels = [{ classId: 1, startUs: 2_000_000, endUs: 4_000_000 }, { classId: 2, startUs: 6_000_000, endUs: 8_000_000 }];
  const detections = [
    { id: 1, classId: 1, startUs: 1_500_000, decidedUs: 1_800_000, endUs: 3_900_000 }, // 0.2 s before the start
    { id: 2, classId: 2, startUs: 6_200_000, decidedUs: 7_000_000, endUs: 8_000_000 },
  ];
  const s = scoreGestures(detections, labels, { startUs: 0, endUs: 10_000_000 }, ['a', 'b', 'c']);
  assert.equal(s.matched, 2);
  assert.deepEqual(s.latenciesS, [0, 1]);
  assert.equal(s.anticipated, 1);
  assert.equal(s.medianLatencyS, 0.5);
  assert.match(formatGestureScore(s), /median 0\.50 s, p90 0\.90 s \(1 decided before the gesture began, counted as 0\)/);
});

test('truth labels never span a time reset (a restarted camera): each epoch has its own, none ends before it starts', () => {
  const preds = [
    prediction(0, 100), prediction(100, 200, 'right_hand_wave'), prediction(200, 300, 'right_hand_wave'),
    // event time went back: the gesture performed after the restart is another one, from its own first prediction
    prediction(0, 100, 'right_hand_wave'), prediction(100, 200),
    prediction(200, 300), prediction(300, 400),
    // back again, with the truth on from the first prediction of the epoch
    prediction(50, 100, 'hand_clapping'), prediction(100, 150, 'hand_clapping'),
  ];
  assert.deepEqual(labelsFromTruth(preds, names), [
    { classId: 1, startUs: 100, endUs: 300 },
    { classId: 1, startUs: 0, endUs: 100 },
    { classId: 0, startUs: 50, endUs: 150 },
  ]);
});

test('a run with gesture messages only is scored over its labels too: a gesture missed before the first detection or after the last counts as missed', () => {
  const { run, labels } = writeRun();
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-score-'));
  const gesturesOnly = join(dir, 'gestures.jsonl');
  // Detections 1-3 of the hand-built run (the last one ends at 25.5 s); labels L3 [30, 36) and L4 [40, 46) s lie after it.
  const lines = readFileSync(run, 'utf8').split('\n').filter((l) => l.includes('"gesture"') && /"id":[123],/.test(l));
  writeFileSync(gesturesOnly, lines.join('\n') + '\n');
  const r = cli(gesturesOnly, '--labels', labels, '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /no prediction messages.*labels' extent/);
  const s = JSON.parse(r.stdout);
  assert.deepEqual(s.span, { startUs: 10 * S, endUs: 46 * S });
  assert.equal(s.partialLabels, 0);
  assert.equal(s.labels, 4, 'every label is scored');
  assert.equal(s.matched, 2, 'L1 and L2 detected; L3 and L4 missed');
});

test('a run whose event time went back is scored epoch by epoch: a false alarm after the restart is not hidden by a gesture before it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-score-'));
  const lines: unknown[] = [];
  // Epoch 1: 10 s, a hand clap labelled (truth) from 2 to 6 s and detected.
  for (let k = 0; k < 10; k++) lines.push(prediction(k * S, (k + 1) * S, k >= 2 && k <= 5 ? names[0] : undefined));
  lines.push(start(1, 0, 2.5, 3), end(1, 0, 2.5, 6));
  // The camera restarts: epoch 2 counts from 0 again, nobody gestures, a clap is detected at the
  // times the first one was.
  for (let k = 0; k < 10; k++) {
    lines.push(prediction(k * S, (k + 1) * S));
    if (k === 3) lines.push(start(2, 0, 2.5, 3));
    if (k === 6) lines.push(end(2, 0, 2.5, 6));
  }
  const run = join(dir, 'restart.jsonl');
  writeFileSync(run, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const r = cli(run, '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.deepEqual([s.labels, s.detections, s.matched], [1, 2, 1]);
  assert.equal(s.idleFalseDetections, 1, 'the clap detected after the restart was decided in idle time');
  assert.ok(Math.abs(s.idleMinutes - 16 / 60) < 1e-9, `idle time ${s.idleMinutes * 60} s: 6 s of epoch 1 and all 10 s of epoch 2`);
  // Labels from a file have one time base: refused for such a run, saying why.
  const labels = join(dir, 'labels.csv');
  writeFileSync(labels, 'class,startTime_usec,endTime_usec\n1,2000000,6000000\n');
  const refused = cli(run, '--labels', labels);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /event time went back 1 time\(s\) in this run .*score each part of the run on its own/);
});
