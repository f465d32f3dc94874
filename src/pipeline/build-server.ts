/**
 * The serving HTTP server of a pipeline config: dashboard, probes, /metrics when Prometheus is
 * on, /ws when there is a WebSocket sink. Binding happens later, in `listen()`.
 */
import type { Registry } from 'prom-client';
import type { WebSocketSink } from '../sinks/websocket.js';
import { ServingServer, type HealthReport } from '../server/http.js';
import type { PipelineConfig } from './config.js';

export interface ServerDeps {
  /** The metrics registry, when Prometheus is enabled. */
  registry: Registry | undefined;
  ws: WebSocketSink | undefined;
  token: string | undefined;
  health: () => HealthReport;
}

export function buildServer(config: PipelineConfig['server'], deps: ServerDeps): ServingServer {
  return new ServingServer({
    host: config.host,
    port: config.port,
    ...(deps.registry ? { registry: deps.registry } : {}),
    ...(deps.ws ? { ws: deps.ws } : {}),
    ...(deps.token ? { token: deps.token } : {}),
    health: deps.health,
  });
}
