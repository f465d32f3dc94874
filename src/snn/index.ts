// Public API of the SNN engine.
export type { Preprocessing, DenoiseSetting, LayerFiring, FiringMetrics, StepOutput, StreamingModel } from './model-api.js';
export { subBinsOf, inputChannels, subBinsProblem, denoiseProblem } from './model-api.js';
export { denoiseRecording, parseDenoise, formatDenoise } from './denoise.js';
export { initBackend, describeBackend, backendLine, BACKEND_CHOICES, type BackendInfo, type BackendName, type BackendChoice } from './backend.js';
export { resolveNeuron, surrogate, SURROGATES, DEFAULT_ALPHA, type NeuronConfig, type NeuronKind, type SurrogateName } from './neuron.js';
export { validateSpec, resolveSpec, SpecError, type ModelSpec, type LayerSpec, type SkipSpec, type SkipType, type SkipAdapt, type ResolvedSpec } from './spec.js';
export { buildModel, SnnModel, type ForwardResult, type StreamState } from './model.js';
export { backbone, BACKBONES, plain, resnet18, densenet121, mobilenetv2, gesture, ref8, type BackboneName, type BackboneOptions } from './backbones.js';
export { firingMetrics, FiringAccumulator, PJ_PER_AC, PJ_PER_MAC, type LayerCost } from './metrics.js';
export { SnnStreamingModel, type ResetPolicy, type StreamingOptions } from './streaming.js';
export { saveModel, loadModel, loadStreamingModel, MODEL_FORMAT, type SavedModel } from './io.js';
export { trainModel, evaluate, type TrainOptions, type TrainResult, type EpochMetrics as TrainEpochMetrics, type EvalResult, type TrainingData, type Sample, type FrameSample } from './train.js';
export { loadEventDataset, loadEventDatasets, mergeDatasets, loadGestureDataset, type DatasetLayout, sampleFrames, encodeFrame, splitValidation, packBatch, syntheticSample, DEFAULT_AUGMENTATION, NO_AUGMENTATION, LEGACY_AUGMENTATION, TRAIN_AUGMENTATION, AUGMENTATION_NAMES, AUGMENTATION_PRESETS, parseAugmentation, formatAugmentation, augmentEvents, framesOfEvents, type Augmentation, type AugmentContext, type EventDataset, type LabelledEvents, type DatasetOptions } from './data.js';
export { VALIDATION_GROUPS, type ValidationGroup } from './validation.js';
export { curvesSvg } from './plot.js';
