/**
 * What `spikeline train` and `spikeline eval` do, as library functions: load a dataset layout,
 * build the spec (a backbone or a spec file), train / evaluate, write the outputs.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend, backendLine, type BackendChoice } from './backend.js';
import { backbone, type BackboneName } from './backbones.js';
import { loadEventDataset, loadEventDatasets, preprocessingOptions, splitValidation, formatAugmentation, type Augmentation, type DatasetLayout } from './data.js';
import { formatDenoise } from './denoise.js';
import type { ValidationGroup } from './validation.js';
import { loadModel } from './io.js';
import { DVS_GESTURE_BACKGROUND } from '../formats/dvs-gesture.js';
import { inputChannels, steppingOf, subBinsOf, subBinsProblem, type DenoiseSetting, type Preprocessing, type Stepping } from './model-api.js';
import { accuracyByDomain, formatByDomain, readTrialTags, type DomainGroup } from '../simulate/domain-report.js';
import type { NeuronConfig } from './neuron.js';
import { readSpecFile, type ModelSpec, type SpecTraining } from './spec.js';
import { evaluate, trainModel, type EvalResult, type TrainResult } from './train.js';

export interface TrainRunOptions {
  /** Dataset folder, or several of the same layout trained on together (loadEventDatasets). */
  data: string | readonly string[];
  layout: DatasetLayout;
  out: string;
  backbone?: BackboneName;
  /** JSON spec file (overrides backbone). */
  specFile?: string;
  /** Model folder to fine-tune: its spec (unless specFile) and weights start the training. */
  init?: string;
  widthMult?: number;
  neuron?: NeuronConfig;
  /** Input preparation; each one not given comes from the spec file's `training`, else the default. */
  downsample?: number;
  steps?: number;
  stepUs?: number;
  encoding?: Preprocessing['encoding'];
  /** Temporal sub-bins per step as input channels (Preprocessing.subBins). */
  subBins?: number;
  /** How windows are cut into steps (Preprocessing.stepping). */
  stepping?: Stepping;
  /** Background-activity filter over each recording before binning (Preprocessing.denoise; default none). */
  denoise?: DenoiseSetting;
  epochs: number;
  batchSize: number;
  optimizer: 'adam' | 'sgd';
  lr: number;
  weightDecay: number;
  labelSmoothing: number;
  /** Per-step (TET) loss (trainModel's `perStepLoss`). */
  perStepLoss?: boolean;
  /** Class-balanced epochs (trainModel's `balance`). */
  balance?: boolean;
  schedule: 'cosine' | 'constant';
  /** On-the-fly augmentations (parseAugmentation of `--augment`). */
  augmentation: Augmentation;
  resume: boolean;
  seed: number;
  limit?: number;
  /** DVS128 Gesture layout: train a 12th class, `background`, on the synthetic "no gesture" rows. */
  background?: boolean;
  /** Fraction of the training split held out for model selection (0: none). */
  valFraction?: number;
  /** What the validation split holds out whole (splitValidation; default sample). */
  valBy?: ValidationGroup;
  backend?: BackendChoice;
  /** Gradient threads (data-parallel); default 1. */
  threads?: number;
  log?: (line: string) => void;
}

/** Input preparation of a run: every field set but denoise, absent when off. */
type TrainingInput = Required<Omit<SpecTraining, 'denoise'>> & Pick<SpecTraining, 'denoise'>;

const TRAINING_DEFAULTS: TrainingInput = { downsample: 4, steps: 16, stepUs: 93_750, encoding: 'clip', subBins: 1, stepping: 'fixed' };

const TRAINING_FLAGS: Record<keyof SpecTraining, string> = { downsample: '--downsample', steps: '--steps', stepUs: '--step-us', encoding: '--encoding', subBins: '--sub-bins', stepping: '--stepping', denoise: '--denoise' };

/** A training field as its flag's value, to compare and name it (a denoise setting is an object). */
function flagValue(v: SpecTraining[keyof SpecTraining]): string {
  return v === undefined || typeof v === 'object' ? formatDenoise(v) : String(v);
}

/**
 * Input preparation of a training run: each option given, else the spec's `training` (what its
 * search trained on), else the default. A given option that disagrees with the spec is refused,
 * naming the flag: the network was searched for the spec's frames.
 */
function trainingInput(o: Partial<SpecTraining>, spec: ModelSpec | undefined, specFile: string | undefined): TrainingInput {
  // A spec's training section without subBins or stepping was searched with their defaults of old (1, stretch).
  const searched = spec?.training ? { ...spec.training, subBins: subBinsOf(spec.training), stepping: steppingOf(spec.training) } : undefined;
  const out = { ...TRAINING_DEFAULTS, ...searched };
  for (const key of Object.keys(TRAINING_FLAGS) as (keyof SpecTraining)[]) {
    const given = o[key];
    if (given === undefined) continue;
    if (searched && flagValue(searched[key]) !== flagValue(given)) {
      throw new Error(`${TRAINING_FLAGS[key]} ${flagValue(given)} disagrees with ${specFile}, which was searched with ${TRAINING_FLAGS[key]} ${flagValue(searched[key])} (leave ${TRAINING_FLAGS[key]} out to use the spec's)`);
    }
    (out as Record<string, unknown>)[key] = given;
  }
  const bad = subBinsProblem(out.subBins, out.stepUs);
  if (bad) throw new Error(`--sub-bins ${bad} (--step-us ${out.stepUs})`);
  return out;
}

/** `--val-by`, refused where it cannot take effect (before the data is loaded). */
function validationGroup(o: TrainRunOptions): ValidationGroup {
  const by = o.valBy ?? 'sample';
  if (by !== 'sample' && !o.valFraction) throw new Error(`--val-by ${by}: no validation split to hold out by ${by} (give --val-fraction F > 0)`);
  // CIFAR10-DVS names no person; falling back to recording would hide that the split is not by person.
  if (by === 'user' && o.layout === 'cifar10-dvs') throw new Error('--val-by user: the cifar10-dvs layout names no person; use --val-by recording (each sample is its own recording)');
  return by;
}

export async function runTraining(o: TrainRunOptions): Promise<TrainResult> {
  const log = o.log ?? (() => {});
  // The spec file first: a bad file is reported before the data is loaded.
  const specFromFile = o.specFile ? await readSpecFile(o.specFile) : undefined;
  const input = trainingInput(o, specFromFile, o.specFile);
  const valBy = validationGroup(o);
  const info = await initBackend(o.backend);
  log(`backend: ${backendLine(info)}`);
  const t0 = Date.now();
  const roots = typeof o.data === 'string' ? [o.data] : o.data;
  const dataName = roots.join(' + ');
  const ds = await loadEventDatasets(roots, o.layout, { ...input, background: o.background ?? false, ...(o.limit !== undefined ? { limit: o.limit } : {}) });
  if (ds.train.length === 0) throw new Error(`${dataName}: no training samples (trials_to_train.txt lists none)`);
  const f = o.valFraction ?? 0;
  if (!(f >= 0 && f < 1)) throw new Error(`--val-fraction ${f}: expected 0 <= F < 1`);
  const { train, val } = f > 0 ? splitValidation(ds.train, f, valBy) : { train: ds.train, val: [] };
  const { height, width } = ds.preprocessing;
  const channels = inputChannels(ds.preprocessing);
  log(`data: ${train.length} train / ${val.length} validation${val.length ? ` (by ${valBy})` : ''} / ${ds.test.length} test samples, ${ds.classes.length} classes, frames ${height}x${width}x${channels} (${input.subBins} sub-bin${input.subBins === 1 ? '' : 's'} per step), T=${input.steps} (${input.stepping} steps)${input.denoise ? `, denoise ${formatDenoise(input.denoise)}` : ''}, augment ${formatAugmentation(o.augmentation)}, ${o.perStepLoss ? 'per-step' : 'mean'} loss (loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  let spec: ModelSpec;
  if (specFromFile) {
    spec = specFromFile;
  } else if (o.init) {
    const saved = await loadModel(o.init);
    // Classes the data appends (checked against the model's when its weights are loaded) widen the head.
    spec = { ...saved.model.spec, classes: Math.max(saved.model.spec.classes, ds.classes.length) };
    saved.model.dispose();
  } else {
    spec = backbone(o.backbone ?? 'gesture', { height, width, channels, classes: ds.classes.length, widthMult: o.widthMult ?? 1, ...(o.neuron ? { neuron: o.neuron } : {}) });
  }
  if (spec.input.height !== height || spec.input.width !== width) {
    const sensor = ds.preprocessing.sensorWidth;
    const fits = sensor % spec.input.width === 0 ? `; --downsample ${sensor / spec.input.width} gives ${spec.input.width}x${spec.input.width} frames` : '';
    throw new Error(`${o.specFile ?? o.init}: the network takes ${spec.input.height}x${spec.input.width} frames, but --downsample ${input.downsample} makes ${height}x${width} frames of ${dataName}${fits}`);
  }
  if (spec.input.channels !== channels) {
    throw new Error(`${o.specFile ?? o.init}: the network takes ${spec.input.channels} input channels (${spec.input.channels / 2} sub-bins of ON and OFF), --sub-bins ${input.subBins} makes ${channels}`);
  }
  if (spec.classes !== ds.classes.length) throw new Error(`${o.specFile ?? o.init}: the network has ${spec.classes} classes, the ${o.layout} layout of ${dataName} has ${ds.classes.length}`);
  const r = await trainModel({
    spec,
    data: { classes: ds.classes, preprocessing: ds.preprocessing, train, test: ds.test, ...(val.length ? { val, valBy } : {}) },
    epochs: o.epochs,
    batchSize: o.batchSize,
    optimizer: o.optimizer,
    lr: o.lr,
    weightDecay: o.weightDecay,
    labelSmoothing: o.labelSmoothing,
    ...(o.perStepLoss ? { perStepLoss: true } : {}),
    ...(o.balance ? { balance: true } : {}),
    schedule: o.schedule,
    augmentation: o.augmentation,
    outDir: o.out,
    resume: o.resume,
    ...(o.init ? { initFrom: o.init } : {}),
    seed: o.seed,
    threads: o.threads ?? 1,
  });
  log(`model: ${join(o.out, 'model')} (${r.model.parameterCount()} parameters); metrics: ${join(o.out, 'metrics.jsonl')}; curves: ${join(o.out, 'curves.svg')}`);
  return r;
}

export interface EvalRunOptions {
  model: string;
  data: string;
  layout: DatasetLayout;
  split: 'train' | 'test';
  limit?: number;
  batchSize: number;
  backend?: BackendChoice;
  /** Also group accuracy by the randomisation families of a synthetic folder's synthetic.json. */
  byDomain?: boolean;
  /** Windows per sample, their class probabilities averaged (evaluate's `windows`; default 1). */
  windows?: number;
}

export interface EvalReport extends EvalResult {
  classes: string[];
  /** Windows per sample the accuracy was measured with (1: the centre window). */
  windows: number;
  byDomain?: DomainGroup[];
}

export async function runEvaluation(o: EvalRunOptions): Promise<EvalReport> {
  await initBackend(o.backend);
  const saved = await loadModel(o.model);
  const p = saved.preprocessing;
  // A model that learnt the background class is evaluated on the "no gesture" rows too.
  const ds = await loadEventDataset(o.data, o.layout, { ...preprocessingOptions(p), splits: [o.split], background: saved.classes.includes(DVS_GESTURE_BACKGROUND.name), ...(o.limit !== undefined ? { limit: o.limit } : {}) });
  if (ds.preprocessing.height !== p.height || ds.preprocessing.width !== p.width) throw new Error(`${o.data}: frames are ${ds.preprocessing.height}x${ds.preprocessing.width}, the model expects ${p.height}x${p.width}`);
  // Read the manifest first: a folder without draws fails before the (slow) evaluation.
  const tags = o.byDomain ? await readTrialTags(o.data) : null;
  const windows = o.windows ?? 1;
  const r = evaluate(saved.model, ds[o.split], p, o.batchSize, windows);
  saved.model.dispose();
  return { ...r, classes: saved.classes, windows, ...(tags ? { byDomain: accuracyByDomain(ds[o.split], r.predictions, tags) } : {}) };
}

/** Human-readable evaluation report: accuracy, confusion matrix, per-layer firing. */
export function formatEvalReport(r: EvalReport): string {
  const lines: string[] = [];
  lines.push(`accuracy: ${(r.accuracy * 100).toFixed(2)} % on ${r.samples} samples (loss ${r.loss.toFixed(4)})${r.windows > 1 ? `, mean of ${r.windows} windows per sample` : ''}`);
  lines.push('confusion matrix (rows: true class, columns: predicted):');
  const w = Math.max(...r.classes.map((c) => c.length), 6);
  lines.push(' '.repeat(w + 3) + r.classes.map((_, i) => String(i).padStart(4)).join(''));
  r.confusion.forEach((row, i) => lines.push(`${r.classes[i]!.padEnd(w)} ${String(i).padStart(2)}` + row.map((v) => String(v).padStart(4)).join('')));
  const f = r.firing;
  lines.push(`firing: mean rate ${f.meanRate.toFixed(4)}, SynOps/sample ${(f.synops / Math.max(1, r.samples)).toExponential(3)}, dense MACs/sample ${(f.macs / Math.max(1, r.samples)).toExponential(3)}, energy/sample ${(f.energyPJ / Math.max(1, r.samples) / 1e6).toFixed(3)} µJ`);
  for (const l of f.layers) lines.push(`  ${l.layer.padEnd(12)} rate ${l.rate.toFixed(4)}  spikes/sample ${(l.spikes / Math.max(1, r.samples)).toFixed(0)}  SynOps/sample ${(l.synops / Math.max(1, r.samples)).toExponential(2)}`);
  if (r.byDomain) lines.push(formatByDomain(r.byDomain));
  return lines.join('\n');
}

/** Writes the report as JSON next to a model or wherever asked. */
export async function writeEvalJson(path: string, r: EvalReport): Promise<void> {
  await writeFile(path, JSON.stringify(r, null, 2) + '\n');
}
