/**
 * `spikeline experiment skip-connections`: the comparison of Benmeziane et al. on our data. For
 * each backbone, three configurations are trained the same way (same epochs, data, and the same
 * seeds) on the whole training split and scored on the test split: (a) the ANN's original skips
 * converted to the SNN, (b) no skips, (c) the skips found by a search study (scored on a
 * validation split held out of the training split, so the test split never steers the search;
 * the study runs (a) and (b) first, so (c) differs from them only when it validates better).
 * Each configuration is trained with several seeds: at the fidelities a CPU affords, one seed
 * swings a configuration by several points, so only means, spreads and paired differences count.
 *
 * Every finished training is a row of `skip-connections.json` in the report folder (the
 * published results, and what a resumed run skips), with `skip-connections.md` beside it; the
 * search studies are resumable SQLite files in the work folder, and each final training
 * checkpoints every epoch in the work folder's checkpoints/BACKBONE-CONFIGURATION-seedN (deleted
 * once its row is saved), so one cut half-way resumes from its last epoch.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackboneName } from '../snn/backbones.js';
import type { ModelSpec } from '../snn/spec.js';
import { steppingOf, type Stepping } from '../snn/model-api.js';
import type { ObjectiveKind } from './objective.js';
import { createRunner, defaultWorkers } from './pool.js';
import { chooseTrial } from './report.js';
import { runSearch } from './run.js';
import { SNN_TARGET_MODULE, baseSpec, placedSkip, type SnnTargetOptions } from './snn-target.js';
import { SKIP_CHOICES, type SkipChoice, type SkipSpec } from './space.js';
import type { ProgressOptions } from '../util/progress.js';
import { openStudyStore } from './storage.js';
import type { StudyConfig } from './study.js';
import { mean, sampleSd } from '../util/stats.js';

export type Configuration = 'ann' | 'none' | 'searched';
export const CONFIGURATIONS: readonly Configuration[] = ['ann', 'none', 'searched'];
/** The configurations a search can choose as it found them (its enqueued baselines). */
const BASELINE_CONFIGURATIONS: readonly Configuration[] = ['ann', 'none'];

export interface SkipExperimentOptions {
  data: string;
  /** Work folder: the search studies and the final trainings' checkpoints. */
  outDir: string;
  /** Where skip-connections.json and skip-connections.md are written (default outDir). */
  reportDir?: string;
  backbones: BackboneName[];
  /** Search trials per backbone. */
  trials: number;
  /** Epochs of a fully trained search trial. */
  searchEpochs: number;
  /** First ASHA rung of the search, epochs (default 3). */
  minEpochs?: number;
  /** Epochs of each final training. */
  epochs: number;
  /** Seeds of the final trainings: seed, seed + 1, … (default 3). */
  seeds?: number;
  size: number;
  steps: number;
  widthMult: number;
  limit?: number;
  lr?: number;
  /** Label smoothing of the search's trainings and the final ones (default 0, what reports without it used). */
  labelSmoothing?: number;
  batchSize?: number;
  /** Firing threshold of every neuron, all configurations alike (default: the engine's 1). */
  threshold?: number;
  /** How windows are cut into steps (SnnTargetOptions.stepping; reports without it used 'stretch'). */
  stepping?: Stepping;
  /** What the search validates on: held-out samples (absent), recordings or people. */
  valBy?: SnnTargetOptions['valBy'];
  /** Skip limit of the search (default: the larger of 4 and the backbone's original count). */
  maxSkips?: number;
  /** Skip types searched (default all: ASC, DSC, DSC-1x1, SEW). */
  skipTypes?: SkipChoice[];
  objective: ObjectiveKind;
  seed: number;
  /**
   * Seed of the search study (sampler and trial trainings; default `seed`). Another search seed
   * with the same `seed` repeats the search while the final trainings keep their seeds, so the
   * rows of (a) and (b) carry over: does the search find a good configuration reliably?
   */
  searchSeed?: number;
  workers?: number;
  /** Wall-clock budget of each search, ms. */
  searchBudgetMs?: number;
  progress?: ProgressOptions;
  log?: (line: string) => void;
}

/** One final training (the JSON row format of issue 13; accuracy on the test split, 0–1). */
export interface ExperimentRow {
  backbone: BackboneName;
  configuration: Configuration;
  seed: number;
  accuracy: number;
  /** Mean firing rate, spikes per neuron per step. */
  rate: number;
  /** Synaptic operations per sample. */
  synops: number;
  /** CPU time of the training, seconds (its thread's user + system time). */
  cpu_s: number;
  skips: SkipSpec[];
  epochs: number;
  /** Wall-clock seconds of the training. */
  seconds: number;
  /** Search trial the searched skips came from. */
  trial?: number;
  /** A searched row that is the chosen baseline's row of the same seed (not trained again). */
  sameAs?: Configuration;
}

/** What the search of one backbone found and cost. */
export interface SearchRecord {
  skips: SkipSpec[];
  trial: number;
  /** Baseline the search chose, when it chose one ('ann', 'none', or 'sew': trained as (c), being neither (a) nor (b)). */
  baseline?: string;
  validationAccuracy: number;
  trials: number;
  /** CPU time of every trial of the study, seconds. */
  cpu_s: number;
}

export interface ResultsFile {
  options: Omit<SkipExperimentOptions, 'log' | 'progress' | 'outDir' | 'reportDir' | 'workers'>;
  search: Partial<Record<BackboneName, SearchRecord>>;
  rows: ExperimentRow[];
}

/** Options that change what a row measures: a resumed experiment must keep them. */
const MEASURING: (keyof SkipExperimentOptions)[] = ['data', 'epochs', 'size', 'steps', 'stepping', 'widthMult', 'limit', 'lr', 'labelSmoothing', 'batchSize', 'threshold', 'objective', 'valBy'];
/** Options that shape the search: a report holding a search keeps them, a new search records its own. */
const SEARCHING = ['trials', 'searchEpochs', 'minEpochs', 'maxSkips', 'skipTypes'] as const;

function targetOptions(o: SkipExperimentOptions, name: BackboneName, evaluateOn: 'validation' | 'test'): SnnTargetOptions {
  return {
    backbone: name,
    data: o.data,
    size: o.size,
    steps: o.steps,
    widthMult: o.widthMult,
    limit: o.limit,
    lr: o.lr,
    ...(o.labelSmoothing ? { labelSmoothing: o.labelSmoothing } : {}),
    batchSize: o.batchSize,
    threshold: o.threshold,
    stepping: o.stepping,
    // Only the search validates; the final trainings train on the whole training split.
    ...(o.valBy && evaluateOn === 'validation' ? { valBy: o.valBy } : {}),
    evaluateOn,
  };
}

export async function runSkipExperiment(o: SkipExperimentOptions): Promise<ResultsFile> {
  const log = o.log ?? (() => {});
  const reportDir = o.reportDir ?? o.outDir;
  mkdirSync(o.outDir, { recursive: true });
  mkdirSync(reportDir, { recursive: true });
  const resultsPath = join(reportDir, 'skip-connections.json');
  const { log: _l, progress: _p, outDir: _d, reportDir: _r, workers: _w, ...given } = o;
  const recorded = { ...given, stepping: steppingOf(o), labelSmoothing: o.labelSmoothing ?? 0 };
  const results: ResultsFile = existsSync(resultsPath) ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as ResultsFile) : { options: recorded, search: {}, rows: [] };
  // Reports written before the option existed were measured on stretched steps.
  results.options.stepping = steppingOf(results.options);
  results.options.labelSmoothing ??= 0;
  const differing = (keys: readonly (keyof SkipExperimentOptions)[]): (keyof SkipExperimentOptions)[] =>
    keys.filter((k) => JSON.stringify(results.options[k as keyof ResultsFile['options']]) !== JSON.stringify(recorded[k as keyof ResultsFile['options']]));
  const changed = differing(MEASURING);
  if (changed.length > 0) {
    throw new Error(`${resultsPath}: holds results measured with other ${changed.join(', ')}; resume with the same options or use another --report folder`);
  }
  // (a) and (b) rows do not depend on the search; a search record and the (c) rows do.
  const searchSeed = o.searchSeed ?? o.seed;
  const recordedSearchSeed = results.options.searchSeed ?? results.options.seed;
  const searchedBefore = Object.keys(results.search).length > 0 || results.rows.some((r) => r.configuration === 'searched');
  if (searchedBefore && recordedSearchSeed !== searchSeed) {
    throw new Error(`${resultsPath}: holds a search made with search seed ${recordedSearchSeed}, not ${searchSeed}; use another --report folder (copy its (a) and (b) rows to reuse them)`);
  }
  const searchChanged = differing(SEARCHING);
  if (searchedBefore && searchChanged.length > 0) {
    throw new Error(`${resultsPath}: holds a search made with other ${searchChanged.join(', ')}; resume with the same options or use another --report folder`);
  }
  // Rows of (a) and (b) carried over from another search: the report describes this one's.
  results.options = { ...results.options, ...Object.fromEntries(SEARCHING.map((k) => [k, recorded[k]])) };
  results.options.searchSeed = searchSeed;
  const save = (): void => {
    writeFileSync(resultsPath, JSON.stringify(results, null, 2) + '\n');
    writeFileSync(join(reportDir, 'skip-connections.md'), experimentMarkdown(results));
  };
  const seeds = Array.from({ length: o.seeds ?? 3 }, (_, i) => o.seed + i);
  const has = (b: BackboneName, c: Configuration, seed: number): boolean => results.rows.some((r) => r.backbone === b && r.configuration === c && r.seed === seed);

  /** Trains `todo` of one backbone (spec `base`) on the runner's workers, saving a row as each ends. */
  async function trainFinals(name: BackboneName, base: ModelSpec, skipsOf: Record<Configuration, SkipSpec[]>, trial: number, todo: { configuration: Configuration; seed: number }[]): Promise<void> {
    log(`${name}: ${todo.length} final trainings (${o.epochs} epochs each, test split, seeds ${seeds.join(', ')})`);
    const checkpoints = join(o.outDir, 'checkpoints');
    const runner = createRunner({ module: SNN_TARGET_MODULE, export: 'snnTarget', options: targetOptions(o, name, 'test') }, Math.min(todo.length, o.workers ?? defaultWorkers()));
    try {
      await Promise.all(
        todo.map(async ({ configuration, seed }, i) => {
          const skips = skipsOf[configuration];
          const spec = { ...base, skips };
          const checkpointDir = join(checkpoints, `${name}-${configuration}-seed${seed}`);
          const m = await runner.run({ number: i, seed, params: {}, skips, neuron: {}, spec, maxEpochs: o.epochs, checkpointDir }, async (epoch, em) => {
            log(`${name} ${configuration} seed ${seed}: epoch ${epoch}/${o.epochs} test accuracy ${em.accuracy.toFixed(4)} rate ${(em.meanRate ?? NaN).toFixed(4)}`);
            return true;
          });
          results.rows.push({
            backbone: name,
            configuration,
            seed,
            accuracy: m.accuracy,
            rate: m.meanRate,
            synops: m.synops,
            cpu_s: m.cpuSeconds ?? NaN,
            skips,
            epochs: m.epochs ?? o.epochs,
            seconds: m.seconds ?? NaN,
            ...(configuration === 'searched' ? { trial } : {}),
          });
          save();
          rmSync(checkpointDir, { recursive: true, force: true });
        }),
      );
      rmSync(checkpoints, { recursive: true, force: true });
    } finally {
      await runner.close();
    }
  }

  for (const name of o.backbones) {
    const base = baseSpec(targetOptions(o, name, 'test'));
    const original = base.skips.map(placedSkip);
    let searched = results.search[name];
    if (!searched) {
      const studyPath = join(o.outDir, `search-${name}.db`);
      log(`${name}: searching skips (${o.trials} trials of up to ${o.searchEpochs} epochs) in ${studyPath}`);
      const config: StudyConfig = {
        name: `${name}-skip-experiment`,
        seed: searchSeed,
        objective: o.objective,
        target: { module: SNN_TARGET_MODULE, export: 'snnTarget', options: targetOptions(o, name, 'validation') },
        space: { maxSkips: o.maxSkips ?? Math.max(4, original.length), skipTypes: o.skipTypes ?? [...SKIP_CHOICES] },
        sampler: { name: 'tpe', startupTrials: Math.max(4, Math.min(8, Math.floor(o.trials / 3))) },
        pruner: { name: 'asha', minEpochs: o.minEpochs ?? 3, eta: 3 },
        maxEpochs: o.searchEpochs,
      };
      const { summary } = await runSearch({ studyPath, create: { ...config }, explicit: { seed: searchSeed }, trials: o.trials, budgetMs: o.searchBudgetMs, workers: o.workers, progress: o.progress });
      log(`${name}: search done: ${summary.complete} complete, ${summary.pruned} pruned, ${summary.failed} failed, ${summary.epochs} epochs`);
      const storage = await openStudyStore<StudyConfig>(studyPath, undefined, { readonly: true });
      try {
        const trials = await storage.trials();
        const best = chooseTrial(trials, storage.config);
        const baseline = best.params.baseline;
        searched = {
          skips: (best.spec as { skips: SkipSpec[] }).skips.map(placedSkip),
          trial: best.number,
          ...(typeof baseline === 'string' ? { baseline } : {}),
          validationAccuracy: best.metrics!.accuracy,
          trials: trials.length,
          cpu_s: trials.reduce((a, t) => a + (t.metrics?.cpuSeconds ?? 0), 0),
        };
        log(`${name}: best trial ${best.number}${searched.baseline ? ` (baseline ${searched.baseline})` : ''}, validation accuracy ${searched.validationAccuracy.toFixed(4)}, ${searched.skips.length} skips`);
      } finally {
        await storage.close();
      }
      results.search[name] = searched;
      save();
    }
    const skipsOf: Record<Configuration, SkipSpec[]> = { ann: original, none: [], searched: searched.skips };
    // A search that chose a baseline chose its configuration: (c) is (a) or (b), trained with the
    // same seeds, data and budget, so its rows are the baseline's rather than the same trainings again.
    const chosen = BASELINE_CONFIGURATIONS.find((c) => c === searched.baseline);
    const todo = trainingOrder(seeds, chosen !== undefined).filter(({ configuration, seed }) => !has(name, configuration, seed));
    if (todo.length > 0) await trainFinals(name, base, skipsOf, searched.trial, todo);
    if (chosen) {
      for (const seed of seeds) {
        const row = results.rows.find((r) => r.backbone === name && r.configuration === chosen && r.seed === seed);
        if (row && !has(name, 'searched', seed)) results.rows.push({ ...row, configuration: 'searched', trial: searched.trial, sameAs: chosen });
      }
      save();
    }
  }
  save();
  return results;
}

/**
 * The final trainings in the order they start: seed by seed (a) and (c), then (b), so the paired
 * comparison the experiment exists for completes first and a run cut short leaves whole pairs.
 * Without (c) when the search chose a baseline (its rows are that baseline's).
 */
export function trainingOrder(seeds: readonly number[], searchChoseBaseline: boolean): { configuration: Configuration; seed: number }[] {
  const first: Configuration[] = searchChoseBaseline ? ['ann'] : ['ann', 'searched'];
  return [...seeds.flatMap((seed) => first.map((configuration) => ({ configuration, seed }))), ...seeds.map((seed) => ({ configuration: 'none' as Configuration, seed }))];
}

const LABEL: Record<Configuration, string> = { ann: '(a) ANN skips → SNN', none: '(b) no skips', searched: '(c) searched' };

const pts = (v: number): string => (Number.isFinite(v) ? (100 * v).toFixed(1) : '–');
const signed = (v: number): string => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}` : '–');

function skipCounts(skips: readonly SkipSpec[]): string {
  const n = (pred: (s: SkipSpec) => boolean): number => skips.filter(pred).length;
  return `${skips.length} (${n((s) => s.type === 'ASC')}/${n((s) => s.type === 'DSC')}/${n((s) => s.type === 'SEW')})`;
}

/**
 * Markdown tables of the experiment: per backbone and configuration the test accuracy over seeds
 * (mean ± sample std), firing rate, SynOps and CPU time; then (c) against (a) paired by seed, and
 * the cost of search plus final trainings against one full training of (a).
 */
export function experimentTable(results: Pick<ResultsFile, 'rows' | 'search'>): string {
  const { rows, search } = results;
  const lines = ['| backbone | configuration | skips (ASC/DSC/SEW) | seeds | test accuracy % (mean ± std) | mean firing rate | SynOps / sample | CPU s (sum) |', '|---|---|---|---|---|---|---|---|'];
  const backbones = [...new Set(rows.map((r) => r.backbone))];
  for (const b of backbones) {
    for (const c of CONFIGURATIONS) {
      const rs = rows.filter((x) => x.backbone === b && x.configuration === c);
      if (rs.length === 0) continue;
      const acc = rs.map((r) => r.accuracy);
      lines.push(
        `| ${b} | ${LABEL[c]} | ${skipCounts(rs[0]!.skips)} | ${rs.length} | ${pts(mean(acc))} ± ${pts(sampleSd(acc))} | ${mean(rs.map((r) => r.rate)).toFixed(4)} | ${mean(rs.map((r) => r.synops)).toExponential(2)} | ${rs.reduce((a, r) => a + r.cpu_s, 0).toFixed(0)} |`,
      );
    }
  }
  const paired: string[] = [];
  for (const b of backbones) {
    const ann = rows.filter((x) => x.backbone === b && x.configuration === 'ann');
    const pairs = rows
      .filter((x) => x.backbone === b && x.configuration === 'searched')
      .flatMap((s) => {
        const a = ann.find((x) => x.seed === s.seed);
        return a ? [{ s, a }] : [];
      });
    if (pairs.length === 0) continue;
    const diff = pairs.map(({ s, a }) => s.accuracy - a.accuracy);
    const annStd = sampleSd(ann.map((r) => r.accuracy));
    const gain = mean(pairs.map((p) => p.s.accuracy)) - mean(pairs.map((p) => p.a.accuracy));
    const synopsRatio = mean(pairs.map((p) => p.s.synops)) / mean(pairs.map((p) => p.a.synops));
    const rec = search[b];
    const annCpu = mean(ann.map((r) => r.cpu_s));
    // One training of (c): the mean of its rows, as for (a) (some may have no (a) of their seed yet).
    const searchedCpu = mean(rows.filter((x) => x.backbone === b && x.configuration === 'searched').map((r) => r.cpu_s));
    const costRatio = rec ? (rec.cpu_s + searchedCpu) / annCpu : NaN;
    paired.push(
      `| ${b} | ${pairs.length} | ${signed(mean(diff))} ± ${pts(sampleSd(diff))} | ${diff.filter((d) => d > 0).length}/${diff.length} | ${Number.isFinite(annStd) && gain > annStd ? 'yes' : 'no'} | ${synopsRatio.toFixed(2)} | ${rec ? rec.cpu_s.toFixed(0) : '–'} | ${costRatio.toFixed(1)} |`,
    );
  }
  if (paired.length > 0) {
    lines.push(
      '',
      '(c) searched against (a) ANN skips, paired by seed (same seed, data and budget):',
      '',
      '| backbone | pairs | accuracy difference, points (mean ± std) | seeds where (c) wins | gain > std of (a) | SynOps (c)/(a) | search CPU s | (search + one training of (c)) / one training of (a) |',
      '|---|---|---|---|---|---|---|---|',
      ...paired,
    );
  }
  return lines.join('\n');
}

export function experimentMarkdown(results: ResultsFile): string {
  const o = results.options;
  // The rows say which seeds were trained (a resumed run may have added some).
  const seedList = [...new Set(results.rows.map((r) => r.seed))].sort((a, b) => a - b);
  const seedText = seedList.length ? `seeds ${seedList.join(', ')}` : `${o.seeds ?? 3} seeds from ${o.seed}`;
  const searches = Object.entries(results.search).map(
    ([b, r]) =>
      `- ${b}: trial ${r!.trial}${r!.baseline ? ` (the ${r!.baseline} baseline${results.rows.some((x) => x.backbone === b && x.sameAs) ? '; (c) rows are its rows, not trained again' : ''})` : ''} of ${r!.trials}, validation accuracy ${pts(r!.validationAccuracy)} %, skips ${r!.skips.map((s) => `${s.from}→${s.to} ${s.type}${s.project ? '+1x1' : ''}`).join(', ') || 'none'}, ${r!.cpu_s.toFixed(0)} CPU s`,
  );
  return [
    '# Skip connections: ANN skips vs none vs searched',
    '',
    `Written by \`spikeline experiment skip-connections\`; the rows are in skip-connections.json beside this file. Input ${o.size}x${o.size}, T=${o.steps}, width x${o.widthMult}, ${o.epochs} epochs per final training, ${seedText}, search: ${o.trials} trials of up to ${o.searchEpochs} epochs (objective ${o.objective}${o.searchSeed !== undefined && o.searchSeed !== o.seed ? `, search seed ${o.searchSeed}` : ''}).`,
    '',
    experimentTable(results),
    '',
    'Searches:',
    '',
    ...searches,
    '',
  ].join('\n');
}
