/**
 * JSONL file sink: one pipeline message per line, appended. Writes go through a Node stream;
 * when the disk falls behind by more than `maxQueuedBytes` further lines are dropped and counted
 * instead of growing memory.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { PipelineMessage, PipelineMessageType } from './messages.js';
import type { PipelineMetrics } from './prometheus.js';
import { DEFAULT_RECORDED_TYPES, type MessageSink } from './sink.js';

export interface JsonlSinkOptions {
  path: string;
  /** Message types written. Default: DEFAULT_RECORDED_TYPES (all but frame). */
  types?: readonly PipelineMessageType[];
  /** Append to an existing file (default) or truncate it. */
  append?: boolean;
  maxQueuedBytes?: number;
  metrics?: PipelineMetrics;
}

export class JsonlSink implements MessageSink {
  readonly name = 'jsonl';
  private readonly stream: WriteStream;
  private readonly types: ReadonlySet<string>;
  private readonly maxQueuedBytes: number;
  private error: Error | undefined;
  written = 0;
  dropped = 0;

  constructor(private readonly options: JsonlSinkOptions) {
    mkdirSync(dirname(options.path), { recursive: true });
    this.stream = createWriteStream(options.path, { flags: options.append === false ? 'w' : 'a' });
    this.stream.on('error', (err) => {
      this.error = err;
    });
    this.types = new Set(options.types ?? DEFAULT_RECORDED_TYPES);
    this.maxQueuedBytes = options.maxQueuedBytes ?? 8 << 20;
    options.metrics?.sinkMessages.inc({ sink: this.name }, 0);
    options.metrics?.sinkErrors.inc({ sink: this.name }, 0);
  }

  publish(message: PipelineMessage): void {
    if (!this.types.has(message.type)) return;
    if (this.error || this.stream.writableLength > this.maxQueuedBytes) {
      this.dropped++;
      this.options.metrics?.sinkErrors.inc({ sink: this.name });
      return;
    }
    this.stream.write(JSON.stringify(message) + '\n');
    this.written++;
    this.options.metrics?.sinkMessages.inc({ sink: this.name });
  }

  async close(): Promise<void> {
    if (this.stream.closed) return;
    await new Promise<void>((resolve) => this.stream.end(() => resolve()));
    if (this.error) throw new Error(`JSONL sink ${this.options.path}: ${this.error.message}`);
  }
}
