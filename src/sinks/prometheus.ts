/**
 * Prometheus metrics of a running pipeline. Every metric lives in the one `Registry` passed in
 * (no prom-client globals), so several pipelines or tests can each own a registry.
 *
 * Naming follows Prometheus conventions: `spikeline_` prefix, base units (`_seconds`,
 * `_joules`), `_total` for counters. Latency histograms use buckets spaced for milliseconds.
 */
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import type { FiringMetrics } from '../snn/model-api.js';

/** Buckets from 100 µs to 2.5 s: the range where per-step inference and serving latency live. */
export const LATENCY_BUCKETS_SECONDS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];
/** Buckets from 50 ms to 10 s: gesture onset to decision, in event time. */
export const DECISION_BUCKETS_SECONDS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];
export const CONFIDENCE_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1];

/** Energy estimates arrive in pJ (model API); Prometheus wants joules. */
const JOULES_PER_PICOJOULE = 1e-12;

export interface PipelineMetricsOptions {
  /** Also register Node process metrics (CPU, RSS, heap, event-loop lag, GC) with the prefix. Default true. */
  processMetrics?: boolean;
  /** Called at the start of every scrape, to bring counters kept elsewhere up to date. */
  beforeCollect?: () => void;
}

export interface ModelInfo {
  name: string;
  classes: number;
  stepUs: number;
  height: number;
  width: number;
  /** Input channels: ON and OFF per temporal sub-bin (default 2: one bin per step). */
  channels?: number;
}

export class PipelineMetrics {
  readonly eventsReceived: Counter<'source'>;
  readonly eventsDropped: Counter<'source' | 'reason'>;
  readonly malformedPackets: Counter<'source'>;
  readonly packetsLost: Counter<'source'>;
  readonly packetsStale: Counter<'source'>;
  readonly sourceConnected: Gauge<'source'>;
  readonly sourceReconnects: Counter<'source'>;
  readonly sourceGaps: Counter<'source'>;
  readonly sourceGapSeconds: Counter<'source'>;
  readonly filterEventsIn: Counter<'filter'>;
  readonly filterEventsDropped: Counter<'filter'>;
  readonly bins: Counter<'kind'>;
  readonly inferenceDuration: Histogram<'mode'>;
  readonly endToEndLatency: Histogram<never>;
  readonly predictions: Counter<'class'>;
  readonly confidence: Histogram<never>;
  readonly gestures: Counter<'class'>;
  readonly gestureDecisionLatency: Histogram<never>;
  readonly lastConfidence: Gauge<never>;
  readonly layerFiringRate: Gauge<'layer'>;
  readonly synops: Counter<never>;
  readonly energy: Counter<never>;
  readonly wsClients: Gauge<never>;
  readonly wsMessagesSent: Counter<'type'>;
  readonly wsMessagesDropped: Counter<'reason'>;
  readonly sinkMessages: Counter<'sink'>;
  readonly sinkErrors: Counter<'sink'>;
  readonly backendInfo: Gauge<'backend'>;
  readonly modelInfo: Gauge<'model' | 'classes' | 'step_us' | 'input'>;
  readonly ready: Gauge<never>;

  constructor(readonly registry: Registry, options: PipelineMetricsOptions = {}) {
    const registers = [registry];
    // Registered first so that its collect() runs before the other metrics are read.
    this.ready = new Gauge({
      name: 'spikeline_ready',
      help: '1 when the pipeline is running and its source is connected.',
      registers,
      collect: options.beforeCollect,
    });
    this.eventsReceived = new Counter({
      name: 'spikeline_events_received_total',
      help: 'Events delivered by a source to the pipeline.',
      labelNames: ['source'],
      registers,
    });
    this.eventsDropped = new Counter({
      name: 'spikeline_events_dropped_total',
      help: 'Events lost before binning, by source and reason (buffer overflow, malformed packet, time reset...).',
      labelNames: ['source', 'reason'],
      registers,
    });
    this.malformedPackets = new Counter({
      name: 'spikeline_malformed_packets_total',
      help: 'Network packets a source could not decode and skipped.',
      labelNames: ['source'],
      registers,
    });
    this.packetsLost = new Counter({
      name: 'spikeline_packets_lost_total',
      help: 'Network packets known lost in transit (sequence-number gaps) or dropped incomplete.',
      labelNames: ['source'],
      registers,
    });
    this.packetsStale = new Counter({
      name: 'spikeline_packets_stale_total',
      help: 'Network packets skipped as duplicated or late (sequence number already passed).',
      labelNames: ['source'],
      registers,
    });
    this.sourceConnected = new Gauge({
      name: 'spikeline_source_connected',
      help: '1 while the source is connected and streaming, 0 otherwise.',
      labelNames: ['source'],
      registers,
    });
    this.sourceReconnects = new Counter({
      name: 'spikeline_source_reconnects_total',
      help: 'Successful reconnections of a live source after a lost connection.',
      labelNames: ['source'],
      registers,
    });
    this.sourceGaps = new Counter({
      name: 'spikeline_source_gaps_total',
      help: 'Interruptions of a live stream (connection lost, sequence gap).',
      labelNames: ['source'],
      registers,
    });
    this.sourceGapSeconds = new Counter({
      name: 'spikeline_source_gap_seconds_total',
      help: 'Wall-clock time a live source spent disconnected.',
      labelNames: ['source'],
      registers,
    });
    this.filterEventsIn = new Counter({
      name: 'spikeline_filter_events_in_total',
      help: 'Events entering a filter stage.',
      labelNames: ['filter'],
      registers,
    });
    this.filterEventsDropped = new Counter({
      name: 'spikeline_filter_events_dropped_total',
      help: 'Events removed by a filter stage (drop rate = dropped / in).',
      labelNames: ['filter'],
      registers,
    });
    this.bins = new Counter({
      name: 'spikeline_bins_total',
      help: 'Time steps binned (kind="step") and classification windows formed (kind="window").',
      labelNames: ['kind'],
      registers,
    });
    this.inferenceDuration = new Histogram({
      name: 'spikeline_inference_duration_seconds',
      help: 'Wall time of one model call: one time step (mode="step") or one whole window (mode="window").',
      labelNames: ['mode'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.endToEndLatency = new Histogram({
      name: 'spikeline_end_to_end_latency_seconds',
      help: 'From the arrival of the last event of a time step to its prediction being handed to the sinks.',
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.predictions = new Counter({
      name: 'spikeline_predictions_total',
      help: 'Predictions published, by predicted class.',
      labelNames: ['class'],
      registers,
    });
    this.confidence = new Histogram({
      name: 'spikeline_prediction_confidence',
      help: 'Probability of the predicted class.',
      buckets: CONFIDENCE_BUCKETS,
      registers,
    });
    this.gestures = new Counter({
      name: 'spikeline_gestures_total',
      help: 'Gesture performances detected by the decision stage, by class (counted at the decision).',
      labelNames: ['class'],
      registers,
    });
    this.gestureDecisionLatency = new Histogram({
      name: 'spikeline_gesture_decision_latency_seconds',
      help: 'Event time from the onset of a detected gesture to its decision (the start message).',
      buckets: DECISION_BUCKETS_SECONDS,
      registers,
    });
    this.lastConfidence = new Gauge({
      name: 'spikeline_prediction_last_confidence',
      help: 'Probability of the predicted class in the latest prediction.',
      registers,
    });
    this.layerFiringRate = new Gauge({
      name: 'spikeline_layer_firing_rate',
      help: 'Mean spikes per neuron per time step of each layer, latest time step.',
      labelNames: ['layer'],
      registers,
    });
    this.synops = new Counter({
      name: 'spikeline_synops_total',
      help: 'Synaptic operations (spikes x fan-out) performed by the model.',
      registers,
    });
    this.energy = new Counter({
      name: 'spikeline_energy_joules_total',
      help: 'Estimated neuromorphic energy of inference (0.9 pJ per SynOp, 4.6 pJ per MAC of non-spiking layers, 45 nm).',
      registers,
    });
    this.wsClients = new Gauge({
      name: 'spikeline_ws_clients',
      help: 'WebSocket clients currently connected.',
      registers,
    });
    this.wsMessagesSent = new Counter({
      name: 'spikeline_ws_messages_sent_total',
      help: 'WebSocket messages written to clients, by message type.',
      labelNames: ['type'],
      registers,
    });
    this.wsMessagesDropped = new Counter({
      name: 'spikeline_ws_messages_dropped_total',
      help: 'WebSocket messages not sent to a client, by reason (slow_client, closed).',
      labelNames: ['reason'],
      registers,
    });
    this.sinkMessages = new Counter({
      name: 'spikeline_sink_messages_total',
      help: 'Records written by a file or message-bus sink.',
      labelNames: ['sink'],
      registers,
    });
    this.sinkErrors = new Counter({
      name: 'spikeline_sink_errors_total',
      help: 'Records a sink failed to write or had to drop.',
      labelNames: ['sink'],
      registers,
    });
    this.backendInfo = new Gauge({
      name: 'spikeline_backend_info',
      help: 'TensorFlow.js backend running the model (value is always 1).',
      labelNames: ['backend'],
      registers,
    });
    this.modelInfo = new Gauge({
      name: 'spikeline_model_info',
      help: 'The loaded model (value is always 1).',
      labelNames: ['model', 'classes', 'step_us', 'input'],
      registers,
    });
    if (options.processMetrics ?? true) this.processMetrics(registry);
  }

  /**
   * prom-client's default process metrics, minus three gauges it names `*_total` (promtool
   * rejects `_total` on non-counters), replaced by one correctly named gauge.
   */
  private processMetrics(registry: Registry): void {
    collectDefaultMetrics({ register: registry, prefix: 'spikeline_' });
    for (const name of ['active_handles', 'active_requests', 'active_resources']) {
      registry.removeSingleMetric(`spikeline_nodejs_${name}_total`);
      registry.removeSingleMetric(`spikeline_nodejs_${name}`);
    }
    new Gauge({
      name: 'spikeline_nodejs_active_resources',
      help: 'Active libuv resources keeping the event loop alive, by type.',
      labelNames: ['type'],
      registers: [registry],
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const t of process.getActiveResourcesInfo()) counts.set(t, (counts.get(t) ?? 0) + 1);
        for (const [type, n] of counts) this.set({ type }, n);
      },
    });
  }

  setModel(info: ModelInfo, backend: string): void {
    this.modelInfo.reset();
    this.modelInfo.set(
      { model: info.name, classes: String(info.classes), step_us: String(info.stepUs), input: `${info.height}x${info.width}x${info.channels ?? 2}` },
      1,
    );
    this.backendInfo.reset();
    this.backendInfo.set({ backend }, 1);
  }

  /** Declares every class so `predictions_total` reports zeros before the first prediction. */
  declareClasses(classes: readonly string[]): void {
    for (const c of classes) this.predictions.inc({ class: c }, 0);
  }

  /** Declares the classes the decision stage can report, so `gestures_total` starts at zeros. */
  declareGestureClasses(classes: readonly string[]): void {
    for (const c of classes) this.gestures.inc({ class: c }, 0);
  }

  declareSource(source: string, dropReasons: readonly string[]): void {
    this.eventsReceived.inc({ source }, 0);
    this.malformedPackets.inc({ source }, 0);
    this.packetsLost.inc({ source }, 0);
    this.packetsStale.inc({ source }, 0);
    this.sourceReconnects.inc({ source }, 0);
    this.sourceGaps.inc({ source }, 0);
    this.sourceGapSeconds.inc({ source }, 0);
    for (const reason of dropReasons) this.eventsDropped.inc({ source, reason }, 0);
  }

  observeFiring(firing: FiringMetrics): void {
    for (const l of firing.layers) this.layerFiringRate.set({ layer: l.layer }, l.rate);
    this.synops.inc(firing.synops);
    this.energy.inc(firing.energyPJ * JOULES_PER_PICOJOULE);
  }
}
