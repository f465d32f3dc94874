/**
 * Turns inference results into the published records: a prediction (label, end-to-end latency,
 * ground truth when known) and its firing record, plus a preview frame every N steps when
 * previews are on. Also counts predictions and confidence in the metrics.
 */
import type { Annotation } from '../operators/index.js';
import type { FiringMessage, FrameMessage, PipelineMessage, PredictionMessage } from '../sinks/messages.js';
import type { PipelineMetrics } from '../sinks/prometheus.js';
import type { PipelineConfig } from './config.js';
import type { InferenceResult } from './inference.js';
import type { ArrivalLog } from './latency.js';
import { previewFrame } from './preview.js';

export interface ResultDeps {
  classes: readonly string[];
  previews: PipelineConfig['previews'];
  arrivals: ArrivalLog;
  metrics: PipelineMetrics | undefined;
  /** The source's own ground truth at event time `tUs` (the camera simulator knows it). */
  sourceTruthAt?: (tUs: number) => string | undefined;
  publish: (message: PipelineMessage) => void;
}

export class ResultPublisher {
  /** Predictions published so far. */
  predictions = 0;
  private seq = 0;
  private previewCounter = 0;
  private truth: readonly Annotation[] | undefined;

  constructor(private readonly deps: ResultDeps) {}

  /** Dataset labels riding on the batches (replay of a labelled recording). */
  setAnnotations(annotations: readonly Annotation[]): void {
    this.truth = annotations;
  }

  publish(r: InferenceResult): void {
    const { classes, metrics: m } = this.deps;
    const label = classes[r.classId] ?? String(r.classId);
    const seq = this.seq++;
    const time = Date.now();
    const truth = this.truthAt(r.endUs);
    const latencyMs = this.deps.arrivals.latencyMs(r.endUs, r.events, performance.now());
    const prediction: PredictionMessage = {
      type: 'prediction',
      seq,
      time,
      classId: r.classId,
      label,
      confidence: r.confidence,
      probabilities: Array.from(r.probabilities),
      window: { startUs: r.startUs, endUs: r.endUs },
      steps: r.steps,
      events: r.events,
      latencyMs,
      inferenceMs: r.inferenceMs,
      ...(truth !== undefined ? { truth } : {}),
    };
    this.deps.publish(prediction);
    this.predictions++;
    if (latencyMs !== null) m?.endToEndLatency.observe(latencyMs / 1000);
    m?.predictions.inc({ class: label });
    m?.confidence.observe(r.confidence);
    m?.lastConfidence.set(r.confidence);
    const firing: FiringMessage = {
      type: 'firing',
      seq,
      time,
      window: prediction.window,
      layers: r.firing.layers.map((l) => ({ layer: l.layer, rate: l.rate, spikes: l.spikes, synops: l.synops })),
      meanRate: r.firing.meanRate,
      synops: r.firing.synops,
      energyPJ: r.firing.energyPJ,
    };
    this.deps.publish(firing);
    const previews = this.deps.previews;
    if (previews?.enabled && ++this.previewCounter >= previews.everySteps) {
      this.previewCounter = 0;
      const p = previewFrame(r.frame, r.frameHeight, r.frameWidth, previews.size, r.frameChannels);
      const frame: FrameMessage = { type: 'frame', time, window: prediction.window, width: p.width, height: p.height, data: p.base64, events: r.events };
      this.deps.publish(frame);
    }
  }

  /** Ground truth at the end of a window: dataset labels riding on the batches, or the source's own. */
  private truthAt(endUs: number): string | undefined {
    const a = this.truth?.find((x) => x.start < endUs && x.end >= endUs);
    if (a) return a.label ?? this.deps.classes[a.classId] ?? String(a.classId);
    return this.deps.sourceTruthAt?.(endUs);
  }
}
