import { availableParallelism } from 'node:os';
import { choiceOption, COUNT, numberOption, parseCommandArgs, POSITIVE, SEED, UsageError, type Command } from '../command.js';
import { BACKBONES, type BackboneName } from '../../snn/backbones.js';
import { BACKEND_CHOICES, type BackendChoice } from '../../snn/backend.js';
import { SURROGATES, type NeuronKind, type SurrogateName } from '../../snn/neuron.js';
import { runTraining } from '../../snn/run.js';
import { ENCODINGS } from '../../snn/spec.js';
import { parseDenoise } from '../../snn/denoise.js';
import { STEPPINGS, type DenoiseSetting } from '../../snn/model-api.js';
import { AUGMENTATION_NAMES, AUGMENTATION_PRESETS, parseAugmentation, TRAIN_AUGMENTATION } from '../../snn/data.js';
import { VALIDATION_GROUPS } from '../../snn/validation.js';

const usage = `usage: spikeline train --data DIR [--out DIR] [options]

Trains a spiking network with BPTT on an event dataset binned into time steps, writing
OUT/model (loadable model folder), OUT/checkpoint (resumable), OUT/metrics.jsonl (one line
per epoch) and OUT/curves.svg. Progress goes to stderr (a bar on a TTY, JSON lines otherwise).

data
  --data DIR               dataset root; repeat to train on several folders of one layout
                           together (e.g. real recordings and simulated ones): their train
                           splits are pooled, and so are their test splits
  --out DIR                output folder (default runs/train)
  --layout NAME            dvs-gesture (default; real or synthetic) or cifar10-dvs
  --downsample F           spatial downsample of the 128x128 sensor: 1, 2, 4, 8 or 16
                           (default 4: 32x32 frames)
  --steps T                time steps per sample (default 16)
  --step-us US             event time per step, µs (default 93750: 1.5 s windows at T=16)
  --encoding E             count | clip | binary | log (default clip: counts clipped to 1;
                           log: log2(1 + count))
  --sub-bins N             split each step into N sub-bins of step-us/N µs, given to the network
                           as 2N input channels (OFF, ON of sub-bin 0, then 1, ...), so it sees
                           motion direction inside a step whatever the contrast polarity
                           (default 1; N must divide --step-us)
  --stepping fixed|stretch how a sample's window is cut into steps: fixed (default) = steps of
                           --step-us from the window's start, as live inference cuts them, so a
                           sample shorter than the window leaves steps empty; stretch = T equal
                           bins from its first to its last event (Tonic's n_time_bins; models
                           trained before this option)
  --denoise DUR[:N]        background-activity filter (Tonic's Denoise with N=4) over each
                           recording's whole stream before samples are cut: an event is kept iff
                           one of N (4 or 8, default 8) neighbouring pixels fired less than DUR
                           before it (e.g. 10ms, 10ms:4; bare number: µs); part of the model, so
                           eval and live inference apply it too (default: off)
                           With --spec, these seven default to what the spec was searched with.
  --limit N                use at most N samples per split (of each --data folder)
  --background             DVS128 Gesture layout: learn a 12th class, background, from the
                           synthetic "no gesture" rows (class 12), so the model can say "nothing"
  --val-fraction F         hold out this fraction of the training split (stratified, fixed) and
                           keep the weights of the epoch with the best validation accuracy
                           (default 0: the last epoch's weights)
  --val-by sample|recording|user
                           what the validation split holds out: single samples (default), whole
                           recordings, or whole people (DVS128 Gesture: userNN, a name prefix
                           included), whom training never sees; not user on cifar10-dvs
  --augment LIST|PRESET    on-the-fly augmentations: comma-separated NAME or NAME=VALUE of
                           ${Object.keys(AUGMENTATION_NAMES).join(', ')},
                           or a preset: ${Object.keys(AUGMENTATION_PRESETS).join(', ')} (default: ${TRAIN_AUGMENTATION})
  --no-augment             same as --augment none
model
  --backbone NAME          ${BACKBONES.join(' | ')} (default gesture)
  --spec FILE              a ModelSpec JSON file instead of a backbone
  --width-mult M           channel width multiplier of the backbone (default 1)
  --neuron KIND            lif | plif | if (default lif, tau 2, SpikingJelly semantics)
  --surrogate NAME         ${SURROGATES.join(' | ')} (default atan)
  --soft-reset             subtractive reset instead of the hard reset to 0
training
  --epochs N               (default 30)   --batch N (default 16)   --seed S (default 0)
  --optimizer NAME         adam (default, decoupled weight decay) | sgd (momentum 0.9)
  --lr X                   peak learning rate (default 0.002)
  --schedule NAME          cosine (default) | constant
  --weight-decay X         (default 0)    --label-smoothing X (default 0.1)
  --loss KIND              mean (default): cross-entropy of the logits averaged over the steps |
                           per-step: the mean of every step's cross-entropy (TET), so each step
                           must name the class on its own
  --balance                draw every class equally often in each epoch (imbalanced data, e.g.
                           --background rows or the real set's two arm-roll rows per trial)
  --resume                 continue from OUT/checkpoint
  --init DIR               fine-tune: start from a model folder's spec and weights; classes the
                           data appends to the model's (e.g. --background) get new outputs
  --threads N              data-parallel gradient threads (default: available cores, ${availableParallelism()} here)
  --backend NAME           ${BACKEND_CHOICES.join(' | ')} (default auto; env SPIKELINE_BACKEND)
  --json                   print the final summary as JSON`;

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a spiking network (BPTT) on an event dataset; writes a model folder',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      data: { type: 'string', multiple: true },
      out: { type: 'string' },
      layout: { type: 'string' },
      downsample: { type: 'string' },
      steps: { type: 'string' },
      'step-us': { type: 'string' },
      encoding: { type: 'string' },
      'sub-bins': { type: 'string' },
      stepping: { type: 'string' },
      denoise: { type: 'string' },
      limit: { type: 'string' },
      'val-fraction': { type: 'string' },
      'val-by': { type: 'string' },
      background: { type: 'boolean' },
      augment: { type: 'string' },
      'no-augment': { type: 'boolean' },
      backbone: { type: 'string' },
      spec: { type: 'string' },
      'width-mult': { type: 'string' },
      neuron: { type: 'string' },
      surrogate: { type: 'string' },
      'soft-reset': { type: 'boolean' },
      epochs: { type: 'string' },
      batch: { type: 'string' },
      seed: { type: 'string' },
      optimizer: { type: 'string' },
      lr: { type: 'string' },
      schedule: { type: 'string' },
      'weight-decay': { type: 'string' },
      'label-smoothing': { type: 'string' },
      loss: { type: 'string' },
      balance: { type: 'boolean' },
      resume: { type: 'boolean' },
      init: { type: 'string' },
      threads: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (!values.data?.length) throw new UsageError('--data DIR is required');
    if (values.augment !== undefined && values['no-augment']) throw new UsageError('--augment and --no-augment exclude each other');
    let augmentation;
    try {
      augmentation = parseAugmentation(values['no-augment'] ? 'none' : (values.augment ?? TRAIN_AUGMENTATION));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const kind = choiceOption<NeuronKind>('neuron', values.neuron, ['lif', 'plif', 'if'], 'lif');
    const surrogate = choiceOption<SurrogateName>('surrogate', values.surrogate, SURROGATES, 'atan');
    const r = await runTraining({
      data: values.data,
      layout: choiceOption('layout', values.layout, ['dvs-gesture', 'cifar10-dvs'] as const, 'dvs-gesture'),
      out: values.out ?? 'runs/train',
      backbone: choiceOption<BackboneName>('backbone', values.backbone, BACKBONES, 'gesture'),
      ...(values.spec ? { specFile: values.spec } : {}),
      ...(values.init ? { init: values.init } : {}),
      widthMult: numberOption('width-mult', values['width-mult'], POSITIVE, 1),
      neuron: { kind, surrogate, ...(values['soft-reset'] ? { vReset: null } : {}) },
      // Undefined when not given: runTraining takes them from the spec file, else its defaults.
      downsample: numberOption('downsample', values.downsample, { oneOf: [1, 2, 4, 8, 16] }),
      steps: numberOption('steps', values.steps, COUNT),
      stepUs: numberOption('step-us', values['step-us'], POSITIVE),
      ...(values.encoding !== undefined ? { encoding: choiceOption('encoding', values.encoding, ENCODINGS, 'clip') } : {}),
      subBins: numberOption('sub-bins', values['sub-bins'], COUNT),
      ...(values.stepping !== undefined ? { stepping: choiceOption('stepping', values.stepping, STEPPINGS, 'fixed') } : {}),
      ...(values.denoise !== undefined ? { denoise: denoiseOption(values.denoise) } : {}),
      epochs: numberOption('epochs', values.epochs, COUNT, 30),
      batchSize: numberOption('batch', values.batch, COUNT, 16),
      optimizer: choiceOption('optimizer', values.optimizer, ['adam', 'sgd'] as const, 'adam'),
      lr: numberOption('lr', values.lr, POSITIVE, 0.002),
      weightDecay: numberOption('weight-decay', values['weight-decay'], { min: 0 }, 0),
      labelSmoothing: numberOption('label-smoothing', values['label-smoothing'], { min: 0, below: 1 }, 0.1),
      perStepLoss: choiceOption('loss', values.loss, ['mean', 'per-step'], 'mean') === 'per-step',
      balance: values.balance ?? false,
      schedule: choiceOption('schedule', values.schedule, ['cosine', 'constant'] as const, 'cosine'),
      augmentation,
      resume: values.resume ?? false,
      seed: numberOption('seed', values.seed, SEED, 0),
      ...(values.limit !== undefined ? { limit: numberOption('limit', values.limit, COUNT)! } : {}),
      valFraction: numberOption('val-fraction', values['val-fraction'], { min: 0, below: 1 }, 0),
      valBy: choiceOption('val-by', values['val-by'], VALIDATION_GROUPS, 'sample'),
      background: values.background ?? false,
      backend: choiceOption<BackendChoice>('backend', values.backend, BACKEND_CHOICES, 'auto'),
      threads: numberOption('threads', values.threads, COUNT, availableParallelism()),
      log: (l) => process.stderr.write(`${l}\n`),
    });
    const summary = {
      accuracy: r.accuracy,
      ...(r.selectedEpoch !== undefined ? { selectedEpoch: r.selectedEpoch, valAccuracy: r.valAccuracy } : {}),
      bestAccuracy: r.bestAccuracy,
      epochs: r.epochs,
      meanFiringRate: r.meanFiringRate,
      synopsPerSample: r.synopsPerSample,
      energyPJPerSample: r.energyPJPerSample,
      seconds: r.seconds,
      backend: r.backend,
    };
    process.stdout.write(
      values.json
        ? `${JSON.stringify(summary)}\n`
        : `test accuracy ${r.accuracy === null ? 'n/a' : (r.accuracy * 100).toFixed(2) + ' %'} after ${r.epochs} epochs in ${r.seconds.toFixed(0)} s${r.selectedEpoch !== undefined ? ` (weights of epoch ${r.selectedEpoch}, validation accuracy ${(r.valAccuracy! * 100).toFixed(2)} %)` : ''}; mean firing rate ${r.meanFiringRate.toFixed(4)}, SynOps/sample ${r.synopsPerSample.toExponential(3)}\n`,
    );
    r.model.dispose();
    return 0;
  },
};

function denoiseOption(text: string): DenoiseSetting {
  try {
    return parseDenoise(text);
  } catch (err) {
    throw new UsageError(`--denoise ${text}: ${(err as Error).message}`);
  }
}
