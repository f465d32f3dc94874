import type { PipelineMessage, PipelineMessageType } from './messages.js';

/** Where pipeline messages go. `publish` never blocks or throws: a sink that cannot keep up drops and counts. */
export interface MessageSink {
  readonly name: string;
  publish(message: PipelineMessage): void;
  /** Flushes what is queued and releases the sink. */
  close(): Promise<void>;
}

/** Message types a file or bus sink records when its config does not list them. */
export const DEFAULT_RECORDED_TYPES: readonly PipelineMessageType[] = ['prediction', 'gesture', 'firing', 'status', 'gap'];
