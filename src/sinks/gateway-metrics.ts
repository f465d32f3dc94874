/**
 * Prometheus metrics of `spikeline gateway`: what every camera of a line reports on the bus,
 * labelled by camera (Grafana's line dashboard picks cameras with a template variable).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from './prometheus.js';

export class GatewayMetrics {
  readonly messages: Counter<'camera' | 'type'>;
  readonly predictions: Counter<'camera' | 'class'>;
  readonly confidence: Gauge<'camera'>;
  readonly latency: Histogram<'camera'>;
  readonly eventRate: Gauge<'camera'>;
  readonly eventsReceived: Gauge<'camera'>;
  readonly eventsDropped: Gauge<'camera'>;
  readonly meanFiringRate: Gauge<'camera'>;
  readonly synops: Gauge<'camera'>;
  readonly gaps: Counter<'camera'>;
  readonly gapSeconds: Counter<'camera'>;
  readonly lastMessage: Gauge<'camera'>;
  readonly malformed: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    const camera = ['camera'] as const;
    this.messages = new Counter({ name: 'spikeline_gateway_messages_total', help: 'Messages received from the bus', labelNames: ['camera', 'type'], registers });
    this.predictions = new Counter({ name: 'spikeline_gateway_predictions_total', help: 'Predictions per camera and class', labelNames: ['camera', 'class'], registers });
    this.confidence = new Gauge({ name: 'spikeline_gateway_last_confidence', help: 'Confidence of the latest prediction', labelNames: camera, registers });
    this.latency = new Histogram({
      name: 'spikeline_gateway_prediction_latency_seconds',
      help: 'Last event arrival at the worker -> prediction, as the worker measured it',
      labelNames: camera,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.eventRate = new Gauge({ name: 'spikeline_gateway_event_rate', help: 'Events per second the camera pipeline received (status messages)', labelNames: camera, registers });
    this.eventsReceived = new Gauge({ name: 'spikeline_gateway_events_received', help: "Events received by the camera's current pipeline", labelNames: camera, registers });
    this.eventsDropped = new Gauge({ name: 'spikeline_gateway_events_dropped', help: "Events dropped by the camera's current pipeline", labelNames: camera, registers });
    this.meanFiringRate = new Gauge({ name: 'spikeline_gateway_mean_firing_rate', help: 'Mean firing rate of the latest step', labelNames: camera, registers });
    this.synops = new Gauge({ name: 'spikeline_gateway_synops', help: 'Synaptic operations of the latest step', labelNames: camera, registers });
    this.gaps = new Counter({ name: 'spikeline_gateway_gaps_total', help: 'Stream interruptions and camera takeovers', labelNames: camera, registers });
    this.gapSeconds = new Counter({ name: 'spikeline_gateway_gap_seconds_total', help: 'Length of the interruptions', labelNames: camera, registers });
    this.lastMessage = new Gauge({ name: 'spikeline_gateway_last_message_timestamp_seconds', help: 'Wall time of the latest message of the camera', labelNames: camera, registers });
    this.malformed = new Counter({ name: 'spikeline_gateway_malformed_messages_total', help: 'Bus messages skipped: not pipeline JSON, or past the gateway\'s limits (1024 cameras, class ids below 1000)', registers });
  }
}
