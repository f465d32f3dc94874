/**
 * `spikeline gateway`: one HTTP server for a whole line. It subscribes to every camera's
 * pipeline messages on the bus (`<subject>.<type>.<camera>`, published by bus workers) and
 * serves them as one pipeline does: the dashboard (with a camera picker), `/ws` (each message
 * with a `camera` field) and `/metrics` (every series labelled by camera).
 *
 * Messages that are not pipeline JSON of the subject's type, or lack the fields the gateway reads,
 * are counted and skipped.
 */
import type { NatsConnection, Subscription } from 'nats';
import { Registry } from 'prom-client';
import { GatewayMetrics } from '../sinks/gateway-metrics.js';
import { WS_PROTOCOL_VERSION, type HelloMessage, type LineMessage, type PipelineMessage, type PipelineMessageType } from '../sinks/messages.js';
import { WebSocketSink } from '../sinks/websocket.js';
import { CAMERA_NAME, closeBus, connectBus } from '../sources/nats-bus.js';
import { ServingServer } from './http.js';

/** The types workers publish per camera (hello is the gateway's own). */
const RELAYED: readonly PipelineMessageType[] = ['prediction', 'firing', 'status', 'frame', 'gap'];
/**
 * Cameras and class ids the gateway keeps (labels of its series, the hello's lists) at most:
 * whatever appears on the bus must not grow them without bound. Messages beyond are skipped.
 */
export const GATEWAY_MAX_CAMERAS = 1024;
export const GATEWAY_MAX_CLASSES = 1000;

export interface GatewayOptions {
  /** nats://HOST:PORT */
  url: string;
  /** Subject prefix the workers publish under. Default `spikeline`. */
  subject?: string;
  natsToken?: string;
  /** HTTP: default 127.0.0.1:8080 (0 = any free port). */
  host?: string;
  port?: number;
  /** Token for /ws and /metrics; required when host is not loopback. */
  token?: string;
  registry?: Registry;
  log?: (line: string) => void;
}

export class Gateway {
  readonly registry: Registry;
  readonly metrics: GatewayMetrics;
  private readonly ws: WebSocketSink;
  private readonly server: ServingServer;
  private readonly cameras = new Set<string>();
  /** Class names as predictions reveal them (index = classId). */
  private readonly classes: string[] = [];
  private readonly decoder = new TextDecoder();
  private nc: NatsConnection | undefined;
  private subscriptions: Subscription[] = [];

  constructor(private readonly options: GatewayOptions) {
    this.registry = options.registry ?? new Registry();
    this.metrics = new GatewayMetrics(this.registry);
    this.ws = new WebSocketSink({ hello: () => this.hello() });
    this.server = new ServingServer({
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 8080,
      registry: this.registry,
      ws: this.ws,
      ...(options.token ? { token: options.token } : {}),
      health: () => ({ live: true, ready: !!this.nc && !this.nc.isClosed(), details: { cameras: this.cameraList() } }),
    });
  }

  get url(): string {
    return this.server.url;
  }

  cameraList(): string[] {
    return [...this.cameras].sort();
  }

  async start(): Promise<void> {
    this.nc = await connectBus(this.options.url, { name: 'spikeline-gateway', ...(this.options.natsToken ? { token: this.options.natsToken } : {}) });
    const prefix = this.options.subject ?? 'spikeline';
    for (const type of RELAYED) {
      const sub = this.nc.subscribe(`${prefix}.${type}.*`);
      this.subscriptions.push(sub);
      void (async () => {
        for await (const m of sub) this.receive(type, m.subject.slice(m.subject.lastIndexOf('.') + 1), m.data);
      })();
    }
    await this.nc.flush();
    await this.server.listen();
    this.options.log?.(`gateway: ${prefix}.<type>.<camera> on ${this.options.url} -> ${this.server.url}`);
  }

  private receive(type: PipelineMessageType, camera: string, data: Uint8Array): void {
    let m: PipelineMessage;
    try {
      m = JSON.parse(this.decoder.decode(data)) as PipelineMessage;
      if (typeof m !== 'object' || m === null || m.type !== type || !CAMERA_NAME.test(camera) || !readable(m)) throw new Error('not a pipeline message');
      if (!this.cameras.has(camera) && this.cameras.size >= GATEWAY_MAX_CAMERAS) throw new Error('one camera too many');
    } catch {
      this.metrics.malformed.inc();
      return;
    }
    const met = this.metrics;
    if (!this.cameras.has(camera)) {
      this.cameras.add(camera);
      // Zero from the first message on, so rate() and increase() see a camera's first gap.
      met.gaps.inc({ camera }, 0);
      met.gapSeconds.inc({ camera }, 0);
    }
    met.messages.inc({ camera, type });
    met.lastMessage.set({ camera }, Date.now() / 1000);
    switch (m.type) {
      case 'prediction':
        this.classes[m.classId] = m.label;
        met.predictions.inc({ camera, class: m.label });
        met.confidence.set({ camera }, m.confidence);
        if (m.latencyMs !== null) met.latency.observe({ camera }, m.latencyMs / 1000);
        break;
      case 'firing':
        met.meanFiringRate.set({ camera }, m.meanRate);
        met.synops.set({ camera }, m.synops);
        break;
      case 'status':
        met.eventRate.set({ camera }, m.eventRate);
        met.eventsReceived.set({ camera }, m.source.eventsReceived);
        met.eventsDropped.set({ camera }, m.source.eventsDropped);
        break;
      case 'gap':
        met.gaps.inc({ camera });
        met.gapSeconds.inc({ camera }, m.durationMs / 1000);
        break;
    }
    const relayed: LineMessage = { ...m, camera };
    this.ws.publish(relayed);
  }

  private hello(): HelloMessage {
    return {
      type: 'hello',
      version: WS_PROTOCOL_VERSION,
      pipeline: 'gateway',
      classes: Array.from(this.classes, (c, i) => c ?? String(i)),
      // Models belong to the workers; each prediction names its class.
      model: { name: 'per camera', backend: 'per camera', stepUs: 0, height: 0, width: 0 },
      mode: 'step',
      sensor: { width: 0, height: 0 },
      previews: true,
      heartbeatMs: this.ws.heartbeatMs,
      cameras: this.cameraList(),
    };
  }

  async stop(): Promise<void> {
    for (const s of this.subscriptions) s.unsubscribe();
    await this.ws.close();
    await this.server.close();
    if (this.nc) await closeBus(this.nc);
  }
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Whether the fields `receive` reads have the types messages.ts gives them: the bus is input from
 * the network, and prom-client throws on non-numbers and negative counter increments.
 */
function readable(m: PipelineMessage): boolean {
  switch (m.type) {
    case 'prediction':
      // classId indexes the class list sent in every hello: bounded by the message and the limit.
      return Array.isArray(m.probabilities) && Number.isInteger(m.classId) && m.classId >= 0 && m.classId < Math.min(m.probabilities.length, GATEWAY_MAX_CLASSES) &&
        typeof m.label === 'string' && finite(m.confidence) && (m.latencyMs === null || finite(m.latencyMs));
    case 'firing':
      return finite(m.meanRate) && finite(m.synops);
    case 'status':
      return finite(m.eventRate) && typeof m.source === 'object' && m.source !== null && finite(m.source.eventsReceived) && finite(m.source.eventsDropped);
    case 'gap':
      return finite(m.durationMs) && m.durationMs >= 0;
    default:
      return true;
  }
}
