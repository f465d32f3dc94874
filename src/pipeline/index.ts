// Public API of the pipeline: config schema and validation, the runner, inference policies, launch helpers,
// the decision stage (gesture events) and the gesture score.
export { loadPipelineConfig, parsePipelineConfig, parsePipelineYaml, type PipelineConfig, type SourceConfig, type FilterConfig, type InferenceConfig, type DecisionConfig, DECISION_DEFAULTS } from './config.js';
export { ConfigError, type ConfigIssue } from './schema.js';
export { Pipeline, type PipelineDeps, type PipelineState } from './runner.js';
export { StepClassifier, WindowClassifier, type InferenceResult, type StepClassifierOptions, type WindowClassifierOptions } from './inference.js';
export type { PipelineSource, SourceHealth } from './source.js';
export { createPipelineSource, adaptEventSource } from './sources.js';
export { startCameraSimulator, type CameraSimulatorOptions } from './camera.js';
export { launchPipeline, demoConfig, runUntilSignalled, BUNDLED_MODEL_DIR, type LaunchOptions } from './launch.js';
export { previewFrame, type Preview } from './preview.js';
export { GestureDecider, type DecisionOptions, type GestureTransition, type GestureStart, type GestureEnd } from './decision.js';
export { decideGestures, type ScoredStep } from './decision-operator.js';
export { DecisionStage, decisionOptions } from './decision-stage.js';
export { scoreGestures, matchGestures, formatGestureScore, type GestureScore, type ClassScore, type DetectedGesture, type LabelledGesture } from './decision-score.js';
export { readRunRecord, RunRecorder, labelsFromCsv, labelsFromCameraSim, labelsFromTruth, redecide, type RunRecord } from './decision-record.js';
export { BusWorker, launchBusWorker, type BusWorkerOptions } from './bus-worker.js';
export { CameraLeases, LEASES_BUCKET, WORKERS_BUCKET, type RenewResult } from './camera-leases.js';
