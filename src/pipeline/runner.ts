/**
 * The pipeline runner: source -> bounded queue -> filters -> binning -> model -> sinks, wired as
 * RxJS from a validated config, plus the HTTP server (dashboard, /metrics, /ws, probes). It owns
 * the life cycle (start, status, health, graceful stop); each step lives in its own module:
 * queue.ts (backpressure), epochs.ts (time resets), fit.ts (camera vs model size), stages.ts
 * (filters, binning), scoring.ts
 * (model), results.ts (published records), latency.ts, metrics.ts, gaps.ts, build-sinks.ts and
 * build-server.ts. Sinks never block (see each sink).
 */
import { Observable, Subject, type OperatorFunction, type Subscription } from 'rxjs';
import { Registry } from 'prom-client';
import type { EventBatch, FrameTensor } from '../events/index.js';
import type { Annotation, BoundedBufferOptions } from '../operators/index.js';
import type { StreamingModel } from '../snn/model-api.js';
import type { HelloMessage, PipelineMessage, StatusMessage } from '../sinks/messages.js';
import { WS_PROTOCOL_VERSION } from '../sinks/messages.js';
import type { PipelineMetrics } from '../sinks/prometheus.js';
import type { MessageSink } from '../sinks/sink.js';
import type { WebSocketSink } from '../sinks/websocket.js';
import type { HealthReport, ServingServer } from '../server/http.js';
import { BUFFER_DEFAULTS, type PipelineConfig } from './config.js';
import type { PipelineSource } from './source.js';
import { buildSinks } from './build-sinks.js';
import { buildServer } from './build-server.js';
import { EpochChain } from './epochs.js';
import { fitCamera, SensorGate } from './fit.js';
import { GapTracker } from './gaps.js';
import { ArrivalLog } from './latency.js';
import { createMetrics, PipelineCounters } from './metrics.js';
import { processQueued } from './queue.js';
import { ResultPublisher } from './results.js';
import { createScorer } from './scoring.js';
import { binningStage, filterStage, modelDenoiseConflict, modelDenoiseStage } from './stages.js';
import { DecisionStage } from './decision-stage.js';

export type PipelineState = StatusMessage['state'];

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
  private readonly sinks: MessageSink[];
  private readonly ws: WebSocketSink | undefined;
  private readonly server: ServingServer | undefined;
  private readonly started = Date.now();
  private readonly counters: PipelineCounters;
  private readonly arrivals = new ArrivalLog();
  private readonly results: ResultPublisher;
  private readonly gaps: GapTracker;
  private readonly gate: SensorGate;
  private epochs: EpochChain | undefined;
  private subscription: Subscription | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private resolveDone!: () => void;
  private rejectDone!: (err: Error) => void;
  private stopping: Promise<void> | undefined;
  private stateValue: PipelineState = 'starting';
  private lastRate = { at: performance.now(), events: 0, rate: 0 };
  private sensor = { width: 0, height: 0 };
  /** Gesture start/end messages from the predictions (config `decision`). */
  private readonly decision: DecisionStage | undefined;

  constructor(
    readonly config: PipelineConfig,
    private readonly deps: PipelineDeps,
  ) {
    const { source, model } = deps;
    const conflict = modelDenoiseConflict(config, model.preprocessing);
    if (conflict) throw new Error(conflict);
    this.registry = deps.registry ?? new Registry();
    this.metrics = createMetrics(this.registry, config, { ...deps, beforeCollect: () => this.syncCounters() });
    if (config.decision.enabled) this.decision = new DecisionStage(config.decision, model.classes, (m) => this.publish(m), this.metrics);
    this.counters = new PipelineCounters(this.metrics, source);
    this.gaps = new GapTracker(source.live);
    const fitStats = config.model.fit === 'center-crop' ? this.counters.filter('fit') : undefined;
    this.gate = new SensorGate((camera) => fitCamera(camera, config, model.preprocessing, fitStats), (line) => this.log(line));
    this.results = new ResultPublisher({
      classes: model.classes,
      previews: config.previews,
      arrivals: this.arrivals,
      metrics: this.metrics,
      sourceTruthAt: (t) => source.truthAt?.(t),
      publish: (m) => this.publish(m),
    });
    const serve = deps.serve !== false;
    const sinks = buildSinks(config.sinks, {
      serve,
      metrics: this.metrics,
      hello: () => this.hello(),
      log: (line) => this.log(line),
      ...(deps.natsToken ? { natsToken: deps.natsToken } : {}),
    });
    this.sinks = sinks.all;
    this.ws = sinks.ws;
    if (serve) {
      this.server = buildServer(config.server, { registry: this.metrics ? this.registry : undefined, ws: this.ws, token: deps.token, health: () => this.health() });
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

  /** Times the stream's clock went backwards (new binning epoch). */
  get timeResets(): number {
    return this.epochs?.timeResets ?? 0;
  }

  /** Events skipped because they waited longer than source.buffer.maxDelayMs. */
  get staleDropped(): number {
    return this.counters.staleDropped;
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
    this.setState(this.gate.refused ? 'degraded' : 'running');
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

  /** Source -> queue -> (per epoch of event time) filters -> fit -> model denoise -> binning -> scorer -> results. */
  private build(): Observable<never> {
    const { source, model } = this.deps;
    const ops: OperatorFunction<EventBatch, EventBatch>[] = this.config.filters.map((f, i) => filterStage(f, i, (name) => this.counters.filter(name)));
    const denoised = modelDenoiseStage(model.preprocessing, (name) => this.counters.filter(name));
    const binning = binningStage(this.config, model.preprocessing);
    // The fit stage is the one chosen for the camera of the epoch's first batch; the model's own
    // filter sees the stream at the model's sensor geometry, as its training recordings were.
    const framesOf = (input: Observable<EventBatch>): Observable<FrameTensor> => {
      const filtered = ops.reduce((stage, op) => stage.pipe(op), input);
      const fitted = this.gate.stage ? filtered.pipe(this.gate.stage) : filtered;
      return (denoised ? fitted.pipe(denoised) : fitted).pipe(binning);
    };
    const scorer = createScorer(this.config.inference, model, this.metrics, (r) => {
      this.results.publish(r);
      this.decision?.push(r.endUs, r.probabilities);
    });
    const c = this.counters;

    return new Observable<never>((subscriber) => {
      // A bus source may forget a batch once it is binned (and stepped through the model), or
      // skipped and counted (stale, or a camera the model cannot take): redelivery would not help.
      const ack = (batch: EventBatch): void => {
        if (!subscriber.closed) (batch as { ack?: () => void }).ack?.();
      };
      const epochs = new EpochChain({
        subscribe: (epoch) =>
          framesOf(epoch).subscribe({
            // A step that throws (e.g. frames the model cannot take) fails the pipeline, not the process.
            next: (frames) => {
              try {
                scorer.push(frames);
              } catch (err) {
                subscriber.error(err);
              }
            },
            error: (err) => subscriber.error(err),
          }),
        onNewEpoch: (why) => {
          this.decision?.finish();
          scorer.reset();
          this.log(why);
        },
      });
      this.epochs = epochs;
      const upstream = source.events
        .pipe(
          processQueued({
            buffer: this.bufferOptions(),
            maxDelayMs: this.maxDelayMs(),
            arrived: (batch, now) => {
              c.eventsReceived += batch.length;
              this.arrivals.record(batch.t[0]!, now);
            },
            // A live view skips what waited too long in the queue instead of lagging behind.
            stale: (batch) => {
              c.staleDropped += batch.length;
              epochs.cut('stale events skipped');
              ack(batch);
            },
            process: (batch) => {
              if (!this.admit(batch, epochs)) return ack(batch);
              epochs.advance(batch);
              this.onBatch(batch);
              epochs.next(batch);
              ack(batch);
            },
          }),
        )
        .subscribe({
          error: (err) => subscriber.error(err),
          complete: () => {
            epochs.complete();
            subscriber.complete();
          },
        });
      return () => {
        upstream.unsubscribe();
        epochs.unsubscribe();
      };
    });
  }

  /** Checks the batch's camera against the model (model.fit); false when its events are refused. */
  private admit(batch: EventBatch, epochs: EpochChain): boolean {
    const verdict = this.gate.admit(batch.sensor);
    if (verdict === 'pass') return true;
    // Another camera: what follows is a new stream, whatever its clock says.
    epochs.cut(`camera sensor is now ${batch.sensor.width}x${batch.sensor.height}`);
    if (verdict === 'changed') return true;
    this.counters.sensorDropped += batch.length;
    if (this.stateValue === 'running') this.setState('degraded');
    return false;
  }

  /** Queue wait beyond which batches are skipped: live sources 1 s by default, replays never. */
  private maxDelayMs(): number {
    return this.config.source.buffer?.maxDelayMs ?? (this.deps.source.live ? 1000 : 0);
  }

  private bufferOptions(): BoundedBufferOptions {
    const policy = this.config.source.buffer?.policy ?? BUFFER_DEFAULTS.policy;
    const valve = this.deps.source.valve;
    if (policy === 'pause' && !valve) throw new Error(`source.buffer.policy: "pause" needs a source that can be paused, and ${this.deps.source.name} cannot`);
    const capacity = this.config.source.buffer?.events ?? BUFFER_DEFAULTS.events;
    return { capacity, policy, stats: this.counters.buffer, ...(valve ? { valve } : {}) };
  }

  private onBatch(batch: EventBatch & { annotations?: readonly Annotation[] }): void {
    this.sensor = batch.sensor;
    if (batch.annotations) this.results.setAnnotations(batch.annotations);
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

  /** Brings Prometheus up to date (called before every scrape and status). */
  private syncCounters(): void {
    this.counters.sync(this.health().ready);
  }

  /** Status interval: gap detection, event rate, status message. */
  private tick(): void {
    const { source } = this.deps;
    const h = source.health();
    const now = performance.now();
    const gapMs = this.gaps.update(h.connected, now);
    if (gapMs !== undefined) {
      this.metrics?.sourceGaps.inc({ source: source.name });
      this.metrics?.sourceGapSeconds.inc({ source: source.name }, gapMs / 1000);
      this.log(`source ${source.name} resumed after ${(gapMs / 1000).toFixed(1)} s`);
      this.publish({ type: 'gap', time: Date.now(), source: source.name, durationMs: gapMs, reason: 'connection lost' });
    }
    const received = this.counters.eventsReceived;
    const dt = (now - this.lastRate.at) / 1000;
    if (dt > 0) this.lastRate = { at: now, events: received, rate: (received - this.lastRate.events) / dt };
    if (this.stateValue === 'running' || this.stateValue === 'degraded') {
      this.stateValue = (source.live && !h.connected) || this.gate.refused ? 'degraded' : 'running';
    }
    this.syncCounters();
    this.publish(this.status());
  }

  private status(): StatusMessage {
    const h = this.deps.source.health();
    return {
      type: 'status',
      time: Date.now(),
      state: this.stateValue,
      uptimeS: (Date.now() - this.started) / 1000,
      source: {
        name: this.deps.source.name,
        state: h.state,
        eventsReceived: this.counters.eventsReceived,
        eventsDropped: this.counters.dropped(h),
        malformedPackets: h.malformedPackets,
        reconnects: h.reconnects,
        gaps: this.gaps.count,
      },
      eventRate: this.lastRate.rate,
      predictions: this.results.predictions,
      clients: this.ws?.clientCount ?? 0,
      ...(this.gate.refused ? { problem: this.gate.refused } : {}),
    };
  }

  health(): HealthReport {
    const h = this.deps.source.health();
    const live = this.stateValue !== 'stopped';
    const ready = (this.stateValue === 'running' || this.stateValue === 'degraded') && (!this.deps.source.live || h.connected) && !this.gate.refused;
    const source = { name: this.deps.source.name, state: h.state, connected: h.connected };
    return { live, ready, details: { state: this.stateValue, source, ...(this.gate.refused ? { problem: this.gate.refused } : {}) } };
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
      this.decision?.finish();
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
