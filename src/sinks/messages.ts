/**
 * Records a pipeline publishes to its sinks (WebSocket, JSONL file, NATS). The same JSON objects
 * go to every sink; `WS_MESSAGE_SCHEMA` (ws-schema.ts, served at `/schema/ws.json`) documents them.
 * Times: `*Us` fields are event time in µs (the camera's clock), `time` is wall-clock epoch ms.
 */

export const WS_PROTOCOL_VERSION = 1;

export interface EventWindow {
  /** Event-time window [startUs, endUs) the record covers. */
  startUs: number;
  endUs: number;
}

export interface HelloMessage {
  type: 'hello';
  version: typeof WS_PROTOCOL_VERSION;
  pipeline: string;
  classes: string[];
  model: { name: string; backend: string; stepUs: number; height: number; width: number };
  mode: 'step' | 'window';
  sensor: { width: number; height: number };
  previews: boolean;
  heartbeatMs: number;
  /** `spikeline gateway` only: the line's cameras seen so far. */
  cameras?: string[];
}

export interface PredictionMessage {
  type: 'prediction';
  /** Increments by one per prediction of this pipeline run. */
  seq: number;
  time: number;
  classId: number;
  label: string;
  confidence: number;
  probabilities: number[];
  window: EventWindow;
  /** Time steps that contributed since the last model reset (step mode) or per window. */
  steps: number;
  /** Events in the time step / window that produced this prediction. */
  events: number;
  /** Last event arrival -> prediction handed to sinks, ms (null when unknown, e.g. file replay). */
  latencyMs: number | null;
  /** Wall time of the model call(s) behind this prediction, ms. */
  inferenceMs: number;
  /** Ground truth when replaying a labelled dataset. */
  truth?: string;
}

export interface FiringMessage {
  type: 'firing';
  seq: number;
  time: number;
  window: EventWindow;
  layers: { layer: string; rate: number; spikes: number; synops: number }[];
  meanRate: number;
  synops: number;
  energyPJ: number;
}

export interface SourceStatus {
  name: string;
  state: string;
  eventsReceived: number;
  eventsDropped: number;
  malformedPackets: number;
  reconnects: number;
  gaps: number;
}

export interface StatusMessage {
  type: 'status';
  time: number;
  state: 'starting' | 'running' | 'degraded' | 'stopping' | 'stopped';
  uptimeS: number;
  source: SourceStatus;
  /** Events per second over the last status interval. */
  eventRate: number;
  predictions: number;
  clients: number;
  /** Messages this client lost to backpressure so far (WebSocket only). */
  droppedForYou?: number;
  /** Why the pipeline is degraded beyond a lost connection, e.g. a camera the model cannot take. */
  problem?: string;
}

/** A downsampled event-count image of one time step: ON - OFF counts, row-major, clipped to int8. */
export interface FrameMessage {
  type: 'frame';
  time: number;
  window: EventWindow;
  width: number;
  height: number;
  /** Base64 of width*height signed bytes (Int8Array): ON minus OFF event count per pixel. */
  data: string;
  events: number;
}

/**
 * One detected gesture performance, published twice with the same `id` (decision stage): at the
 * decision (`phase: "start"`, with `decidedUs`) and when it is over (`phase: "end"`, with
 * `endUs`). Times are event time, µs; `confidence` is the smoothed class probability at the
 * decision, and its mean over the performance at the end.
 */
export interface GestureStartMessage {
  type: 'gesture';
  phase: 'start';
  id: number;
  classId: number;
  label: string;
  startUs: number;
  decidedUs: number;
  confidence: number;
  time: number;
}

export interface GestureEndMessage {
  type: 'gesture';
  phase: 'end';
  id: number;
  classId: number;
  label: string;
  startUs: number;
  endUs: number;
  confidence: number;
  time: number;
}

export type GestureMessage = GestureStartMessage | GestureEndMessage;

/** A live-stream interruption (camera restarted, connection lost): reported once it is over. */
export interface GapMessage {
  type: 'gap';
  time: number;
  source: string;
  /** Wall-clock duration of the interruption, ms. */
  durationMs: number;
  reason: string;
}

export type PipelineMessage = HelloMessage | PredictionMessage | GestureMessage | FiringMessage | StatusMessage | FrameMessage | GapMessage;
/** What `spikeline gateway` sends on /ws: a camera's message, naming the camera. */
export type LineMessage = PipelineMessage & { camera?: string };
export type PipelineMessageType = PipelineMessage['type'];
