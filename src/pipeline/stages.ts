/**
 * The processing stages a config asks for, as operators: its filters (each counted under
 * "index:type") and the binning into model frames (time steps or sliding windows).
 */
import type { OperatorFunction } from 'rxjs';
import type { EventBatch, FrameTensor } from '../events/index.js';
import { crop, denoise, downsample, hotPixels, orient, rateLimit, refractory, selectPolarity, slidingWindows, timeSteps, type FilterStats } from '../operators/index.js';
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
