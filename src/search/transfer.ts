/**
 * Robustness experiments on synthetic gesture data, resumable run by run:
 *
 * - `runTransferExperiment` (`spikeline experiment transfer`): one training set per recipe and
 *   one test set per randomisation family held out of training (`TRANSFER_FAMILIES`); the old
 *   recipe (the original simulator, `--domain off`, legacy augmentations) and the new one
 *   (domain randomisation with every held-out family kept to its training range, the `default`
 *   augmentations) are trained over several seeds and scored in-domain and on every held-out
 *   family.
 * - `runAugmentationAblation` (`spikeline experiment augmentation`): one training set, the legacy
 *   recipe alone and with each augmentation added, scored in-domain and on a reframed test.
 *
 * Every dataset is generated with `resume`, every finished training leaves a result file
 * (RUN/result.json) and every unfinished one a checkpoint, so running the same command again
 * after an interruption skips what is done and continues the rest.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { EventBatch } from '../events/index.js';
import { affine } from '../operators/functional/augment.js';
import { generateGestureDataset, type DatasetOptions as SimOptions } from '../simulate/dataset.js';
import { parseDomainSpec } from '../simulate/domain.js';
import type { Lighting } from '../simulate/gesture-classes.js';
import { backbone } from '../snn/backbones.js';
import { initBackend } from '../snn/backend.js';
import { formatAugmentation, loadGestureDataset, parseAugmentation, type Augmentation, type LabelledEvents } from '../snn/data.js';
import type { Preprocessing, Stepping } from '../snn/model-api.js';
import { evaluate, trainModel } from '../snn/train.js';
import { Random } from '../util/random.js';
import { mean as meanOf, sampleSd } from '../util/stats.js';

/** Simulator options of a generated set (everything but the folder). */
export type SimSettings = Omit<SimOptions, 'out' | 'resume'>;

/** One side of a family: domain spec items (`family=value`, see simulate/domain.ts) and/or simulator settings. */
export interface FamilyRange {
  domain?: string;
  lightings?: Lighting[];
  mainsHz?: number;
}

/** A randomisation family: the range training keeps to, and the range of its held-out test set. */
export interface TransferFamily {
  name: string;
  train: FamilyRange;
  test: FamilyRange;
}

/**
 * Held-out families, one test set each. Every training and test set keeps every family at its
 * training range except the test set's own family; to add a family, add a row here.
 */
export const TRANSFER_FAMILIES: readonly TransferFamily[] = [
  // Flat clothing fires only at the outlines; patterned clothing fires inside the limbs too.
  { name: 'texture', train: { domain: 'texture=uniform' }, test: { domain: 'texture=striped|printed|textured' } },
  { name: 'thresholds', train: { domain: 'thresholds=0.1:0.25' }, test: { domain: 'thresholds=0.3:0.5' } },
  // The simulator's `far` is a visible height of 0.5–0.75 of the frame; training sees mid and near.
  { name: 'distance', train: { domain: 'distance=0.75:1.3' }, test: { domain: 'distance=far' } },
  // Styles 'b' and 'c' are other ways of performing each class ('a' the original one).
  { name: 'style', train: { domain: 'style=a|b' }, test: { domain: 'style=c' } },
  { name: 'lighting', train: { lightings: ['fluorescent', 'fluorescent_led'] }, test: { lightings: ['lab', 'led', 'natural'] } },
  { name: 'mains', train: { mainsHz: 60 }, test: { mainsHz: 50 } },
];

/** Simulator settings with every family at `pick`'s range (domain items joined into one spec). */
function familySettings(pick: (f: TransferFamily) => FamilyRange): Partial<SimSettings> {
  const items: string[] = [];
  let settings: Partial<SimSettings> = {};
  for (const f of TRANSFER_FAMILIES) {
    const { domain, ...rest } = pick(f);
    if (domain) items.push(domain);
    settings = { ...settings, ...rest };
  }
  return { ...settings, domain: parseDomainSpec(items.join(',')) };
}

/** Settings of the new recipe's training set and the in-domain test set: every family at its training range. */
export function inDomainSettings(): Partial<SimSettings> {
  return familySettings((f) => f.train);
}

/** Settings of family `name`'s held-out test set: that family at its test range, the others at their training ranges. */
export function heldOutSettings(name: string): Partial<SimSettings> {
  if (!TRANSFER_FAMILIES.some((f) => f.name === name)) throw new RangeError(`unknown transfer family "${name}" (families: ${TRANSFER_FAMILIES.map((f) => f.name).join(', ')})`);
  return familySettings((f) => (f.name === name ? f.test : f.train));
}

/** `training range → held-out range` of a family, for the results page. */
function describeFamily(f: TransferFamily): string {
  const show = (r: FamilyRange): string => [r.domain, r.lightings && `lightings ${r.lightings.join(', ')}`, r.mainsHz && `${r.mainsHz} Hz mains`].filter(Boolean).join(', ');
  return `${show(f.train)} → ${show(f.test)}`;
}

export interface Recipe {
  name: string;
  /** Simulator settings of its training set (over inDomainSettings()). */
  data: Partial<SimSettings>;
  augmentation: string;
}

/**
 * Old: the original simulator (no randomisation; lighting and mains at their training ranges)
 * and the legacy augmentations. New: randomisation with the held-out families at their training
 * ranges and the `default` augmentations (chosen by the augmentation ablation).
 */
export const TRANSFER_RECIPES: readonly Recipe[] = [
  { name: 'old', data: { domain: null }, augmentation: 'legacy' },
  { name: 'new', data: {}, augmentation: 'default' },
];

export interface TrainSettings {
  /** Integer downsample of the 128-pixel sensor (4: 32x32, 8: 16x16). */
  downsample: number;
  steps: number;
  stepUs: number;
  epochs: number;
  batchSize: number;
  lr: number;
  widthMult: number;
  /**
   * How windows are cut into steps. Part of every run's recorded settings, so a run made before
   * the option existed (stretched steps) is not resumed or reused under fixed ones.
   */
  stepping: Stepping;
}

export interface TransferOptions {
  outDir: string;
  seeds: number;
  /** Seed of the generated data (training seeds are 1..seeds). */
  dataSeed: number;
  trainUsers: number;
  testUsers: number;
  gestureSeconds: number;
  train: TrainSettings;
  log?: (line: string) => void;
}

/** Small sizes for a run of minutes: `--quick`. */
export const QUICK_TRANSFER: Pick<TransferOptions, 'trainUsers' | 'testUsers' | 'gestureSeconds'> & { train: TrainSettings } = {
  trainUsers: 8,
  testUsers: 2,
  gestureSeconds: 2,
  train: { downsample: 8, steps: 8, stepUs: 187_500, epochs: 12, batchSize: 8, lr: 2e-3, widthMult: 1, stepping: 'fixed' },
};

/** Accuracy of one trained model on one test set. */
export interface RunResult {
  run: string;
  recipe: string;
  seed: number;
  augmentation: string;
  accuracy: Record<string, number>;
  samples: Record<string, number>;
  meanFiringRate: number;
  trainSeconds: number;
  /** CPU time of this process over training and scoring (user + system), s. */
  cpuSeconds: number;
  epochs: number;
}

/**
 * A framing change applied to recorded events (zoom about the centre, offset, roll), drawn per
 * sample from these ranges: the ablation's "reframed" test, which works on any dataset folder.
 */
export interface FramingShift {
  scale: readonly [number, number];
  /** Max offset per axis, fraction of the sensor. */
  offset: number;
  /** Max roll, degrees. */
  roll: number;
}

/** The ablation's default reframing: a subject further away and off-centre. */
export const REFRAMING: FramingShift = { scale: [0.55, 0.75], offset: 0.15, roll: 10 };

/** A test set: a folder (its test split) and an optional framing change. */
interface TestSet {
  name: string;
  dir: string;
  framing?: FramingShift;
}

/** Applies a framing change drawn per sample (seeded by the sample's position) to every sample. */
export function shiftFraming(samples: readonly LabelledEvents[], f: FramingShift, seed: number): LabelledEvents[] {
  return samples.map((s, i) => {
    const r = Random.derive(seed, 'framing', i);
    const ev: EventBatch = s.events;
    const scale = r.uniform(f.scale[0], f.scale[1]);
    const angleDeg = r.uniform(-f.roll, f.roll);
    const dx = r.uniform(-f.offset, f.offset) * ev.sensor.width;
    const dy = r.uniform(-f.offset, f.offset) * ev.sensor.height;
    return { ...s, events: affine(ev, { scale, angleDeg, dx, dy }) };
  });
}

async function generate(dir: string, settings: SimSettings, log: (l: string) => void): Promise<void> {
  if (existsSync(join(dir, 'synthetic.json')) && (JSON.parse(readFileSync(join(dir, 'synthetic.json'), 'utf8')) as { complete: boolean }).complete) return;
  log(`generating ${dir}`);
  mkdirSync(dir, { recursive: true });
  await generateGestureDataset({ ...settings, out: dir, resume: true, workers: availableParallelism() });
}

/**
 * Trains one model (resuming its checkpoint) and scores it on every test set; the result file
 * makes a finished run free on the next call.
 */
async function trainAndScore(runDir: string, recipe: string, seed: number, trainDir: string, augmentation: Augmentation, tests: readonly TestSet[], t: TrainSettings, log: (l: string) => void): Promise<RunResult> {
  const resultPath = join(runDir, 'result.json');
  // A run folder belongs to one recipe: resuming another's checkpoint would mislabel its scores.
  const settings = JSON.stringify({ recipe, seed, trainDir, augmentation: formatAugmentation(augmentation), train: t, tests }, null, 2) + '\n';
  const settingsPath = join(runDir, 'run.json');
  if (existsSync(settingsPath) && readFileSync(settingsPath, 'utf8') !== settings) {
    throw new Error(`${settingsPath}: this run was started with other settings (${readFileSync(settingsPath, 'utf8').replace(/\s+/g, ' ')}); remove ${runDir} to train it again`);
  }
  if (existsSync(resultPath)) return JSON.parse(readFileSync(resultPath, 'utf8')) as RunResult;
  mkdirSync(runDir, { recursive: true });
  writeFileSync(settingsPath, settings);
  const cpu0 = process.cpuUsage();
  const opts = { downsample: t.downsample, steps: t.steps, stepUs: t.stepUs, stepping: t.stepping };
  const ds = await loadGestureDataset(trainDir, opts);
  const spec = backbone('gesture', { height: ds.preprocessing.height, width: ds.preprocessing.width, classes: ds.classes.length, widthMult: t.widthMult });
  log(`${runDir}: training ${t.epochs} epochs on ${ds.train.length} samples, augment ${formatAugmentation(augmentation)}`);
  const r = await trainModel({
    spec,
    data: { classes: ds.classes, preprocessing: ds.preprocessing, train: ds.train, test: [] },
    epochs: t.epochs,
    batchSize: t.batchSize,
    lr: t.lr,
    labelSmoothing: 0.1,
    seed,
    augmentation,
    outDir: runDir,
    resume: true,
    progress: false,
    onEpoch: (m) => log(`${runDir}: epoch ${m.epoch}/${t.epochs} train accuracy ${m.trainAccuracy.toFixed(3)} loss ${m.trainLoss.toFixed(3)} (${m.seconds.toFixed(0)} s)`),
  });
  const accuracy: Record<string, number> = {};
  const samples: Record<string, number> = {};
  let rate = 0;
  for (const test of tests) {
    const td = test.dir === trainDir ? ds : await loadGestureDataset(test.dir, opts);
    const s = test.framing ? shiftFraming(td.test, test.framing, 7) : td.test;
    const e = evaluate(r.model, s, ds.preprocessing as Preprocessing, t.batchSize);
    accuracy[test.name] = e.accuracy;
    samples[test.name] = e.samples;
    if (test.name === 'in-domain') rate = e.firing.meanRate;
    log(`${runDir}: ${test.name} accuracy ${(100 * e.accuracy).toFixed(1)} % on ${e.samples}`);
  }
  r.model.dispose();
  const cpu = process.cpuUsage(cpu0);
  const result: RunResult = { run: runDir, recipe, seed, augmentation: formatAugmentation(augmentation), accuracy, samples, meanFiringRate: rate, trainSeconds: r.seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, epochs: r.epochs };
  writeFileSync(resultPath, JSON.stringify(result, null, 2) + '\n');
  return result;
}

export interface Summary {
  /** Column (test set) names in order. */
  tests: string[];
  rows: { recipe: string; augmentation: string; runs: number; mean: Record<string, number>; sd: Record<string, number>; cpuSeconds: number }[];
}

/** Mean and sample standard deviation (0 for one run) of each recipe's accuracy per test set. */
export function summarize(results: readonly RunResult[], tests: readonly string[]): Summary {
  const recipes = [...new Set(results.map((r) => r.recipe))];
  return {
    tests: [...tests],
    rows: recipes.map((recipe) => {
      const rs = results.filter((r) => r.recipe === recipe);
      const mean: Record<string, number> = {};
      const sd: Record<string, number> = {};
      for (const t of tests) {
        const v = rs.map((r) => r.accuracy[t]!);
        mean[t] = meanOf(v);
        sd[t] = v.length > 1 ? sampleSd(v) : 0;
      }
      return { recipe, augmentation: rs[0]!.augmentation, runs: rs.length, mean, sd, cpuSeconds: rs.reduce((a, r) => a + r.cpuSeconds, 0) };
    }),
  };
}

/** Markdown table: one row per recipe, accuracy mean ± sd (percent) per test set. */
export function summaryTable(s: Summary): string {
  const pct = (m: number, d: number): string => `${(100 * m).toFixed(1)} ± ${(100 * d).toFixed(1)}`;
  const lines = [`| recipe | runs | ${s.tests.join(' | ')} | CPU s (all runs) |`, `|---|---|${s.tests.map(() => '---|').join('')}---|`];
  for (const r of s.rows) lines.push(`| ${r.recipe} | ${r.runs} | ${s.tests.map((t) => pct(r.mean[t]!, r.sd[t]!)).join(' | ')} | ${r.cpuSeconds.toFixed(0)} |`);
  return lines.join('\n');
}

function writeTables(outDir: string, title: string, s: Summary, results: readonly RunResult[], notes: string): void {
  writeFileSync(join(outDir, 'results.json'), JSON.stringify({ summary: s, runs: results }, null, 2) + '\n');
  writeFileSync(join(outDir, 'results.md'), `# ${title}\n\n${notes}\n\nAccuracy in %, mean ± sample standard deviation over seeds.\n\n${summaryTable(s)}\n`);
}

/** A generated set of the transfer experiment: its folder and simulator settings. */
export interface TransferSet {
  name: string;
  dir: string;
  settings: SimSettings;
}

/**
 * The sets `runTransferExperiment` generates: one training set per distinct recipe `data`
 * (`train-<recipe>`, users 1..trainUsers, two lightings each) and the test sets (users
 * 24..24+testUsers-1, one lighting each): `original` (the original simulator), `in-domain`
 * (every family at its training range) and one per held-out family.
 */
export function planTransfer(o: Pick<TransferOptions, 'outDir' | 'dataSeed' | 'trainUsers' | 'testUsers' | 'gestureSeconds'>): { train: Record<string, TransferSet>; tests: TransferSet[] } {
  if (o.trainUsers > 23 || o.testUsers > 6) throw new RangeError(`at most 23 training users (1-23) and 6 test users (24-29), got ${o.trainUsers} and ${o.testUsers}`);
  // No "no gesture" rows: the loaders skip them, so generating them would only cost time.
  const base: SimSettings = { seed: o.dataSeed, gestureSeconds: o.gestureSeconds, idleProbability: 0, ...inDomainSettings() };
  const trainUsers = Array.from({ length: o.trainUsers }, (_, i) => i + 1);
  const testUsers = Array.from({ length: o.testUsers }, (_, i) => 24 + i);
  const data = (name: string): string => join(o.outDir, 'data', name);
  const train: Record<string, TransferSet> = {};
  for (const recipe of TRANSFER_RECIPES) {
    // Recipes with the same simulator settings share one training set.
    const first = TRANSFER_RECIPES.find((r) => JSON.stringify(r.data) === JSON.stringify(recipe.data))!;
    train[recipe.name] = { name: `train-${first.name}`, dir: data(`train-${first.name}`), settings: { ...base, ...first.data, users: trainUsers, maxLightingsPerUser: 2 } };
  }
  const test = (name: string, settings: Partial<SimSettings>): TransferSet => ({ name, dir: data(`test-${name}`), settings: { ...base, ...settings, users: testUsers, maxLightingsPerUser: 1 } });
  const tests = [test('original', { domain: null }), test('in-domain', {}), ...TRANSFER_FAMILIES.map((f) => test(f.name, heldOutSettings(f.name)))];
  return { train, tests };
}

export async function runTransferExperiment(o: TransferOptions): Promise<Summary> {
  const log = o.log ?? (() => {});
  const plan = planTransfer(o);
  await initBackend();
  mkdirSync(o.outDir, { recursive: true });
  // Test sets first: they are shared by every recipe and run.
  for (const t of plan.tests) await generate(t.dir, t.settings, log);
  const tests: TestSet[] = plan.tests.map((t) => ({ name: t.name, dir: t.dir }));
  const results: RunResult[] = [];
  for (const recipe of TRANSFER_RECIPES) {
    const trainSet = plan.train[recipe.name]!;
    await generate(trainSet.dir, trainSet.settings, log);
    for (let seed = 1; seed <= o.seeds; seed++) {
      results.push(await trainAndScore(join(o.outDir, 'runs', `${recipe.name}-seed${seed}`), recipe.name, seed, trainSet.dir, parseAugmentation(recipe.augmentation), tests, o.train, log));
    }
  }
  const s = summarize(results, tests.map((t) => t.name));
  const held = TRANSFER_FAMILIES.map((f) => `- **${f.name}**: ${describeFamily(f)}`).join('\n');
  writeTables(
    o.outDir,
    'Transfer to held-out randomisation families',
    s,
    results,
    `Test sets: **original** = the original simulator (\`--domain off\`), **in-domain** = randomisation with every family below at its training range, then one per family at its held-out range (training range → held-out range; every other family at its training range):\n\n${held}\n\nRecipes: ${TRANSFER_RECIPES.map((r) => `${r.name} = ${r.data.domain === null ? 'original simulator' : 'randomised (training ranges)'}, --augment ${r.augmentation}`).join('; ')}.`,
  );
  return s;
}

export interface AblationOptions {
  data: string;
  outDir: string;
  seeds: number;
  /** Recipes as --augment strings by name; default: legacy alone and with each new augmentation. */
  variants?: Record<string, string>;
  /** Framing change of the second test set (default REFRAMING). */
  framing?: FramingShift;
  train: TrainSettings;
  /** Run only every `of`-th run starting at `index` (parallel processes on one folder). */
  shard?: { index: number; of: number };
  log?: (line: string) => void;
}

/** Legacy recipe plus one augmentation each (and all of them), for the ablation. */
export function ablationVariants(): Record<string, string> {
  const legacy = 'crop,shift=0.0625,drop=0.1';
  const out: Record<string, string> = { legacy };
  for (const name of ['shift', 'scale', 'rotate', 'flip', 'drop-time', 'drop-area', 'polarity', 'noise', 'stretch', 'mix']) {
    out[`+${name}`] = name === 'shift' ? 'crop,shift,drop=0.1' : `${legacy},${name}`;
  }
  out['+all'] = 'all';
  out['+scale+rotate+drop-area+polarity'] = `${legacy},scale,rotate,drop-area,polarity`;
  out.default = 'default';
  return out;
}

export async function runAugmentationAblation(o: AblationOptions): Promise<Summary> {
  const log = o.log ?? (() => {});
  await initBackend();
  mkdirSync(o.outDir, { recursive: true });
  const framing = o.framing ?? REFRAMING;
  const tests: TestSet[] = [
    { name: 'in-domain', dir: o.data },
    { name: 'reframed', dir: o.data, framing },
  ];
  const variants = o.variants ?? ablationVariants();
  const plan: { name: string; aug: string; seed: number; dir: string }[] = [];
  for (let seed = 1; seed <= o.seeds; seed++) {
    for (const [name, aug] of Object.entries(variants)) plan.push({ name, aug, seed, dir: join(o.outDir, 'runs', `${name.replace(/[^a-z0-9-]/gi, '_')}-seed${seed}`) });
  }
  const shard = o.shard ?? { index: 0, of: 1 };
  for (const [k, r] of plan.entries()) {
    if (k % shard.of === shard.index) await trainAndScore(r.dir, r.name, r.seed, o.data, parseAugmentation(r.aug), tests, o.train, log);
  }
  // Every finished run, this process's or another shard's.
  const results = plan.filter((r) => existsSync(join(r.dir, 'result.json'))).map((r) => JSON.parse(readFileSync(join(r.dir, 'result.json'), 'utf8')) as RunResult);
  const s = summarize(results, tests.map((t) => t.name));
  writeTables(o.outDir, 'Augmentation ablation', s, results, `Training set ${o.data}; "reframed" is its test split with each sample zoomed ${framing.scale[0]}–${framing.scale[1]}x, offset ±${100 * framing.offset} % and rolled ±${framing.roll}°.`);
  return s;
}
