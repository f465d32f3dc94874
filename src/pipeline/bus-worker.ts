/**
 * A bus worker: `spikeline run` with `source: { type: nats, cameras: "*" }`. It takes a fair
 * share of the line's cameras (those with batches in the events stream) and runs one pipeline
 * per owned camera — its own binning and membrane state, its own durable consumer — publishing
 * predictions on `<subject>.<type>.<camera>`.
 *
 * Ownership is leased through JetStream key-value buckets (camera-leases.ts). Every lease tick
 * (a third of the lease time) the worker re-announces itself and renews its leases; every
 * balance tick it counts live workers W and cameras C, hands over one camera when it owns more
 * than ceil(C / W), and claims unowned ones while it owns fewer. A worker killed with kill -9
 * stops renewing: within one lease time its leases expire and the others claim its cameras,
 * each resuming after the last batch it acknowledged (sources/nats.ts). The takeover is
 * reported as a `gap` message of that camera and counted in /metrics.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { Registry } from 'prom-client';
import { FlowValve } from '../operators/bounded-buffer.js';
import { BusWorkerMetrics } from '../sinks/bus-metrics.js';
import type { GapMessage } from '../sinks/messages.js';
import { messageSubject } from '../sinks/nats.js';
import { ServingServer } from '../server/http.js';
import { busManager, closeBus, connectBus, ensureEventStream, listCameras, natsCameraSource, type NatsCameraSource } from '../sources/index.js';
import { settlesWithin } from '../util/deadline.js';
import { CameraLeases } from './camera-leases.js';
import type { PipelineConfig, SourceConfig } from './config.js';
import { launchPipeline, tokenFrom } from './launch.js';
import type { Pipeline } from './runner.js';
import { adaptEventSource } from './sources.js';

type NatsSourceConfig = Extract<SourceConfig, { type: 'nats' }>;

/** Longest wait for a camera's pipeline to stop before the worker goes on without it. */
const STOP_DEADLINE_MS = 5000;
/** A camera whose pipeline failed (e.g. a sensor the model does not fit) is not claimed again by this worker for this long. */
const FAILED_RETRY_MS = 30_000;

export interface BusWorkerOptions {
  log?: (line: string) => void;
  registry?: Registry;
  /** Default: host name, pid and a random suffix. */
  workerId?: string;
}

interface OwnedCamera {
  pipeline: Pipeline;
  source: NatsCameraSource;
  handedOver: boolean;
  claimedAt: number;
  gapReported: boolean;
  synced: { events: number; redelivered: number };
}

export class BusWorker {
  readonly registry: Registry;
  readonly metrics: BusWorkerMetrics;
  readonly workerId: string;
  /** Resolves once stop() has finished (a worker never ends on its own; camera failures are retried). */
  readonly stopped: Promise<void>;
  private resolveStopped!: () => void;
  private readonly source: NatsSourceConfig;
  private readonly cameras = new Map<string, OwnedCamera>();
  private readonly failed = new Set<string>();
  /** Camera -> Date.now() before which this worker does not claim it again. */
  private readonly retryAfter = new Map<string, number>();
  private readonly server: ServingServer;
  private nc: NatsConnection | undefined;
  private leases: CameraLeases | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly steps = new Set<Promise<void>>();
  private stopping: Promise<void> | undefined;
  private readonly encoder = new TextEncoder();

  constructor(
    readonly config: PipelineConfig,
    private readonly options: BusWorkerOptions = {},
  ) {
    if (config.source.type !== 'nats' || config.source.cameras !== '*') throw new Error('a bus worker needs source.type "nats" with cameras: "*"');
    this.source = config.source;
    this.registry = options.registry ?? new Registry();
    this.metrics = new BusWorkerMetrics(this.registry);
    this.workerId = options.workerId ?? `${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}-${randomBytes(3).toString('hex')}`;
    const token = tokenFrom(config.server.tokenEnv, 'server.tokenEnv');
    this.server = new ServingServer({
      host: config.server.host,
      port: config.server.port,
      registry: this.registry,
      ...(token ? { token } : {}),
      health: () => ({
        live: !this.stopping,
        ready: !this.stopping && !!this.nc && !this.nc.isClosed(),
        details: { worker: this.workerId, cameras: [...this.cameras.keys()] },
      }),
    });
    this.stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));
  }

  get url(): string {
    return this.server.url;
  }

  /** Cameras this worker runs a pipeline for. */
  get owned(): string[] {
    return [...this.cameras.keys()].sort();
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  async start(): Promise<void> {
    const token = tokenFrom(this.source.tokenEnv, 'source.tokenEnv');
    this.nc = await connectBus(this.source.url, { name: `spikeline-worker-${this.workerId}`, ...(token ? { token } : {}) });
    await ensureEventStream(await busManager(this.nc));
    this.leases = await CameraLeases.open(this.nc, this.workerId, this.source.leaseMs);
    await this.server.listen();
    this.log(`worker ${this.workerId}: sharing cameras of ${this.source.url} (lease ${this.source.leaseMs} ms)`);
    const every = Math.max(250, Math.floor(this.source.leaseMs / 3));
    // Renewals run on their own timer so a slow pipeline start cannot let other leases expire.
    this.loop(every, () => this.renewAll());
    this.loop(every, () => this.balance());
  }

  /** Runs `step` every `ms`, never two at once; one step's failure is logged, not fatal. */
  private loop(ms: number, step: () => Promise<void>): void {
    const run = () => {
      if (this.stopping !== undefined) return;
      const p = step().catch((err: Error) => this.log(`worker: ${err.message}`));
      this.steps.add(p);
      void p.then(() => {
        this.steps.delete(p);
        if (this.stopping !== undefined) return;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          run();
        }, ms);
        this.timers.add(timer);
      });
    };
    run();
  }

  /** Renews every lease at once: one unanswered request must not hold the others past their TTL. */
  private async renewAll(): Promise<void> {
    const leases = this.leases!;
    const renewals = leases.owned.map(async (camera) => {
      if ((await leases.renew(camera)) !== 'lost') return;
      this.metrics.rebalances.inc({ action: 'lost' });
      this.log(`camera ${camera}: lease lost, stopping its pipeline`);
      await this.drop(camera);
    });
    await Promise.all([leases.heartbeat().catch(() => undefined), ...renewals]);
    this.sync();
  }

  private async balance(): Promise<void> {
    const leases = this.leases!;
    for (const camera of this.failed) {
      this.failed.delete(camera);
      this.retryAfter.set(camera, Date.now() + FAILED_RETRY_MS);
      await this.drop(camera);
      await leases.release(camera);
    }
    // One lease time per request: a request lost in a server restart is retried next tick.
    const cameras = await listCameras(await busManager(this.nc!, this.source.leaseMs));
    const workers = await leases.liveWorkers();
    this.metrics.liveWorkers.set(workers.length);
    const target = Math.ceil(cameras.length / Math.max(1, workers.length));
    const owned = this.owned;
    if (owned.length > target) {
      // One at a time: the others see it free at their next balance tick.
      const camera = owned[owned.length - 1]!;
      this.log(`camera ${camera}: handing over (${owned.length} owned, fair share ${target} of ${cameras.length} cameras for ${workers.length} workers)`);
      await this.drop(camera);
      await leases.release(camera);
      this.metrics.rebalances.inc({ action: 'release' });
      return;
    }
    for (const camera of cameras) {
      if (this.cameras.size >= target || this.stopping !== undefined) break;
      if (this.cameras.has(camera) || (this.retryAfter.get(camera) ?? 0) > Date.now()) continue;
      const { claimed, handedOver } = await leases.claim(camera);
      if (!claimed) continue;
      this.metrics.rebalances.inc({ action: 'claim' });
      try {
        await this.take(camera, handedOver);
      } catch (err) {
        this.log(`camera ${camera}: could not start: ${(err as Error).message}`);
        await leases.release(camera);
      }
    }
    this.sync();
  }

  private async take(camera: string, handedOver: boolean): Promise<void> {
    const valve = new FlowValve();
    const source = natsCameraSource({ nc: this.nc!, camera, maxAckPending: this.source.maxAckPending, valve });
    const pipeline = await launchPipeline(this.cameraConfig(camera), {
      source: adaptEventSource(source, true, undefined, valve),
      serve: false,
      log: (line) => this.log(`camera ${camera}: ${line}`),
    });
    const refused = this.refusal(camera);
    if (refused !== undefined) {
      await pipeline.stop();
      throw new Error(refused);
    }
    const owned: OwnedCamera = { pipeline, source, handedOver, claimedAt: Date.now(), gapReported: false, synced: { events: 0, redelivered: 0 } };
    this.cameras.set(camera, owned);
    // Zero from the start, so rate() and increase() see the camera's first takeover.
    this.metrics.gaps.inc({ camera }, 0);
    this.metrics.gapSeconds.inc({ camera }, 0);
    const onEnd = (why: string) => {
      // drop() forgets the camera before stopping it: its own stops are not failures.
      if (this.cameras.get(camera) !== owned || this.stopping !== undefined) return;
      this.log(`camera ${camera}: pipeline ${why}; giving the camera up (not claimed again here for ${FAILED_RETRY_MS / 1000} s)`);
      this.failed.add(camera);
    };
    pipeline.done.then(() => onEnd('ended'), (err: Error) => onEnd(`failed: ${err.message}`));
    this.log(`camera ${camera}: claimed${handedOver ? ' (handed over)' : ''}`);
  }

  /** Why a camera whose pipeline has just started must not run: stop() and a lost renewal drop only the cameras they know of. */
  private refusal(camera: string): string | undefined {
    if (this.stopping !== undefined) return 'the worker is stopping';
    if (!this.leases!.owned.includes(camera)) return 'its lease was lost while it started';
    return undefined;
  }

  /** The per-camera pipeline: no HTTP server or local files, predictions to the bus. */
  private cameraConfig(camera: string): PipelineConfig {
    const c = this.config;
    const nats = c.sinks.nats;
    return {
      ...c,
      name: `${c.name}.${camera}`,
      source: { ...this.source, camera, cameras: undefined },
      sinks: {
        websocket: undefined,
        jsonl: undefined,
        prometheus: { enabled: false, processMetrics: false },
        nats: { url: nats?.url ?? this.source.url, subject: nats?.subject ?? 'spikeline', types: nats?.types, tokenEnv: nats?.tokenEnv ?? this.source.tokenEnv, camera },
      },
    };
  }

  private async drop(camera: string): Promise<void> {
    const owned = this.cameras.get(camera);
    if (!owned) return;
    this.cameras.delete(camera);
    this.metrics.cameraOwned.set({ camera }, 0);
    for (const g of [this.metrics.lagBatches, this.metrics.lagEvents, this.metrics.lagSeconds]) g.remove({ camera });
    // Stopping acknowledges nothing more: batches still queued go to the next owner. The lease
    // loops must go on even if a sink is slow to close, so the wait is bounded.
    if (!(await settlesWithin(owned.pipeline.stop(), STOP_DEADLINE_MS))) this.log(`camera ${camera}: pipeline still closing after ${STOP_DEADLINE_MS} ms; going on`);
  }

  /** Copies source counters into /metrics and reports takeovers once the source has resumed. */
  private sync(): void {
    const m = this.metrics;
    m.camerasOwned.set(this.cameras.size);
    for (const [camera, o] of this.cameras) {
      const stats = o.source.stats;
      const bus = o.source.bus;
      m.cameraOwned.set({ camera }, 1);
      m.events.inc({ camera }, stats.events - o.synced.events);
      m.redeliveries.inc({ camera }, bus.redelivered - o.synced.redelivered);
      o.synced = { events: stats.events, redelivered: bus.redelivered };
      m.lagBatches.set({ camera }, bus.pendingBatches);
      m.lagEvents.set({ camera }, Math.round(bus.pendingBatches * bus.meanBatchEvents));
      m.lagSeconds.set({ camera }, bus.pendingBatches > 0 && bus.lastPublishedAt > 0 ? Math.max(0, (Date.now() - bus.lastPublishedAt) / 1000) : 0);
      if (!o.gapReported && bus.resume) {
        o.gapReported = true;
        if (bus.resume.existed) this.reportGap(camera, o);
      }
    }
  }

  private reportGap(camera: string, o: OwnedCamera): void {
    const resume = o.source.bus.resume!;
    const durationMs = Math.max(0, o.claimedAt - (resume.lastAckAt ?? o.claimedAt));
    const reason = `${o.handedOver ? 'handed over by its previous worker' : 'previous owner stopped renewing its lease'}; resumed after stream sequence ${resume.ackFloor}, ${resume.unacked} unacknowledged batch(es) delivered again`;
    this.metrics.gaps.inc({ camera });
    this.metrics.gapSeconds.inc({ camera }, durationMs / 1000);
    this.log(`camera ${camera}: taken over (${reason}), ${(durationMs / 1000).toFixed(1)} s since the last ack`);
    const gap: GapMessage = { type: 'gap', time: Date.now(), source: `nats:${camera}`, durationMs, reason };
    const subject = this.config.sinks.nats?.subject ?? 'spikeline';
    this.nc!.publish(messageSubject(subject, 'gap', camera), this.encoder.encode(JSON.stringify(gap)));
  }

  /** Stops every camera pipeline (what they binned is acknowledged), hands all cameras over, leaves. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const t of this.timers) clearTimeout(t);
      // A step still waiting for the bus (requests are bounded by the lease time) is not waited
      // for longer than a pipeline stop; one that starts a pipeline late stops it itself (take()).
      await settlesWithin(Promise.all([...this.steps]), STOP_DEADLINE_MS);
      for (const camera of this.owned) {
        await this.drop(camera);
        await this.leases?.release(camera);
      }
      await this.leases?.leave();
      await this.server.close();
      if (this.nc) await closeBus(this.nc);
      this.resolveStopped();
    })();
    return this.stopping;
  }
}

/** Starts a bus worker from a config with `source.cameras: "*"`. */
export async function launchBusWorker(config: PipelineConfig, options: BusWorkerOptions = {}): Promise<BusWorker> {
  const worker = new BusWorker(config, options);
  try {
    await worker.start();
  } catch (err) {
    await worker.stop();
    throw err;
  }
  return worker;
}
