// Operators over EventBatch streams (RxJS) and their functional core (plain typed-array functions).
export * from './annotations.js';
export * from './apply-filter.js';
export * from './select-polarity.js';
export * from './crop.js';
export * from './orient.js';
export * from './downsample.js';
export * from './refractory.js';
export * from './denoise.js';
export * from './hot-pixels.js';
export * from './rate-limit.js';
export * from './to-frames.js';
export * from './sliding-windows.js';
export * from './time-steps.js';
export * from './bounded-buffer.js';
export * as functional from './functional/index.js';
export { framesFromEvents, toTonicLayout, sliceIndices, type FrameSpec, type Slices } from './functional/binning.js';
export type { EventFilter, FilterStats } from './functional/filter.js';
export { newFilterStats } from './functional/filter.js';
