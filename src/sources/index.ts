// Event sources (Observables of EventBatch) and the network senders (spikeline as a camera).
export * from './status.js';
export * from './endpoint.js';
export * from './replay.js';
export * from './tcp.js';
export * from './udp.js';
export * from './udp-codecs.js';
export * from './ws.js';
export * from './ws-frame.js';
export * from './serve.js';
export * from './open.js';
export * from './record.js';
export * from './probe.js';
export * from './nats-bus.js';
export * from './nats.js';
