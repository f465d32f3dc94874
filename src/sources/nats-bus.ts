/**
 * Where camera event streams live on NATS JetStream: one stream, `SPIKELINE_EVENTS`, holding the
 * subjects `spikeline.events.<camera>`, one message per event batch (an SLEV frame, ws-frame.ts).
 * Publishers and consumers both call `ensureEventStream`, so whichever starts first creates it.
 */
import { settlesWithin } from '../util/deadline.js';
import { connect, nanos, type JetStreamManager, type NatsConnection, type StreamConfig, type StreamInfo } from 'nats';

export const EVENTS_STREAM = 'SPIKELINE_EVENTS';
export const EVENTS_SUBJECT_PREFIX = 'spikeline.events';
/** Camera names are one NATS subject token (and a KV key / consumer name). */
export const CAMERA_NAME = /^[A-Za-z0-9_-]+$/;

export const eventsSubject = (camera: string): string => `${EVENTS_SUBJECT_PREFIX}.${camera}`;
/** The durable consumer that remembers how far a camera's stream has been processed. */
export const cameraConsumer = (camera: string): string => `spikeline-${camera}`;

/**
 * Message id of a publisher's `seq`-th frame (JetStream de-duplicates on it). `prefix` is random
 * per publisher, so a reader can tell one publisher's frames apart and see which came late.
 */
export const frameId = (prefix: string, seq: number): string => `${prefix}-${seq}`;

/** The publisher prefix and sequence of a `frameId`, undefined for any other message id. */
export function parseFrameId(id: string | undefined): { prefix: string; seq: number } | undefined {
  const m = id === undefined ? null : /^([0-9a-f]+)-(\d+)$/.exec(id);
  return m ? { prefix: m[1]!, seq: Number(m[2]) } : undefined;
}

export function checkCameraName(camera: string): string {
  if (!CAMERA_NAME.test(camera)) throw new RangeError(`camera name "${camera}" must be letters, digits, _ or - (one NATS subject token)`);
  return camera;
}

export interface EventStreamLimits {
  /** Batches older than this are discarded, ms. Default 24 h. */
  maxAgeMs?: number;
  /** Oldest batches are discarded beyond this many bytes. Default 1 GiB. */
  maxBytes?: number;
}

export const EVENT_STREAM_DEFAULTS = { maxAgeMs: 24 * 3600_000, maxBytes: 1 << 30 } as const;
/** How long JetStream remembers message ids to drop a resent batch (its default, 2 min). */
const DUPLICATE_WINDOW_MS = 120_000;

/**
 * How long a JetStream API request (stream or consumer info, create) may take: a busy server, or
 * one still recovering its store after a restart, can exceed the client's 5 s default, and a
 * worker or publisher must not fail its startup on that.
 */
export const BUS_API_TIMEOUT_MS = 20_000;

/**
 * The JetStream manager every bus component uses (BUS_API_TIMEOUT_MS per request). Loops that
 * retry on their own pass a shorter `timeoutMs`: a request lost in a server restart is not
 * answered ever, and must not stall the loop for the whole default.
 */
export function busManager(nc: NatsConnection, timeoutMs = BUS_API_TIMEOUT_MS): Promise<JetStreamManager> {
  return nc.jetstreamManager({ timeout: timeoutMs });
}

/**
 * Creates the events stream if missing (limits retention, oldest discarded first; limits not
 * given take the defaults). Limits given explicitly are applied to an existing stream; limits
 * not given leave it as it is, so a worker never undoes a publisher's `--max-age`.
 */
export async function ensureEventStream(jsm: JetStreamManager, limits: EventStreamLimits = {}): Promise<void> {
  let existing: StreamInfo | undefined;
  try {
    existing = await jsm.streams.info(EVENTS_STREAM);
  } catch (err) {
    if (!/stream not found/i.test((err as Error).message)) throw err;
  }
  if (!existing) {
    try {
      await jsm.streams.add(streamConfig(limits.maxAgeMs ?? EVENT_STREAM_DEFAULTS.maxAgeMs, limits.maxBytes ?? EVENT_STREAM_DEFAULTS.maxBytes));
      return;
    } catch (err) {
      // Another process created it meanwhile.
      if (!/already in use/i.test((err as Error).message)) throw err;
      existing = await jsm.streams.info(EVENTS_STREAM);
    }
  }
  const maxAgeMs = limits.maxAgeMs ?? existing.config.max_age / 1e6;
  const maxBytes = limits.maxBytes ?? existing.config.max_bytes;
  if (maxAgeMs * 1e6 === existing.config.max_age && maxBytes === existing.config.max_bytes) return;
  await jsm.streams.update(EVENTS_STREAM, { ...existing.config, ...streamConfig(maxAgeMs, maxBytes) });
}

function streamConfig(maxAgeMs: number, maxBytes: number): Partial<StreamConfig> & { name: string } {
  return {
    name: EVENTS_STREAM,
    subjects: [`${EVENTS_SUBJECT_PREFIX}.>`],
    max_age: nanos(maxAgeMs),
    max_bytes: maxBytes,
    // Publishers resend after an outage with message ids; the server wants the window <= max age.
    duplicate_window: nanos(Math.min(DUPLICATE_WINDOW_MS, maxAgeMs)),
  };
}

/**
 * Cameras that have at least one batch in the stream. Other publishers' subjects under the
 * prefix that are no camera name (`a.b`, `a+b`) are left out: no lease key or source takes them.
 */
export async function listCameras(jsm: JetStreamManager): Promise<string[]> {
  const info = await jsm.streams.info(EVENTS_STREAM, { subjects_filter: `${EVENTS_SUBJECT_PREFIX}.>` });
  return Object.keys(info.state.subjects ?? {})
    .map((s) => s.slice(EVENTS_SUBJECT_PREFIX.length + 1))
    .filter((camera) => CAMERA_NAME.test(camera))
    .sort();
}

/** A connection that keeps reconnecting (every 250 ms) while the server is away. */
export function connectBus(url: string, options: { token?: string; name?: string } = {}): Promise<NatsConnection> {
  return connect({
    servers: url,
    name: options.name ?? 'spikeline',
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    ...(options.token ? { token: options.token } : {}),
  });
}

/**
 * Drains a connection (pending publishes and acks flushed) and closes it; a server that does not
 * answer within `timeoutMs` (it is down: the client would wait for it forever) gets a plain close.
 */
export async function closeBus(nc: NatsConnection, timeoutMs = 2000): Promise<void> {
  if (nc.isClosed()) return;
  // A drain that fails or runs out of time leaves a plain close.
  await settlesWithin(nc.drain().catch(() => undefined), timeoutMs);
  if (!nc.isClosed()) await nc.close();
}
