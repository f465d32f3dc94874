/**
 * The pipeline runner: source -> bounded buffer -> filters -> binning -> model -> sinks, wired
 * as RxJS from a validated config, plus the HTTP server (dashboard, /metrics, /ws, probes).
 *
 * Backpressure: the source feeds a bounded queue (`boundedConcatMap` from the operators); queued
 * batches are processed synchronously (filters, binning, model) in slices of a few ms, and the
 * queue yields to the event loop between slices, so socket reads keep landing in the queue while
 * the model works and, when the model cannot keep up, the oldest events are dropped and counted
 * rather than memory growing. Sinks never block (see each sink).
 */
import { EMPTY, Observable, Subject, tap, type OperatorFunction, type Subscription } from 'rxjs';
import { Registry } from 'prom-client';
import type { EventBatch, FrameTensor } from '../events/index.js';
import {
  boundedConcatMap,
  crop,
  denoise,
  downsample,
  hotPixels,
  newBufferStats,
  newFilterStats,
  orient,
  rateLimit,
  refractory,
  selectPolarity,
  slidingWindows,
  timeSteps,
  type Annotation,
  type BoundedBufferOptions,
  type BufferStats,
  type FilterStats,
} from '../operators/index.js';
import type { StreamingModel } from '../snn/model-api.js';
import type { FiringMessage, FrameMessage, HelloMessage, PipelineMessage, PredictionMessage, StatusMessage } from '../sinks/messages.js';
import { WS_PROTOCOL_VERSION } from '../sinks/messages.js';
import { PipelineMetrics } from '../sinks/prometheus.js';
import type { MessageSink } from '../sinks/sink.js';
import { WebSocketSink } from '../sinks/websocket.js';
import { JsonlSink } from '../sinks/jsonl.js';
import { NatsSink } from '../sinks/nats.js';
import { ServingServer, type HealthReport } from '../server/http.js';
import { BUFFER_DEFAULTS, type FilterConfig, type PipelineConfig } from './config.js';
import { StepClassifier, WindowClassifier, type InferenceResult } from './inference.js';
import type { PipelineSource } from './source.js';
import { previewFrame } from './preview.js';

export type PipelineState = StatusMessage['state'];

/** Longest run of queued batches processed without yielding to the event loop, ms. */
const SLICE_MS = 3;

export interface PipelineDeps {
  source: PipelineSource;
  model: StreamingModel;
  /** Model name and backend for /metrics and hello messages. */
  modelName: string;
  backend: string;
  /** One registry for all metrics; a fresh one by default. */
  registry?: Registry;
  /** Start the HTTP server (default true). */
  serve?: boolean;
  /** Token for /ws and /metrics (resolved from server.tokenEnv by the caller). */
  token?: string;
  natsToken?: string;
  log?: (line: string) => void;
}

/** Arrival wall times of recent raw batches, for end-to-end latency. */
class ArrivalLog {
  private readonly tFirst = new Float64Array(4096);
  private readonly at = new Float64Array(4096);
  private head = 0;
  private size = 0;

  record(tFirst: number, now: number): void {
    const i = (this.head + this.size) % this.tFirst.length;
    this.tFirst[i] = tFirst;
    this.at[i] = now;
    if (this.size < this.tFirst.length) this.size++;
    else this.head = (this.head + 1) % this.tFirst.length;
  }

  /** Arrival time of the latest batch starting before `endUs`: the one holding the step's last event. */
  arrivalOfLastEventBefore(endUs: number): number | undefined {
    const n = this.tFirst.length;
    for (let k = this.size - 1; k >= 0; k--) {
      const i = (this.head + k) % n;
      if (this.tFirst[i]! < endUs) {
        // Older batches cannot hold the last event of any later step: forget them.
        this.head = i;
        this.size -= k;
        return this.at[i]!;
      }
    }
    return undefined;
  }
}

export class Pipeline {
  readonly metrics: PipelineMetrics | undefined;
  readonly registry: Registry;
  /** Every message published, for embedding and tests. */
  readonly messages = new Subject<PipelineMessage>();
  /** Resolves when the source ends (file replay without loop) and everything was flushed; rejects on a pipeline error. */
  readonly done: Promise<void>;
  /** Resolves once stop() has finished (whatever triggered it). */
  readonly stopped: Promise<void>;
  private resolveStopped!: () => void;
  private readonly sinks: MessageSink[] = [];
  private readonly ws: WebSocketSink | undefined;
  private readonly server: ServingServer | undefined;
  private readonly started = Date.now();
  private readonly bufferStats: BufferStats = newBufferStats();
  private readonly filterStats: { name: string; stats: FilterStats; synced: { seen: number; kept: number } }[] = [];
  private readonly arrivals = new ArrivalLog();
  private readonly synced = { received: 0, bufferDropped: 0, dropped: {} as Record<string, number>, malformed: 0, lost: 0, reconnects: 0, stale: 0 };
  private subscription: Subscription | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private resolveDone!: () => void;
  private rejectDone!: (err: Error) => void;
  private stopping: Promise<void> | undefined;
  private stateValue: PipelineState = 'starting';
  private seq = 0;
  private predictions = 0;
  private eventsReceived = 0;
  private lastRate = { at: performance.now(), events: 0, rate: 0 };
  private disconnectedSince: number | undefined;
  private previewCounter = 0;
  private gaps = 0;
  /** Times the stream's clock went backwards (new binning epoch). */
  timeResets = 0;
  /** Events skipped because they waited longer than source.buffer.maxDelayMs. */
  staleDropped = 0;
  private sensor = { width: 0, height: 0 };
  private truth: readonly Annotation[] | undefined;

  constructor(
    readonly config: PipelineConfig,
    private readonly deps: PipelineDeps,
  ) {
    this.registry = deps.registry ?? new Registry();
    const sinks = config.sinks;
    const prom = sinks.prometheus?.enabled ?? true;
    this.metrics = prom
      ? new PipelineMetrics(this.registry, { processMetrics: sinks.prometheus?.processMetrics ?? true, beforeCollect: () => this.syncCounters() })
      : undefined;
    const pre = deps.model.preprocessing;
    this.metrics?.setModel({ name: deps.modelName, classes: deps.model.classes.length, stepUs: pre.stepUs, height: pre.height, width: pre.width }, deps.backend);
    this.metrics?.declareClasses(deps.model.classes);
    this.metrics?.declareSource(deps.source.name, ['buffer_overflow', 'stale', ...deps.source.dropReasons]);
    this.metrics?.bins.inc({ kind: config.inference.mode === 'window' ? 'window' : 'step' }, 0);

    const wsConfig = sinks.websocket;
    if (deps.serve !== false && (wsConfig?.enabled ?? true)) {
      this.ws = new WebSocketSink({
        ...(wsConfig ? { maxBufferedBytes: wsConfig.maxBufferedBytes, maxPayloadBytes: wsConfig.maxPayloadBytes, heartbeatMs: wsConfig.heartbeatMs, maxClients: wsConfig.maxClients } : {}),
        ...(this.metrics ? { metrics: this.metrics } : {}),
        hello: () => this.hello(),
      });
      this.sinks.push(this.ws);
    }
    if (sinks.jsonl) {
      this.sinks.push(
        new JsonlSink({
          path: sinks.jsonl.path,
          append: sinks.jsonl.append,
          ...(sinks.jsonl.types ? { types: sinks.jsonl.types } : {}),
          ...(this.metrics ? { metrics: this.metrics } : {}),
        }),
      );
    }
    if (sinks.nats) {
      this.sinks.push(
        new NatsSink({
          url: sinks.nats.url,
          subject: sinks.nats.subject,
          ...(sinks.nats.camera ? { camera: sinks.nats.camera } : {}),
          ...(sinks.nats.types ? { types: sinks.nats.types } : {}),
          ...(deps.natsToken ? { token: deps.natsToken } : {}),
          ...(this.metrics ? { metrics: this.metrics } : {}),
          onState: (state, detail) => this.log(`nats ${sinks.nats!.url}: ${state}${detail ? ` (${detail})` : ''}`),
        }),
      );
    }
    if (deps.serve !== false) {
      this.server = new ServingServer({
        host: config.server.host,
        port: config.server.port,
        ...(prom ? { registry: this.registry } : {}),
        ...(this.ws ? { ws: this.ws } : {}),
        ...(deps.token ? { token: deps.token } : {}),
        health: () => this.health(),
      });
    }
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));
    // The caller may only await stop(); an unobserved failure is still logged, not unhandled.
    this.done.catch(() => undefined);
  }

  get state(): PipelineState {
    return this.stateValue;
  }

  /** Base URL of the HTTP server (after start). */
  get url(): string | undefined {
    return this.server?.url;
  }

  /** Binds the server and starts consuming the source. */
  async start(): Promise<void> {
    await this.server?.listen();
    this.subscription = this.build().subscribe({
      error: (err: Error) => {
        this.log(`pipeline error: ${err.message}`);
        this.rejectDone(err);
        void this.stop();
      },
      complete: () => {
        this.log('source ended');
        void this.stop().then(() => this.resolveDone());
      },
    });
    // A source that ended (or failed) synchronously has already moved the state on.
    if (this.stateValue !== 'starting') return;
    this.setState('running');
    this.statusTimer = setInterval(() => this.tick(), this.config.statusIntervalMs);
    this.statusTimer.unref();
  }

  private log(line: string): void {
    this.deps.log?.(line);
  }

  private setState(state: PipelineState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.publish(this.status());
  }

  /**
   * The processing chain is subscribed once per "epoch" of event time. When the stream's clock
   * goes backwards (a camera restarted and counts from zero again), the epoch is closed (its
   * last partial step is flushed), the model is reset and a fresh chain (fresh filter and
   * binning state) starts on the new time base.
   */
  private build(): Observable<never> {
    const { source, model } = this.deps;
    const pre = model.preprocessing;
    const ops: OperatorFunction<EventBatch, EventBatch>[] = this.config.filters.map((f, i) => this.filter(f, i));
    // The model's own downsampling applies, fused into binning, unless the config already brings
    // frames to its size.
    const down = !this.config.filters.some((f) => f.type === 'downsample') && pre.downsample > 1 ? pre.downsample : 1;
    const binning = this.config.inference.mode === 'window' ? this.windows(down) : timeSteps(pre.stepUs, { downsample: down });
    const framesOf = (input: Observable<EventBatch>): Observable<FrameTensor> =>
      ops.reduce((stage, op) => stage.pipe(op), input).pipe(binning);
    const classifier = this.classifier((r) => this.result(r));

    return new Observable<never>((subscriber) => {
      let epoch: Subject<EventBatch>;
      let epochSubscription: Subscription | undefined;
      let lastT = -Infinity;
      let skipped = false;
      let sliceStart: number | undefined;
      const arrivedAt = new WeakMap<EventBatch, number>();
      const maxDelayMs = this.maxDelayMs();
      const startEpoch = () => {
        epoch = new Subject<EventBatch>();
        // A step that throws (e.g. frames the model cannot take) fails the pipeline, not the process.
        const push = (frames: FrameTensor) => {
          try {
            classifier.push(frames);
          } catch (err) {
            subscriber.error(err);
          }
        };
        epochSubscription = framesOf(epoch).subscribe({ next: push, error: (err) => subscriber.error(err) });
      };
      const newEpoch = (why: string) => {
        epoch.complete();
        classifier.reset();
        this.log(why);
        startEpoch();
      };
      startEpoch();
      const upstream = source.events
        .pipe(
          // Arrival is stamped as the source emits, before any queueing, so latency includes it.
          tap((batch) => {
            if (batch.length === 0) return;
            const now = performance.now();
            this.eventsReceived += batch.length;
            this.arrivals.record(batch.t[0]!, now);
            arrivedAt.set(batch, now);
          }),
          boundedConcatMap(
            (batch) => {
              if (batch.length === 0) return EMPTY;
              // A live view skips what waited too long in the queue instead of lagging behind.
              const at = arrivedAt.get(batch);
              if (maxDelayMs > 0 && at !== undefined && performance.now() - at > maxDelayMs) {
                this.staleDropped += batch.length;
                skipped = true;
                return EMPTY;
              }
              if (batch.t[0]! < lastT) {
                this.timeResets++;
                newEpoch(`event time went back from ${lastT} to ${batch.t[0]} µs (camera restarted?): binning and model state reset`);
              } else if (skipped) {
                // Skipped events leave a hole in event time: start over rather than run empty steps across it.
                newEpoch('stale events skipped: binning and model state reset');
              }
              skipped = false;
              lastT = batch.t[batch.length - 1]!;
              this.onBatch(batch);
              epoch.next(batch);
              // Binned (and stepped through the model): a bus source may now forget it.
              if (!subscriber.closed) (batch as { ack?: () => void }).ack?.();
              // Queued batches are processed back to back for up to SLICE_MS, then the queue yields
              // one macrotask so pending socket reads land in it (and overflow is counted there).
              // Yielding after every batch would cap throughput at one batch per loop turn.
              const now = performance.now();
              if (sliceStart === undefined) {
                sliceStart = now;
                queueMicrotask(() => (sliceStart = undefined));
              }
              if (now - sliceStart < SLICE_MS) return EMPTY;
              sliceStart = undefined;
              return new Observable<never>((s) => {
                const id = setImmediate(() => s.complete());
                return () => clearImmediate(id);
              });
            },
            this.bufferOptions(),
          ),
        )
        .subscribe({
          error: (err) => subscriber.error(err),
          complete: () => {
            epoch.complete();
            subscriber.complete();
          },
        });
      return () => {
        upstream.unsubscribe();
        epochSubscription?.unsubscribe();
      };
    });
  }

  /** Queue wait beyond which batches are skipped: live sources 1 s by default, replays never. */
  private maxDelayMs(): number {
    const s = this.config.source;
    return s.buffer?.maxDelayMs ?? (this.deps.source.live ? 1000 : 0);
  }

  private bufferCapacity(): number {
    const s = this.config.source;
    return s.buffer?.events ?? BUFFER_DEFAULTS.events;
  }

  private bufferOptions(): BoundedBufferOptions {
    const policy = this.config.source.buffer?.policy ?? BUFFER_DEFAULTS.policy;
    const valve = this.deps.source.valve;
    if (policy === 'pause' && !valve) throw new Error(`source.buffer.policy: "pause" needs a source that can be paused, and ${this.deps.source.name} cannot`);
    return { capacity: this.bufferCapacity(), policy, stats: this.bufferStats, ...(valve ? { valve } : {}) };
  }

  private onBatch(batch: EventBatch & { annotations?: readonly Annotation[] }): void {
    this.sensor = batch.sensor;
    if (batch.annotations) this.truth = batch.annotations;
  }

  private filter(f: FilterConfig, index: number): OperatorFunction<EventBatch, EventBatch> {
    // Geometry-only stages (orient, downsample) remove nothing and are not counted.
    if (f.type === 'orient') return orient(f.op);
    if (f.type === 'downsample') return downsample(f.factor);
    const name = `${index}:${f.type}`;
    const stats = newFilterStats();
    this.filterStats.push({ name, stats, synced: { seen: 0, kept: 0 } });
    this.metrics?.filterEventsIn.inc({ filter: name }, 0);
    this.metrics?.filterEventsDropped.inc({ filter: name }, 0);
    switch (f.type) {
      case 'polarity':
        return selectPolarity(f.keep === 'on' ? 1 : 0, { stats });
      case 'crop':
        return crop({ x: f.x, y: f.y, width: f.width, height: f.height }, { stats });
      case 'refractory':
        return refractory(f.periodUs, { stats });
      case 'denoise':
        return denoise({ duration: f.durationUs, ...(f.neighbours ? { neighbours: f.neighbours } : {}), stats });
      case 'hotPixel':
        return hotPixels({
          ...(f.pixels ? { pixels: f.pixels } : {}),
          ...(f.learn ? { learn: { duration: f.learn.durationUs, minEvents: f.learn.minEvents } } : {}),
          stats,
        });
      case 'rateLimit':
        return rateLimit(f.eventsPerSecond, { ...(f.burst ? { burst: f.burst } : {}), stats });
    }
  }

  private windows(downsample: number): OperatorFunction<EventBatch, FrameTensor> {
    const pre = this.deps.model.preprocessing;
    const w = this.config.inference.window ?? { steps: pre.steps, stride: Math.max(1, Math.floor(pre.steps / 4)) };
    return slidingWindows({ length: w.steps * pre.stepUs, stride: w.stride * pre.stepUs, bins: w.steps, downsample });
  }

  private classifier(emit: (r: InferenceResult) => void): { push: (frames: FrameTensor) => void; reset: () => void } {
    const { model } = this.deps;
    const m = this.metrics;
    const inf = this.config.inference;
    if (inf.mode === 'window') {
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
      resetEvery: inf.resetEvery ?? model.preprocessing.steps,
      idleResetSteps: inf.idleResetSteps,
      emitEvery: inf.emitEvery,
      onStep: (firing, ms) => {
        m?.bins.inc({ kind: 'step' });
        m?.inferenceDuration.observe({ mode: 'step' }, ms / 1000);
        m?.observeFiring(firing);
      },
    });
    return { push: (frames) => c.push(frames, emit), reset: () => c.reset() };
  }

  private result(r: InferenceResult): void {
    const classes = this.deps.model.classes;
    const label = classes[r.classId] ?? String(r.classId);
    const arrival = r.events > 0 ? this.arrivals.arrivalOfLastEventBefore(r.endUs) : undefined;
    const seq = this.seq++;
    const time = Date.now();
    const truth = this.truthAt(r.endUs);
    const latencyMs = arrival === undefined ? null : performance.now() - arrival;
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
    this.publish(prediction);
    this.predictions++;
    if (latencyMs !== null) this.metrics?.endToEndLatency.observe(latencyMs / 1000);
    this.metrics?.predictions.inc({ class: label });
    this.metrics?.confidence.observe(r.confidence);
    this.metrics?.lastConfidence.set(r.confidence);
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
    this.publish(firing);
    const previews = this.config.previews;
    if (previews?.enabled && ++this.previewCounter >= previews.everySteps) {
      this.previewCounter = 0;
      const p = previewFrame(r.frame, r.frameHeight, r.frameWidth, previews.size);
      const frame: FrameMessage = { type: 'frame', time, window: prediction.window, width: p.width, height: p.height, data: p.base64, events: r.events };
      this.publish(frame);
    }
  }

  /** Ground truth at the end of a window: dataset labels riding on the batches, or the source's own (simulator). */
  private truthAt(endUs: number): string | undefined {
    const a = this.truth?.find((x) => x.start < endUs && x.end >= endUs);
    if (a) return a.label ?? this.deps.model.classes[a.classId] ?? String(a.classId);
    return this.deps.source.truthAt?.(endUs);
  }

  private publish(message: PipelineMessage): void {
    for (const s of this.sinks) s.publish(message);
    this.messages.next(message);
  }

  private hello(): HelloMessage {
    const pre = this.deps.model.preprocessing;
    return {
      type: 'hello',
      version: WS_PROTOCOL_VERSION,
      pipeline: this.config.name,
      classes: [...this.deps.model.classes],
      model: { name: this.deps.modelName, backend: this.deps.backend, stepUs: pre.stepUs, height: pre.height, width: pre.width },
      mode: this.config.inference.mode,
      sensor: this.sensor.width ? this.sensor : { width: pre.sensorWidth, height: pre.sensorHeight },
      previews: this.config.previews?.enabled ?? false,
      heartbeatMs: this.ws?.heartbeatMs ?? 0,
    };
  }

  /** Copies source, buffer and filter counters into Prometheus (called before every scrape and status). */
  private syncCounters(): void {
    const m = this.metrics;
    if (!m) return;
    const name = this.deps.source.name;
    const s = this.synced;
    m.eventsReceived.inc({ source: name }, this.eventsReceived - s.received);
    s.received = this.eventsReceived;
    m.eventsDropped.inc({ source: name, reason: 'buffer_overflow' }, this.bufferStats.droppedEvents - s.bufferDropped);
    s.bufferDropped = this.bufferStats.droppedEvents;
    m.eventsDropped.inc({ source: name, reason: 'stale' }, this.staleDropped - s.stale);
    s.stale = this.staleDropped;
    const h = this.deps.source.health();
    for (const [reason, n] of Object.entries(h.dropped)) {
      m.eventsDropped.inc({ source: name, reason }, n - (s.dropped[reason] ?? 0));
      s.dropped[reason] = n;
    }
    m.malformedPackets.inc({ source: name }, h.malformedPackets - s.malformed);
    s.malformed = h.malformedPackets;
    m.packetsLost.inc({ source: name }, h.lostPackets - s.lost);
    s.lost = h.lostPackets;
    m.sourceReconnects.inc({ source: name }, h.reconnects - s.reconnects);
    s.reconnects = h.reconnects;
    m.sourceConnected.set({ source: name }, h.connected ? 1 : 0);
    for (const f of this.filterStats) {
      m.filterEventsIn.inc({ filter: f.name }, f.stats.seen - f.synced.seen);
      m.filterEventsDropped.inc({ filter: f.name }, f.stats.seen - f.stats.kept - (f.synced.seen - f.synced.kept));
      f.synced.seen = f.stats.seen;
      f.synced.kept = f.stats.kept;
    }
    m.ready.set(this.health().ready ? 1 : 0);
  }

  /** Status interval: gap detection, event rate, status message. */
  private tick(): void {
    const h = this.deps.source.health();
    const now = performance.now();
    if (!h.connected && this.disconnectedSince === undefined && this.deps.source.live) this.disconnectedSince = now;
    if (h.connected && this.disconnectedSince !== undefined) {
      const durationMs = now - this.disconnectedSince;
      this.disconnectedSince = undefined;
      this.gaps++;
      this.metrics?.sourceGaps.inc({ source: this.deps.source.name });
      this.metrics?.sourceGapSeconds.inc({ source: this.deps.source.name }, durationMs / 1000);
      this.log(`source ${this.deps.source.name} resumed after ${(durationMs / 1000).toFixed(1)} s`);
      this.publish({ type: 'gap', time: Date.now(), source: this.deps.source.name, durationMs, reason: 'connection lost' });
    }
    const dt = (now - this.lastRate.at) / 1000;
    if (dt > 0) this.lastRate = { at: now, events: this.eventsReceived, rate: (this.eventsReceived - this.lastRate.events) / dt };
    if (this.stateValue === 'running' || this.stateValue === 'degraded') {
      this.stateValue = this.deps.source.live && !h.connected ? 'degraded' : 'running';
    }
    this.syncCounters();
    this.publish(this.status());
  }

  private status(): StatusMessage {
    const h = this.deps.source.health();
    let dropped = this.bufferStats.droppedEvents + this.staleDropped;
    for (const n of Object.values(h.dropped)) dropped += n;
    return {
      type: 'status',
      time: Date.now(),
      state: this.stateValue,
      uptimeS: (Date.now() - this.started) / 1000,
      source: {
        name: this.deps.source.name,
        state: h.state,
        eventsReceived: this.eventsReceived,
        eventsDropped: dropped,
        malformedPackets: h.malformedPackets,
        reconnects: h.reconnects,
        gaps: this.gaps,
      },
      eventRate: this.lastRate.rate,
      predictions: this.predictions,
      clients: this.ws?.clientCount ?? 0,
    };
  }

  health(): HealthReport {
    const h = this.deps.source.health();
    const live = this.stateValue !== 'stopped';
    const ready = (this.stateValue === 'running' || this.stateValue === 'degraded') && (!this.deps.source.live || h.connected);
    return { live, ready, details: { state: this.stateValue, source: { name: this.deps.source.name, state: h.state, connected: h.connected } } };
  }

  /**
   * Graceful stop (SIGTERM): stops the source, publishes a final status, flushes and closes every
   * sink (WebSocket clients get close code 1001), closes the HTTP server and the model.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.setState('stopping');
      if (this.statusTimer) clearInterval(this.statusTimer);
      this.subscription?.unsubscribe();
      await this.deps.source.close?.();
      this.syncCounters();
      this.publish(this.status());
      const results = await Promise.allSettled(this.sinks.map((s) => s.close()));
      for (const r of results) if (r.status === 'rejected') this.log(`sink close failed: ${(r.reason as Error).message}`);
      await this.server?.close();
      this.stateValue = 'stopped';
      this.messages.complete();
      this.deps.model.dispose();
      this.resolveStopped();
    })();
    return this.stopping;
  }
}
