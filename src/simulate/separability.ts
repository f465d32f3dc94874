/**
 * Checks that a synthetic gesture set is neither trivial nor unlearnable: baseline classifiers
 * on (a) global statistics of a sample (event count, mean x, mean y, ON fraction), which must
 * stay far below what an SNN reaches, and (b) histograms of local motion directions, which show
 * the classes differ in how things move. Small and dependency-free: nearest
 * centroid and multinomial logistic regression (full-batch gradient descent) on standardised
 * features.
 */
import { type EventBatch } from '../events/index.js';
import { DVS_GESTURE_CLASSES, loadDvsGesture } from '../formats/index.js';

/** [log(1 + count), mean x / width, mean y / height, ON fraction] of a sample. */
export function globalFeatures(batch: EventBatch): number[] {
  const n = batch.length;
  if (n === 0) return [0, 0.5, 0.5, 0.5];
  let sx = 0, sy = 0, on = 0;
  for (let i = 0; i < n; i++) {
    sx += batch.x[i]!;
    sy += batch.y[i]!;
    on += batch.p[i]!;
  }
  return [Math.log1p(n), sx / n / batch.sensor.width, sy / n / batch.sensor.height, on / n];
}

/**
 * Local motion directions of a sample: each event's direction is read from the gradient of the
 * time surface (latest timestamp per pixel, 3×3 central differences) and histogrammed by
 * 4×4 cell around the event centroid × 8 directions × polarity over the middle `spanUs` of the
 * sample (square-rooted, normalised). A linear model on these tells clockwise from
 * counter-clockwise and a wave from a circle: evidence the classes differ in how things move.
 */
export function directionFeatures(batch: EventBatch, start: number, end: number, spanUs = 1_500_000): number[] {
  const { width, height } = batch.sensor;
  const G = 4, D = 8;
  const surface = new Float64Array(width * height).fill(-Infinity);
  const mid = (start + end) / 2, w0 = Math.max(start, mid - spanUs / 2), w1 = Math.min(end, mid + spanUs / 2);
  let sx = 0, sy = 0, n = 0;
  for (let i = 0; i < batch.length; i++) {
    if (batch.t[i]! >= w0 && batch.t[i]! < w1) { sx += batch.x[i]!; sy += batch.y[i]!; n++; }
  }
  const f = new Float64Array(G * G * D * 2);
  if (n === 0) return Array.from(f);
  const cx = sx / n, cy = sy / n, cell = Math.max(width, height) / G;
  for (let i = 0; i < batch.length; i++) {
    const t = batch.t[i]!;
    if (t < w0 || t >= w1) continue;
    const x = batch.x[i]!, y = batch.y[i]!;
    surface[y * width + x] = t;
    if (x < 1 || y < 1 || x > width - 2 || y > height - 2) continue;
    const gx = surface[y * width + x + 1]! - surface[y * width + x - 1]!;
    const gy = surface[(y + 1) * width + x]! - surface[(y - 1) * width + x]!;
    // Only neighbours seen within the last 50 ms describe the current motion.
    if (!(Math.abs(gx) < 50_000 && Math.abs(gy) < 50_000) || (gx === 0 && gy === 0)) continue;
    const d = ((Math.round((Math.atan2(gy, gx) / (2 * Math.PI)) * D) % D) + D) % D;
    const gxCell = Math.floor((x - cx) / cell + G / 2), gyCell = Math.floor((y - cy) / cell + G / 2);
    if (gxCell < 0 || gyCell < 0 || gxCell >= G || gyCell >= G) continue;
    f[((gyCell * G + gxCell) * D + d) * 2 + batch.p[i]!]!++;
  }
  let total = 0;
  for (const v of f) total += v;
  return Array.from(f, (v) => Math.sqrt(v / (total || 1)));
}

/** Standardises columns with the training set's mean and standard deviation. */
export function standardize(train: number[][], test: number[][]): { train: number[][]; test: number[][] } {
  const d = train[0]?.length ?? 0;
  const mean = new Array<number>(d).fill(0);
  const sd = new Array<number>(d).fill(0);
  for (const r of train) for (let j = 0; j < d; j++) mean[j]! += r[j]! / train.length;
  for (const r of train) for (let j = 0; j < d; j++) sd[j]! += (r[j]! - mean[j]!) ** 2 / train.length;
  const s = sd.map((v) => Math.sqrt(v) || 1);
  const apply = (rows: number[][]): number[][] => rows.map((r) => r.map((v, j) => (v - mean[j]!) / s[j]!));
  return { train: apply(train), test: apply(test) };
}

/** Predicts the class whose training centroid is nearest (Euclidean). */
export function nearestCentroid(trainX: number[][], trainY: number[], testX: number[][]): number[] {
  const classes = [...new Set(trainY)].sort((a, b) => a - b);
  const centroids = classes.map((c) => {
    const rows = trainX.filter((_, i) => trainY[i] === c);
    return rows[0]!.map((_, j) => rows.reduce((s, r) => s + r[j]!, 0) / rows.length);
  });
  return testX.map((r) => {
    let best = 0, bestD = Infinity;
    centroids.forEach((c, k) => {
      const dist = c.reduce((s, v, j) => s + (v - r[j]!) ** 2, 0);
      if (dist < bestD) { bestD = dist; best = k; }
    });
    return classes[best]!;
  });
}

/**
 * Multinomial logistic regression (softmax) trained by full-batch gradient descent with L2
 * penalty; returns predictions for testX. Labels are 0..classes−1.
 */
export function logisticRegression(
  trainX: number[][], trainY: number[], testX: number[][], classes: number,
  options: { epochs?: number; rate?: number; l2?: number } = {},
): number[] {
  const d = trainX[0]!.length + 1;
  const w = new Float64Array(classes * d);
  const epochs = options.epochs ?? 300, rate = options.rate ?? 0.5, l2 = options.l2 ?? 1e-3;
  const n = trainX.length;
  const grad = new Float64Array(classes * d);
  const z = new Float64Array(classes);
  const scores = (x: number[]): Float64Array => {
    for (let c = 0; c < classes; c++) {
      let s = w[c * d + d - 1]!;
      for (let j = 0; j < d - 1; j++) s += w[c * d + j]! * x[j]!;
      z[c] = s;
    }
    return z;
  };
  for (let e = 0; e < epochs; e++) {
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const x = trainX[i]!;
      const s = scores(x);
      let max = -Infinity;
      for (let c = 0; c < classes; c++) max = Math.max(max, s[c]!);
      let sum = 0;
      for (let c = 0; c < classes; c++) { s[c] = Math.exp(s[c]! - max); sum += s[c]!; }
      for (let c = 0; c < classes; c++) {
        const g = s[c]! / sum - (trainY[i] === c ? 1 : 0);
        for (let j = 0; j < d - 1; j++) grad[c * d + j]! += g * x[j]!;
        grad[c * d + d - 1]! += g;
      }
    }
    for (let k = 0; k < w.length; k++) w[k] = w[k]! - rate * (grad[k]! / n + l2 * w[k]!);
  }
  return testX.map((x) => {
    const s = scores(x);
    let best = 0;
    for (let c = 1; c < classes; c++) if (s[c]! > s[best]!) best = c;
    return best;
  });
}

export function accuracy(pred: readonly number[], truth: readonly number[]): number {
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === truth[i]) ok++;
  return pred.length ? ok / pred.length : 0;
}

export interface SeparabilityReport {
  trainSamples: number;
  testSamples: number;
  /** Test accuracy of nearest centroid and logistic regression on the global features. */
  nearestCentroid: number;
  logistic: number;
  /** Test accuracy of logistic regression on motion-direction histograms (directionFeatures). */
  motionLogistic: number;
  /** Mean events per sample of each 0-based class (training split). */
  classMeanEvents: number[];
}

/**
 * Baselines on a DVS128 Gesture folder (real or synthetic), trained on its training split and
 * scored on its test split, read through the dataset loader one trial at a time: global
 * features (should stay low) and motion-direction histograms (should be high: the classes are
 * learnable from how things move).
 */
export async function checkSeparability(root: string): Promise<SeparabilityReport> {
  const rows: Record<'train' | 'test', { f: number[]; m: number[]; y: number; n: number }[]> = { train: [], test: [] };
  for (const split of ['train', 'test'] as const) {
    for await (const s of loadDvsGesture(root, split)) {
      rows[split].push({ f: globalFeatures(s.events), m: directionFeatures(s.events, s.start, s.end), y: s.classId, n: s.events.length });
    }
  }
  const { train, test } = rows;
  if (train.length === 0 || test.length === 0) throw new RangeError(`${root}: needs samples in both trials_to_train.txt and trials_to_test.txt`);
  const z = standardize(train.map((r) => r.f), test.map((r) => r.f));
  const zm = standardize(train.map((r) => r.m), test.map((r) => r.m));
  const truth = test.map((r) => r.y);
  const classes = DVS_GESTURE_CLASSES.length;
  const classMeanEvents = Array.from({ length: classes }, (_, c) => {
    const xs = train.filter((r) => r.y === c);
    return xs.length ? xs.reduce((s, r) => s + r.n, 0) / xs.length : 0;
  });
  return {
    trainSamples: train.length,
    testSamples: test.length,
    nearestCentroid: accuracy(nearestCentroid(z.train, train.map((r) => r.y), z.test), truth),
    logistic: accuracy(logisticRegression(z.train, train.map((r) => r.y), z.test, classes), truth),
    motionLogistic: accuracy(logisticRegression(zm.train, train.map((r) => r.y), zm.test, classes, { l2: 1e-2, epochs: 300, rate: 0.2 }), truth),
    classMeanEvents,
  };
}
