/**
 * The processing stages a config asks for, as operators: its filters (each counted under
 * "index:type"), the model's own denoise filter (counted as "model:denoise") and the binning into
 * model frames (time steps or sliding windows).
 */
import type { OperatorFunction } from 'rxjs';
import type { EventBatch, FrameTensor } from '../events/index.js';
import { crop, denoise, downsample, hotPixels, orient, rateLimit, refractory, selectPolarity, slidingWindows, timeSteps, type FilterStats } from '../operators/index.js';
import { formatDenoise } from '../snn/denoise.js';
import { subBinsOf, type Preprocessing } from '../snn/model-api.js';
import type { FilterConfig, PipelineConfig } from './config.js';

/** One configured filter; `statsFor` is asked for stats only by stages that remove events. */
export function filterStage(f: FilterConfig, index: number, statsFor: (name: string) => FilterStats): OperatorFunction<EventBatch, EventBatch> {
  // Geometry-only stages (orient, downsample) remove nothing and are not counted.
  if (f.type === 'orient') return orient(f.op);
  if (f.type === 'downsample') return downsample(f.factor);
  const stats = statsFor(`${index}:${f.type}`);
  switch (f.type) {
    case 'polarity':
      return selectPolarity(f.keep === 'on' ? 1 : 0, { stats });
    case 'crop':
      return crop({ x: f.x, y: f.y, width: f.width, height: f.height }, { stats });
    case 'refractory':
      return refractory(f.periodUs, { stats });
    case 'denoise':
      return denoise({ duration: f.durationUs, ...(f.neighbours ? { neighbours: f.neighbours } : {}), stats });
    case 'hotPixel':
      return hotPixels({
        ...(f.pixels ? { pixels: f.pixels } : {}),
        ...(f.learn ? { learn: { duration: f.learn.durationUs, minEvents: f.learn.minEvents } } : {}),
        stats,
      });
    case 'rateLimit':
      return rateLimit(f.eventsPerSecond, { ...(f.burst ? { burst: f.burst } : {}), stats });
  }
}

/**
 * The model's denoise filter (Preprocessing.denoise), for right before binning: one filter per
 * stream, its state kept across batches and fresh in each epoch (epochs.ts), as training filtered
 * each recording from its start. Undefined when the model has none.
 */
export function modelDenoiseStage(pre: Preprocessing, statsFor: (name: string) => FilterStats): OperatorFunction<EventBatch, EventBatch> | undefined {
  const d = pre.denoise;
  return d ? denoise({ duration: d.durationUs, neighbours: d.neighbours, stats: statsFor('model:denoise') }) : undefined;
}

/**
 * Why the config's filters cannot precede a model that denoises its input, or undefined. A
 * second background-activity filter removes events the first kept (noise pairs that supported
 * each other), and a downsample filter makes the model's filter see cells of several pixels, not
 * the sensor pixels it was trained on: either way the frames are no longer what the model learnt.
 */
export function modelDenoiseConflict(config: PipelineConfig, pre: Preprocessing): string | undefined {
  if (!pre.denoise) return undefined;
  const i = config.filters.findIndex((f) => f.type === 'denoise' || f.type === 'downsample');
  if (i < 0) return undefined;
  const f = config.filters[i]!;
  const own = `a model that denoises its input itself (preprocessing.json denoise ${formatDenoise(pre.denoise)}) right before binning, as in training`;
  return f.type === 'denoise'
    ? `filters[${i}]: a denoise filter before ${own}: filtering twice drops events the model was trained to see; remove this filter`
    : `filters[${i}]: a downsample filter before ${own} on the sensor's pixels: remove this filter (the model downsamples in binning)`;
}

/** The model's downsampling factor applied inside binning: 1 when the config's filters downsample. */
export function fusedDownsample(config: PipelineConfig, pre: Preprocessing): number {
  return !config.filters.some((f) => f.type === 'downsample') && pre.downsample > 1 ? pre.downsample : 1;
}

/**
 * Binning into the model's frames. The model's own downsampling applies, fused into binning,
 * unless the config's filters already bring frames to its size. A model with K sub-bins per step
 * gets K [H, W, 2] frames per step, consecutive in the tensor (the classifier makes them channels).
 */
export function binningStage(config: PipelineConfig, pre: Preprocessing): OperatorFunction<EventBatch, FrameTensor> {
  const down = fusedDownsample(config, pre);
  const k = subBinsOf(pre);
  if (config.inference.mode !== 'window') return timeSteps(pre.stepUs, { downsample: down, bins: k });
  const w = config.inference.window ?? { steps: pre.steps, stride: Math.max(1, Math.floor(pre.steps / 4)) };
  return slidingWindows({ length: w.steps * pre.stepUs, stride: w.stride * pre.stepUs, bins: w.steps * k, downsample: down });
}
