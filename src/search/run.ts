/**
 * What `spikeline search` does, as library calls: build a study config from user options, open
 * or resume the study (SQLite file or PostgreSQL URL), run it with progress, and write reports /
 * export the chosen spec.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { createProgress, type ProgressOptions } from '../util/progress.js';
import type { ObjectiveKind, TargetRef } from './objective.js';
import { chooseTrial, renderReport, type ChooseOptions } from './report.js';
import type { SpaceOptions } from './space.js';
import { parseDurationUs } from '../util/duration.js';
import { isPostgresUrl, openStudyStore, type StoredTrial } from './storage.js';
import { BASELINES, Study, baselineOf, type Baseline, type StudyConfig, type StudySummary } from './study.js';

export class SearchConfigError extends Error {
  override readonly name = 'SearchConfigError';
}

/** A study budget such as "2h", "90m", "1h30m" or bare seconds, in milliseconds. */
export function parseBudgetMs(text: string): number {
  try {
    return parseDurationUs(text) / 1000;
  } catch (err) {
    throw new SearchConfigError((err as Error).message);
  }
}

export interface NewStudyOptions {
  name: string;
  target: TargetRef;
  objective: ObjectiveKind;
  space: SpaceOptions;
  sampler: StudyConfig['sampler'];
  pruner: StudyConfig['pruner'];
  maxEpochs: number;
  seed: number;
}

export interface RunSearchOptions {
  /** Study file or postgres:// URL; resumed (or joined) when present, created (from `create`) when absent. */
  studyPath: string;
  /**
   * Config of a new study; ignored (beyond a consistency check of `target` and `objective`) on
   * resume. Without it the study must exist: a resume of a misspelt path is an error, not a new study.
   */
  create?: NewStudyOptions;
  /** Options the user set explicitly, checked against a resumed study's config. */
  explicit?: { backbone?: string; objective?: ObjectiveKind; seed?: number };
  trials: number;
  budgetMs?: number;
  workers?: number;
  progress?: ProgressOptions;
  signal?: AbortSignal;
  /** Take over an SQLite study whose lock names a live process (see StudyLockedError). */
  takeOver?: boolean;
}

export async function runSearch(options: RunSearchOptions): Promise<{ study: StudyConfig; summary: StudySummary; resumed: boolean; location: string }> {
  if (!options.create && !isPostgresUrl(options.studyPath) && !existsSync(options.studyPath)) {
    throw new SearchConfigError(`${options.studyPath}: no such study file; to resume, give the path of an existing study, to start a new one, give --backbone NAME (synthetic for a dry run)`);
  }
  // Without `create` the study must exist: both stores refuse to make one. Every new study
  // starts with the hand-designed baselines.
  const storage = await openStudyStore<StudyConfig>(options.studyPath, options.create && { ...options.create, baselines: [...BASELINES] });
  const resumed = !storage.created;
  const config = storage.config;
  const storedBackbone = (config.target.options as { backbone?: string } | null)?.backbone;
  const mismatch =
    options.explicit?.backbone !== undefined && storedBackbone !== options.explicit.backbone
      ? `study searches backbone "${storedBackbone}", not "${options.explicit.backbone}"`
      : options.explicit?.objective !== undefined && config.objective !== options.explicit.objective
        ? `study optimises "${config.objective}", not "${options.explicit.objective}"`
        : options.explicit?.seed !== undefined && config.seed !== options.explicit.seed
          ? `study was made with seed ${config.seed}, not ${options.explicit.seed}`
          : undefined;
  if (resumed && mismatch) {
    await storage.close();
    throw new SearchConfigError(`${storage.location}: ${mismatch} (use another --study)`);
  }
  const study = await Study.load(storage);
  const progress = createProgress(`search ${study.config.name}`, options.progress);
  const before = await study.summary();
  let bestAcc = before.best?.metrics?.accuracy ?? NaN;
  try {
    const summary = await study.run({
      trials: options.trials,
      budgetMs: options.budgetMs,
      workers: options.workers,
      signal: options.signal,
      claim: { takeOver: options.takeOver },
      onEvent: (e) => {
        if (e.type !== 'trial-end') return;
        const acc = e.trial.state === 'complete' ? (e.trial.metrics?.accuracy ?? NaN) : NaN;
        if (Number.isFinite(acc) && !(bestAcc >= acc)) bestAcc = acc;
        progress.update({
          done: e.finished,
          total: e.target,
          info: { trial: e.trial.number, state: e.trial.state, acc: round(e.trial.metrics?.accuracy), best: round(bestAcc) },
        });
      },
    });
    progress.finish({ complete: summary.complete, pruned: summary.pruned, failed: summary.failed, best: round(summary.best?.metrics?.accuracy) });
    return { study: study.config, summary, resumed, location: storage.location };
  } finally {
    await study.close();
  }
}

function round(v: number | undefined): number {
  return v === undefined || !Number.isFinite(v) ? NaN : Math.round(v * 10000) / 10000;
}

export interface ReportOptions extends ChooseOptions {
  /** HTML report path. */
  out: string;
  /** Where to write the chosen trial's spec (the JSON `spikeline train --spec` takes). */
  exportPath?: string;
}

/** Default report file of a study: the SQLite file's name with .html, or the PostgreSQL study's name. */
export function defaultReportPath(studyPath: string): string {
  if (isPostgresUrl(studyPath)) return `${new URL(studyPath).searchParams.get('study') ?? 'study'}.html`;
  return studyPath.replace(/\.[^./]*$/, '') + '.html';
}

export async function writeStudyReport(
  studyPath: string,
  options: ReportOptions,
): Promise<{ chosen: StoredTrial | undefined; trials: number; baselines: { baseline: Baseline; trial: StoredTrial }[] }> {
  const storage = await openStudyStore<StudyConfig>(studyPath, undefined, { readonly: true });
  try {
    const trials = await storage.trials();
    const hasComplete = trials.some((t) => t.state === 'complete');
    const chosen = hasComplete || options.trial !== undefined ? chooseTrial(trials, storage.config, options) : undefined;
    writeFileSync(options.out, renderReport(storage.config, trials, chosen));
    if (options.exportPath) {
      if (!chosen) throw new SearchConfigError(`${studyPath}: no complete trial to export`);
      writeFileSync(options.exportPath, JSON.stringify(chosen.spec, null, 2) + '\n');
    }
    const baselines = trials.flatMap((trial) => {
      const baseline = baselineOf(trial);
      return baseline ? [{ baseline, trial }] : [];
    });
    return { chosen, trials: trials.length, baselines };
  } finally {
    await storage.close();
  }
}
