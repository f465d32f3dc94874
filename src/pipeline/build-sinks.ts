/**
 * The message sinks a config asks for: WebSocket (unless serving is off or it is disabled), a
 * JSONL file and NATS. Each sink counts into the pipeline's metrics when there are any.
 */
import type { HelloMessage } from '../sinks/messages.js';
import type { PipelineMetrics } from '../sinks/prometheus.js';
import type { MessageSink } from '../sinks/sink.js';
import { WebSocketSink } from '../sinks/websocket.js';
import { JsonlSink } from '../sinks/jsonl.js';
import { NatsSink } from '../sinks/nats.js';
import type { PipelineConfig } from './config.js';

export interface SinkDeps {
  /** False: no HTTP server, hence no WebSocket sink. */
  serve: boolean;
  metrics: PipelineMetrics | undefined;
  /** The first message of every WebSocket connection. */
  hello: () => HelloMessage;
  natsToken?: string;
  log: (line: string) => void;
}

export interface Sinks {
  /** Every sink, the WebSocket one included. */
  all: MessageSink[];
  ws: WebSocketSink | undefined;
}

export function buildSinks(config: PipelineConfig['sinks'], deps: SinkDeps): Sinks {
  const metrics = deps.metrics ? { metrics: deps.metrics } : {};
  const all: MessageSink[] = [];
  let ws: WebSocketSink | undefined;
  const wsConfig = config.websocket;
  if (deps.serve && (wsConfig?.enabled ?? true)) {
    ws = new WebSocketSink({
      ...(wsConfig ? { maxBufferedBytes: wsConfig.maxBufferedBytes, maxPayloadBytes: wsConfig.maxPayloadBytes, heartbeatMs: wsConfig.heartbeatMs, maxClients: wsConfig.maxClients } : {}),
      ...metrics,
      hello: deps.hello,
    });
    all.push(ws);
  }
  const jsonl = config.jsonl;
  if (jsonl) {
    all.push(new JsonlSink({ path: jsonl.path, append: jsonl.append, ...(jsonl.types ? { types: jsonl.types } : {}), ...metrics }));
  }
  const nats = config.nats;
  if (nats) {
    all.push(
      new NatsSink({
        url: nats.url,
        subject: nats.subject,
        ...(nats.camera ? { camera: nats.camera } : {}),
        ...(nats.types ? { types: nats.types } : {}),
        ...(deps.natsToken ? { token: deps.natsToken } : {}),
        ...metrics,
        onState: (state, detail) => deps.log(`nats ${nats.url}: ${state}${detail ? ` (${detail})` : ''}`),
      }),
    );
  }
  return { all, ws };
}
