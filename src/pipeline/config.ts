/**
 * Pipeline config (`pipelines/*.yaml`): source -> filters -> model/inference -> sinks, plus the
 * HTTP server. `loadPipelineConfig` parses YAML and validates it; a bad file throws a ConfigError
 * naming each offending field path, its line and the reason. Every field and default is listed
 * in the README's serving section.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import { bool, ConfigError, int, list, mapOf, num, numIn, obj, oneOf, opt, str, tagged, validate, type Check, type Context, INVALID } from './schema.js';
import { isLoopback } from '../sources/endpoint.js';
import { parseDomainSpec } from '../simulate/domain.js';

const MESSAGE_TYPES = ['prediction', 'gesture', 'firing', 'status', 'frame', 'gap'] as const;
export const FIT_MODES = ['error', 'center-crop', 'scale'] as const;
const sensor = obj({ width: int(1, 65535), height: int(1, 65535) });
/** Used when a source has no `buffer` / `reconnect` block at all (the blocks' own field defaults). */
export const BUFFER_DEFAULTS = { events: 2_000_000, policy: 'drop-oldest' } as const;
export const RECONNECT_DEFAULTS = { initialMs: 200, maxMs: 5000 } as const;

/**
 * The queue between the source and the pipeline. `pause` stops reading the source while the
 * queue is 3/4 full (files wait, TCP applies backpressure to the camera) instead of dropping;
 * UDP cannot be paused, so its buffer only drops.
 */
const bufferOf = <P extends string>(policies: readonly P[]) =>
  obj({
    /** Events held between the source and the pipeline. */
    events: opt(int(1), BUFFER_DEFAULTS.events),
    policy: opt(oneOf(policies), BUFFER_DEFAULTS.policy as P),
    /** Events that waited longer than this in the queue are skipped (0 = never); default 1000 for live sources, 0 for files. */
    maxDelayMs: opt(int(0)),
  });
const buffer = bufferOf(['drop-oldest', 'drop-newest', 'pause'] as const);
const reconnect = obj({ initialMs: opt(int(1), RECONNECT_DEFAULTS.initialMs), maxMs: opt(int(1), RECONNECT_DEFAULTS.maxMs) });
const natsUrl = str({ pattern: /^nats:\/\/[^\s]+$/, hint: 'a URL like nats://127.0.0.1:4222' });
const envName = str({ pattern: /^[A-Z_][A-Z0-9_]*$/, hint: 'an environment variable name' });
const hostPort = str({ pattern: /^(tcp|udp):\/\/[^:/\s]+:\d{1,5}$/, hint: 'a URL like tcp://127.0.0.1:7777' });

const sourceCheck = tagged({
  /** The built-in camera simulator served over DV TCP on a loopback port, consumed through the real TCP client. */
  simulator: {
    seed: opt(int(0), 1),
    /** Event-time speed factor of the simulated camera (1 = real time). */
    speed: opt(num({ min: 0, exclusiveMin: true }), 1),
    /** Domain randomisation spec, as `spikeline simulate gesture --domain` (on, off, family=value,...). */
    domain: opt(str(), 'on'),
    /** Whose view "clockwise" of the arm-circle classes is. */
    clockwise: opt(oneOf(['subject', 'camera'] as const), 'subject'),
    /** Probability of a "no gesture" period before each gesture. */
    idle: opt(num({ min: 0, max: 1 }), 0.4),
    buffer: opt(buffer),
    reconnect: opt(reconnect),
  },
  file: {
    path: str(),
    /** 1 = real time, 0 = as fast as possible. */
    speed: opt(num({ min: 0 }), 1),
    loop: opt(bool, false),
    /** Labels file (DVS128 Gesture CSV) replayed beside the events. */
    labels: opt(str()),
    buffer: opt(buffer),
  },
  tcp: {
    url: hostPort,
    protocol: opt(oneOf(['dv', 'aedat3'] as const), 'dv'),
    buffer: opt(buffer),
    reconnect: opt(reconnect),
  },
  /**
   * Camera event streams on NATS JetStream (`spikeline publish`): one camera (`camera: NAME`), or
   * a share of all of them (`cameras: "*"`), each camera owned by one worker at a time.
   */
  nats: {
    url: natsUrl,
    camera: opt(str({ pattern: /^[A-Za-z0-9_-]+$/, hint: 'a camera name: letters, digits, _ or -' })),
    cameras: opt(oneOf(['*'] as const)),
    tokenEnv: opt(envName),
    /** Batches delivered but not yet acknowledged, at most, per camera. */
    maxAckPending: opt(int(1, 65_536), 256),
    /** `cameras: "*"`: a camera whose owner stopped renewing its lease this long moves to another worker. */
    leaseMs: opt(int(1000, 600_000), 3000),
    /** The bus keeps every batch: the queue pauses the consumer instead of dropping, and nothing goes stale. */
    buffer: opt(bufferOf(['pause'] as const), { events: BUFFER_DEFAULTS.events, policy: 'pause', maxDelayMs: 0 }),
  },
  udp: {
    /** Local address to listen on, e.g. udp://0.0.0.0:3333. */
    url: hostPort,
    protocol: oneOf(['aedat3', 'jaer', 'spif'] as const),
    /** UDP streams carry no geometry: it must be configured. */
    sensor,
    buffer: opt(bufferOf(['drop-oldest', 'drop-newest'] as const)),
  },
});

const filterCheck = tagged({
  polarity: { keep: oneOf(['on', 'off'] as const) },
  crop: { x: int(0), y: int(0), width: int(1), height: int(1) },
  orient: { op: oneOf(['flipX', 'flipY', 'rotate90', 'rotate180', 'rotate270', 'transpose'] as const) },
  downsample: { factor: int(1, 64) },
  refractory: { periodUs: num({ min: 0, exclusiveMin: true }) },
  /** Background-activity filter: keep an event iff a neighbour fired less than durationUs before. */
  denoise: { durationUs: opt(num({ min: 0, exclusiveMin: true }), 2000), neighbours: opt(numIn([4, 8] as const)) },
  hotPixel: {
    pixels: opt(list(obj({ x: int(0), y: int(0) }))),
    learn: opt(obj({ durationUs: num({ min: 0, exclusiveMin: true }), minEvents: int(1) })),
  },
  rateLimit: { eventsPerSecond: num({ min: 0, exclusiveMin: true }), burst: opt(int(1)) },
});

const inferenceCheck = obj({
  /** step: one model step per time step, membrane state kept; window: classify sliding windows of steps. */
  mode: opt(oneOf(['step', 'window'] as const), 'step'),
  /** Step mode: reset the model after this many steps (0 = never; default = the model's window). */
  resetEvery: opt(int(0)),
  /** Step mode: reset after this many consecutive steps without events (0 = never). */
  idleResetSteps: opt(int(0), 0),
  /** Step mode: publish a prediction every N steps. */
  emitEvery: opt(int(1), 1),
  /** Step mode: each prediction is the mean of the last N step outputs (default: the model's steps). */
  readoutSteps: opt(int(1)),
  /** Window mode: window length and stride in time steps (defaults: the model's window, a quarter of it). */
  window: opt(obj({ steps: int(1), stride: int(1) })),
});

/** The decision stage after the classifier (see src/pipeline/decision.ts); defaults in DECISION_DEFAULTS. */
export const DECISION_DEFAULTS = { enabled: true, smoothingMs: 500, onThreshold: 0.6, offThreshold: 0.4, minDurationMs: 400, confirmMs: 0, classOnThreshold: undefined, background: undefined };
const probability = num({ min: 0, max: 1 });
const decisionCheck = obj({
  /** Publish `gesture` start/end messages. */
  enabled: opt(bool, DECISION_DEFAULTS.enabled),
  /** Time constant of the exponential smoothing of the probabilities, ms (0 = none). */
  smoothingMs: opt(num({ min: 0 }), DECISION_DEFAULTS.smoothingMs),
  /** Smoothed probability at which a gesture starts. */
  onThreshold: opt(num({ min: 0, max: 1, exclusiveMin: true }), DECISION_DEFAULTS.onThreshold),
  /** Smoothed probability below which it ends (hysteresis: <= onThreshold). */
  offThreshold: opt(probability, DECISION_DEFAULTS.offThreshold),
  /** A class must lead this long before its start is announced, ms. */
  minDurationMs: opt(num({ min: 0 }), DECISION_DEFAULTS.minDurationMs),
  /** The smoothed probability must stay at or above onThreshold this long before the start is announced, ms. */
  confirmMs: opt(num({ min: 0 }), DECISION_DEFAULTS.confirmMs),
  /** onThreshold of particular classes, by label (e.g. a catch-all class that idle periods resemble). */
  classOnThreshold: opt(mapOf(num({ min: 0, max: 1, exclusiveMin: true }))),
  /** Label of the model's "no gesture" class; default: its class named "background", if any. */
  background: opt(str()),
});

const serverCheck = obj({
  host: opt(str(), '127.0.0.1'),
  port: opt(int(0, 65535), 8080),
  /** Name of the environment variable holding the token for /ws and /metrics. */
  tokenEnv: opt(str({ pattern: /^[A-Z_][A-Z0-9_]*$/, hint: 'an environment variable name' })),
});

const sinksCheck = obj({
  websocket: opt(
    obj({
      enabled: opt(bool, true),
      maxBufferedBytes: opt(int(1024), 1 << 20),
      maxPayloadBytes: opt(int(64), 4096),
      heartbeatMs: opt(int(0), 15_000),
      maxClients: opt(int(1), 256),
    }),
  ),
  prometheus: opt(obj({ enabled: opt(bool, true), processMetrics: opt(bool, true) })),
  jsonl: opt(obj({ path: str(), types: opt(list(oneOf(MESSAGE_TYPES), { min: 1 })), append: opt(bool, true) })),
  nats: opt(
    obj({
      url: natsUrl,
      subject: opt(str({ pattern: /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, hint: 'a NATS subject like spikeline.line1' }), 'spikeline'),
      types: opt(list(oneOf(MESSAGE_TYPES), { min: 1 })),
      tokenEnv: opt(envName),
      /** Publish on `<subject>.<type>.<camera>` (what `spikeline gateway` reads) instead of `<subject>.<type>`. */
      camera: opt(str({ pattern: /^[A-Za-z0-9_-]+$/, hint: 'a camera name: letters, digits, _ or -' })),
    }),
  ),
});

const configCheck = obj({
  name: str({ pattern: /^[A-Za-z0-9_.-]+$/, hint: 'letters, digits, _ . -' }),
  source: sourceCheck,
  filters: opt(list(filterCheck), []),
  model: obj({
    /** Model folder (relative paths resolve against the config file's folder). */
    path: str(),
    backend: opt(oneOf(['auto', 'tensorflow', 'wasm', 'cpu'] as const), 'auto'),
    /**
     * A camera whose sensor (after the filters) does not give the model's frame size: `error`
     * refuses its events (readiness false, one log line) until a fitting camera connects;
     * `center-crop` keeps the model's sensor size from the middle; `scale` maps the whole
     * sensor onto it (each axis on its own).
     */
    fit: opt(oneOf(FIT_MODES), 'error'),
  }),
  inference: opt(inferenceCheck, { mode: 'step', idleResetSteps: 0, emitEvery: 1, resetEvery: undefined, readoutSteps: undefined, window: undefined }),
  decision: opt(decisionCheck, DECISION_DEFAULTS),
  previews: opt(obj({ enabled: opt(bool, true), size: opt(int(8, 512), 64), everySteps: opt(int(1), 1) })),
  /** Status messages interval, ms. */
  statusIntervalMs: opt(int(100), 1000),
  server: opt(serverCheck, { host: '127.0.0.1', port: 8080, tokenEnv: undefined }),
  sinks: opt(sinksCheck, { websocket: undefined, prometheus: undefined, jsonl: undefined, nats: undefined }),
});

type Out<C> = C extends Check<infer T> ? T : never;
export type PipelineConfig = Out<typeof configCheck>;
export type SourceConfig = Out<typeof sourceCheck>;
export type FilterConfig = Out<typeof filterCheck>;
export type InferenceConfig = Out<typeof inferenceCheck>;
export type DecisionConfig = Out<typeof decisionCheck>;
export type MessageTypeName = (typeof MESSAGE_TYPES)[number];
export type FitMode = (typeof FIT_MODES)[number];

/** Rules spanning several fields. */
const crossChecks: Check<PipelineConfig> = (v, _path, ctx: Context) => {
  const c = v as PipelineConfig;
  const w = c.inference.window;
  if (w && w.stride > w.steps) ctx.fail('inference.window.stride', `must be <= inference.window.steps (${w.steps}), got ${w.stride}`);
  if (w && c.inference.mode !== 'window') ctx.fail('inference.window', 'only applies when inference.mode is "window"');
  const d = c.decision;
  if (d.offThreshold > d.onThreshold) ctx.fail('decision.offThreshold', `must be <= decision.onThreshold (${d.onThreshold}), got ${d.offThreshold}`);
  for (const [label, on] of Object.entries(d.classOnThreshold ?? {})) {
    if (on < d.offThreshold) ctx.fail(`decision.classOnThreshold.${label}`, `must be >= decision.offThreshold (${d.offThreshold}), got ${on}`);
  }
  if (!isLoopback(c.server.host) && !c.server.tokenEnv) {
    ctx.fail('server.tokenEnv', `is required when server.host (${c.server.host}) is not a loopback address`);
  }
  const s = c.source;
  if (s.type === 'simulator') {
    try {
      parseDomainSpec(s.domain);
    } catch (err) {
      ctx.fail('source.domain', (err as Error).message);
    }
  }
  if (s.type === 'tcp' || s.type === 'udp') {
    const port = Number(s.url.slice(s.url.lastIndexOf(':') + 1));
    if (port < 1 || port > 65535) ctx.fail('source.url', `port must be 1-65535, got ${port}`);
  }
  if (s.type === 'nats' && (s.camera === undefined) === (s.cameras === undefined)) {
    ctx.fail('source.camera', 'give exactly one of source.camera (one camera) or source.cameras: "*" (a share of all cameras)');
  }
  return ctx.issues.length ? INVALID : c;
};

const fullCheck: Check<PipelineConfig> = (v, path, ctx) => {
  const r = configCheck(v, path, ctx);
  return r === INVALID ? INVALID : crossChecks(r, path, ctx);
};

/** Line of a dotted/indexed path in a parsed YAML document (for error messages). */
function lineFinder(doc: ReturnType<typeof parseDocument>, counter: LineCounter): (path: string) => number | undefined {
  return (path) => {
    const keys = path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '');
    let node: unknown = doc.contents;
    let found: Node | undefined;
    for (const key of keys) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
        if (!pair) break;
        found = (pair.key as Node) ?? found;
        node = pair.value;
      } else if (isSeq(node)) {
        const item = node.items[Number(key)];
        if (!item) break;
        found = item as Node;
        node = item;
      } else break;
    }
    // A missing field points at its nearest parent present in the file.
    const offset = found?.range?.[0];
    return offset === undefined ? undefined : counter.linePos(offset).line;
  };
}

/** Validates an already-parsed config object (e.g. built in code). */
export function parsePipelineConfig(value: unknown, file = '<config>'): PipelineConfig {
  return validate(fullCheck, value, file);
}

/** Parses and validates YAML text; `file` names it in errors and anchors relative paths. */
export function parsePipelineYaml(text: string, file: string): PipelineConfig {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: '', reason: `YAML syntax: ${e.message.split('\n')[0]}`, line: counter.linePos(e.pos[0]).line })),
    );
  }
  const config = validate(fullCheck, doc.toJS(), file, lineFinder(doc, counter));
  return resolvePaths(config, dirname(resolve(file)));
}

export function loadPipelineConfig(file: string): PipelineConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', reason: `cannot read: ${(err as Error).message}` }]);
  }
  return parsePipelineYaml(text, file);
}

/** Relative file paths in a config resolve against the config file's folder. */
function resolvePaths(c: PipelineConfig, base: string): PipelineConfig {
  const fix = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  return {
    ...c,
    model: { ...c.model, path: fix(c.model.path) },
    source: c.source.type === 'file' ? { ...c.source, path: fix(c.source.path), ...(c.source.labels ? { labels: fix(c.source.labels) } : {}) } : c.source,
    sinks: c.sinks.jsonl ? { ...c.sinks, jsonl: { ...c.sinks.jsonl, path: fix(c.sinks.jsonl.path) } } : c.sinks,
  };
}
