import { COUNT, FRAME_SIZE, NON_NEGATIVE_INT, POSITIVE, SEED, UsageError, numberOption, parseCommandArgs, type Command } from '../command.js';
import { experimentTable, runSkipExperiment } from '../../search/experiment.js';
import { OBJECTIVES, type ObjectiveKind } from '../../search/objective.js';
import { parseBudgetMs } from '../../search/run.js';
import { isBackboneName } from '../../search/snn-target.js';
import type { BackboneName } from '../../snn/backbones.js';

const usage = `usage: spikeline experiment skip-connections --data DIR [options]

Replicates the skip-connection comparison: for each backbone, trains (a) the ANN's original skips
converted to an SNN, (b) no skips, (c) the skips found by a search (which runs (a) and (b) first),
each with several seeds at the same budget, and prints markdown tables: test accuracy mean ± std,
firing rate, SynOps, CPU time, and (c) against (a) paired by seed. Every finished training is a row
of skip-connections.json in --report (with skip-connections.md); the search studies are kept in
--out. Running the same command again resumes an interrupted experiment.

  --data DIR            dataset (DVS128 Gesture layout, e.g. from spikeline simulate gesture)
  --out DIR             work folder: search studies (default experiment-skip-connections)
  --report DIR          where skip-connections.json and .md go (default docs/experiments)
  --seeds N             seeds per configuration (default 3)
  --backbones LIST      comma-separated (default resnet18,densenet121,mobilenetv2)
  --trials N            search trials per backbone (default 24)
  --search-epochs N     epochs of a fully trained search trial (default 9, ASHA stops most earlier)
  --search-budget TIME  wall-clock limit of each search, e.g. 30m
  --min-epochs N        first ASHA rung of the search, epochs (default 3)
  --epochs N            epochs of each final training (default 15)
  --objective O         accuracy | accuracy-rate | accuracy-synops (default accuracy)
  --size N              input N x N (default 32)
  --steps N             time steps (default 8)
  --width-mult X        backbone channel multiplier (default 0.25)
  --limit N             at most N samples per dataset split
  --lr X                Adam learning rate (default 0.002)
  --threshold X         firing threshold of every neuron, all configurations (default 1)
  --batch-size N        batch size (default 16)
  --max-skips N         skip limit of the search (default max(4, original count))
  --workers N           parallel trainings (default: one per core)
  --seed N              seed (default 1)`;

export const experimentCommand: Command = {
  name: 'experiment',
  summary: 'reproduce experiments (skip-connections: ANN skips vs none vs searched)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        data: { type: 'string' },
        out: { type: 'string' },
        report: { type: 'string' },
        seeds: { type: 'string' },
        backbones: { type: 'string' },
        trials: { type: 'string' },
        'search-epochs': { type: 'string' },
        'search-budget': { type: 'string' },
        'min-epochs': { type: 'string' },
        epochs: { type: 'string' },
        objective: { type: 'string' },
        size: { type: 'string' },
        steps: { type: 'string' },
        'width-mult': { type: 'string' },
        limit: { type: 'string' },
        lr: { type: 'string' },
        threshold: { type: 'string' },
        'batch-size': { type: 'string' },
        'max-skips': { type: 'string' },
        workers: { type: 'string' },
        seed: { type: 'string' },
      },
      1,
    );
    if (positionals[0] !== 'skip-connections') throw new UsageError(`unknown experiment "${positionals[0]}" (available: skip-connections)`);
    if (values.data === undefined) throw new UsageError('--data is required');
    const backbones = (values.backbones ?? 'resnet18,densenet121,mobilenetv2').split(',').map((s) => s.trim());
    for (const b of backbones) if (!isBackboneName(b)) throw new UsageError(`--backbones: unknown backbone "${b}"`);
    const objective = (values.objective ?? 'accuracy') as ObjectiveKind;
    if (!(objective in OBJECTIVES)) throw new UsageError(`--objective must be one of ${Object.keys(OBJECTIVES).join(', ')}`);
    let searchBudgetMs: number | undefined;
    try {
      searchBudgetMs = values['search-budget'] === undefined ? undefined : parseBudgetMs(values['search-budget']);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const results = await runSkipExperiment({
      data: values.data,
      outDir: values.out ?? 'experiment-skip-connections',
      reportDir: values.report ?? 'docs/experiments',
      seeds: numberOption('seeds', values.seeds, COUNT, 3),
      backbones: backbones as BackboneName[],
      trials: numberOption('trials', values.trials, COUNT, 24),
      searchEpochs: numberOption('search-epochs', values['search-epochs'], COUNT, 9),
      searchBudgetMs,
      minEpochs: numberOption('min-epochs', values['min-epochs'], COUNT, 3),
      epochs: numberOption('epochs', values.epochs, COUNT, 15),
      objective,
      size: numberOption('size', values.size, FRAME_SIZE, 32),
      steps: numberOption('steps', values.steps, COUNT, 8),
      widthMult: numberOption('width-mult', values['width-mult'], POSITIVE, 0.25),
      limit: numberOption('limit', values.limit, COUNT),
      lr: numberOption('lr', values.lr, POSITIVE, 2e-3),
      threshold: numberOption('threshold', values.threshold, POSITIVE),
      batchSize: numberOption('batch-size', values['batch-size'], COUNT, 16),
      maxSkips: numberOption('max-skips', values['max-skips'], NON_NEGATIVE_INT),
      workers: numberOption('workers', values.workers, NON_NEGATIVE_INT),
      seed: numberOption('seed', values.seed, SEED, 1),
      log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
    });
    process.stdout.write(experimentTable(results) + '\n');
    return 0;
  },
};
