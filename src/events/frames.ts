/**
 * Time-step tensors produced by binning: Float32 data laid out [T, H, W, C] (NHWC, C = 2
 * polarities: channel 0 = OFF, channel 1 = ON), the layout TensorFlow.js convolutions take, so
 * the SNN hot path needs no transposes.
 */
export interface FrameTensor {
  readonly data: Float32Array;
  /** Number of time steps (frames). */
  readonly steps: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Event-time window [start, end) of each step, in µs. */
  readonly tStart: Float64Array;
  readonly tEnd: Float64Array;
}

/** Offset of element (step, y, x, c) in a FrameTensor's data. */
export function frameIndex(f: FrameTensor, step: number, y: number, x: number, c: number): number {
  return ((step * f.height + y) * f.width + x) * f.channels + c;
}
