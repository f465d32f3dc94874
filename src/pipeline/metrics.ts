/**
 * The pipeline's counters and their export to Prometheus. Hot-path stages only bump plain numbers
 * (events received, skipped as stale, the queue's and each filter's stats); `sync` copies the
 * increments into the Prometheus counters before every scrape and status message, together with
 * the source's own health counters.
 */
import type { Registry } from 'prom-client';
import { newBufferStats, newFilterStats, type BufferStats, type FilterStats } from '../operators/index.js';
import { PipelineMetrics } from '../sinks/prometheus.js';
import { inputChannels, type StreamingModel } from '../snn/model-api.js';
import type { PipelineConfig } from './config.js';
import type { PipelineSource, SourceHealth } from './source.js';

/** The Prometheus metrics of a config (undefined when sinks.prometheus is disabled), with model, classes and drop reasons declared. */
export function createMetrics(
  registry: Registry,
  config: PipelineConfig,
  deps: { model: StreamingModel; modelName: string; backend: string; source: PipelineSource; beforeCollect: () => void },
): PipelineMetrics | undefined {
  const prom = config.sinks.prometheus;
  if (!(prom?.enabled ?? true)) return undefined;
  const m = new PipelineMetrics(registry, { processMetrics: prom?.processMetrics ?? true, beforeCollect: deps.beforeCollect });
  const pre = deps.model.preprocessing;
  m.setModel({ name: deps.modelName, classes: deps.model.classes.length, stepUs: pre.stepUs, height: pre.height, width: pre.width, channels: inputChannels(pre) }, deps.backend);
  m.declareClasses(deps.model.classes);
  m.declareSource(deps.source.name, ['buffer_overflow', 'stale', 'sensor_mismatch', ...deps.source.dropReasons]);
  m.bins.inc({ kind: config.inference.mode === 'window' ? 'window' : 'step' }, 0);
  return m;
}

export class PipelineCounters {
  eventsReceived = 0;
  /** Events skipped because they waited longer than source.buffer.maxDelayMs. */
  staleDropped = 0;
  /** Events of a camera refused by `model.fit: error` (its sensor does not fit the model). */
  sensorDropped = 0;
  readonly buffer: BufferStats = newBufferStats();
  private readonly filters: { name: string; stats: FilterStats; synced: { seen: number; kept: number } }[] = [];
  private readonly synced = { received: 0, bufferDropped: 0, dropped: {} as Record<string, number>, malformed: 0, lost: 0, stalePackets: 0, reconnects: 0, stale: 0, sensor: 0 };

  constructor(
    private readonly metrics: PipelineMetrics | undefined,
    private readonly source: PipelineSource,
  ) {}

  /** Stats for the filter stage `name` (e.g. "0:denoise"), declared as zero in /metrics. */
  filter(name: string): FilterStats {
    const stats = newFilterStats();
    this.filters.push({ name, stats, synced: { seen: 0, kept: 0 } });
    this.metrics?.filterEventsIn.inc({ filter: name }, 0);
    this.metrics?.filterEventsDropped.inc({ filter: name }, 0);
    return stats;
  }

  /** Events lost before the model: queue overflow, staleness, a refused camera and the source's own drops. */
  dropped(h: SourceHealth): number {
    let dropped = this.buffer.droppedEvents + this.staleDropped + this.sensorDropped;
    for (const n of Object.values(h.dropped)) dropped += n;
    return dropped;
  }

  /** Copies source, buffer and filter counters into Prometheus, and readiness into its gauge. */
  sync(ready: boolean): void {
    const m = this.metrics;
    if (!m) return;
    const name = this.source.name;
    const s = this.synced;
    m.eventsReceived.inc({ source: name }, this.eventsReceived - s.received);
    s.received = this.eventsReceived;
    m.eventsDropped.inc({ source: name, reason: 'buffer_overflow' }, this.buffer.droppedEvents - s.bufferDropped);
    s.bufferDropped = this.buffer.droppedEvents;
    m.eventsDropped.inc({ source: name, reason: 'stale' }, this.staleDropped - s.stale);
    s.stale = this.staleDropped;
    m.eventsDropped.inc({ source: name, reason: 'sensor_mismatch' }, this.sensorDropped - s.sensor);
    s.sensor = this.sensorDropped;
    const h = this.source.health();
    for (const [reason, n] of Object.entries(h.dropped)) {
      m.eventsDropped.inc({ source: name, reason }, n - (s.dropped[reason] ?? 0));
      s.dropped[reason] = n;
    }
    m.malformedPackets.inc({ source: name }, h.malformedPackets - s.malformed);
    s.malformed = h.malformedPackets;
    m.packetsLost.inc({ source: name }, h.lostPackets - s.lost);
    s.lost = h.lostPackets;
    m.packetsStale.inc({ source: name }, h.stalePackets - s.stalePackets);
    s.stalePackets = h.stalePackets;
    m.sourceReconnects.inc({ source: name }, h.reconnects - s.reconnects);
    s.reconnects = h.reconnects;
    m.sourceConnected.set({ source: name }, h.connected ? 1 : 0);
    for (const f of this.filters) {
      m.filterEventsIn.inc({ filter: f.name }, f.stats.seen - f.synced.seen);
      m.filterEventsDropped.inc({ filter: f.name }, f.stats.seen - f.stats.kept - (f.synced.seen - f.synced.kept));
      f.synced.seen = f.stats.seen;
      f.synced.kept = f.stats.kept;
    }
    m.ready.set(ready ? 1 : 0);
  }
}
