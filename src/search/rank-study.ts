/**
 * How well do cheap rankers predict fully trained accuracy? For one backbone, a fixed set of
 * configurations (the ANN skips, no skips, then random draws of the search space) is
 *  1. scored at initialisation by the SNASNet Hamming kernel (rank.ts), on one training batch;
 *  2. trained at reduced fidelity (fewer time steps, a subset of the training data, few epochs)
 *     and scored on the validation split, as a search would;
 *  3. trained fully and scored on the test split (the truth the rankers are judged against), with
 *     one seed or the mean of several (`truthSeeds`), since one training can swing by more than
 *     the configurations differ.
 * Kendall tau of each ranker against (3), and the CPU time each costs per candidate, are the
 * figures. Every finished measurement is saved at once to the JSON file, so a long run resumes;
 * a full training cut half-way resumes from its last epoch (checkpoints beside the file).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { initBackend } from '../snn/backend.js';
import { NO_AUGMENTATION, packBatch, sampleFrames, splitValidation } from '../snn/data.js';
import { Random, deriveSeed, randomSource } from '../util/random.js';
import { threadCpuSeconds } from '../util/cpu-time.js';
import { createRunner } from './pool.js';
import { hammingKernelScore, kendallTau, perfectRankerTau, type TruthCeiling } from './rank.js';
import { SNN_TARGET_MODULE, baseSpec, loadTargetData, snnAdapter, withSkips, type SnnTargetOptions } from './snn-target.js';
import { SKIP_CHOICES, SearchSpace, type SkipChoice, type SkipSpec } from './space.js';
import { mean } from '../util/stats.js';

export interface RankStudyOptions {
  /** The full fidelity: backbone, data, size, steps, width (evaluateOn is set here). */
  target: Omit<SnnTargetOptions, 'evaluateOn'>;
  /** Configurations measured (the two baselines included); at least 3. */
  configs: number;
  /** Epochs of a full training. */
  epochs: number;
  /** Full trainings per configuration, seeds seed, seed+1, …; the truth is their mean (default 1). */
  truthSeeds?: number;
  /** Reduced fidelity: time steps, training samples per split, epochs. */
  low: { steps: number; limit: number; epochs: number };
  /** Samples in the SNASNet mini-batch (default 32). */
  scoreBatch?: number;
  maxSkips: number;
  skipTypes?: SkipChoice[];
  seed: number;
  /** Results file (created, or resumed when present); full trainings checkpoint in OUT's name + `.checkpoints/`. */
  out: string;
  /** Parallel trainings (default 1). */
  workers?: number;
  log?: (line: string) => void;
}

export interface RankedConfig {
  skips: SkipSpec[];
  label: string;
  snasnet?: { score: number; cpu_s: number };
  low?: { accuracy: number; cpu_s: number };
  /** Fully trained (the mean over the seeds when there are several). */
  full?: FullTraining;
  /** Each seed's full training, when `truthSeeds` > 1 (`full` is set once all are done). */
  fullSeeds?: (FullTraining & { seed: number })[];
}

export interface FullTraining {
  accuracy: number;
  rate: number;
  synops: number;
  cpu_s: number;
}

export interface RankStudyFile {
  options: Omit<RankStudyOptions, 'out' | 'workers' | 'log'>;
  configs: RankedConfig[];
  /** Samples in the test split the full trainings are scored on (sets the truth's noise). */
  testSamples?: number;
}

export interface RankerFigures {
  /**
   * 'one-training' (with several truth seeds) is the yardstick for the others: one more full
   * training per candidate, each seed's accuracy against the mean of the other seeds.
   */
  ranker: 'snasnet' | 'low-fidelity' | 'one-training';
  /** Kendall tau against full test accuracy, over `n` configurations with both figures. */
  tau: number;
  n: number;
  /** Mean CPU seconds per candidate. */
  cpu_s: number;
  /** 'one-training': the tau of each seed (their mean is `tau`). */
  perSeed?: number[];
}

/** The study's configurations: ANN skips, none, then distinct random draws of the space. */
export function rankConfigs(o: Pick<RankStudyOptions, 'target' | 'configs' | 'maxSkips' | 'skipTypes' | 'seed'>): RankedConfig[] {
  const adapter = snnAdapter(o.target);
  const space = new SearchSpace(adapter, { maxSkips: Math.max(o.maxSkips, adapter.originalSkips.length), skipTypes: o.skipTypes ?? SKIP_CHOICES });
  const out: RankedConfig[] = [
    { skips: [...adapter.originalSkips], label: 'ann' },
    { skips: [], label: 'none' },
  ];
  const seen = new Set(out.map((c) => JSON.stringify(c.skips)));
  for (let i = 0; out.length < o.configs && i < 100 * o.configs; i++) {
    const { skips } = space.candidate(space.sampleRandom(new Random(deriveSeed(o.seed, i))));
    const key = JSON.stringify(skips);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ skips, label: `random ${i}` });
  }
  return out;
}

export async function runRankStudy(o: RankStudyOptions): Promise<RankStudyFile> {
  const log = o.log ?? (() => {});
  if (o.configs < 3) throw new RangeError(`configs: ${o.configs} are too few to rank (at least 3)`);
  const seeds = o.truthSeeds ?? 1;
  if (!Number.isInteger(seeds) || seeds < 1) throw new RangeError(`truthSeeds must be an integer >= 1, got ${seeds}`);
  // One seed is recorded as before the option existed, so those studies still resume.
  const { out: _o, workers: _w, log: _l, truthSeeds: _s, ...rest } = o;
  const recorded = seeds > 1 ? { ...rest, truthSeeds: seeds } : rest;
  let file: RankStudyFile;
  if (existsSync(o.out)) {
    file = JSON.parse(readFileSync(o.out, 'utf8')) as RankStudyFile;
    if (JSON.stringify(file.options) !== JSON.stringify(recorded)) throw new Error(`${o.out}: a rank study with other options; resume with the same options or write to another file`);
  } else {
    file = { options: recorded, configs: rankConfigs(o) };
  }
  const save = (): void => writeFileSync(o.out, JSON.stringify(file, null, 2) + '\n');
  save();

  const full: SnnTargetOptions = { ...o.target, evaluateOn: 'test' };
  const low: SnnTargetOptions = { ...o.target, steps: o.low.steps, limit: o.low.limit, evaluateOn: 'validation' };
  const fullBase = baseSpec(full);
  const lowBase = baseSpec(low);

  // 1. Training-free scores, in this thread, on one batch of the training part of the split.
  const todoScore = file.configs.filter((c) => !c.snasnet);
  if (todoScore.length > 0 || file.testSamples === undefined) {
    await initBackend();
    const ds = await loadTargetData(full);
    file.testSamples = ds.test.length;
    save();
    const { train } = splitValidation(ds.train, full.valFraction ?? 0.2, full.valBy);
    const B = Math.min(o.scoreBatch ?? 32, train.length);
    const rand = randomSource(deriveSeed(o.seed, 0x5c));
    const picked = Array.from({ length: B }, (_, i) => train[Math.floor((i * train.length) / B)]!);
    const x = packBatch(picked.map((s) => sampleFrames(s, ds.preprocessing, NO_AUGMENTATION, rand).frames), ds.preprocessing.steps);
    for (const c of todoScore) {
      const cpu0 = threadCpuSeconds();
      const score = hammingKernelScore(withSkips(fullBase, c.skips), x, ds.preprocessing.steps, B, o.seed);
      c.snasnet = { score, cpu_s: threadCpuSeconds() - cpu0 };
      log(`${c.label}: SNASNet score ${score.toFixed(2)} (${c.snasnet.cpu_s.toFixed(2)} CPU s)`);
      save();
    }
  }

  // 2 and 3. Trainings, reduced fidelity first (cheap), then full (every missing seed). Full
  // trainings, the long ones, checkpoint every epoch (a folder per configuration and seed, deleted
  // once its result is saved); reduced-fidelity ones are short, and their CPU time is the measured
  // cost of that ranker, which checkpoint writes would inflate.
  const checkpoints = join(dirname(o.out), `${basename(o.out, extname(o.out))}.checkpoints`);
  for (const stage of ['low', 'full'] as const) {
    const todo = file.configs.flatMap((c) => {
      if (c[stage]) return [];
      if (stage === 'low') return [{ c, seed: o.seed }];
      return Array.from({ length: seeds }, (_, k) => o.seed + k)
        .filter((seed) => !c.fullSeeds?.some((r) => r.seed === seed))
        .map((seed) => ({ c, seed }));
    });
    if (todo.length === 0) continue;
    const target = stage === 'low' ? low : full;
    const base = stage === 'low' ? lowBase : fullBase;
    const epochs = stage === 'low' ? o.low.epochs : o.epochs;
    const runner = createRunner({ module: SNN_TARGET_MODULE, export: 'snnTarget', options: target }, Math.min(todo.length, o.workers ?? 1));
    try {
      await Promise.all(
        todo.map(async ({ c, seed }, i) => {
          const name = seeds > 1 && stage === 'full' ? `${c.label} full (seed ${seed})` : `${c.label} ${stage}`;
          const dir = stage === 'full' ? join(checkpoints, `${c.label.replace(/\s+/g, '-')}-seed${seed}`) : undefined;
          const request = { number: i, seed, params: {}, skips: c.skips, neuron: {}, spec: withSkips(base, c.skips), maxEpochs: epochs, checkpointDir: dir };
          const m = await runner.run(request, async (epoch, em) => {
            log(`${name}: epoch ${epoch}/${epochs} accuracy ${em.accuracy.toFixed(4)}`);
            return true;
          });
          const cpu_s = m.cpuSeconds ?? NaN;
          if (stage === 'low') c.low = { accuracy: m.accuracy, cpu_s };
          else recordFull(c, { accuracy: m.accuracy, rate: m.meanRate, synops: m.synops, cpu_s }, seed, seeds);
          save();
          if (dir) rmSync(dir, { recursive: true, force: true });
          if (c.full && stage === 'full') log(`tau so far: ${rankFigures(file.configs).map((f) => `${f.ranker} ${f.tau.toFixed(3)} (n=${f.n})`).join(', ')}`);
        }),
      );
      if (stage === 'full') rmSync(checkpoints, { recursive: true, force: true });
    } finally {
      await runner.close();
    }
  }
  return file;
}

/** One seed's full training of `c`; with several seeds, `full` becomes their mean once all are in. */
function recordFull(c: RankedConfig, r: FullTraining, seed: number, seeds: number): void {
  if (seeds === 1) {
    c.full = r;
    return;
  }
  c.fullSeeds = [...(c.fullSeeds ?? []), { seed, ...r }].sort((a, b) => a.seed - b.seed);
  if (c.fullSeeds.length < seeds) return;
  const mean = (f: (x: FullTraining) => number): number => c.fullSeeds!.reduce((a, x) => a + f(x), 0) / c.fullSeeds!.length;
  c.full = { accuracy: mean((x) => x.accuracy), rate: mean((x) => x.rate), synops: mean((x) => x.synops), cpu_s: mean((x) => x.cpu_s) };
}

/**
 * Standard deviation of a configuration's accuracy between seeds, pooled over the configurations
 * with at least two seeds trained, or undefined when none has.
 */
export function seedSpread(configs: readonly RankedConfig[]): number | undefined {
  let squares = 0;
  let dof = 0;
  for (const c of configs) {
    const acc = (c.fullSeeds ?? []).map((r) => r.accuracy);
    if (acc.length < 2) continue;
    const m = mean(acc);
    squares += acc.reduce((a, v) => a + (v - m) ** 2, 0);
    dof += acc.length - 1;
  }
  return dof > 0 ? Math.sqrt(squares / dof) : undefined;
}

/**
 * The tau a perfect ranker would reach against the fully trained accuracies so far
 * (perfectRankerTau; with several seeds, their measured spread counts as noise too), or null
 * while fewer than 3 are trained or the test split's size is unknown.
 */
export function truthCeiling(file: RankStudyFile): TruthCeiling | null {
  const acc = file.configs.flatMap((c) => (c.full ? [c.full.accuracy] : []));
  if (acc.length < 3 || !file.testSamples) return null;
  const seedSd = seedSpread(file.configs);
  return perfectRankerTau(acc, { testSamples: file.testSamples, seeds: file.options.truthSeeds ?? 1, ...(seedSd !== undefined ? { seedSd } : {}) });
}

/** Kendall tau and CPU cost per candidate of each ranker, over the configurations fully trained so far. */
export function rankFigures(configs: readonly RankedConfig[]): RankerFigures[] {
  const trained = configs.filter((c) => c.full);
  const figures = (ranker: RankerFigures['ranker'], value: (c: RankedConfig) => number | undefined, cost: (c: RankedConfig) => number | undefined): RankerFigures => {
    const both = trained.filter((c) => value(c) !== undefined);
    return {
      ranker,
      tau: both.length >= 2 ? kendallTau(both.map((c) => value(c)!), both.map((c) => c.full!.accuracy)) : NaN,
      n: both.length,
      cpu_s: mean(configs.flatMap((c) => (cost(c) === undefined ? [] : [cost(c)!]))),
    };
  };
  const out = [
    figures('snasnet', (c) => c.snasnet?.score, (c) => c.snasnet?.cpu_s),
    figures('low-fidelity', (c) => c.low?.accuracy, (c) => c.low?.cpu_s),
  ];
  const repeat = oneTrainingFigures(trained);
  return repeat ? [...out, repeat] : out;
}

/**
 * How well one full training ranks the configurations, the most a search can spend on a
 * candidate: seed k's accuracy against the mean of the other seeds, per k. Undefined without
 * two or more seeds per configuration or with fewer than 3 configurations.
 */
function oneTrainingFigures(trained: readonly RankedConfig[]): RankerFigures | undefined {
  const runs = trained.map((c) => c.fullSeeds ?? []);
  const seeds = Math.min(...runs.map((r) => r.length));
  if (runs.length < 3 || seeds < 2) return undefined;
  const perSeed = Array.from({ length: seeds }, (_, k) => {
    const others = runs.map((r) => mean(r.slice(0, seeds).filter((_, j) => j !== k).map((x) => x.accuracy)));
    return kendallTau(runs.map((r) => r[k]!.accuracy), others);
  });
  return { ranker: 'one-training', tau: mean(perSeed), n: runs.length, cpu_s: mean(runs.flat().map((r) => r.cpu_s)), perSeed };
}
