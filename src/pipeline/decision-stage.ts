/**
 * The decision stage as the runner uses it: feeds each prediction to a GestureDecider and turns
 * its transitions into `gesture` messages (labelled, wall-clock stamped) and Prometheus figures
 * (`spikeline_gestures_total{class}` at each decision, the onset-to-decision latency).
 */
import type { GestureMessage } from '../sinks/messages.js';
import type { PipelineMetrics } from '../sinks/prometheus.js';
import type { DecisionConfig } from './config.js';
import { GestureDecider, type DecisionOptions, type GestureTransition } from './decision.js';

/** Decider options from the config block: `background` names a class; by default the model's "background" class, if it has one. */
export function decisionOptions(config: Omit<DecisionConfig, 'enabled'>, classes: readonly string[]): DecisionOptions {
  const { smoothingMs, onThreshold, offThreshold, minDurationMs, confirmMs, classOnThreshold, background } = config;
  let backgroundClass: number | undefined;
  if (background !== undefined) {
    backgroundClass = classes.indexOf(background);
    if (backgroundClass < 0) throw new RangeError(`decision.background: the model has no class "${background}" (classes: ${classes.join(', ')})`);
  } else {
    const auto = classes.findIndex((c) => c.toLowerCase() === 'background');
    if (auto >= 0) backgroundClass = auto;
  }
  const perClass: Record<number, number> = {};
  for (const [label, on] of Object.entries(classOnThreshold ?? {})) {
    const k = classes.indexOf(label);
    if (k < 0) throw new RangeError(`decision.classOnThreshold.${label}: the model has no class "${label}" (classes: ${classes.join(', ')})`);
    perClass[k] = on;
  }
  return { smoothingMs, onThreshold, offThreshold, minDurationMs, confirmMs, ...(classOnThreshold ? { classOnThreshold: perClass } : {}), ...(backgroundClass !== undefined ? { backgroundClass } : {}) };
}

/** A transition as a `gesture` message. */
export function gestureMessage(t: GestureTransition, classes: readonly string[], time: number): GestureMessage {
  const label = classes[t.classId] ?? String(t.classId);
  return t.phase === 'start'
    ? { type: 'gesture', phase: 'start', id: t.id, classId: t.classId, label, startUs: t.startUs, decidedUs: t.decidedUs, confidence: t.confidence, time }
    : { type: 'gesture', phase: 'end', id: t.id, classId: t.classId, label, startUs: t.startUs, endUs: t.endUs, confidence: t.confidence, time };
}

export class DecisionStage {
  private readonly decider: GestureDecider;
  private readonly emit: (t: GestureTransition) => void;

  constructor(
    config: Omit<DecisionConfig, 'enabled'>,
    private readonly classes: readonly string[],
    publish: (m: GestureMessage) => void,
    metrics?: PipelineMetrics,
  ) {
    const options = decisionOptions(config, classes);
    this.decider = new GestureDecider(classes.length, options);
    metrics?.declareGestureClasses(classes.filter((_, i) => i !== options.backgroundClass));
    this.emit = (t) => {
      const m = gestureMessage(t, this.classes, Date.now());
      if (m.phase === 'start') {
        metrics?.gestures.inc({ class: m.label });
        metrics?.gestureDecisionLatency.observe((m.decidedUs - m.startUs) / 1e6);
      }
      publish(m);
    };
  }

  /** One prediction: the probabilities of the step or window ending at `endUs`. */
  push(endUs: number, probabilities: ArrayLike<number>): void {
    this.decider.step(endUs, probabilities, this.emit);
  }

  /** End of the stream or of an event-time epoch: a gesture in progress ends. */
  finish(): void {
    this.decider.finish(this.emit);
  }
}
