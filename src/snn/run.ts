/**
 * What `spikeline train` and `spikeline eval` do, as library functions: load a dataset layout,
 * build the spec (a backbone or a spec file), train / evaluate, write the outputs.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend, backendLine, type BackendChoice } from './backend.js';
import { backbone, type BackboneName } from './backbones.js';
import { loadEventDataset, splitValidation, DEFAULT_AUGMENTATION, NO_AUGMENTATION, type DatasetLayout } from './data.js';
import { loadModel } from './io.js';
import type { Preprocessing } from './model-api.js';
import { accuracyByDomain, formatByDomain, readTrialTags, type DomainGroup } from '../simulate/domain-report.js';
import type { NeuronConfig } from './neuron.js';
import type { ModelSpec } from './spec.js';
import { evaluate, trainModel, type EvalResult, type TrainResult } from './train.js';

export interface TrainRunOptions {
  data: string;
  layout: DatasetLayout;
  out: string;
  backbone?: BackboneName;
  /** JSON spec file (overrides backbone). */
  specFile?: string;
  /** Model folder to fine-tune: its spec (unless specFile) and weights start the training. */
  init?: string;
  widthMult?: number;
  neuron?: NeuronConfig;
  downsample: number;
  steps: number;
  stepUs: number;
  encoding: Preprocessing['encoding'];
  epochs: number;
  batchSize: number;
  optimizer: 'adam' | 'sgd';
  lr: number;
  weightDecay: number;
  labelSmoothing: number;
  schedule: 'cosine' | 'constant';
  augment: boolean;
  resume: boolean;
  seed: number;
  limit?: number;
  /** Fraction of the training split held out for model selection (0: none). */
  valFraction?: number;
  backend?: BackendChoice;
  /** Gradient threads (data-parallel); default 1. */
  threads?: number;
  log?: (line: string) => void;
}

export async function runTraining(o: TrainRunOptions): Promise<TrainResult> {
  const log = o.log ?? (() => {});
  const info = await initBackend(o.backend);
  log(`backend: ${backendLine(info)}`);
  const t0 = Date.now();
  const ds = await loadEventDataset(o.data, o.layout, { downsample: o.downsample, steps: o.steps, stepUs: o.stepUs, encoding: o.encoding, ...(o.limit !== undefined ? { limit: o.limit } : {}) });
  const f = o.valFraction ?? 0;
  if (!(f >= 0 && f < 1)) throw new Error(`--val-fraction ${f}: expected 0 <= F < 1`);
  const { train, val } = f > 0 ? splitValidation(ds.train, f) : { train: ds.train, val: [] };
  log(`data: ${train.length} train / ${val.length} validation / ${ds.test.length} test samples, ${ds.classes.length} classes, frames ${ds.preprocessing.height}x${ds.preprocessing.width}x2, T=${o.steps} (loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  let spec: ModelSpec;
  if (o.specFile) {
    try {
      spec = JSON.parse(await readFile(o.specFile, 'utf8')) as ModelSpec;
    } catch (err) {
      throw new Error(`${o.specFile}: ${(err as Error).message}`);
    }
  } else if (o.init) {
    const saved = await loadModel(o.init);
    spec = saved.model.spec;
    saved.model.dispose();
  } else {
    spec = backbone(o.backbone ?? 'gesture', { height: ds.preprocessing.height, width: ds.preprocessing.width, classes: ds.classes.length, widthMult: o.widthMult ?? 1, ...(o.neuron ? { neuron: o.neuron } : {}) });
  }
  const r = await trainModel({
    spec,
    data: { classes: ds.classes, preprocessing: ds.preprocessing, train, test: ds.test, ...(val.length ? { val } : {}) },
    epochs: o.epochs,
    batchSize: o.batchSize,
    optimizer: o.optimizer,
    lr: o.lr,
    weightDecay: o.weightDecay,
    labelSmoothing: o.labelSmoothing,
    schedule: o.schedule,
    augmentation: o.augment ? DEFAULT_AUGMENTATION : NO_AUGMENTATION,
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
}

export interface EvalReport extends EvalResult {
  classes: string[];
  byDomain?: DomainGroup[];
}

export async function runEvaluation(o: EvalRunOptions): Promise<EvalReport> {
  await initBackend(o.backend);
  const saved = await loadModel(o.model);
  const p = saved.preprocessing;
  const ds = await loadEventDataset(o.data, o.layout, { downsample: p.downsample, steps: p.steps, stepUs: p.stepUs, encoding: p.encoding, ...(o.limit !== undefined ? { limit: o.limit } : {}) });
  if (ds.preprocessing.height !== p.height || ds.preprocessing.width !== p.width) throw new Error(`${o.data}: frames are ${ds.preprocessing.height}x${ds.preprocessing.width}, the model expects ${p.height}x${p.width}`);
  // Read the manifest first: a folder without draws fails before the (slow) evaluation.
  const tags = o.byDomain ? await readTrialTags(o.data) : null;
  const r = evaluate(saved.model, ds[o.split], p, o.batchSize);
  saved.model.dispose();
  return { ...r, classes: saved.classes, ...(tags ? { byDomain: accuracyByDomain(ds[o.split], r.predictions, tags) } : {}) };
}

/** Human-readable evaluation report: accuracy, confusion matrix, per-layer firing. */
export function formatEvalReport(r: EvalReport): string {
  const lines: string[] = [];
  lines.push(`accuracy: ${(r.accuracy * 100).toFixed(2)} % on ${r.samples} samples (loss ${r.loss.toFixed(4)})`);
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
