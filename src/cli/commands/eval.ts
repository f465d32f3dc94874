import { choiceOption, COUNT, numberOption, parseCommandArgs, UsageError, type Command } from '../command.js';
import { BACKEND_CHOICES, type BackendChoice } from '../../snn/backend.js';
import { formatEvalReport, runEvaluation, writeEvalJson } from '../../snn/run.js';

const usage = `usage: spikeline eval --model DIR --data DIR [options]

Evaluates a trained model folder on a dataset split with the model's own preprocessing:
accuracy, confusion matrix, per-layer firing rate, SynOps, dense MACs and energy estimate.

  --model DIR        model folder (spikeline train's OUT/model, or fixtures/model)
  --data DIR         dataset root
  --layout NAME      dvs-gesture (default) | cifar10-dvs
  --split NAME       test (default) | train
  --limit N          at most N samples
  --batch N          evaluation batch size (default 16)
  --json             print the report as JSON
  --out FILE         also write the JSON report to FILE
  --by-domain        also accuracy per randomisation family value (texture, thresholds, distance,
                     style, lighting, ...) from a synthetic folder's synthetic.json
  --windows N        classify each sample by the mean class probabilities of N windows spread
                     evenly over it, first at its start, last at its end, as a live decision
                     reads a whole gesture (default 1: the centre window, as validation in
                     training scores)
  --backend NAME     ${BACKEND_CHOICES.join(' | ')} (default auto)`;

export const evalCommand: Command = {
  name: 'eval',
  summary: 'evaluate a trained SNN: accuracy, confusion matrix, firing metrics',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      model: { type: 'string' },
      data: { type: 'string' },
      layout: { type: 'string' },
      split: { type: 'string' },
      limit: { type: 'string' },
      batch: { type: 'string' },
      json: { type: 'boolean' },
      'by-domain': { type: 'boolean' },
      windows: { type: 'string' },
      out: { type: 'string' },
      backend: { type: 'string' },
    });
    if (!values.model) throw new UsageError('--model DIR is required');
    if (!values.data) throw new UsageError('--data DIR is required');
    const layout = choiceOption('layout', values.layout, ['dvs-gesture', 'cifar10-dvs'] as const, 'dvs-gesture');
    const split = choiceOption('split', values.split, ['test', 'train'] as const, 'test');
    const backend = choiceOption<BackendChoice>('backend', values.backend, BACKEND_CHOICES, 'auto');
    const r = await runEvaluation({
      model: values.model,
      data: values.data,
      layout,
      split,
      batchSize: numberOption('batch', values.batch, COUNT, 16),
      ...(values.limit !== undefined ? { limit: numberOption('limit', values.limit, COUNT)! } : {}),
      backend,
      byDomain: values['by-domain'] ?? false,
      windows: numberOption('windows', values.windows, COUNT, 1)!,
    });
    if (values.out) await writeEvalJson(values.out, r);
    process.stdout.write(values.json ? `${JSON.stringify(r)}\n` : `${formatEvalReport(r)}\n`);
    return 0;
  },
};
