/**
 * JSON Schema (draft 2020-12) of the messages on `/ws`, the JSONL file and NATS. Served at
 * `/schema/ws.json`; tests validate real traffic against it, so it cannot drift from messages.ts.
 */
const num = { type: 'number' } as const;
const int = { type: 'integer', minimum: 0 } as const;
const str = { type: 'string' } as const;
const probability = { type: 'number', minimum: 0, maximum: 1 } as const;
/** Set by `spikeline gateway` on every message it relays. */
const camera = { type: 'string', description: 'camera the message comes from (spikeline gateway)' } as const;
const window = {
  type: 'object',
  required: ['startUs', 'endUs'],
  properties: { startUs: num, endUs: num },
  additionalProperties: false,
} as const;

export const WS_MESSAGE_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://spikeline.dev/schema/ws.json',
  title: 'spikeline pipeline message',
  description:
    'One JSON text frame per message. Server to client only; clients may send {"type":"ping"} and receive {"type":"pong"}. ' +
    'Event times (*Us) are camera µs; `time` is wall-clock epoch ms.',
  oneOf: [
    { $ref: '#/$defs/hello' },
    { $ref: '#/$defs/prediction' },
    { $ref: '#/$defs/gestureStart' },
    { $ref: '#/$defs/gestureEnd' },
    { $ref: '#/$defs/firing' },
    { $ref: '#/$defs/status' },
    { $ref: '#/$defs/frame' },
    { $ref: '#/$defs/gap' },
    { $ref: '#/$defs/pong' },
  ],
  $defs: {
    hello: {
      description: 'First message on every connection.',
      type: 'object',
      required: ['type', 'version', 'pipeline', 'classes', 'model', 'mode', 'sensor', 'previews', 'heartbeatMs'],
      properties: {
        type: { const: 'hello' },
        version: { const: 1 },
        pipeline: str,
        classes: { type: 'array', items: str },
        model: {
          type: 'object',
          required: ['name', 'backend', 'stepUs', 'height', 'width'],
          properties: { name: str, backend: str, stepUs: num, height: int, width: int },
        },
        mode: { enum: ['step', 'window'] },
        sensor: { type: 'object', required: ['width', 'height'], properties: { width: int, height: int } },
        previews: { type: 'boolean' },
        heartbeatMs: int,
        cameras: { type: 'array', items: str, description: "the line's cameras seen so far (spikeline gateway)" },
      },
    },
    prediction: {
      type: 'object',
      required: ['type', 'seq', 'time', 'classId', 'label', 'confidence', 'probabilities', 'window', 'steps', 'events', 'latencyMs', 'inferenceMs'],
      properties: {
        type: { const: 'prediction' },
        seq: int,
        time: num,
        classId: int,
        label: str,
        confidence: { type: 'number', minimum: 0, maximum: 1 },
        probabilities: { type: 'array', items: { type: 'number', minimum: 0, maximum: 1 } },
        window,
        steps: int,
        events: int,
        latencyMs: { type: ['number', 'null'] },
        inferenceMs: num,
        truth: str,
        camera,
      },
    },
    gestureStart: {
      description: 'A gesture was detected (decision stage): its start, sent at the decision. Its end follows with the same id.',
      type: 'object',
      required: ['type', 'phase', 'id', 'classId', 'label', 'startUs', 'decidedUs', 'confidence', 'time'],
      properties: { type: { const: 'gesture' }, phase: { const: 'start' }, id: int, classId: int, label: str, startUs: num, decidedUs: num, confidence: probability, time: num, camera },
      additionalProperties: false,
    },
    gestureEnd: {
      description: 'A detected gesture is over: same id as its start message.',
      type: 'object',
      required: ['type', 'phase', 'id', 'classId', 'label', 'startUs', 'endUs', 'confidence', 'time'],
      properties: { type: { const: 'gesture' }, phase: { const: 'end' }, id: int, classId: int, label: str, startUs: num, endUs: num, confidence: probability, time: num, camera },
      additionalProperties: false,
    },
    firing: {
      type: 'object',
      required: ['type', 'seq', 'time', 'window', 'layers', 'meanRate', 'synops', 'energyPJ'],
      properties: {
        type: { const: 'firing' },
        seq: int,
        time: num,
        window,
        layers: {
          type: 'array',
          items: {
            type: 'object',
            required: ['layer', 'rate', 'spikes', 'synops'],
            properties: { layer: str, rate: num, spikes: num, synops: num },
          },
        },
        meanRate: num,
        synops: num,
        energyPJ: num,
        camera,
      },
    },
    status: {
      description: 'Sent every status interval (default 1 s) and on state changes.',
      type: 'object',
      required: ['type', 'time', 'state', 'uptimeS', 'source', 'eventRate', 'predictions', 'clients'],
      properties: {
        type: { const: 'status' },
        time: num,
        state: { enum: ['starting', 'running', 'degraded', 'stopping', 'stopped'] },
        uptimeS: num,
        source: {
          type: 'object',
          required: ['name', 'state', 'eventsReceived', 'eventsDropped', 'malformedPackets', 'reconnects', 'gaps'],
          properties: {
            name: str,
            state: str,
            eventsReceived: int,
            eventsDropped: int,
            malformedPackets: int,
            reconnects: int,
            gaps: int,
          },
        },
        eventRate: num,
        predictions: int,
        clients: int,
        droppedForYou: int,
        problem: { type: 'string', description: 'Why the pipeline is degraded beyond a lost connection, e.g. a camera the model cannot take.' },
        camera,
      },
    },
    frame: {
      description: 'Optional downsampled event image of one time step (enable with previews).',
      type: 'object',
      required: ['type', 'time', 'window', 'width', 'height', 'data', 'events'],
      properties: {
        type: { const: 'frame' },
        time: num,
        window,
        width: int,
        height: int,
        data: { type: 'string', contentEncoding: 'base64', description: 'width*height int8: ON minus OFF count per pixel, row-major' },
        events: int,
        camera,
      },
    },
    gap: {
      description: 'A live stream was interrupted and has resumed.',
      type: 'object',
      required: ['type', 'time', 'source', 'durationMs', 'reason'],
      properties: { type: { const: 'gap' }, time: num, source: str, durationMs: num, reason: str, camera },
    },
    pong: {
      type: 'object',
      required: ['type', 'time'],
      properties: { type: { const: 'pong' }, time: num },
    },
  },
} as const;
