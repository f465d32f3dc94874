import { COUNT, FRAME_SIZE, NON_NEGATIVE_INT, POSITIVE, SEED, UsageError, numberOption, parseCommandArgs, type Command } from '../command.js';
import { QUICK_TRANSFER, runAugmentationAblation, runTransferExperiment, summaryTable, type TrainSettings } from '../../search/transfer.js';
import { experimentTable, runSkipExperiment } from '../../search/experiment.js';
import { OBJECTIVES, type ObjectiveKind } from '../../search/objective.js';
import { parseBudgetMs } from '../../search/run.js';
import { isBackboneName } from '../../search/snn-target.js';
import { decisionExperiment, DECISION_USAGE } from './experiment-decision.js';
import { steppingOption, valByOption } from './search.js';
import type { BackboneName } from '../../snn/backbones.js';

const usage = `usage: spikeline experiment skip-connections --data DIR [options]
       spikeline experiment transfer [--out DIR] [--seeds N] [--quick] [training options]
       spikeline experiment augmentation --data DIR [--out DIR] [--seeds N] [training options]
       spikeline experiment decision [--model DIR] [--out DIR] [--domain SPEC] [--clockwise camera|subject] [--grid SPEC]

transfer: generates a training set per recipe and a test set per randomisation family held out of
training (texture uniform -> striped/printed/textured, thresholds 0.1-0.25 -> 0.3-0.5, distance
mid/near -> far, motion style a/b -> c, lightings fluorescent* -> lab/led/natural, mains 60 -> 50 Hz;
each test set keeps the other families at their training ranges), plus "original" (--domain off)
and "in-domain" test sets; trains the old recipe (the original simulator, legacy augmentations)
and the new one (randomisation at the training ranges, default augmentations) over --seeds seeds
and prints accuracy per test set (mean ± sd). Writes OUT/results.md and OUT/results.json; every
dataset, checkpoint and finished run is kept in OUT, so the same command resumes an interrupted
experiment.
  --out DIR             default runs/transfer
  --seeds N             training seeds per recipe (default 2)
  --quick               8 training users, 2 test users, 2 s gestures, 16x16, T 8, 12 epochs of batch 8
  --train-users N       training users (default 23)   --test-users N (default 6)
  --duration-per-gesture SEC   of the generated sets (default 6)
augmentation: the augmentation ablation on one dataset: the legacy recipe alone and with each
augmentation added (and all), scored on the test split as recorded and reframed (zoomed out,
offset, rolled). Writes OUT/results.md and OUT/results.json, resumable the same way.
  --data DIR            dataset (DVS128 Gesture layout)   --out DIR (default runs/augmentation)
  --seeds N             (default 2)
  --shard K/N           run only runs K, K+N, ... (0-based) so N processes can share one --out;
                        run once more without it to print the table of all runs
training options of transfer and augmentation (defaults: --quick's for transfer --quick and
augmentation, else 32x32, T 16, 30 epochs)
  --downsample F  --steps T  --step-us US  --epochs N  --batch N  --lr X  --width-mult M
  --stepping fixed|stretch (default fixed; runs made before the option used stretch)

${DECISION_USAGE}

skip-connections:

Replicates the skip-connection comparison: for each backbone, trains (a) the ANN's original skips
converted to an SNN, (b) no skips, (c) the skips found by a search (which runs (a) and (b) first),
each with several seeds at the same budget, and prints markdown tables: test accuracy mean ± std,
firing rate, SynOps, CPU time, and (c) against (a) paired by seed. Every finished training is a row
of skip-connections.json in --report (with skip-connections.md); the search studies are kept in
--out, and so is a checkpoint of each final training until its row is saved. Running the same
command again resumes an interrupted experiment, a training cut half-way from its last epoch.

  --data DIR            dataset (DVS128 Gesture layout, e.g. from spikeline simulate gesture)
  --out DIR             work folder: search studies, checkpoints (default experiment-skip-connections)
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
  --label-smoothing X   of every training, search and final (default 0)
  --threshold X         firing threshold of every neuron, all configurations (default 1)
  --val-by G            the search validates on held-out samples, recordings or people:
                        sample | recording | user (default sample)
  --stepping fixed|stretch  how windows are cut into steps (default fixed; a report
                        made before the option was measured with stretch)
  --batch-size N        batch size (default 16)
  --max-skips N         skip limit of the search (default max(4, original count))
  --workers N           parallel trainings (default: one per core)
  --seed N              seed of the search and first seed of the final trainings (default 1)
  --search-seed N       another seed for the search only (default --seed): repeats the search
                        while the final trainings keep their seeds, so (a) and (b) rows copied
                        from an earlier report carry over (use a new --out and --report)`;

export const experimentCommand: Command = {
  name: 'experiment',
  summary: 'reproduce experiments (skip-connections, transfer, augmentation, decision tuning)',
  usage,
  async run(argv) {
    // Each experiment has its own options.
    if (argv[0] === 'transfer' || argv[0] === 'augmentation') return robustnessExperiment(argv[0], argv.slice(1));
    if (argv[0] === 'decision') return decisionExperiment(argv.slice(1));
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
        'val-by': { type: 'string' },
        'label-smoothing': { type: 'string' },
        stepping: { type: 'string' },
        'batch-size': { type: 'string' },
        'max-skips': { type: 'string' },
        workers: { type: 'string' },
        seed: { type: 'string' },
        'search-seed': { type: 'string' },
      },
      1,
    );
    if (positionals[0] !== 'skip-connections') throw new UsageError(`unknown experiment "${positionals[0]}" (available: skip-connections, transfer, augmentation, decision)`);
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
      labelSmoothing: numberOption('label-smoothing', values['label-smoothing'], { min: 0, below: 1 }, 0),
      threshold: numberOption('threshold', values.threshold, POSITIVE),
      valBy: valByOption(values['val-by']),
      stepping: steppingOption(values.stepping),
      batchSize: numberOption('batch-size', values['batch-size'], COUNT, 16),
      maxSkips: numberOption('max-skips', values['max-skips'], NON_NEGATIVE_INT),
      workers: numberOption('workers', values.workers, NON_NEGATIVE_INT),
      seed: numberOption('seed', values.seed, SEED, 1),
      searchSeed: numberOption('search-seed', values['search-seed'], SEED),
      log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
    });
    process.stdout.write(experimentTable(results) + '\n');
    return 0;
  },
};

const stamp = (line: string): void => {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
};

async function robustnessExperiment(kind: 'transfer' | 'augmentation', argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    out: { type: 'string' },
    data: { type: 'string' },
    seeds: { type: 'string' },
    quick: { type: 'boolean' },
    shard: { type: 'string' },
    'train-users': { type: 'string' },
    'test-users': { type: 'string' },
    'duration-per-gesture': { type: 'string' },
    downsample: { type: 'string' },
    steps: { type: 'string' },
    'step-us': { type: 'string' },
    epochs: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    'width-mult': { type: 'string' },
    stepping: { type: 'string' },
  });
  const small = kind === 'augmentation' || values.quick === true;
  const d: TrainSettings = small ? QUICK_TRANSFER.train : { downsample: 4, steps: 16, stepUs: 93_750, epochs: 30, batchSize: 16, lr: 2e-3, widthMult: 1, stepping: 'fixed' };
  const train: TrainSettings = {
    downsample: numberOption('downsample', values.downsample, { oneOf: [1, 2, 4, 8, 16] }, d.downsample),
    steps: numberOption('steps', values.steps, COUNT, d.steps),
    stepUs: numberOption('step-us', values['step-us'], POSITIVE, d.stepUs),
    epochs: numberOption('epochs', values.epochs, COUNT, d.epochs),
    batchSize: numberOption('batch', values.batch, COUNT, d.batchSize),
    lr: numberOption('lr', values.lr, POSITIVE, d.lr),
    widthMult: numberOption('width-mult', values['width-mult'], POSITIVE, d.widthMult),
    stepping: steppingOption(values.stepping),
  };
  const seeds = numberOption('seeds', values.seeds, COUNT, 2);
  if (kind === 'augmentation') {
    if (!values.data) throw new UsageError('--data DIR is required');
    let shard: { index: number; of: number } | undefined;
    if (values.shard !== undefined) {
      const m = /^(\d+)\/(\d+)$/.exec(values.shard);
      if (!m || Number(m[1]) >= Number(m[2])) throw new UsageError(`--shard: expected K/N with 0 <= K < N, got "${values.shard}"`);
      shard = { index: Number(m[1]), of: Number(m[2]) };
    }
    const s = await runAugmentationAblation({ data: values.data, outDir: values.out ?? 'runs/augmentation', seeds, train, ...(shard ? { shard } : {}), log: stamp });
    process.stdout.write(summaryTable(s) + '\n');
    return 0;
  }
  const s = await runTransferExperiment({
    outDir: values.out ?? 'runs/transfer',
    seeds,
    dataSeed: 1,
    trainUsers: numberOption('train-users', values['train-users'], COUNT, values.quick ? QUICK_TRANSFER.trainUsers : 23),
    testUsers: numberOption('test-users', values['test-users'], COUNT, values.quick ? QUICK_TRANSFER.testUsers : 6),
    gestureSeconds: numberOption('duration-per-gesture', values['duration-per-gesture'], POSITIVE, values.quick ? QUICK_TRANSFER.gestureSeconds : 6),
    train,
    log: stamp,
  });
  process.stdout.write(summaryTable(s) + '\n');
  return 0;
}
