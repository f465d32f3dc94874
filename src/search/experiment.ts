/**
 * `spikeline experiment skip-connections`: the comparison of Benmeziane et al. on our data. For
 * each backbone, three configurations are trained the same way (same epochs, seed, data) on the
 * whole training split and scored on the test split: (a) the ANN's original skips converted to
 * the SNN, (b) no skips, (c) the skips found by a search study (TPE + ASHA, scored on a validation
 * split held out of the training split, so the test split never steers the search).
 * Every finished row is saved to results.json in the output folder and the search studies are
 * resumable SQLite files, so an interrupted experiment picks up where it stopped.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackboneName } from '../snn/backbones.js';
import type { ObjectiveKind } from './objective.js';
import { createRunner, defaultWorkers } from './pool.js';
import { chooseTrial } from './report.js';
import { runSearch } from './run.js';
import { SNN_TARGET_MODULE, baseSpec, type SnnTargetOptions } from './snn-target.js';
import type { SkipSpec } from './space.js';
import type { ProgressOptions } from '../util/progress.js';
import { openStudyStore } from './storage.js';
import type { StudyConfig } from './study.js';

export type Variant = 'original' | 'none' | 'searched';

export interface SkipExperimentOptions {
  data: string;
  outDir: string;
  backbones: BackboneName[];
  /** Search trials per backbone. */
  trials: number;
  /** Epochs of a fully trained search trial. */
  searchEpochs: number;
  /** First ASHA rung of the search, epochs (default 3). */
  minEpochs?: number;
  /** Epochs of each final training. */
  epochs: number;
  size: number;
  steps: number;
  widthMult: number;
  limit?: number;
  lr?: number;
  batchSize?: number;
  /** Firing threshold of every neuron, all configurations alike (default: the engine's 1). */
  threshold?: number;
  /** Skip limit of the search (default: the larger of 4 and the backbone's original count). */
  maxSkips?: number;
  objective: ObjectiveKind;
  seed: number;
  workers?: number;
  /** Wall-clock budget of each search, ms. */
  searchBudgetMs?: number;
  progress?: ProgressOptions;
  log?: (line: string) => void;
}

export interface ExperimentRow {
  backbone: BackboneName;
  variant: Variant;
  skips: SkipSpec[];
  accuracy: number;
  meanRate: number;
  synops: number;
  epochs: number;
  seconds: number;
  /** Search trial the searched skips came from. */
  trial?: number;
}

interface ResultsFile {
  options: Omit<SkipExperimentOptions, 'log' | 'progress' | 'outDir' | 'workers'>;
  rows: ExperimentRow[];
}

function targetOptions(o: SkipExperimentOptions, name: BackboneName, evaluateOn: 'validation' | 'test'): SnnTargetOptions {
  return { backbone: name, data: o.data, size: o.size, steps: o.steps, widthMult: o.widthMult, limit: o.limit, lr: o.lr, batchSize: o.batchSize, threshold: o.threshold, evaluateOn };
}

export async function runSkipExperiment(o: SkipExperimentOptions): Promise<ExperimentRow[]> {
  const log = o.log ?? (() => {});
  mkdirSync(o.outDir, { recursive: true });
  const resultsPath = join(o.outDir, 'results.json');
  const { log: _l, progress: _p, outDir: _d, workers: _w, ...recorded } = o;
  const results: ResultsFile = existsSync(resultsPath) ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as ResultsFile) : { options: recorded, rows: [] };
  const save = (): void => writeFileSync(resultsPath, JSON.stringify(results, null, 2) + '\n');
  const has = (b: BackboneName, v: Variant): boolean => results.rows.some((r) => r.backbone === b && r.variant === v);

  for (const name of o.backbones) {
    const base = baseSpec(targetOptions(o, name, 'test'));
    const original: SkipSpec[] = base.skips.map((s) => ({ from: s.from, to: s.to, type: s.type }));
    const studyPath = join(o.outDir, `search-${name}.db`);
    let searched: { skips: SkipSpec[]; trial: number } | undefined;
    if (!has(name, 'searched')) {
      log(`${name}: searching skips (${o.trials} trials of up to ${o.searchEpochs} epochs) in ${studyPath}`);
      const config: StudyConfig = {
        name: `${name}-skip-experiment`,
        seed: o.seed,
        objective: o.objective,
        target: { module: SNN_TARGET_MODULE, export: 'snnTarget', options: targetOptions(o, name, 'validation') },
        space: { maxSkips: o.maxSkips ?? Math.max(4, original.length) },
        sampler: { name: 'tpe', startupTrials: Math.max(4, Math.min(8, Math.floor(o.trials / 3))) },
        pruner: { name: 'asha', minEpochs: o.minEpochs ?? 3, eta: 3 },
        maxEpochs: o.searchEpochs,
      };
      const { summary } = await runSearch({ studyPath, create: { ...config }, trials: o.trials, budgetMs: o.searchBudgetMs, workers: o.workers, progress: o.progress });
      log(`${name}: search done: ${summary.complete} complete, ${summary.pruned} pruned, ${summary.failed} failed, ${summary.epochs} epochs`);
      const storage = await openStudyStore<StudyConfig>(studyPath, undefined, { readonly: true });
      try {
        const best = chooseTrial(await storage.trials(), storage.config);
        searched = { skips: (best.spec as { skips: SkipSpec[] }).skips.map((s) => ({ from: s.from, to: s.to, type: s.type })), trial: best.number };
        log(`${name}: best trial ${best.number}, validation accuracy ${best.metrics!.accuracy.toFixed(4)}, ${searched.skips.length} skips`);
      } finally {
        await storage.close();
      }
    }
    const todo: { variant: Variant; skips: SkipSpec[]; trial?: number }[] = [];
    if (!has(name, 'original')) todo.push({ variant: 'original', skips: original });
    if (!has(name, 'none')) todo.push({ variant: 'none', skips: [] });
    if (searched) todo.push({ variant: 'searched', ...searched });
    if (todo.length === 0) continue;
    log(`${name}: final training of ${todo.map((t) => t.variant).join(', ')} (${o.epochs} epochs each, test split)`);
    const runner = createRunner(
      { module: SNN_TARGET_MODULE, export: 'snnTarget', options: targetOptions(o, name, 'test') },
      Math.min(todo.length, o.workers ?? defaultWorkers()),
    );
    try {
      await Promise.all(
        todo.map(async (t, i) => {
          const spec = { ...base, skips: t.skips };
          const m = await runner.run({ number: i, seed: o.seed, params: {}, skips: t.skips, neuron: {}, spec, maxEpochs: o.epochs }, async (epoch, em) => {
            log(`${name} ${t.variant}: epoch ${epoch}/${o.epochs} test accuracy ${em.accuracy.toFixed(4)} rate ${(em.meanRate ?? NaN).toFixed(4)}`);
            return true;
          });
          results.rows.push({
            backbone: name,
            variant: t.variant,
            skips: t.skips,
            accuracy: m.accuracy,
            meanRate: m.meanRate,
            synops: m.synops,
            epochs: m.epochs ?? o.epochs,
            seconds: m.seconds ?? NaN,
            ...(t.trial !== undefined ? { trial: t.trial } : {}),
          });
          save();
        }),
      );
    } finally {
      await runner.close();
    }
  }
  return results.rows;
}

const VARIANT_LABEL: Record<Variant, string> = { original: '(a) ANN skips → SNN', none: '(b) no skips', searched: '(c) searched' };

/** Markdown table of the experiment, one line per backbone and configuration, with the gain of (c). */
export function experimentTable(rows: readonly ExperimentRow[]): string {
  const lines = ['| backbone | configuration | skips (ASC/DSC) | test accuracy | mean firing rate | SynOps / sample |', '|---|---|---|---|---|---|'];
  const order: Variant[] = ['original', 'none', 'searched'];
  const backbones = [...new Set(rows.map((r) => r.backbone))];
  for (const b of backbones) {
    for (const v of order) {
      const r = rows.find((x) => x.backbone === b && x.variant === v);
      if (!r) continue;
      const asc = r.skips.filter((s) => s.type === 'ASC').length;
      lines.push(`| ${b} | ${VARIANT_LABEL[v]} | ${r.skips.length} (${asc}/${r.skips.length - asc}) | ${(100 * r.accuracy).toFixed(1)} % | ${r.meanRate.toFixed(4)} | ${r.synops.toExponential(2)} |`);
    }
  }
  const gains = backbones.flatMap((b) => {
    const a = rows.find((x) => x.backbone === b && x.variant === 'original');
    const c = rows.find((x) => x.backbone === b && x.variant === 'searched');
    return a && c ? [100 * (c.accuracy - a.accuracy)] : [];
  });
  if (gains.length > 0) {
    lines.push('', `Searched vs original skips: ${gains.map((g) => `${g >= 0 ? '+' : ''}${g.toFixed(1)}`).join(', ')} points (mean ${(gains.reduce((x, y) => x + y, 0) / gains.length).toFixed(1)}).`);
  }
  return lines.join('\n');
}
