/**
 * A tiny deterministic StreamingModel for serving tests: a 2-class "which half of the frame has
 * more events" classifier with membrane-like accumulation, so tests run without TensorFlow.js.
 */
import type { FiringMetrics, Preprocessing, StepOutput, StreamingModel } from '../../src/snn/model-api.js';

export const TINY_CLASSES = ['left', 'right'] as const;

export function tinyPreprocessing(overrides: Partial<Preprocessing> = {}): Preprocessing {
  return { sensorWidth: 32, sensorHeight: 32, downsample: 1, height: 32, width: 32, stepUs: 10_000, steps: 4, encoding: 'count', ...overrides };
}

export class TinyModel implements StreamingModel {
  readonly classes = TINY_CLASSES;
  readonly preprocessing: Preprocessing;
  private sum = new Float32Array(2);
  private count = 0;
  stepsRun = 0;
  /** Copies of the frames given to step(), in order. */
  readonly inputs: Float32Array[] = [];
  resets = 0;
  disposed = false;

  constructor(pre: Partial<Preprocessing> = {}) {
    this.preprocessing = tinyPreprocessing(pre);
  }

  step(frame: Float32Array): StepOutput {
    const { width, height } = this.preprocessing;
    const C = 2 * (this.preprocessing.subBins ?? 1);
    if (frame.length !== width * height * C) throw new RangeError(`frame length ${frame.length}`);
    this.inputs.push(frame.slice());
    let left = 0;
    let right = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let v = 0;
        for (let c = 0; c < C; c++) v += frame[(y * width + x) * C + c]!;
        if (x < width / 2) left += v;
        else right += v;
      }
    }
    this.sum[0]! += left;
    this.sum[1]! += right;
    this.count++;
    this.stepsRun++;
    const logits = Float32Array.from(this.sum, (v) => v / this.count);
    const total = left + right;
    const firing: FiringMetrics = {
      layers: [
        { layer: 'conv1', rate: Math.min(1, total / 100), spikes: total, synops: total * 9, macs: width * height * 18 },
        { layer: 'fc', rate: 0.5, spikes: 1, synops: 2, macs: 2 },
      ],
      meanRate: Math.min(1, total / 100) / 2 + 0.25,
      synops: total * 9 + 2,
      macs: width * height * 18 + 2,
      energyPJ: (total * 9 + 2) * 0.9,
    };
    return { logits, probabilities: softmax(logits), firing };
  }

  reset(): void {
    this.sum = new Float32Array(2);
    this.count = 0;
    this.resets++;
  }

  dispose(): void {
    this.disposed = true;
  }
}

function softmax(logits: Float32Array): Float32Array {
  const max = Math.max(...logits);
  const e = Float32Array.from(logits, (v) => Math.exp((v - max) / 10));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
