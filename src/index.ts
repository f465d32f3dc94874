// Public API of the spikeline package.
export * from './events/index.js';
export * from './util/duration.js';
export * from './util/progress.js';
export * from './util/random.js';
export * from './formats/index.js';
export * from './operators/index.js';
export * from './search/index.js';
export * from './snn/index.js';
export * from './sources/index.js';
export * from './simulate/index.js';
export * from './sinks/index.js';
export * from './server/index.js';
export * from './pipeline/index.js';
