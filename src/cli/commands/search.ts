import { COUNT, FRAME_SIZE, NON_NEGATIVE_INT, POSITIVE, SEED, UsageError, choiceOption, numberOption, parseCommandArgs, type Command } from '../command.js';
import { VALIDATION_GROUPS, type ValidationGroup } from '../../snn/validation.js';
import { STEPPINGS, type Stepping } from '../../snn/model-api.js';
import { OBJECTIVES, type ObjectiveKind } from '../../search/objective.js';
import { SearchConfigError, defaultReportPath, parseBudgetMs, runSearch, writeStudyReport } from '../../search/run.js';
import { StudyFileError, StudyLockedError } from '../../search/storage.js';
import { BASELINE_LABEL } from '../../search/study.js';
import { SKIP_CHOICES, type SkipChoice } from '../../search/space.js';
import { rankFigures, runRankStudy, seedSpread, truthCeiling } from '../../search/rank-study.js';
import type { SnnTargetOptions } from '../../search/snn-target.js';
import { searchTargetRef, SEARCH_BACKBONES } from '../../search/targets.js';

const usage = `usage: spikeline search --backbone NAME [--data DIR] --trials N [options]
       spikeline search report STUDY [--out FILE] [--export FILE] [--tolerance A] [--trial N]
       spikeline search rank --backbone NAME --data DIR --out FILE [options]

Searches the number, position and type (ASC add / DSC concatenate / DSC-1x1 concatenate through
a 1x1 projection / SEW add spikes after the neuron) of the skip connections of an SNN backbone,
maximising accuracy (and minimising SynOps or firing rate). Every new study runs the backbone's
ANN skips and no skips first (baselines, marked in the report). The study lives in
an SQLite file: run the same command again to resume it after an interruption or to add trials.
Or it lives in PostgreSQL, where any number of search processes on any machines share it:
--study 'postgres://USER@HOST:PORT/DB?study=NAME' (password in PGPASSWORD or the URL; optional
&heartbeat=5s&expiry=30s: a killed process's running trials become interrupted once its lease expires).

  --backbone NAME     ${SEARCH_BACKBONES.join(' | ')} (synthetic: known-optimum test objective, no data)
  --data DIR          dataset folder (DVS128 Gesture layout) for SNN backbones
  --trials N          finished trials wanted in the study (counting earlier runs)
  --budget TIME       wall-clock limit, e.g. 2h, 45m, 1h30m (no trial starts after it)
  --objective O       accuracy | accuracy-synops | accuracy-rate (default accuracy-synops)
  --study FILE|URL    study database (default search-<backbone>.db) or postgres:// URL (above);
                      without --backbone it resumes the study, which must exist
  --take-over         run an SQLite study whose lock names a live process (one that is not
                      really running this study, e.g. a reused pid)
  --sampler S         tpe | random (default tpe)
  --startup N         random trials before TPE models the history (default 8)
  --pruner P          asha | none (default asha)
  --eta N             ASHA reduction factor (default 3)
  --min-epochs N      first ASHA rung, epochs (default 3: real trials are at chance for the first epochs)
  --epochs N          epochs of a fully trained trial (default 9)
  --max-skips N       most skips per candidate (default 6)
  --skip-types LIST   skip types searched, comma-separated (default ${SKIP_CHOICES.join(',')})
  --min-skips N       fewest skips per candidate (default 0)
  --search-neuron     also search tau, threshold and surrogate alpha
  --workers N         parallel trial workers (default: one per core)
  --seed N            study seed (default 1)
  --width-mult X      channel width multiplier of SNN backbones (default 0.5)
  --steps N           time steps per sample (default 8)
  --size N            input frames are N x N (default 32)
  --limit N           use at most N samples of each dataset split (quick studies)
  --lr X              Adam learning rate of every trial (default 0.002)
  --batch-size N      training batch size (default 16)
  --threshold X       firing threshold of every neuron (default 1; searched with --search-neuron)
  --val-by G          trials validate on held-out samples, whole recordings or whole people:
                      sample | recording | user (default sample)
  --stepping fixed|stretch  how windows are cut into steps (spikeline train --help;
                      default fixed)

report:
  --out FILE          HTML report (default STUDY with .html; NAME.html for a PostgreSQL study)
  --export FILE       write the chosen trial's model spec (input of spikeline train --spec)
  --tolerance A       accept up to A accuracy below the best for lower energy (default 0)
  --trial N           export trial N instead of choosing

rank (how well cheap rankers predict fully trained test accuracy: Kendall tau, CPU s per candidate,
and the tau a perfect ranker would reach against that truth given the test split's size;
resumable, every result saved to --out at once, a full training checkpointed every epoch in
OUT's name + .checkpoints until its result is saved):
  --configs N         configurations: ANN skips, no skips, then random draws (default 12)
  --epochs N          epochs of a full training (default 9)
  --truth-seeds N     full trainings per configuration (seeds --seed, --seed+1, …); the truth is
                      their mean and their spread counts as measurement noise (default 1)
  --low-steps N       reduced fidelity: time steps (default half of --steps)
  --low-limit N       reduced fidelity: samples per split (default 60)
  --low-epochs N      reduced fidelity: epochs (default 2)
  --score-batch N     samples in the SNASNet score's batch (default 32)
  --size, --steps, --width-mult, --limit, --lr, --batch-size, --threshold, --max-skips,
  --skip-types, --val-by (reduced fidelity's validation), --seed, --workers (default 1) as for a search`;

async function report(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { out: { type: 'string' }, export: { type: 'string' }, tolerance: { type: 'string' }, trial: { type: 'string' } },
    1,
  );
  const studyPath = positionals[0]!;
  const out = values.out ?? defaultReportPath(studyPath);
  let result;
  try {
    result = await writeStudyReport(studyPath, {
      out,
      exportPath: values.export,
      tolerance: numberOption('tolerance', values.tolerance, { min: 0, max: 1 }, 0),
      trial: numberOption('trial', values.trial, NON_NEGATIVE_INT),
    });
  } catch (err) {
    if (!isStudyError(err)) throw err;
    process.stderr.write(`spikeline search report: ${err.message}\n`);
    return 1;
  }
  process.stdout.write(`report: ${out} (${result.trials} trials)\n`);
  for (const { baseline, trial } of result.baselines) {
    process.stdout.write(`baseline ${BASELINE_LABEL[baseline]}: trial ${trial.number} ${trial.state}, accuracy ${trial.metrics ? trial.metrics.accuracy.toFixed(4) : '–'}\n`);
  }
  if (result.chosen && values.export) {
    const m = result.chosen.metrics!;
    process.stdout.write(`exported trial ${result.chosen.number} (accuracy ${m.accuracy.toFixed(4)}, mean rate ${m.meanRate.toFixed(4)}, SynOps ${m.synops.toExponential(3)}) to ${values.export}\n`);
  }
  return 0;
}

async function rank(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    backbone: { type: 'string' },
    data: { type: 'string' },
    out: { type: 'string' },
    configs: { type: 'string' },
    epochs: { type: 'string' },
    'truth-seeds': { type: 'string' },
    'low-steps': { type: 'string' },
    'low-limit': { type: 'string' },
    'low-epochs': { type: 'string' },
    'score-batch': { type: 'string' },
    size: { type: 'string' },
    steps: { type: 'string' },
    'width-mult': { type: 'string' },
    limit: { type: 'string' },
    lr: { type: 'string' },
    'batch-size': { type: 'string' },
    threshold: { type: 'string' },
    'val-by': { type: 'string' },
    stepping: { type: 'string' },
    'max-skips': { type: 'string' },
    'skip-types': { type: 'string' },
    seed: { type: 'string' },
    workers: { type: 'string' },
  });
  if (values.backbone === undefined || values.backbone === 'synthetic') throw new UsageError('--backbone NAME (an SNN backbone) is required');
  if (values.out === undefined) throw new UsageError('--out FILE is required');
  const steps = numberOption('steps', values.steps, COUNT, 8);
  const ref = searchTargetRef(values.backbone, {
    data: values.data,
    widthMult: numberOption('width-mult', values['width-mult'], POSITIVE, 0.5),
    steps,
    size: numberOption('size', values.size, FRAME_SIZE, 32),
    trainLimit: numberOption('limit', values.limit, COUNT),
    lr: numberOption('lr', values.lr, POSITIVE, 2e-3),
    batchSize: numberOption('batch-size', values['batch-size'], COUNT, 16),
    threshold: numberOption('threshold', values.threshold, POSITIVE),
    valBy: valByOption(values['val-by']),
    stepping: steppingOption(values.stepping),
  });
  const result = await runRankStudy({
    target: ref.options as SnnTargetOptions,
    configs: numberOption('configs', values.configs, { integer: true, min: 3 }, 12),
    epochs: numberOption('epochs', values.epochs, COUNT, 9),
    truthSeeds: numberOption('truth-seeds', values['truth-seeds'], COUNT, 1),
    low: {
      steps: numberOption('low-steps', values['low-steps'], COUNT, Math.max(1, Math.floor(steps / 2))),
      limit: numberOption('low-limit', values['low-limit'], COUNT, 60),
      epochs: numberOption('low-epochs', values['low-epochs'], COUNT, 2),
    },
    scoreBatch: numberOption('score-batch', values['score-batch'], { integer: true, min: 2 }, 32),
    maxSkips: numberOption('max-skips', values['max-skips'], NON_NEGATIVE_INT, 6),
    skipTypes: skipTypesOption(values['skip-types']),
    seed: numberOption('seed', values.seed, SEED, 1),
    out: values.out,
    workers: numberOption('workers', values.workers, NON_NEGATIVE_INT, 1),
    log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
  });
  for (const f of rankFigures(result.configs)) {
    const against = f.perSeed ? ` (each seed against the mean of the others: ${f.perSeed.map((t) => t.toFixed(3)).join(' / ')})` : '';
    process.stdout.write(`${f.ranker}: Kendall tau ${f.tau.toFixed(3)}${against} over ${f.n} fully trained configurations, ${f.cpu_s.toFixed(2)} CPU s per candidate\n`);
  }
  const ceiling = truthCeiling(result);
  if (ceiling) {
    const pts = (v: number): string => (100 * v).toFixed(1);
    const seeds = result.options.truthSeeds ?? 1;
    const seedSd = seedSpread(result.configs);
    const measured = seeds > 1
      ? `means of ${seeds} seeds on ${result.testSamples} test samples${seedSd !== undefined ? ` (seeds of one configuration differ by ${pts(seedSd)} points, SD)` : ''}`
      : `${result.testSamples} test samples`;
    process.stdout.write(
      `truth: accuracies spread ${pts(ceiling.spread)} points (SD) against ${pts(ceiling.noise)} points of measurement noise (${measured}); ` +
        `a perfect ranker would show tau ${ceiling.tau.toFixed(2)} (10-90 %: ${ceiling.tau10.toFixed(2)} to ${ceiling.tau90.toFixed(2)})\n`,
    );
  }
  return 0;
}

async function search(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    backbone: { type: 'string' },
    data: { type: 'string' },
    trials: { type: 'string' },
    budget: { type: 'string' },
    objective: { type: 'string' },
    study: { type: 'string' },
    sampler: { type: 'string' },
    startup: { type: 'string' },
    pruner: { type: 'string' },
    eta: { type: 'string' },
    'min-epochs': { type: 'string' },
    epochs: { type: 'string' },
    'max-skips': { type: 'string' },
    'skip-types': { type: 'string' },
    'min-skips': { type: 'string' },
    'search-neuron': { type: 'boolean' },
    workers: { type: 'string' },
    seed: { type: 'string' },
    'width-mult': { type: 'string' },
    steps: { type: 'string' },
    size: { type: 'string' },
    limit: { type: 'string' },
    lr: { type: 'string' },
    threshold: { type: 'string' },
    'val-by': { type: 'string' },
    stepping: { type: 'string' },
    'batch-size': { type: 'string' },
    'take-over': { type: 'boolean' },
  });
  if (values.trials === undefined) throw new UsageError('--trials is required');
  // Without --backbone this resumes a study, so its file must exist (runSearch checks): a
  // misspelt --study must not quietly start a new study of some default backbone.
  const backbone = values.backbone;
  if (backbone === undefined && values.study === undefined) throw new UsageError('--backbone is required for a new study');
  const studyPath = values.study ?? `search-${backbone}.db`;
  const objective = (values.objective ?? 'accuracy-synops') as ObjectiveKind;
  if (!(objective in OBJECTIVES)) throw new UsageError(`--objective must be one of ${Object.keys(OBJECTIVES).join(', ')}`);
  const sampler = values.sampler ?? 'tpe';
  if (sampler !== 'tpe' && sampler !== 'random') throw new UsageError('--sampler must be tpe or random');
  const pruner = values.pruner ?? 'asha';
  if (pruner !== 'asha' && pruner !== 'none') throw new UsageError('--pruner must be asha or none');
  const choice = {
    data: values.data,
    widthMult: numberOption('width-mult', values['width-mult'], POSITIVE, 0.5),
    steps: numberOption('steps', values.steps, COUNT, 8),
    size: numberOption('size', values.size, FRAME_SIZE, 32),
    trainLimit: numberOption('limit', values.limit, COUNT),
    lr: numberOption('lr', values.lr, POSITIVE, 2e-3),
    batchSize: numberOption('batch-size', values['batch-size'], COUNT, 16),
    threshold: numberOption('threshold', values.threshold, POSITIVE),
    valBy: valByOption(values['val-by']),
    stepping: steppingOption(values.stepping),
  };
  const maxSkips = numberOption('max-skips', values['max-skips'], NON_NEGATIVE_INT, 6);
  const settings = {
    objective,
    space: {
      maxSkips,
      skipTypes: skipTypesOption(values['skip-types']),
      minSkips: numberOption('min-skips', values['min-skips'], { integer: true, min: 0, max: maxSkips }, 0),
      ...(values['search-neuron'] ? { neuron: { tau: [1.2, 8], threshold: [0.5, 1.5], alpha: [1, 8] } as const } : {}),
    },
    sampler: sampler === 'tpe' ? { name: 'tpe' as const, startupTrials: numberOption('startup', values.startup, NON_NEGATIVE_INT, 8) } : { name: 'random' as const },
    pruner: pruner === 'asha' ? { name: 'asha' as const, eta: numberOption('eta', values.eta, { integer: true, min: 2 }, 3), minEpochs: numberOption('min-epochs', values['min-epochs'], COUNT, 3) } : { name: 'none' as const },
    maxEpochs: numberOption('epochs', values.epochs, COUNT, 9),
    seed: numberOption('seed', values.seed, SEED, 1),
  };
  const trials = numberOption('trials', values.trials, COUNT)!;
  const workers = numberOption('workers', values.workers, NON_NEGATIVE_INT);
  let budgetMs: number | undefined;
  let create;
  try {
    budgetMs = values.budget === undefined ? undefined : parseBudgetMs(values.budget);
    if (backbone !== undefined) create = { name: `${backbone}-${objective}`, target: searchTargetRef(backbone, choice), ...settings };
  } catch (err) {
    if (err instanceof SearchConfigError) throw new UsageError(err.message);
    throw err;
  }
  const controller = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\nstopping: running trials end at their next epoch (Ctrl-C again to kill)\n');
    controller.abort();
    process.off('SIGINT', onSigint);
  };
  process.on('SIGINT', onSigint);
  try {
    const { summary, resumed, study, location } = await runSearch({
      studyPath,
      ...(create ? { create } : {}),
      explicit: { backbone, objective: values.objective === undefined ? undefined : objective },
      trials,
      budgetMs,
      workers,
      signal: controller.signal,
      takeOver: values['take-over'],
    });
    const best = summary.best?.metrics;
    process.stdout.write(
      `${resumed ? 'resumed' : 'created'} study ${location} (${study.objective}): ${summary.complete} complete, ${summary.pruned} pruned, ${summary.failed} failed, ${summary.interrupted} interrupted; ${summary.epochs} epochs\n` +
        (best ? `best: trial ${summary.best!.number}, accuracy ${best.accuracy.toFixed(4)}, mean rate ${best.meanRate.toFixed(4)}, SynOps ${best.synops.toExponential(3)}; Pareto front: trials ${summary.front.join(', ')}\n` : 'no complete trial\n') +
        `report: spikeline search report '${location}' --export best.json\n`,
    );
    return summary.complete > 0 ? 0 : 1;
  } catch (err) {
    if (isStudyError(err)) {
      process.stderr.write(`spikeline search: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function skipTypesOption(text: string | undefined): SkipChoice[] {
  if (text === undefined) return [...SKIP_CHOICES];
  const types = text.split(',').map((t) => t.trim());
  const bad = types.filter((t) => !SKIP_CHOICES.includes(t as SkipChoice));
  if (bad.length > 0 || types.length === 0) throw new UsageError(`--skip-types: "${bad.join(',') || text}" is not a list of ${SKIP_CHOICES.join(', ')}`);
  return [...new Set(types as SkipChoice[])];
}

/** Errors about the study or its storage: reported in one line, not as a crash. */
function isStudyError(err: unknown): err is Error {
  return err instanceof SearchConfigError || err instanceof StudyLockedError || err instanceof StudyFileError;
}

export const searchCommand: Command = {
  name: 'search',
  summary: 'search the skip connections of an SNN backbone (studies in SQLite or PostgreSQL, HTML reports)',
  usage,
  run: (argv) => (argv[0] === 'report' ? report(argv.slice(1)) : argv[0] === 'rank' ? rank(argv.slice(1)) : search(argv)),
};

/** `--val-by`: 'sample' (the default) is left out of the target options, as studies before the flag have it. */
/** `--stepping` of a new study or experiment (default fixed, as live inference cuts steps). */
export function steppingOption(value: string | undefined): Stepping {
  return choiceOption('stepping', value, STEPPINGS, 'fixed');
}

export function valByOption(value: string | undefined): Exclude<ValidationGroup, 'sample'> | undefined {
  const by = choiceOption('val-by', value, VALIDATION_GROUPS, 'sample');
  return by === 'sample' ? undefined : by;
}
