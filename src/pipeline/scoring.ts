/**
 * Scoring binned frames with the model as the config's inference mode asks (see inference.ts
 * for the two policies), recording bins, inference time and firing in the metrics.
 */
import type { FrameTensor } from '../events/index.js';
import type { PipelineMetrics } from '../sinks/prometheus.js';
import type { StreamingModel } from '../snn/model-api.js';
import type { InferenceConfig } from './config.js';
import { StepClassifier, WindowClassifier, type InferenceResult } from './inference.js';

export interface Scorer {
  /** Scores frames; results go to the `emit` given at creation. */
  push(frames: FrameTensor): void;
  /** Forgets the model's state (a new epoch of event time). */
  reset(): void;
}

export function createScorer(inference: InferenceConfig, model: StreamingModel, metrics: PipelineMetrics | undefined, emit: (r: InferenceResult) => void): Scorer {
  const m = metrics;
  if (inference.mode === 'window') {
    // Every window starts from a fresh state: nothing to reset between epochs.
    const c = new WindowClassifier(model, { onStep: (firing) => m?.observeFiring(firing) });
    return {
      push: (frames) =>
        c.push(frames, (r) => {
          m?.bins.inc({ kind: 'window' });
          m?.inferenceDuration.observe({ mode: 'window' }, r.inferenceMs / 1000);
          emit(r);
        }),
      reset: () => undefined,
    };
  }
  const c = new StepClassifier(model, {
    resetEvery: inference.resetEvery ?? model.preprocessing.steps,
    idleResetSteps: inference.idleResetSteps,
    emitEvery: inference.emitEvery,
    onStep: (firing, ms) => {
      m?.bins.inc({ kind: 'step' });
      m?.inferenceDuration.observe({ mode: 'step' }, ms / 1000);
      m?.observeFiring(firing);
    },
  });
  return { push: (frames) => c.push(frames, emit), reset: () => c.reset() };
}
