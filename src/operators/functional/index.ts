export * from './filter.js';
export * from './spatial.js';
export * from './scale.js';
export * from './noise.js';
export * from './binning.js';
export * from './windows.js';
export * from './augment.js';
