import { Subject } from 'rxjs';
import WebSocket from 'ws';
import { batchFromArrays, type EventBatch } from '../../src/events/index.js';
import type { PipelineSource, SourceHealth } from '../../src/pipeline/source.js';
import type { PipelineMessage } from '../../src/sinks/messages.js';

/** A source driven by the test: push batches, flip the connection state, complete. */
export class TestSource implements PipelineSource {
  readonly name = 'test://camera';
  readonly dropReasons = ['malformed'];
  readonly subject = new Subject<EventBatch>();
  readonly events = this.subject.asObservable();
  healthValue: SourceHealth = { state: 'connected', connected: true, dropped: { malformed: 0 }, malformedPackets: 0, lostPackets: 0, reconnects: 0 };
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

type Schema = Record<string, unknown>;

/** Validates `value` against the subset of JSON Schema used by ws-schema.ts; returns error paths. */
export function schemaErrors(root: Schema, value: unknown, schema: Schema = root, path = '$'): string[] {
  if (schema.$ref) {
    const name = String(schema.$ref).replace('#/$defs/', '');
    return schemaErrors(root, value, (root.$defs as Record<string, Schema>)[name]!, path);
  }
  if (schema.oneOf) {
    const ok = (schema.oneOf as Schema[]).filter((s) => schemaErrors(root, value, s, path).length === 0).length;
    return ok === 1 ? [] : [`${path}: matches ${ok} of oneOf`];
  }
  const errors: string[] = [];
  if ('const' in schema && value !== schema.const) errors.push(`${path}: expected ${String(schema.const)}`);
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) errors.push(`${path}: not in enum`);
  const types = schema.type === undefined ? [] : ([] as string[]).concat(schema.type as string);
  if (types.length) {
    const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    const ok = types.some((t) => t === actual || (t === 'integer' && Number.isInteger(value)));
    if (!ok) return [`${path}: expected ${types.join('|')}, got ${actual}`];
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: below minimum`);
    if (typeof schema.maximum === 'number' && value > schema.maximum + 1e-6) errors.push(`${path}: above maximum`);
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const r of (schema.required as string[] | undefined) ?? []) if (!(r in obj)) errors.push(`${path}.${r}: required`);
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errors.push(...schemaErrors(root, v, props[k], `${path}.${k}`));
      else if (schema.properties) errors.push(`${path}.${k}: not in schema`);
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => errors.push(...schemaErrors(root, v, schema.items as Schema, `${path}[${i}]`)));
  return errors;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
