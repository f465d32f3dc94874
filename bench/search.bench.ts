/**
 * Search figures.
 * - Sampler quality on the synthetic known-optimum objective (optimum 0.85): mean best accuracy
 *   after 50 trials over 12 seeds, TPE vs random.
 * - Pruning speed-up: the same candidate sequence (random sampler, same seed) trained fully vs
 *   with ASHA (eta 3, rungs 1/3/9 epochs); cost = epochs trained until the study's best accuracy
 *   first reaches the best of the full-training study. Measured on the synthetic objective, and
 *   on real SNN trials when SPIKELINE_SEARCH_DATA names a DVS128-Gesture-layout folder.
 * - Trials per hour: the study machinery alone (synthetic objective, 2 workers) and, with
 *   SPIKELINE_SEARCH_DATA, real trials of the compact gesture backbone (stated configuration).
 * - Rankers: Kendall tau against fully trained test accuracy, and CPU s per candidate, of the
 *   SNASNet score and of reduced fidelity (search rank), on 12 configurations of the gesture
 *   backbone with SPIKELINE_SEARCH_DATA; quick mode: 4 configurations on fixtures/gesture-mini.
 *   The deep backbones' figures take hours: `spikeline search rank` (docs/experiments).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Random, deriveSeed } from '../src/util/random.js';
import { RandomSampler, type ObservedTrial, type Sampler } from '../src/search/sampler.js';
import { SNN_TARGET_MODULE, type SnnTargetOptions } from '../src/search/snn-target.js';
import { SearchSpace } from '../src/search/space.js';
import { rankFigures, runRankStudy, type RankStudyOptions } from '../src/search/rank-study.js';
import type { StoredTrial } from '../src/search/storage.js';
import { Study, type StudyConfig } from '../src/search/study.js';
import { syntheticAdapter, syntheticQuality, type SyntheticSpec } from '../src/search/synthetic.js';
import { syntheticTargetRef } from '../src/search/targets.js';
import { TpeSampler } from '../src/search/tpe.js';
import type { Benchmark } from './harness.js';

function bestAfter(sampler: Sampler, space: SearchSpace, n: number, seed: number): number {
  const history: ObservedTrial[] = [];
  let best = -Infinity;
  for (let i = 0; i < n; i++) {
    const params = sampler.sample(space, history, ['maximize'], new Random(deriveSeed(seed, i)));
    const v = syntheticQuality(space.candidate(params).spec as SyntheticSpec);
    best = Math.max(best, v);
    history.push({ params, state: 'complete', values: [v] });
  }
  return best;
}

function mkdirIn(dir: string, name: string): string {
  const path = join(dir, name);
  mkdirSync(path);
  return path;
}

/** Epochs spent (in trial order) until the best complete accuracy first reaches `target`. */
function epochsToReach(trials: readonly StoredTrial[], target: number): number {
  let epochs = 0;
  for (const t of trials) {
    epochs += t.curve.filter(Boolean).length;
    if (t.state === 'complete' && t.metrics!.accuracy >= target - 1e-12) return epochs;
  }
  return Infinity;
}

async function pruningComparison(dir: string, base: Omit<StudyConfig, 'pruner' | 'name'>, trials: number, workers: number, minEpochs = 1) {
  const full = await Study.open(join(dir, 'full.db'), { ...base, name: 'full', pruner: { name: 'none' } });
  const t0 = Date.now();
  const f = await full.run({ trials, workers });
  const fullMs = Date.now() - t0;
  const asha = await Study.open(join(dir, 'asha.db'), { ...base, name: 'asha', pruner: { name: 'asha', minEpochs, eta: 3 } });
  const t1 = Date.now();
  const a = await asha.run({ trials, workers });
  const ashaMs = Date.now() - t1;
  const target = f.best!.metrics!.accuracy;
  const fullEpochs = epochsToReach(await full.trials(), target);
  const ashaEpochs = epochsToReach(await asha.trials(), target);
  const result = { target, fullEpochs, ashaEpochs, fullTotal: f.epochs, ashaTotal: a.epochs, ashaBest: a.best!.metrics!.accuracy, pruned: a.pruned, fullMs, ashaMs };
  await full.close();
  await asha.close();
  return result;
}

const bench: Benchmark = {
  name: 'search (TPE, ASHA, studies)',
  async run({ report, quick }) {
    const dir = mkdtempSync(join(tmpdir(), 'spikeline-bench-search-'));
    try {
      const seeds = quick ? 4 : 12;
      const space = new SearchSpace(syntheticAdapter(), { maxSkips: 5 });
      let tpe = 0;
      let random = 0;
      for (let s = 0; s < seeds; s++) {
        tpe += bestAfter(new TpeSampler(), space, 50, s);
        random += bestAfter(new RandomSampler(), space, 50, s);
      }
      report({ name: 'synthetic skips: mean best after 50 trials, TPE', value: tpe / seeds, unit: 'acc', extra: { optimum: 0.85, seeds } });
      report({ name: 'synthetic skips: mean best after 50 trials, random', value: random / seeds, unit: 'acc', extra: { optimum: 0.85, seeds } });

      const trials = quick ? 30 : 60;
      const syn = await pruningComparison(
        mkdirIn(dir, 'synthetic'),
        { seed: 7, objective: 'accuracy', target: syntheticTargetRef({ noise: 0.01 }), space: { maxSkips: 5 }, sampler: { name: 'random' }, maxEpochs: 9 },
        trials,
        0,
      );
      report({
        name: `synthetic pruning speed-up at equal best (${trials} trials, 9 epochs)`,
        value: syn.fullEpochs / syn.ashaEpochs,
        unit: 'x',
        extra: { best: syn.target.toFixed(4), epochs_full: syn.fullEpochs, epochs_asha: syn.ashaEpochs, total_full: syn.fullTotal, total_asha: syn.ashaTotal, pruned: syn.pruned },
      });

      const plumbingTrials = quick ? 60 : 200;
      const plumbing = await Study.open(join(dir, 'plumbing.db'), {
        name: 'plumbing',
        seed: 1,
        objective: 'accuracy-synops',
        target: syntheticTargetRef(),
        space: { maxSkips: 5 },
        sampler: { name: 'tpe' },
        pruner: { name: 'asha' },
        maxEpochs: 9,
      });
      const t0 = Date.now();
      await plumbing.run({ trials: plumbingTrials, workers: 2 });
      const hours = (Date.now() - t0) / 3600e3;
      await plumbing.close();
      report({ name: 'study machinery: trials/hour (synthetic objective, 2 workers, TPE+ASHA)', value: plumbingTrials / hours, unit: 'trials/h' });

      const data = process.env.SPIKELINE_SEARCH_DATA;
      const rankData = data ?? (quick ? resolve('fixtures/gesture-mini') : undefined);
      if (rankData) {
        const rankOptions: RankStudyOptions = {
          target: { backbone: 'gesture', data: rankData, size: quick ? 16 : 32, steps: quick ? 4 : 8, widthMult: 0.5, lr: 5e-3 },
          configs: quick ? 4 : 12,
          epochs: quick ? 1 : 9,
          low: { steps: quick ? 2 : 4, limit: quick ? 6 : 60, epochs: quick ? 1 : 2 },
          scoreBatch: quick ? 6 : 32,
          maxSkips: 3,
          seed: 1,
          out: join(dir, 'rank.json'),
          workers: 2,
        };
        const ranked = await runRankStudy(rankOptions);
        const t = rankOptions.target;
        for (const f of rankFigures(ranked.configs)) {
          report({
            name: `ranker ${f.ranker}: Kendall tau vs full test accuracy (${t.backbone} x${t.widthMult}, ${t.size}x${t.size}, T=${t.steps}, ${rankOptions.epochs} epochs, ${f.n} configs)`,
            value: f.tau,
            unit: 'tau',
            extra: { cpu_s_per_candidate: Number(f.cpu_s.toFixed(3)) },
          });
        }
      }
      if (!data) {
        report({ name: 'real SNN trials: set SPIKELINE_SEARCH_DATA=<gesture folder> to measure', value: 0, unit: '-' });
        return;
      }
      const epochs = quick ? 3 : 9;
      const realTrials = quick ? 4 : 12;
      const options: SnnTargetOptions = { backbone: 'gesture', data, size: 32, steps: 8, widthMult: 0.5, lr: 5e-3, limit: quick ? 40 : undefined };
      const real = await pruningComparison(
        mkdirIn(dir, 'real'),
        { seed: 3, objective: 'accuracy', target: { module: SNN_TARGET_MODULE, export: 'snnTarget', options }, space: { maxSkips: 3 }, sampler: { name: 'random' }, maxEpochs: epochs },
        realTrials,
        2,
        // Validation accuracy of real trials sits at chance for the first epochs (BN running
        // statistics warm up), so the first rung is at 3 epochs.
        3,
      );
      const config = `gesture backbone x0.5, 32x32, T=8, ${epochs} epochs, 2 workers`;
      report({ name: `real SNN trials/hour, full training (${config})`, value: realTrials / (real.fullMs / 3600e3), unit: 'trials/h' });
      report({ name: `real SNN trials/hour, ASHA rungs 3/9 (${config})`, value: realTrials / (real.ashaMs / 3600e3), unit: 'trials/h' });
      report({
        name: `real SNN pruning speed-up at equal best (${realTrials} trials)`,
        value: real.fullEpochs / real.ashaEpochs,
        unit: 'x',
        extra: { best: real.target.toFixed(4), asha_best: real.ashaBest.toFixed(4), epochs_full: real.fullEpochs, epochs_asha: real.ashaEpochs, wall_full_s: Math.round(real.fullMs / 1000), wall_asha_s: Math.round(real.ashaMs / 1000) },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
