// Public API of the spikeline package.
export * from './events/index.js';
