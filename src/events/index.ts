export * from './event-batch.js';
export * from './summary.js';
export * from './frames.js';
