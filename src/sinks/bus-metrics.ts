/**
 * Prometheus metrics of a bus worker (`spikeline run` with a `nats` source and `cameras: "*"`):
 * camera ownership, rebalancing, consumer lag and redeliveries, per camera where it applies.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export class BusWorkerMetrics {
  readonly camerasOwned: Gauge;
  readonly cameraOwned: Gauge<'camera'>;
  readonly liveWorkers: Gauge;
  readonly rebalances: Counter<'action'>;
  readonly events: Counter<'camera'>;
  readonly redeliveries: Counter<'camera'>;
  readonly lagBatches: Gauge<'camera'>;
  readonly lagEvents: Gauge<'camera'>;
  readonly lagSeconds: Gauge<'camera'>;
  readonly gaps: Counter<'camera'>;
  readonly gapSeconds: Counter<'camera'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.camerasOwned = new Gauge({ name: 'spikeline_worker_cameras_owned', help: 'Cameras this worker holds a lease on', registers });
    this.cameraOwned = new Gauge({ name: 'spikeline_worker_camera_owned', help: '1 while this worker owns the camera', labelNames: ['camera'], registers });
    this.liveWorkers = new Gauge({ name: 'spikeline_worker_live_workers', help: 'Workers of the line seen alive at the last rebalance', registers });
    this.rebalances = new Counter({
      name: 'spikeline_worker_rebalances_total',
      help: 'Ownership changes: claim (took a camera), release (handed one over), lost (lease taken or expired)',
      labelNames: ['action'],
      registers,
    });
    for (const action of ['claim', 'release', 'lost']) this.rebalances.inc({ action }, 0);
    this.events = new Counter({ name: 'spikeline_worker_events_total', help: 'Events received from the bus', labelNames: ['camera'], registers });
    this.redeliveries = new Counter({
      name: 'spikeline_worker_redeliveries_total',
      help: 'Batches delivered again (received by an earlier owner or reader without being acknowledged)',
      labelNames: ['camera'],
      registers,
    });
    this.lagBatches = new Gauge({ name: 'spikeline_worker_consumer_lag_batches', help: 'Batches in the stream not yet received', labelNames: ['camera'], registers });
    this.lagEvents = new Gauge({
      name: 'spikeline_worker_consumer_lag_events',
      help: 'Events not yet received (pending batches x mean events per batch)',
      labelNames: ['camera'],
      registers,
    });
    this.lagSeconds = new Gauge({
      name: 'spikeline_worker_consumer_lag_seconds',
      help: 'Age of the last batch received while more are pending (0 when caught up)',
      labelNames: ['camera'],
      registers,
    });
    this.gaps = new Counter({ name: 'spikeline_worker_gaps_total', help: 'Takeovers of a camera another worker had been processing', labelNames: ['camera'], registers });
    this.gapSeconds = new Counter({
      name: 'spikeline_worker_gap_seconds_total',
      help: "Time between the previous owner's last ack and the takeover",
      labelNames: ['camera'],
      registers,
    });
  }
}
