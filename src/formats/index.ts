// Public API of the formats area: push decoders, encoders, file readers and dataset layouts.
export * from './errors.js';
export * from './decoder.js';
export * from './devices.js';
export * from './detect.js';
export * from './aedat3.js';
export * from './io.js';
export * from './dvs-gesture.js';
export * from './aedat4.js';
export * from './lz4.js';
export * from './zstd.js';
export * from './flatbuffers.js';
export * from './aedat2.js';
export * from './prophesee.js';
export * from './nmnist.js';
export * from './csv.js';
export * from './writer.js';
export * from './cifar10-dvs.js';
