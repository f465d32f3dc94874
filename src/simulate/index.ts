// Public API of the simulate area: the event-camera simulator, gesture sessions and trials,
// synthetic DVS128 Gesture datasets and event-frame rendering.
export { EventSimulator, type SimulatorOptions, type FlickerOptions, type PixelRegion } from './simulator.js';
export { EventBuffer } from './event-buffer.js';
export { GESTURE_CLASS_IDS, LIGHTINGS as SIMULATED_LIGHTINGS, TRIAL_CLASS_ORDER, type GestureClassId, type Lighting as SimulatedLighting } from './gesture-classes.js';
export { LIGHTING_PROFILES, type LightingProfile } from './lighting.js';
export { GestureSession, type GestureSegment, type SessionOptions } from './session.js';
export { simulateTrial, type TrialOptions, type TrialResult } from './trial.js';
export { simulatedCamera, type CameraOptions, type GestureAnnouncement } from './camera.js';
export {
  generateGestureDataset,
  officialTrials as gestureTrialList,
  selectTrials as selectGestureTrials,
  spreadUsers,
  summarizeStats as summarizeGestureDataset,
  type DatasetOptions as GestureDatasetOptions,
  type DatasetStats as GestureDatasetStats,
  type DatasetSummary as GestureDatasetSummary,
  type TrialRef as GestureTrialRef,
  type TrialStats as GestureTrialStats,
} from './dataset.js';
export { renderEvents, type RenderOptions, type RenderResult } from './render/render-file.js';
export { encodePng } from './render/png.js';
export { encodeGif, type GifFrame } from './render/gif.js';
export { EVENT_PALETTE, eventFrameIndices } from './render/event-frames.js';
export { checkSeparability, type SeparabilityReport } from './separability.js';
