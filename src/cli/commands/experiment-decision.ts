import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { choiceOption, parseCommandArgs, UsageError } from '../command.js';
import { BENCH_MODES, benchDataKey, modelKey, prepareBenchData, recordPredictions, type BenchMode } from '../../pipeline/decision-bench.js';
import { bestMode, loadSweepRun, modesSvg, sweepReport, sweepSets, tradeoffSvg, type SweepSet } from '../../pipeline/decision-experiment.js';
import { DEFAULT_GRID, parseDecisionGrid, type DecisionGrid } from '../../pipeline/decision-sweep.js';
import { BUNDLED_MODEL_DIR } from '../../pipeline/launch.js';
import { parseDomainSpec } from '../../simulate/domain.js';

export const DECISION_USAGE = `decision: tunes the decision stage (README "Tuning the decision stage"). The classifier runs once per
recording and inference mode, its predictions kept in OUT/runs/<model id>/<data>/;
then every setting of --grid is replayed over them and scored as \`spikeline score\` does. The
setting is chosen on the tune sets only (replays of 6 training users, camera-sim seed 1) and
reported on all, incl. the held-out test-user replays and camera-sim seed 2 (10 min each, with
"no gesture" periods). Writes OUT/<model id>/<data>/results.md, sweep.json, tradeoff.svg (best
mode) and tradeoff-modes.svg (the held-out camera run, per inference mode); data,
recordings and runs are reused by the next call (a new model only re-runs the classifier).
  --model DIR           model folder (default: the bundled model)
  --out DIR             default runs/decision
  --domain SPEC         simulator domain randomisation of the data, as the model was trained
                        (default on; the bundled model's in-domain data: --domain off)
  --clockwise camera|subject   arm-circle convention of the data (default subject)
  --grid SPEC           settings tried, key=values;… over the default grid, keys smoothing-ms, on,
                        off-gap (off = on − gap), min-duration-ms, confirm-ms, class-on.LABEL (that
                        class's onThreshold, 0 = none); values a list or from:to:step
                        (default ${gridText(DEFAULT_GRID)})
  --modes LIST          inference modes to record: window (16 steps, stride 4), window8 (8, 2), step
                        (reset every model window), stream (never reset on a schedule, reading
                        the model's window of step outputs), stream8 (reading the last 8); default
                        window,window8,step
  --svg FILE            also write the trade-off plot (best mode) there
  --modes-svg FILE      and the per-mode plot there
  --tune NAME=RUN.jsonl[:LABELS][,…]   instead of the benchmark: recorded runs of your own line
  --check NAME=RUN.jsonl[:LABELS][,…]  (prediction messages; labels CSV / camera-sim lines, or
                        the predictions' truth) to choose on / only to report`;

function gridText(g: DecisionGrid): string {
  return `smoothing-ms=${g.smoothingMs};on=${g.onThreshold};off-gap=${g.offGap};min-duration-ms=${g.minDurationMs};confirm-ms=${g.confirmMs}`;
}

const stamp = (line: string): void => {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
};

/** `NAME=RUN.jsonl[:LABELS][,…]` as a set of recorded runs. */
function recordedSet(spec: string, role: 'tune' | 'report'): SweepSet {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new UsageError(`--${role === 'tune' ? 'tune' : 'check'}: expected NAME=RUN.jsonl[:LABELS][,…], got "${spec}"`);
  const runs = spec
    .slice(eq + 1)
    .split(',')
    .map((pair) => {
      const [run, labels] = pair.split(':') as [string, string | undefined];
      return loadSweepRun(run, labels);
    });
  return { name: spec.slice(0, eq), role, mode: 'recorded', runs };
}

export async function decisionExperiment(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    model: { type: 'string' },
    out: { type: 'string' },
    domain: { type: 'string' },
    clockwise: { type: 'string' },
    grid: { type: 'string' },
    modes: { type: 'string' },
    svg: { type: 'string' },
    'modes-svg': { type: 'string' },
    tune: { type: 'string', multiple: true },
    check: { type: 'string', multiple: true },
  });
  const checked = <T>(flag: string, parse: () => T): T => {
    try {
      return parse();
    } catch (err) {
      throw new UsageError(`--${flag}: ${(err as Error).message}`);
    }
  };
  const grid = values.grid === undefined ? DEFAULT_GRID : checked('grid', () => parseDecisionGrid(values.grid!));
  checked('domain', () => parseDomainSpec(values.domain ?? 'on'));
  const clockwise = choiceOption('clockwise', values.clockwise, ['camera', 'subject'] as const, 'subject');
  const modes = (values.modes ?? 'window,window8,step').split(',').map((m) => choiceOption('modes', m.trim(), Object.keys(BENCH_MODES) as BenchMode[], 'window'));
  const outDir = values.out ?? 'runs/decision';
  let sets: SweepSet[];
  let title: string;
  let plotName: string;
  let results: string;
  if (values.tune?.length) {
    sets = [...values.tune.map((s) => recordedSet(s, 'tune')), ...(values.check ?? []).map((s) => recordedSet(s, 'report'))];
    title = 'Decision sweep over recorded runs';
    plotName = 'recorded runs';
    results = join(outDir, 'recorded');
  } else {
    if (values.check?.length) throw new UsageError('--check needs --tune (sets to choose the setting on)');
    const model = values.model ?? BUNDLED_MODEL_DIR;
    const key = await modelKey(model);
    const sim = { domain: values.domain ?? 'on', clockwise };
    const data = await prepareBenchData(outDir, sim, stamp);
    sets = [];
    for (const mode of modes)
      for (const set of data) {
        const runs = [];
        for (const rec of set.recordings) {
          const jsonl = join(outDir, 'runs', key, benchDataKey(sim), mode, rec.aedat.replace(/^.*\//, '').replace(/\.aedat$/, '.jsonl'));
          stamp(`${mode}: ${rec.aedat} -> ${jsonl}`);
          await recordPredictions(model, rec, mode, jsonl);
          runs.push(loadSweepRun(jsonl, rec.labels));
        }
        sets.push({ name: set.name, role: set.role, mode, runs });
      }
    title = `Decision sweep: model ${model} (${key}), simulator domain ${values.domain ?? 'on'}, clockwise ${clockwise}`;
    plotName = `model ${key}`;
    results = join(outDir, key, benchDataKey(sim));
  }
  const sweeps = sweepSets(sets, grid, stamp);
  const report = sweepReport(sweeps, sets, title);
  const svg = tradeoffSvg(bestMode(sweeps, sets), sets, plotName);
  await mkdir(results, { recursive: true });
  await writeFile(join(results, 'results.md'), report);
  await writeFile(join(results, 'sweep.json'), JSON.stringify(sweeps.map((m) => ({ mode: m.mode, chosen: m.chosen, current: m.current, points: m.points }))));
  await writeFile(join(results, 'tradeoff.svg'), svg);
  // The last report set (the held-out camera run of the benchmark) per inference mode.
  const held = sets.filter((s) => s.role === 'report').at(-1)?.name;
  if (held) {
    const modes = modesSvg(sweeps, held, plotName);
    await writeFile(join(results, 'tradeoff-modes.svg'), modes);
    if (values['modes-svg']) await writeFile(values['modes-svg'], modes);
  }
  if (values.svg) await writeFile(values.svg, svg);
  stamp(`wrote ${join(results, 'results.md')}, sweep.json, tradeoff.svg${values.svg ? ` and ${values.svg}` : ''}`);
  process.stdout.write(report);
  return 0;
}
