// Public API of the sinks: message types and schema, WebSocket fan-out, Prometheus metrics, JSONL and NATS.
export * from './messages.js';
export { WS_MESSAGE_SCHEMA } from './ws-schema.js';
export type { MessageSink } from './sink.js';
export { WebSocketSink, type WebSocketSinkOptions, type ClientStats } from './websocket.js';
export { PipelineMetrics, LATENCY_BUCKETS_SECONDS, CONFIDENCE_BUCKETS, type PipelineMetricsOptions, type ModelInfo } from './prometheus.js';
export { JsonlSink, type JsonlSinkOptions } from './jsonl.js';
export { NatsSink, type NatsSinkOptions } from './nats.js';
export { NatsEventSink, publishEvents, type NatsEventSinkOptions, type PublishEventsOptions } from './nats-events.js';
export { BusWorkerMetrics } from './bus-metrics.js';
export { GatewayMetrics } from './gateway-metrics.js';
