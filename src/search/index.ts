// Public API of the skip-connection search (re-exported by src/index.ts).
export { SearchSpace, InvalidCandidateError, defaultPairs, skipParamName } from './space.js';
export type { SpecAdapter, SpaceOptions, Candidate, Params, ParamValue, Distribution, NeuronParams } from './space.js';
export { RandomSampler, type Sampler, type ObservedTrial } from './sampler.js';
export { TpeSampler, type TpeOptions } from './tpe.js';
export { AshaPruner, NoPruner, type Pruner, type AshaOptions } from './pruner.js';
export { dominates, nondominatedRanks, paretoFront, crowdingDistance, hypervolume2d, toLoss, type Direction } from './pareto.js';
// The SQLite and PostgreSQL stores are reached through openStudyStore, which loads their native
// or network clients on first use: importing spikeline must not load either.
export { openStudyStore, StudyLockedError, StudyFileError, type StudyStore, type StoredTrial, type TrialState, type ClaimOptions } from './storage.js';
export { Study, summarize as summarizeStudy, type StudyConfig, type RunOptions, type StudyEvent, type StudySummary } from './study.js';
export { OBJECTIVES, type ObjectiveKind, type TrialObjective, type TrialRequest, type TrialMetrics, type EpochMetrics as TrialEpochMetrics, type SearchTarget, type TargetRef } from './objective.js';
export { chooseTrial, renderReport, type ChooseOptions } from './report.js';
export { runSearch, writeStudyReport, parseBudgetMs, SearchConfigError } from './run.js';
export { syntheticTarget, syntheticObjective, syntheticAdapter, syntheticQuality } from './synthetic.js';
