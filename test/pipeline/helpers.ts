import { Subject } from 'rxjs';
import WebSocket from 'ws';
import { batchFromArrays, type EventBatch } from '../../src/events/index.js';
import type { PipelineSource, SourceHealth } from '../../src/pipeline/source.js';
import type { PipelineMessage } from '../../src/sinks/messages.js';
import { WS_MESSAGE_SCHEMA } from '../../src/sinks/ws-schema.js';
import { Ajv2020 } from 'ajv/dist/2020.js';

/** A source driven by the test: push batches, flip the connection state, complete. */
export class TestSource implements PipelineSource {
  readonly name = 'test://camera';
  readonly dropReasons = ['malformed'];
  readonly subject = new Subject<EventBatch>();
  readonly events = this.subject.asObservable();
  healthValue: SourceHealth = { state: 'connected', connected: true, dropped: { malformed: 0 }, malformedPackets: 0, lostPackets: 0, stalePackets: 0, reconnects: 0 };
  closed = false;
  constructor(readonly live = true) {}
  health(): SourceHealth {
    return this.healthValue;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * `perStep` events per `stepUs` in [t0, t1), all in the left or right half of a 32x32 sensor,
 * alternating polarity, deterministic positions.
 */
export function halfEvents(side: 'left' | 'right', t0: number, t1: number, perStep: number, stepUs = 10_000, size = 32): EventBatch {
  const x: number[] = [], y: number[] = [], t: number[] = [], p: number[] = [];
  const steps = Math.round((t1 - t0) / stepUs);
  for (let s = 0; s < steps; s++) {
    for (let k = 0; k < perStep; k++) {
      x.push((side === 'left' ? 0 : size / 2) + ((k * 7 + s) % (size / 2)));
      y.push((k * 13 + s * 3) % size);
      t.push(t0 + s * stepUs + Math.floor((k * stepUs) / perStep));
      p.push(k % 2);
    }
  }
  return batchFromArrays({ x, y, t, p }, { width: size, height: size });
}

/** A WebSocket client that records every message. */
export class Recorder {
  readonly messages: PipelineMessage[] = [];
  readonly socket: WebSocket;
  closeCode: number | undefined;
  private waiters: { pred: (m: PipelineMessage[]) => boolean; resolve: () => void }[] = [];
  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.socket = new WebSocket(url, options);
    this.socket.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as PipelineMessage);
      this.check();
    });
    this.socket.on('close', (code) => {
      this.closeCode = code;
      this.check();
    });
    this.socket.on('error', () => undefined);
  }
  of<T extends PipelineMessage['type']>(type: T): Extract<PipelineMessage, { type: T }>[] {
    return this.messages.filter((m) => m.type === type) as Extract<PipelineMessage, { type: T }>[];
  }
  private check(): void {
    this.waiters = this.waiters.filter((w) => (w.pred(this.messages) ? (w.resolve(), false) : true));
  }
  until(pred: (m: PipelineMessage[]) => boolean, timeoutMs = 10_000): Promise<void> {
    if (pred(this.messages)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; got ${this.messages.length} messages`)), timeoutMs);
      this.waiters.push({ pred, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState === WebSocket.OPEN) return resolve();
      this.socket.once('open', () => resolve());
      this.socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.socket.once('error', reject);
    });
  }
  closed(): Promise<number> {
    return new Promise((resolve) => {
      if (this.closeCode !== undefined) return resolve(this.closeCode);
      this.socket.once('close', (code) => resolve(code));
    });
  }
}

/**
 * The published `/ws` message schema compiled by a real JSON Schema validator (ajv, draft
 * 2020-12), in two forms: as published, and a strict copy in which every object also refuses
 * properties the schema does not list, so that a field sent but not documented (drift between
 * messages.ts and ws-schema.ts) fails the tests.
 */
const ajv = new Ajv2020({ strict: true, allErrors: true });
const published = ajv.compile(WS_MESSAGE_SCHEMA);
const strict = ajv.compile({ ...(closeObjects(WS_MESSAGE_SCHEMA) as object), $id: `${WS_MESSAGE_SCHEMA.$id.replace(/\.json$/, '-strict.json')}` });

function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (!schema || typeof schema !== 'object') return schema;
  const out = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, closeObjects(v)]));
  if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false;
  return out;
}

/** Why `value` is not a valid message per the published schema, or per its strict copy; [] when it is. */
export function messageSchemaErrors(value: unknown): string[] {
  const errors: string[] = [];
  for (const [name, validate] of [['schema', published], ['strict schema', strict]] as const) {
    if (!validate(value)) errors.push(`${name}: ${ajv.errorsText(validate.errors, { separator: '; ' })}`);
  }
  return errors;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
