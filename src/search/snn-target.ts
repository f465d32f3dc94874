/**
 * The real search target: an SNN backbone from the engine (src/snn), its skips replaced by the
 * candidate's, trained with the engine's trainModel on a DVS128-Gesture-layout dataset. Trials
 * are scored on a validation split carved out of the training split (stratified, fixed), so the
 * test split stays untouched for the final comparison of `spikeline experiment`.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { backbone, BACKBONES, type BackboneName, type BackboneOptions } from '../snn/backbones.js';
import { loadGestureDataset, splitValidation, type EventDataset, type LabelledEvents } from '../snn/data.js';
import { steppingOf, type Stepping } from '../snn/model-api.js';
import type { NeuronConfig } from '../snn/neuron.js';
import { validateSpec, type ModelSpec, type SpecTraining } from '../snn/spec.js';
import type { ValidationGroup } from '../snn/validation.js';
import { trainModel, type TrainingData } from '../snn/train.js';
import { threadCpuSeconds } from '../util/cpu-time.js';
import type { SearchTarget, TrialMetrics, TrialObjective } from './objective.js';
import { SKIP_CHOICES, skipOfChoice, type NeuronParams, type SkipChoice, type SkipSpec as PlacedSkip, type SpecAdapter } from './space.js';

export interface SnnTargetOptions {
  backbone: BackboneName;
  /** Dataset root (DVS128 Gesture layout, real or synthetic). */
  data: string;
  /** Input frames are size x size (sensor 128 divided by an integer factor). Default 32. */
  size?: number;
  /** Time steps per sample (default 8). */
  steps?: number;
  /** Event time per step, µs (default 1.5 s / steps: the window of the usual DVS Gesture setups). */
  stepUs?: number;
  /**
   * How windows are cut into steps (Preprocessing.stepping). Absent: 'stretch', what studies and
   * experiments stored before the option existed were run with; new ones ask for 'fixed'.
   */
  stepping?: Stepping;
  /** Channel width multiplier of the backbone (default 0.5). */
  widthMult?: number;
  /** Use at most this many recordings per split (quick studies). */
  limit?: number;
  /** Share of each class of the training split held out for validation (default 0.2). */
  valFraction?: number;
  /**
   * Hold out whole recordings or people for validation instead of single samples (absent: samples).
   * People the trials never train on rank candidates by what the test split asks: unseen people.
   */
  valBy?: Exclude<ValidationGroup, 'sample'>;
  batchSize?: number;
  lr?: number;
  /** Label smoothing of every training (default 0). */
  labelSmoothing?: number;
  /** Firing threshold of every LIF neuron (default: the engine's 1). */
  threshold?: number;
  /** Longest skip considered, in layers (default: any). */
  maxSpan?: number;
  /**
   * What trials are scored on: 'validation' (default; held out of the training split, what a
   * search must use) or 'test' (train on the whole training split, report the test split: the
   * final trainings of `spikeline experiment`).
   */
  evaluateOn?: 'validation' | 'test';
}

const SENSOR = 128;

function backboneOptions(o: SnnTargetOptions): BackboneOptions {
  const size = o.size ?? 32;
  return {
    height: size,
    width: size,
    channels: 2,
    classes: 11,
    widthMult: o.widthMult ?? 0.5,
    ...(o.threshold !== undefined ? { neuron: { kind: 'lif' as const, vThreshold: o.threshold } } : {}),
  };
}

/** How the target bins events into input frames (recorded in every trial's spec). */
export function targetTraining(o: SnnTargetOptions): SpecTraining {
  const size = o.size ?? 32;
  if (SENSOR % size !== 0) throw new RangeError(`size ${size} does not divide the 128-pixel sensor`);
  const steps = o.steps ?? 8;
  return { downsample: SENSOR / size, steps, stepUs: o.stepUs ?? Math.round(1.5e6 / steps), encoding: 'clip', stepping: steppingOf(o) };
}

/**
 * The backbone's spec (with its original skips) at the target's size, width and neuron, with the
 * input preparation, so an exported trial spec trains on the frames it was searched with.
 */
export function baseSpec(o: SnnTargetOptions): ModelSpec {
  return { ...backbone(o.backbone, backboneOptions(o)), training: targetTraining(o) };
}

export function isBackboneName(name: string): name is BackboneName {
  return (BACKBONES as readonly string[]).includes(name);
}

/** The spec adapter of a backbone: candidate pairs are those the engine can build alone. */
export function snnAdapter(o: SnnTargetOptions): SpecAdapter<ModelSpec> {
  const base = baseSpec(o);
  const n = base.layers.length;
  const types = new Map<string, SkipChoice[]>();
  const pairs: [number, number][] = [];
  for (let from = 0; from < n; from++) {
    for (let to = from + 1; to < n && (o.maxSpan === undefined || to - from <= o.maxSpan); to++) {
      // A DSC from the direct predecessor would concatenate the layer's own input twice.
      const ok = SKIP_CHOICES.filter((c) => {
        const skip = skipOfChoice(from, to, c);
        return (skip.type !== 'DSC' || to - from >= 2) && validateSpec({ ...base, skips: [skip] }).length === 0;
      });
      if (ok.length === 0) continue;
      pairs.push([from, to]);
      types.set(`${from}-${to}`, ok);
    }
  }
  return {
    backbone: o.backbone,
    layers: base.layers.map((l, i) => `${i}:${l.type}${'out' in l ? `(${l.out})` : ''}`),
    originalSkips: base.skips.map(placedSkip),
    candidatePairs: pairs,
    allowedTypes: (from, to) => types.get(`${from}-${to}`) ?? [],
    build: (skips, neuron) => withSkips(base, skips, neuron),
    validate: (spec) => validateSpec(spec),
  };
}

/** A skip without its resolved adaptation (what a search places and a spec stores). */
export function placedSkip(s: PlacedSkip): PlacedSkip {
  return { from: s.from, to: s.to, type: s.type, ...(s.project ? { project: true } : {}) };
}

/** `base` with its skips replaced and searched neuron settings applied to the default neuron. */
export function withSkips(base: ModelSpec, skips: readonly PlacedSkip[], neuron: NeuronParams = {}): ModelSpec {
  const spec: ModelSpec = { ...base, skips: skips.map(placedSkip) };
  if (neuron.tau !== undefined || neuron.threshold !== undefined || neuron.alpha !== undefined) {
    const n: NeuronConfig = { ...(base.neuron ?? { kind: 'lif' }) };
    if (neuron.tau !== undefined) n.tau = neuron.tau;
    if (neuron.threshold !== undefined) n.vThreshold = neuron.threshold;
    if (neuron.alpha !== undefined) n.alpha = neuron.alpha;
    spec.neuron = n;
  }
  return spec;
}

const datasets = new Map<string, Promise<EventDataset>>();

/** Loads (once per thread) the dataset at the target's resolution. */
export function loadTargetData(o: SnnTargetOptions): Promise<EventDataset> {
  const t = targetTraining(o);
  const key = JSON.stringify([o.data, t, o.limit]);
  let p = datasets.get(key);
  if (!p) {
    p = loadGestureDataset(o.data, { ...t, limit: o.limit });
    datasets.set(key, p);
  }
  return p;
}

/** Training data of a trial: validation split carved from the training split, or the real test split. */
export async function trialData(o: SnnTargetOptions): Promise<TrainingData> {
  const ds = await loadTargetData(o);
  if (o.evaluateOn === 'test') return { classes: ds.classes, preprocessing: ds.preprocessing, train: ds.train, test: ds.test };
  const { train, val } = splitValidation<LabelledEvents>(ds.train, o.valFraction ?? 0.2, o.valBy);
  return { classes: ds.classes, preprocessing: ds.preprocessing, train, test: val };
}

/**
 * Readies `dir` as the checkpoint folder of the training `identity` describes: a folder another
 * training left there (other target options, spec, seed or epochs) is cleared, since resuming it
 * would continue that training, not this one.
 */
async function claimCheckpointDir(dir: string, identity: unknown): Promise<void> {
  const file = join(dir, 'trial.json');
  const text = JSON.stringify(identity);
  if (existsSync(file) && (await readFile(file, 'utf8')) === text) return;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(file, text);
}

export function snnObjective(o: SnnTargetOptions): TrialObjective {
  return {
    async run(trial, onEpoch): Promise<TrialMetrics> {
      const data = await trialData(o);
      const dir = trial.checkpointDir;
      if (dir !== undefined) await claimCheckpointDir(dir, { target: o, spec: trial.spec, seed: trial.seed, epochs: trial.maxEpochs });
      const cpu0 = threadCpuSeconds();
      let ran = 0;
      const result = await trainModel({
        spec: trial.spec as ModelSpec,
        data,
        epochs: trial.maxEpochs,
        seed: trial.seed,
        batchSize: o.batchSize ?? 16,
        lr: o.lr ?? 2e-3,
        labelSmoothing: o.labelSmoothing ?? 0,
        progress: false,
        ...(dir !== undefined ? { outDir: dir, resume: true } : {}),
        onEpoch: (m) => {
          ran++;
          return onEpoch(m.epoch, {
            accuracy: m.testAccuracy ?? 0,
            meanRate: m.firingRate,
            synops: m.synopsPerSample,
            loss: m.trainLoss,
            trainAccuracy: m.trainAccuracy,
            seconds: m.seconds,
          });
        },
      });
      result.model.dispose();
      // A resumed training also cost the CPU of the epochs it took from its checkpoint.
      const before = result.curves.slice(0, result.curves.length - ran).reduce((a, c) => a + c.cpuSeconds, 0);
      return {
        accuracy: result.accuracy ?? 0,
        meanRate: result.meanFiringRate,
        synops: result.synopsPerSample,
        energyPJ: result.energyPJPerSample,
        seconds: result.seconds,
        cpuSeconds: threadCpuSeconds() - cpu0 + before,
        epochs: result.epochs,
      };
    },
  };
}

/** Search-target factory (`{ module: SNN_TARGET_MODULE, export: 'snnTarget' }`). */
export function snnTarget(o: SnnTargetOptions): SearchTarget<ModelSpec> {
  return { adapter: snnAdapter(o), objective: async () => snnObjective(o) };
}

export const SNN_TARGET_MODULE = import.meta.url;
