/**
 * The decision benchmark's data and recorded runs, made once and reused:
 * - replays of synthetic DVS128 Gesture trials with "no gesture" rows (6 training users to
 *   tune on, the 6 test users to report on), as `spikeline simulate gesture` writes them;
 * - 10 minutes of the simulated camera (camera-sim's stream, idle periods included) per seed,
 *   written as a DVS128 Gesture-layout trial (AEDAT 3.1 + labels CSV, class 12 = no gesture);
 * - per model and inference mode, the pipeline's `prediction` messages over each recording
 *   (the real runner, file source as fast as possible with back-pressure: nothing dropped).
 * The data folder is keyed by the simulator settings, the runs folder by the model's weights,
 * so the same command on a new model only re-runs the classifier.
 */
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, rename } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { lastValueFrom, takeWhile, toArray } from 'rxjs';
import { listDvsGestureTrials, writeDvsGestureTrial, type GestureLabel } from '../formats/index.js';
import { generateGestureDataset } from '../simulate/dataset.js';
import { simulatedCamera } from '../simulate/camera.js';
import { parseDomainSpec } from '../simulate/domain.js';
import type { ClockwiseConvention } from '../simulate/scene/gestures.js';
import { parsePipelineConfig } from './config.js';
import { launchPipeline } from './launch.js';

/** Simulator settings the benchmark data is drawn with: those the model was trained on. */
export interface BenchSimulator {
  domain: string;
  clockwise: ClockwiseConvention;
}

export interface BenchRecording {
  aedat: string;
  labels: string;
}

export interface BenchSet {
  name: string;
  /** tune: defaults are chosen on it; report: only measured. */
  role: 'tune' | 'report';
  recordings: BenchRecording[];
}

/**
 * Inference modes that can be recorded: the line config's sliding windows (16 steps, stride 4),
 * half-length windows (8 steps, stride 2: sure sooner, if the model copes with shorter input),
 * the demo's step mode (reset every model window) and streaming (step mode never reset on a
 * schedule, only after 25 empty steps), reading the last 16 or 8 step outputs.
 */
export const BENCH_MODES = {
  window: { mode: 'window', window: { steps: 16, stride: 4 } },
  window8: { mode: 'window', window: { steps: 8, stride: 2 } },
  step: { mode: 'step', idleResetSteps: 25 },
  stream: { mode: 'step', resetEvery: 0, idleResetSteps: 25 },
  stream8: { mode: 'step', resetEvery: 0, idleResetSteps: 25, readoutSteps: 8 },
} as const;
export type BenchMode = keyof typeof BENCH_MODES;

const TUNE_USERS = [1, 5, 9, 13, 17, 21];
const TEST_USERS = [24, 25, 26, 27, 28, 29];
const CAMERA_SECONDS = 600;
const exists = (p: string) => access(p).then(() => true, () => false);

/** Folder name of the data drawn with these simulator settings (runs and results are kept per data too). */
export const benchDataKey = (sim: BenchSimulator): string => `${sim.domain.replace(/[^\w.=-]+/g, '_')}-${sim.clockwise}`;

/** Makes (or finds) the benchmark recordings under `dir`; `log` reports progress. */
export async function prepareBenchData(dir: string, sim: BenchSimulator, log: (line: string) => void): Promise<BenchSet[]> {
  const root = join(dir, 'data', benchDataKey(sim));
  const domain = parseDomainSpec(sim.domain);
  const replay = join(root, 'replay');
  log(`replay trials in ${replay} (users ${[...TUNE_USERS, ...TEST_USERS].join(',')}, one lighting each)`);
  // The options `spikeline simulate gesture --users … --max-lightings-per-user 1` passes, so a
  // folder it wrote is resumed, not refused.
  await generateGestureDataset({
    out: replay,
    users: [...TUNE_USERS, ...TEST_USERS],
    maxLightingsPerUser: 1,
    seed: 1,
    gestureSeconds: 6,
    gapSeconds: 1.2,
    ...(domain === null ? { threshold: 0.1 } : {}),
    domain,
    clockwise: sim.clockwise,
    idleProbability: 0.4,
    idleSeconds: 2.5,
    frameUs: 4000,
    mainsHz: 60,
    resume: true,
    workers: availableParallelism(),
  });
  const trialsOf = async (split: 'train' | 'test') =>
    (await listDvsGestureTrials(replay, split)).map((t) => ({ aedat: join(replay, `${t.name}.aedat`), labels: join(replay, `${t.name}_labels.csv`) }));
  const sets: BenchSet[] = [
    { name: 'replay-train', role: 'tune', recordings: await trialsOf('train') },
    { name: 'replay-test', role: 'report', recordings: await trialsOf('test') },
  ];
  for (const [seed, role] of [[1, 'tune'], [2, 'report']] as const) {
    const name = `camera-seed${seed}`;
    const rec = { aedat: join(root, `${name}.aedat`), labels: join(root, `${name}_labels.csv`) };
    if (!(await exists(rec.labels))) {
      log(`simulating ${CAMERA_SECONDS} s of the camera, seed ${seed} -> ${rec.aedat}`);
      await recordCamera(rec, seed, sim);
    }
    sets.push({ name, role, recordings: [rec] });
  }
  return sets;
}

/** camera-sim's stream for `seed` (as fast as it can be simulated) to an AEDAT 3.1 trial and its labels. */
async function recordCamera(rec: BenchRecording, seed: number, sim: BenchSimulator): Promise<void> {
  const labels: GestureLabel[] = [];
  const endUs = CAMERA_SECONDS * 1e6;
  const batches = await lastValueFrom(
    simulatedCamera({
      seed,
      startUs: 0,
      speed: 1e6,
      domain: parseDomainSpec(sim.domain),
      clockwise: sim.clockwise,
      onGesture: (g) => {
        // A gesture cut by the end stays labelled: the score leaves such labels out either way.
        if (g.start < endUs) labels.push({ classId: g.label, start: g.start, end: g.end });
      },
    }).pipe(takeWhile((b) => b.length === 0 || b.t[0]! < endUs), toArray()),
  );
  const dir = dirname(rec.aedat);
  const tmp = `${basename(rec.aedat, '.aedat')}.partial`;
  await writeDvsGestureTrial(dir, tmp, batches, labels);
  // The labels file last: its presence says the recording is complete.
  await rename(join(dir, `${tmp}.aedat`), rec.aedat);
  await rename(join(dir, `${tmp}_labels.csv`), rec.labels);
}

/** Short id of a model folder's weights: runs of a replaced model are not reused. */
export async function modelKey(modelDir: string): Promise<string> {
  const h = createHash('sha256');
  h.update(await readFile(join(modelDir, 'model.json')));
  h.update(await readFile(join(modelDir, 'weights.bin')));
  return h.digest('hex').slice(0, 12);
}

/**
 * Runs the model over one recording in one inference mode through the pipeline runner and keeps
 * its prediction messages in `out` (JSONL); an existing `out` is reused.
 */
export async function recordPredictions(modelDir: string, rec: BenchRecording, mode: BenchMode, out: string): Promise<void> {
  if (await exists(out)) return;
  await mkdir(dirname(out), { recursive: true });
  const partial = `${out}.partial`;
  const config = parsePipelineConfig({
    name: 'decision-bench',
    source: { type: 'file', path: rec.aedat, labels: rec.labels, speed: 0, buffer: { policy: 'pause' } },
    model: { path: resolve(modelDir) },
    inference: BENCH_MODES[mode],
    server: { port: 0 },
    sinks: { websocket: { enabled: false }, jsonl: { path: partial, append: false, types: ['prediction'] } },
  });
  const pipeline = await launchPipeline(config, { serve: false });
  try {
    await pipeline.done;
  } finally {
    await pipeline.stop();
  }
  await rename(partial, out);
}
